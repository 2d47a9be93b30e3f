with

projects as (
    select * from {{ ref('stg_servicenow__pm_project') }}
),

gl_lines as (
    select * from {{ ref('stg_finance__gl_actuals') }}
),

file_periods as (
    select * from {{ ref('int_gl_file_periods') }}
),

forecast as (
    select * from {{ ref('stg_finance__forecast') }}
    where is_in_force
),

-- WBS codes are compared trimmed and upper case: finance systems and ServiceNow forms disagree
-- on case and stray blanks more often than on the code itself.
project_codes as (
    select
        upper(trim(wbs_code)) as wbs_code,
        project_sys_id,
        project_number,
        -- two projects claiming one code would double their costs: the first ServiceNow instance's
        -- project, then the lowest number, wins and the clash is counted in int_identity_unmatched
        row_number() over (
            partition by upper(trim(wbs_code)) order by source_instance, project_number, project_sys_id
        ) as claim_rank,
        count(*) over (partition by upper(trim(wbs_code))) as claiming_project_count
    from projects
    where wbs_code is not null
),

-- GL lines in force only: a line a newer export replaced is not spend any more
gl_codes as (
    select upper(trim(gl_lines.wbs_code)) as wbs_code, count(*) as gl_line_count
    from gl_lines
    inner join file_periods
        on gl_lines.company_code = file_periods.company_code
        and gl_lines.fiscal_year = file_periods.fiscal_year
        and gl_lines.fiscal_period = file_periods.fiscal_period
        and gl_lines.file_sha256 = file_periods.file_sha256
    where gl_lines.wbs_code is not null
        and file_periods.is_in_force
    group by 1
),

forecast_codes as (
    select upper(trim(wbs_code)) as wbs_code, count(*) as forecast_row_count
    from forecast
    where wbs_code is not null
    group by 1
),

all_codes as (
    select wbs_code from project_codes
    union
    select wbs_code from gl_codes
    union
    select wbs_code from forecast_codes
),

final as (
    select
        all_codes.wbs_code,
        project_codes.project_sys_id,
        project_codes.project_number,
        project_codes.project_sys_id is not null as is_matched,
        coalesce(project_codes.claiming_project_count, 0) as claiming_project_count,
        coalesce(gl_codes.gl_line_count, 0) as gl_line_count,
        coalesce(forecast_codes.forecast_row_count, 0) as forecast_row_count
    from all_codes
    left join project_codes
        on all_codes.wbs_code = project_codes.wbs_code
        and project_codes.claim_rank = 1
    left join gl_codes
        on all_codes.wbs_code = gl_codes.wbs_code
    left join forecast_codes
        on all_codes.wbs_code = forecast_codes.wbs_code
)

select * from final
