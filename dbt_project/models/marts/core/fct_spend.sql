with

-- lines without an FX rate for their month are rejects (finance_rejects), not spend
gl_lines as (
    select * from {{ ref('int_gl_lines_converted') }}
    where has_fx_rate
),

cost_centers as (
    -- one key per code, should ServiceNow hold a code twice: the first instance's record (two
    -- instances of a group share the group's codes), then the least key
    select cost_center_id, cost_center_key
    from {{ ref('dim_cost_center') }}
    qualify row_number() over (partition by cost_center_id order by source_instance, cost_center_key) = 1
),

vendors as (
    select * from {{ ref('dim_vendor') }}
),

final as (
    select
        {{ surrogate_key(["'finance'", "'gl_line'", 'gl_lines.gl_line_key']) }} as spend_key,
        gl_lines.gl_line_key as spend_id,
        -- a line whose WBS maps to no project stays, under the unknown project (docs/contract.md §4)
        coalesce(project_versions.project_key, {{ unknown_key() }}) as project_key,
        coalesce(cost_centers.cost_center_key, {{ unknown_key() }}) as cost_center_key,
        coalesce(vendors.vendor_key, {{ unknown_key() }}) as vendor_key,
        gl_lines.posting_date,
        gl_lines.month_start_date,
        gl_lines.fiscal_year,
        gl_lines.fiscal_period,
        project_versions.project_number as project_id,
        gl_lines.company_code,
        gl_lines.document_number,
        gl_lines.line_number,
        gl_lines.gl_account,
        gl_lines.wbs_code,
        gl_lines.cost_center_code,
        gl_lines.vendor_id,
        gl_lines.expense_type,
        gl_lines.description,
        gl_lines.amount_local as spend_amount_local,
        gl_lines.currency,
        gl_lines.fx_rate,
        -- the exact product (local amount × rate): rounding each line would make sums drift from
        -- the KPIs, which round once, at the end
        cast(gl_lines.amount as decimal(38, 16)) as spend_amount,
        gl_lines.is_wbs_matched,
        gl_lines.file_name,
        gl_lines.file_line
    from gl_lines
    left join cost_centers
        on gl_lines.cost_center_code = cost_centers.cost_center_id
    left join vendors
        on gl_lines.vendor_id = vendors.vendor_id
    {{ project_version_join(
        'project_versions',
        'gl_lines.project_sys_id',
        'coalesce(gl_lines.posting_date, gl_lines.month_start_date)'
    ) }}
)

select * from final
