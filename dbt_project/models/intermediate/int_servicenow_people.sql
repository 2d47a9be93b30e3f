{#- One person on several ServiceNow instances (docs/contract.md §3.7). Each instance keeps its
    own sys_user record of a person who works for two companies of a group; the same e-mail
    (compared lower case, trimmed) on a further instance is the same person as on an earlier one
    (the first instance, then further ones by name). Such a record stands aside: the person is the
    record of the earliest instance that knows the e-mail, and the bookings made under the other
    record (time cards, resource plans, time sheets) count for that person. Within one instance
    every record stays its own person, as ServiceNow has it. -#}
with

users as (
    select * from {{ ref('stg_servicenow__sys_user') }}
),

-- per e-mail, the record that stands for the person: earliest instance, then (as
-- int_people_identity_mapped matches Jira accounts) the least user name
email_owners as (
    select
        lower(trim(email)) as email,
        source_instance,
        user_sys_id,
        row_number() over (
            partition by lower(trim(email)) order by source_instance, user_name, user_sys_id
        ) as owner_rank
    from users
    where email is not null
),

final as (
    select
        users.*,
        case
            when email_owners.source_instance <> users.source_instance then email_owners.user_sys_id
            else users.user_sys_id
        end as person_user_sys_id,
        email_owners.source_instance is null or email_owners.source_instance = users.source_instance
            as is_person,
        coalesce(email_owners.user_sys_id = users.user_sys_id, false) as is_email_owner
    from users
    left join email_owners
        on lower(trim(users.email)) = email_owners.email
        and email_owners.owner_rank = 1
)

select * from final
