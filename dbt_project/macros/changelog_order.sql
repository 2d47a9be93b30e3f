{#- The order of one issue's changelog entries: by time, and
    changes made at one instant in the order Jira made them. Change ids are numbers, so '10' comes
    after '9' (a further site's ids carry its prefix, `ACME:10`: the number is what follows it);
    an id that is not a number sorts as text after them. One rule for every model that
    walks a changelog (status intervals, sprint membership). Use as `order by {{ changelog_order() }}`;
    the model's relation needs `changed_at` and `change_id`. -#}
{% macro changelog_order() -%}
    changed_at, try_cast(regexp_extract(change_id, '^(?:[^:]*:)?([0-9]+)$', 1) as bigint), change_id
{%- endmacro %}
