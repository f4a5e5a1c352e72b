{#- One row per Salesforce campaign response of a known person, as a touchpoint: members that responded, on
    live campaigns, through the crosswalk of their contact, else their lead; at the first response date
    (midnight: Salesforce keeps a date), else the membership's creation. The traffic source is `salesforce`
    and the medium the lower-cased campaign type. -#}

{{ config(enabled=var('salesforce_enabled')) }}

with

campaign_members as (
    select
        campaign_member_id,
        campaign_id,
        lead_id,
        contact_id,
        first_responded_date,
        created_at
    from {{ ref('stg_salesforce__campaign_members') }}
    where
        has_responded
        and not is_deleted
),

campaigns as (
    select
        campaign_id,
        campaign_type
    from {{ ref('stg_salesforce__campaigns') }}
    where not is_deleted
),

person_records as (
    select
        source_system,
        source_object,
        source_record_id,
        person_id
    from {{ ref('int_person_records_mapped') }}
    where not is_deleted
),

campaign_responses as (
    select
        campaign_members.campaign_member_id,
        campaign_members.campaign_id,
        campaigns.campaign_type,
        coalesce(contact_records.person_id, lead_records.person_id) as person_id,
        coalesce(
            cast(campaign_members.first_responded_date as {{ dbt.type_timestamp() }}),
            campaign_members.created_at
        ) as touched_at
    from campaign_members
    inner join campaigns
        on campaign_members.campaign_id = campaigns.campaign_id
    left join person_records as contact_records
        on
            campaign_members.contact_id = contact_records.source_record_id
            and contact_records.source_system = 'salesforce'
            and contact_records.source_object = 'Contact'
    left join person_records as lead_records
        on
            campaign_members.lead_id = lead_records.source_record_id
            and lead_records.source_system = 'salesforce'
            and lead_records.source_object = 'Lead'
),

final as (
    select
        'campaign_response' as touchpoint_type,
        'salesforce' as source_system,
        campaign_member_id as source_record_id,
        person_id,
        touched_at,
        cast(null as {{ dbt.type_string() }}) as web_session_id,
        false as is_part_of_web_session,
        cast(null as {{ dbt.type_string() }}) as url,
        cast(null as {{ dbt.type_string() }}) as referrer_domain,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        cast(null as {{ dbt.type_string() }}) as utm_content,
        cast(null as {{ dbt.type_string() }}) as utm_term,
        cast(null as {{ dbt.type_string() }}) as click_id_type,
        cast(null as {{ dbt.type_string() }}) as form_id,
        cast(null as {{ dbt.type_string() }}) as email_campaign_id,
        campaign_id as salesforce_campaign_id,
        campaign_type as salesforce_campaign_type,
        'salesforce' as traffic_source,
        lower(trim(campaign_type)) as traffic_medium
    from campaign_responses
    where
        person_id is not null
        and touched_at is not null
)

select * from final
