{#- One row per engagement signal of a known person: a web visit (session), a form submission, a marketing
    e-mail opened or clicked, a webinar or
    event attended, or a content download (content syndication response).
    Visits, forms, clicks and campaign responses come from int_touchpoints_unioned (forms and clicks made inside
    a web session count as well as the session: they are actions of their own); opens are HubSpot e-mail
    events matched to the person by e-mail, as the touchpoints match clicks. E-mail deliveries are not
    signals: a delivery is what marketing sent, not something the person did, so never a reason to call. The
    signal names are the keys of the seed `lead_scoring_engagement_points`; the channel is the touch's marketing
    channel (opens: `Email`) and the platform a paid touch's ad platform. -#}

with

touchpoints as (
    select
        touchpoint_id,
        person_id,
        touched_at,
        touchpoint_type,
        salesforce_campaign_type,
        channel,
        platform
    from {{ ref('int_touchpoints_unioned') }}
),

{%- if var('hubspot_enabled') %}

    email_events as (
        select
            email_event_id,
            event_type,
            recipient_email,
            occurred_at
        from {{ ref('stg_hubspot__email_events') }}
        where event_type = 'open'
    ),

{%- endif %}

people as (
    select
        person_id,
        email
    from {{ ref('int_people_resolved') }}
    where
        email is not null
        and not is_deleted
),

touch_signals as (
    select
        touchpoint_id as signal_id,
        person_id,
        channel,
        platform,
        touched_at as occurred_at,
        case
            when touchpoint_type = 'web_session' then 'web_visit'
            when touchpoint_type = 'form_submission' then 'form_submission'
            when touchpoint_type = 'email_click' then 'email_click'
            when salesforce_campaign_type = 'Webinar' then 'webinar_attendance'
            when salesforce_campaign_type = 'Event' then 'event_attendance'
            when salesforce_campaign_type = 'Content Syndication' then 'content_download'
        end as signal_type
    from touchpoints
),

{%- if var('hubspot_enabled') %}

    email_signals as (
        select
            {{ dbt.hash(dbt.concat(["'email|'", 'email_events.email_event_id'])) }} as signal_id,
            people.person_id,
            email_events.occurred_at,
            'email_open' as signal_type,
            'Email' as channel,
            cast(null as {{ dbt.type_string() }}) as platform
        from email_events
        inner join people
            on email_events.recipient_email = people.email
    ),

{%- endif %}

unioned as (
    select
        signal_id,
        person_id,
        occurred_at,
        signal_type,
        channel,
        platform
    from touch_signals
    where signal_type is not null
    {%- if var('hubspot_enabled') %}
        union all
        select
            signal_id,
            person_id,
            occurred_at,
            signal_type,
            channel,
            platform
        from email_signals
    {%- endif %}
),

final as (
    select
        signal_id,
        person_id,
        occurred_at,
        signal_type,
        channel,
        platform
    from unioned
    where occurred_at is not null
)

select * from final
