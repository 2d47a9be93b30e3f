{{ config(severity='warn') }}
-- A time card covers one week starting on a Monday (docs/contract.md §3.5); a card that starts on
-- another day would put its hours on the wrong dates. Warn, listing the cards.
select time_card_sys_id, week_starts_on
from {{ ref('stg_servicenow__time_card') }}
where isodow(week_starts_on) <> 1
