{#- Several Jira sites (docs/contract.md §2 "Several Jira sites").

    Each site lands in its own raw folder, and every raw row carries the folder's name as its
    source_instance: `jira` for the first site (JIRA_URL), `jira.<site>` for each site JIRA_SITES
    names. Jira ids and keys are unique within one site only, and two sites of one group often
    share project keys (both have a PAY project) and issue ids (both count from 10000).

    So staging qualifies every id and key of a further site with the site's name in capitals:
    issue 10001 and project PAY of site `acme` are `ACME:10001` and `ACME:PAY`; the first site's
    stay as Jira sends them. Account ids are the exception: Atlassian's are global (one person has
    one account id on every Cloud site), so they stay as sent and a person on two sites is one
    account. Every join downstream then keeps two sites apart without having to
    remember to, surrogate keys built from those ids never collide, and a ServiceNow project
    claims a further site's Jira project as `ACME:PAY` in u_jira_project_key. This macro is the
    one place that rule is written. -#}
{% macro jira_id(expression, instance='source_instance') -%}
    case
        when {{ instance }} = 'jira' then {{ expression }}
        else upper(substr({{ instance }}, 6)) || ':' || ({{ expression }})
    end
{%- endmacro %}
