{#- One row per web session of a known person, as a touchpoint: its landing page's UTMs, click id and
    referrer, and the traffic source and medium its channel is looked up with. -#}

{{ config(enabled=var('hubspot_enabled')) }}

with

web_sessions as (
    select
        session_id,
        person_id,
        started_at,
        landing_url,
        referrer_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type
    from {{ ref('int_web_sessions_aggregated') }}
),

final as (
    select
        'web_session' as touchpoint_type,
        'hubspot' as source_system,
        session_id as source_record_id,
        person_id,
        started_at as touched_at,
        session_id as web_session_id,
        false as is_part_of_web_session,
        landing_url as url,
        referrer_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        cast(null as {{ dbt.type_string() }}) as form_id,
        cast(null as {{ dbt.type_string() }}) as email_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_type,
        {{ traffic_source('utm_source', 'utm_medium', 'click_id_type', 'referrer_domain') }} as traffic_source,
        {{ traffic_medium('utm_source', 'utm_medium', 'click_id_type', 'referrer_domain') }} as traffic_medium
    from web_sessions
)

select * from final
