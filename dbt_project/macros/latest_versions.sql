{#- The current state of every record in a raw change log.

    The landing appends every version it fetched (re-fetches included) and a tombstone when a
    full sync no longer finds a key. A key is a key within one source instance (one raw folder:
    two Jira sites may both have issue 10001, macros/source_instance_id.sql). The current version of a key is the one with the greatest
    (source_updated_at, loaded_at, batch_id); a version without a source time sorts oldest. The
    rule is the landing's (connectors.landing.CURRENT_VERSION_ORDER), written here in SQL;
    tests/warehouse/test_current_version_rule.py proves the two agree. When that winner is a tombstone the record is gone,
    so it is dropped after ranking (dropping tombstones before ranking would resurrect the
    previous version). -#}
{% macro latest_versions(relation) %}
    select *
    from (
        select
            *,
            row_number() over (
                partition by source_instance, natural_key
                order by source_updated_at desc nulls last, loaded_at desc, batch_id desc
            ) as version_rank
        from {{ relation }}
    ) as ranked
    where version_rank = 1
      and not is_deleted
{% endmacro %}

{#- Every version of every record in a raw change log, for the models that need history
    (int_project_history, int_demand_history). The same version fetched twice (overlapping sync
    windows) is one version: the copy loaded last is kept. Tombstones are the caller's choice. -#}
{% macro distinct_versions(relation) %}
    select *
    from (
        select
            *,
            row_number() over (
                partition by source_instance, natural_key, source_updated_at
                order by loaded_at desc, batch_id desc
            ) as copy_rank
        from {{ relation }}
    ) as copies
    where copy_rank = 1
{% endmacro %}
