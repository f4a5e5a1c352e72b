{#- One row per HubSpot marketing e-mail click of a known person, as a touchpoint: the recipient by e-mail
    (people's e-mails are unique, so a shared address never fans out), and the web session the click opened
    (the first one on the same e-mail campaign's link within the session timeout). A link without UTMs is
    still an e-mail touch (`hubspot` / `email`).

    Incremental (docs/incremental.md), by whole people: those with a click or a web session within
    var('late_arrival_days') of the latest click already built, whose click count or latest click differs
    from what was built (a late, new or moved click of any age), or whose built click points at a session
    that no longer exists. After the run, the clicks of people no longer known and clicks HubSpot no
    longer holds are deleted. A person whose every click moved to another person (an e-mail address
    that changed hands) keeps them until `--full-refresh`. -#}

{{ config(
    materialized=incremental_materialization(),
    incremental_strategy=incremental_strategy_for_target(),
    unique_key='person_id',
    post_hook=[
        "{{ delete_unknown_keys(this, 'person_id', ref('int_people_resolved'), 'person_id',
            'email is not null and not is_deleted') }}",
        "{{ delete_unknown_keys(this, 'source_record_id', ref('stg_hubspot__email_events'), 'email_event_id',
            \"event_type = 'click'\") }}",
    ],
) }}

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

{%- if incremental_by_key() %}

    built_people as (
        select
            person_id,
            count(*) as clicks,
            max(touched_at) as last_clicked_at
        from {{ this }}
        group by person_id
    ),

    window_start as (
        select {{ late_arrival_window_start('touched_at') }} as window_start_at
        from {{ this }}
    ),

    current_people as (
        select
            person_id,
            count(*) as clicks,
            max(occurred_at) as last_clicked_at
        from email_clickers
        group by person_id
    ),

    -- People to rebuild: a click or a session in the window, clicks that differ from what was built, or a
    -- built click whose session is gone (its contact's sessions were rebuilt).
    changed_people as (
        select email_clickers.person_id
        from email_clickers
        cross join window_start
        where email_clickers.occurred_at >= window_start.window_start_at
        union distinct
        select web_sessions.person_id
        from web_sessions
        cross join window_start
        where web_sessions.started_at >= window_start.window_start_at
        union distinct
        select current_people.person_id
        from current_people
        left join built_people
            on current_people.person_id = built_people.person_id
        where
            built_people.person_id is null
            or built_people.clicks <> current_people.clicks
            or built_people.last_clicked_at <> current_people.last_clicked_at
        union distinct
        select built.person_id
        from {{ this }} as built
        left join web_sessions
            on
                built.web_session_id = web_sessions.session_id
                and built.person_id = web_sessions.person_id
        where
            built.web_session_id is not null
            and web_sessions.session_id is null
    ),

    -- The clicks of the people to rebuild.
    clickers as (
        select email_clickers.*
        from email_clickers
        inner join changed_people
            on email_clickers.person_id = changed_people.person_id
    ),
{%- else %}

    clickers as (
        select * from email_clickers
    ),
{%- endif %}

email_sessions_ranked as (
    select
        clickers.email_event_id,
        web_sessions.session_id,
        row_number() over (
            partition by clickers.email_event_id
            order by web_sessions.started_at, web_sessions.session_id
        ) as session_rank
    from clickers
    inner join web_sessions
        on
            clickers.person_id = web_sessions.person_id
            and clickers.occurred_at <= web_sessions.started_at
            and web_sessions.started_at
            <= {{ dbt.dateadd('minute', var('session_timeout_minutes'), 'clickers.occurred_at') }}
            and coalesce(web_sessions.utm_source, '') = coalesce(clickers.utm_source, '')
            and coalesce(web_sessions.utm_medium, '') = coalesce(clickers.utm_medium, '')
            and coalesce(web_sessions.utm_campaign, '') = coalesce(clickers.utm_campaign, '')
),

email_touches as (
    select
        'email_click' as touchpoint_type,
        'hubspot' as source_system,
        clickers.email_event_id as source_record_id,
        clickers.person_id,
        clickers.occurred_at as touched_at,
        email_sessions_ranked.session_id as web_session_id,
        email_sessions_ranked.session_id is not null as is_part_of_web_session,
        clickers.url,
        cast(null as {{ dbt.type_string() }}) as referrer_domain,
        coalesce(clickers.utm_source, 'hubspot') as utm_source,
        coalesce(clickers.utm_medium, 'email') as utm_medium,
        clickers.utm_campaign,
        clickers.utm_content,
        cast(null as {{ dbt.type_string() }}) as utm_term,
        cast(null as {{ dbt.type_string() }}) as click_id_type,
        cast(null as {{ dbt.type_string() }}) as form_id,
        clickers.email_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_type
    from clickers
    left join email_sessions_ranked
        on
            clickers.email_event_id = email_sessions_ranked.email_event_id
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
