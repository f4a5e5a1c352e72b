{#- One row per campaign_key that spend or touchpoints name: the one marketing channel its spend, touches,
    lifecycle counts and attributed outcomes are reported under in the marketing marts. The channel its
    touchpoints carry most often (ties to the first name), else the one its ad platform's touchpoints carry
    most often, else `Other`. -#}

with

ad_spend_days as (
    select
        platform,
        campaign_key
    from {{ ref('int_ad_spend_days_unioned') }}
    where campaign_key is not null
),

touchpoints as (
    select
        channel,
        platform,
        campaign_key
    from {{ ref('int_touchpoints_unioned') }}
),

campaign_channels_ranked as (
    select
        campaign_key,
        channel,
        row_number() over (
            partition by campaign_key
            order by count(*) desc, channel asc
        ) as channel_rank
    from touchpoints
    where campaign_key is not null
    group by
        campaign_key,
        channel
),

platform_channels_ranked as (
    select
        platform,
        channel,
        row_number() over (
            partition by platform
            order by count(*) desc, channel asc
        ) as channel_rank
    from touchpoints
    where platform is not null
    group by
        platform,
        channel
),

campaign_platforms as (
    select
        campaign_key,
        platform
    from ad_spend_days
    union all
    select
        campaign_key,
        platform
    from touchpoints
    where campaign_key is not null
),

campaigns as (
    select
        campaign_key,
        max(platform) as platform
    from campaign_platforms
    group by campaign_key
),

final as (
    select
        campaigns.campaign_key,
        campaigns.platform,
        coalesce(campaign_channels_ranked.channel, platform_channels_ranked.channel, 'Other') as channel
    from campaigns
    left join campaign_channels_ranked
        on
            campaigns.campaign_key = campaign_channels_ranked.campaign_key
            and campaign_channels_ranked.channel_rank = 1
    left join platform_channels_ranked
        on
            campaigns.platform = platform_channels_ranked.platform
            and platform_channels_ranked.channel_rank = 1
)

select * from final
