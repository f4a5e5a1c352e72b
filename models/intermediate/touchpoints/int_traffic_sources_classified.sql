{#- One row per traffic source and medium that touches carry (either may be null): the channel the seed
    `channel_mapping` gives it (every matching row is a candidate, a pattern being a value or `*`; the lowest
    priority wins; `Other` when none matches), the ad platform of the winning row (`channel_platform`, null
    unless the row is paid) and whether the channel is a paid one (a channel some seed row names a platform
    for). Only the touches of the CRMs switched on (vars `hubspot_enabled`, `salesforce_enabled`). -#}

with

{%- if var('hubspot_enabled') %}

    web_session_touchpoints as (
        select
            traffic_source,
            traffic_medium
        from {{ ref('int_web_session_touchpoints_listed') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    form_submission_touchpoints as (
        select
            traffic_source,
            traffic_medium
        from {{ ref('int_form_submission_touchpoints_matched') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    email_click_touchpoints as (
        select
            traffic_source,
            traffic_medium
        from {{ ref('int_email_click_touchpoints_matched') }}
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    campaign_response_touchpoints as (
        select
            traffic_source,
            traffic_medium
        from {{ ref('int_campaign_response_touchpoints_matched') }}
    ),

{%- endif %}

channel_mapping as (
    select
        source_pattern,
        medium_pattern,
        channel,
        priority,
        platform
    from {{ ref('channel_mapping') }}
),

traffic_sources as (
    {%- if var('hubspot_enabled') %}
        select
            traffic_source,
            traffic_medium
        from web_session_touchpoints
        union distinct
        select
            traffic_source,
            traffic_medium
        from form_submission_touchpoints
        union distinct
        select
            traffic_source,
            traffic_medium
        from email_click_touchpoints
    {%- endif %}
    {%- if var('hubspot_enabled') and var('salesforce_enabled') %}
        union distinct
    {%- endif %}
    {%- if var('salesforce_enabled') %}
        select
            traffic_source,
            traffic_medium
        from campaign_response_touchpoints
    {%- endif %}
),

paid_channels as (
    select distinct channel
    from channel_mapping
    where platform is not null
),

channel_matches as (
    select
        traffic_sources.traffic_source,
        traffic_sources.traffic_medium,
        channel_mapping.channel,
        channel_mapping.platform,
        row_number() over (
            partition by traffic_sources.traffic_source, traffic_sources.traffic_medium
            order by
                channel_mapping.priority asc,
                channel_mapping.source_pattern desc,
                channel_mapping.medium_pattern desc,
                channel_mapping.channel asc
        ) as match_rank
    from traffic_sources
    left join channel_mapping
        on
            (
                channel_mapping.source_pattern = '*'
                or traffic_sources.traffic_source = channel_mapping.source_pattern
            )
            and (
                channel_mapping.medium_pattern = '*'
                or traffic_sources.traffic_medium = channel_mapping.medium_pattern
            )
),

final as (
    select
        channel_matches.traffic_source,
        channel_matches.traffic_medium,
        channel_matches.platform as channel_platform,
        coalesce(channel_matches.channel, 'Other') as channel,
        paid_channels.channel is not null as is_paid_channel
    from channel_matches
    left join paid_channels
        on coalesce(channel_matches.channel, 'Other') = paid_channels.channel
    where channel_matches.match_rank = 1
)

select * from final
