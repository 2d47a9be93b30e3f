{#- One person on several ServiceNow instances (docs/contract.md §3.7). Each instance keeps its
    own sys_user record of a person who works for two companies of a group; the same e-mail
    (compared lower case, trimmed) on two instances is one person. The person is the record of one
    instance: the earliest (the first instance, then further ones by name) where the e-mail's
    record is active, else the earliest that knows the e-mail at all, so someone who moved from
    one company to another is the active person of the second. The other instances' records stand
    aside, and the bookings made under them (time cards, resource plans, time sheets) count for
    that person. Within one instance every record stays its own person, as ServiceNow has it. -#}
with

users as (
    select * from {{ ref('stg_servicenow__sys_user') }}
),

emails as (
    select
        lower(trim(email)) as email,
        source_instance,
        user_sys_id,
        user_name,
        -- whether the e-mail has an active record on this instance (the same for all its records)
        bool_or(coalesce(is_active, false)) over (partition by lower(trim(email)), source_instance)
            as is_active_on_instance
    from users
    where email is not null
),

-- per e-mail, the record that stands for the person: the earliest instance where it is active
-- (else the earliest), then, within it (as int_people_identity_mapped matches Jira accounts),
-- the least user name
email_owners as (
    select
        email,
        source_instance,
        user_sys_id,
        row_number() over (
            partition by email
            order by is_active_on_instance desc, source_instance, user_name, user_sys_id
        ) as owner_rank
    from emails
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
