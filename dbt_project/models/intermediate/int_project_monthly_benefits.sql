with

breakdowns as (
    select * from {{ ref('int_benefit_plan_breakdowns_placed') }}
),

-- only monetary plans are money (docs/kpis.md "Benefit realization ratio"): non-monetary benefits
-- are reported in fct_benefit, never summed here; a breakdown whose plan did not land has no
-- benefit type and is left out
monetary as (
    select
        project_sys_id,
        month_start_date,
        planned_benefit,
        -- realised benefit is known up to the as-of month only
        case
            when month_start_date <= date_trunc('month', {{ as_of_date() }})
                then actual_benefit
        end as actual_benefit
    from breakdowns
    where benefit_type = 'monetary'
),

final as (
    select
        project_sys_id,
        month_start_date,
        coalesce(sum(planned_benefit), 0) as planned_benefit_amount,
        coalesce(sum(actual_benefit), 0) as actual_benefit_amount
    from monetary
    group by 1, 2
)

select * from final
