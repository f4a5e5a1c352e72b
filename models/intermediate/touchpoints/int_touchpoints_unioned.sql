{#- One row per marketing touch of a known person, from the four kinds of touch (one model each): web
    sessions, HubSpot form submissions, HubSpot marketing e-mail clicks and Salesforce campaign responses
    (those of the CRMs switched on: vars `hubspot_enabled`, `salesforce_enabled`).
    Each touch gets the channel int_traffic_sources_classified gives its traffic source and medium; paid
    touches also get their ad platform, the platform's short name (`channel_platform`, which splits Paid
    Social into Meta and LinkedIn), campaign key (the key of int_ad_spend_days_unioned, for the platforms
    switched on: a platform whose spend is not loaded has no campaign to key) and ad. -#}

{%- set touch_columns = [
    'touchpoint_type', 'source_system', 'source_record_id', 'person_id', 'touched_at', 'web_session_id',
    'is_part_of_web_session', 'url', 'referrer_domain', 'utm_source', 'utm_medium', 'utm_campaign',
    'utm_content', 'utm_term', 'click_id_type', 'form_id', 'email_campaign_id', 'salesforce_campaign_id',
    'salesforce_campaign_type', 'traffic_source', 'traffic_medium',
] -%}

{#- The ad platforms whose spend the warehouse loads (vars `<platform>_enabled`), quoted for an `in` list. -#}
{%- set loaded_platforms = [] -%}
{%- for platform in ['google_ads', 'facebook_ads', 'linkedin_ads'] if var(platform ~ '_enabled') -%}
    {%- do loaded_platforms.append("'" ~ platform ~ "'") -%}
{%- endfor %}

with

{%- if var('hubspot_enabled') %}

    web_session_touchpoints as (
        select
            {{ touch_columns | join(',\n        ') }}
        from {{ ref('int_web_session_touchpoints_listed') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    form_submission_touchpoints as (
        select
            {{ touch_columns | join(',\n        ') }}
        from {{ ref('int_form_submission_touchpoints_matched') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    email_click_touchpoints as (
        select
            {{ touch_columns | join(',\n        ') }}
        from {{ ref('int_email_click_touchpoints_matched') }}
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    campaign_response_touchpoints as (
        select
            {{ touch_columns | join(',\n        ') }}
        from {{ ref('int_campaign_response_touchpoints_matched') }}
    ),

{%- endif %}

traffic_sources as (
    select
        traffic_source,
        traffic_medium,
        channel,
        channel_platform,
        is_paid_channel
    from {{ ref('int_traffic_sources_classified') }}
),

unioned as (
    {%- if var('hubspot_enabled') %}
        select * from web_session_touchpoints
        union all
        select * from form_submission_touchpoints
        union all
        select * from email_click_touchpoints
    {%- endif %}
    {%- if var('hubspot_enabled') and var('salesforce_enabled') %}
        union all
    {%- endif %}
    {%- if var('salesforce_enabled') %}
        select * from campaign_response_touchpoints
    {%- endif %}
),

channels as (
    select
        unioned.{{ touch_columns | join(',\n        unioned.') }},
        traffic_sources.channel,
        traffic_sources.channel_platform as source_platform,
        traffic_sources.is_paid_channel,
        {{ dbt.hash(dbt.concat(['unioned.touchpoint_type', "'|'", 'unioned.source_record_id'])) }} as touchpoint_id
    from unioned
    inner join traffic_sources
        on
            (
                unioned.traffic_source = traffic_sources.traffic_source
                or (unioned.traffic_source is null and traffic_sources.traffic_source is null)
            )
            and (
                unioned.traffic_medium = traffic_sources.traffic_medium
                or (unioned.traffic_medium is null and traffic_sources.traffic_medium is null)
            )
),

-- The ad platform of a paid touch: its click id, else, in a paid channel, its utm_source.
platforms as (
    select
        {{ touch_columns | join(',\n        ') }},
        touchpoint_id,
        channel,
        source_platform,
        is_paid_channel,
        case
            when click_id_type = 'gclid' then 'google_ads'
            when click_id_type = 'fbclid' then 'facebook_ads'
            when click_id_type = 'li_fat_id' then 'linkedin_ads'
            when is_paid_channel then
                case
                    when utm_source in ('google', 'adwords', 'youtube') then 'google_ads'
                    when utm_source in ('facebook', 'fb', 'instagram', 'ig', 'meta') then 'facebook_ads'
                    when utm_source in ('linkedin', 'lnkd.in') then 'linkedin_ads'
                end
        end as platform
    from channels
),

final as (
    select
        touchpoint_id,
        person_id,
        touched_at,
        touchpoint_type,
        source_system,
        source_record_id,
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
        traffic_source,
        traffic_medium,
        channel,
        platform,
        case
            when salesforce_campaign_id is not null
                then {{ dbt.concat(["'salesforce:'", 'salesforce_campaign_id']) }}
            {%- if loaded_platforms %}
                when platform in ({{ loaded_platforms | join(', ') }}) and utm_campaign is not null
                    then {{ dbt.concat(['platform', "':'", 'lower(utm_campaign)']) }}
            {%- endif %}
        end as campaign_key,
        case when platform is not null then utm_content end as ad_id,
        salesforce_campaign_id,
        salesforce_campaign_type,
        form_id,
        email_campaign_id,
        -- The platform's short name, so Paid Social splits into `meta` and `linkedin`: the ad platform's,
        -- else the seed row's (a paid platform the warehouse loads no spend for: `microsoft`, `tiktok` ...).
        case
            when is_paid_channel then
                coalesce(
                    case platform
                        when 'google_ads' then 'google'
                        when 'facebook_ads' then 'meta'
                        when 'linkedin_ads' then 'linkedin'
                    end,
                    source_platform
                )
        end as channel_platform
    from platforms
)

select * from final
