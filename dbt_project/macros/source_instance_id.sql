{#- Several instances of one source (docs/contract.md §2 "Several Jira sites and ServiceNow
    instances").

    Each Jira site and each ServiceNow instance lands in its own raw folder, and every raw row
    carries the folder's name as its source_instance: `jira` or `servicenow` for the first one
    (JIRA_URL, SERVICENOW_URL), `jira.<site>` or `servicenow.<instance>` for each one JIRA_SITES or
    SERVICENOW_INSTANCES names. Ids and record numbers are unique within one instance only: two
    Jira sites of one group often share project keys (both have a PAY project) and issue ids (both
    count from 10000), and a ServiceNow instance cloned from another shares its sys_ids and numbers
    (both have PRJ0001234).

    So staging qualifies every id, key and record number of a further instance with the
    instance's name in capitals: issue 10001 and project PAY of Jira site `acme` are `ACME:10001`
    and `ACME:PAY`, project PRJ0001234 of ServiceNow instance `emea` is `EMEA:PRJ0001234`; the
    first instance's stay as the source sends them. Every join downstream then keeps two
    instances apart without having to remember to, and surrogate keys built from those ids never
    collide. What is not qualified: Atlassian account ids (global: one person has one account id
    on every Cloud site) and the group's own codes a record names (WBS code, cost-centre and
    department codes, the Jira key in u_jira_project_key), which finance and the other systems
    share. This macro is the one place that rule is written. -#}
{% macro source_instance_id(expression, source, instance='source_instance') -%}
    case
        when {{ instance }} = '{{ source }}' then {{ expression }}
        else upper(substr({{ instance }}, {{ source | length + 2 }})) || ':' || ({{ expression }})
    end
{%- endmacro %}

{% macro jira_id(expression, instance='source_instance') -%}
    {{ source_instance_id(expression, 'jira', instance) }}
{%- endmacro %}

{#- One ServiceNow reference field (a bare sys_id) or record number, qualified by instance. -#}
{% macro sn_id(field) -%}
    {{ source_instance_id(sn_text(field), 'servicenow') }}
{%- endmacro %}
