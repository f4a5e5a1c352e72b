{#- One row per HubSpot marketing e-mail click of a known person, as a touchpoint: the recipient by e-mail
    (people's e-mails are unique, so a shared address never fans out), and the web session the click opened
    (the first one on the same e-mail campaign's link within the session timeout). A link without UTMs is
    still an e-mail touch (`hubspot` / `email`). -#}

{{ config(enabled=var('hubspot_enabled')) }}

with

email_events as (
    select
        email_event_id,
        email_campaign_id,
        recipient_email,
        url,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        occurred_at
    from {{ ref('stg_hubspot__email_events') }}
    where event_type = 'click'
),

web_sessions as (
    select
        session_id,
        person_id,
        started_at,
        utm_source,
        utm_medium,
        utm_campaign
    from {{ ref('int_web_sessions_aggregated') }}
),

people as (
    select
        person_id,
        email
    from {{ ref('int_people_resolved') }}
    where
        email is not null
        and not is_deleted
),

email_clickers as (
    select
        email_events.email_event_id,
        email_events.email_campaign_id,
        email_events.url,
        email_events.utm_source,
        email_events.utm_medium,
        email_events.utm_campaign,
        email_events.utm_content,
        email_events.occurred_at,
        people.person_id
    from email_events
    inner join people
        on email_events.recipient_email = people.email
),

email_sessions_ranked as (
    select
        email_clickers.email_event_id,
        web_sessions.session_id,
        row_number() over (
            partition by email_clickers.email_event_id
            order by web_sessions.started_at, web_sessions.session_id
        ) as session_rank
    from email_clickers
    inner join web_sessions
        on
            email_clickers.person_id = web_sessions.person_id
            and email_clickers.occurred_at <= web_sessions.started_at
            and web_sessions.started_at
            <= {{ dbt.dateadd('minute', var('session_timeout_minutes'), 'email_clickers.occurred_at') }}
            and coalesce(web_sessions.utm_source, '') = coalesce(email_clickers.utm_source, '')
            and coalesce(web_sessions.utm_medium, '') = coalesce(email_clickers.utm_medium, '')
            and coalesce(web_sessions.utm_campaign, '') = coalesce(email_clickers.utm_campaign, '')
),

email_touches as (
    select
        'email_click' as touchpoint_type,
        'hubspot' as source_system,
        email_clickers.email_event_id as source_record_id,
        email_clickers.person_id,
        email_clickers.occurred_at as touched_at,
        email_sessions_ranked.session_id as web_session_id,
        email_sessions_ranked.session_id is not null as is_part_of_web_session,
        email_clickers.url,
        cast(null as {{ dbt.type_string() }}) as referrer_domain,
        coalesce(email_clickers.utm_source, 'hubspot') as utm_source,
        coalesce(email_clickers.utm_medium, 'email') as utm_medium,
        email_clickers.utm_campaign,
        email_clickers.utm_content,
        cast(null as {{ dbt.type_string() }}) as utm_term,
        cast(null as {{ dbt.type_string() }}) as click_id_type,
        cast(null as {{ dbt.type_string() }}) as form_id,
        email_clickers.email_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_type
    from email_clickers
    left join email_sessions_ranked
        on
            email_clickers.email_event_id = email_sessions_ranked.email_event_id
            and email_sessions_ranked.session_rank = 1
),

final as (
    select
        touchpoint_type,
        source_system,
        source_record_id,
        person_id,
        touched_at,
        web_session_id,
        is_part_of_web_session,
        url,
        referrer_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        form_id,
        email_campaign_id,
        salesforce_campaign_id,
        salesforce_campaign_type,
        {{ traffic_source('utm_source', 'utm_medium', 'click_id_type', 'referrer_domain') }} as traffic_source,
        {{ traffic_medium('utm_source', 'utm_medium', 'click_id_type', 'referrer_domain') }} as traffic_medium
    from email_touches
)

select * from final
