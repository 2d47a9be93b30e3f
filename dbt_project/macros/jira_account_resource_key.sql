{#- The dim_resource key of a Jira account, given int_people_identity_mapped aliased `people`:
    the matched ServiceNow user's key, else the unmapped-resource key of the person the account
    belongs to (accounts sharing an e-mail, on one site or several, are one person), else (no
    account at all) the unknown member. Mirrors how dim_resource builds its keys. -#}
{% macro jira_account_resource_key(people_alias, account_column) -%}
    case
        when {{ people_alias }}.is_matched then {{ surrogate_key(["'servicenow'", "'sys_user'", people_alias ~ '.user_sys_id']) }}
        when {{ account_column }} is not null
            then {{ surrogate_key(["'jira'", "'account'", 'coalesce(' ~ people_alias ~ '.person_account_id, ' ~ account_column ~ ')']) }}
        else {{ unknown_key() }}
    end
{%- endmacro %}
