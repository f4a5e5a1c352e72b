{#- One row per conversion, touchpoint of its journey and data-driven attribution model (`markov`, `shapley`,
    `data_driven`): each channel's credit of the conversion (int_attribution_channels_credited) split
    equally over the conversion's touches in that channel. The data-driven model credits channels with
    their ad platform (`attribution_channel`), the others channels. -#}

with

journeys as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        channel,
        attribution_channel
    from {{ ref('int_attribution_journeys_joined') }}
),

channel_credits as (
    select
        conversion_id,
        attribution_model,
        channel_key,
        is_platform_split,
        channel_credit
    from {{ ref('int_attribution_channels_credited') }}
),

-- How many of the conversion's touches share each touch's channel, and its channel and platform.
counted as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        channel,
        attribution_channel,
        count(*) over (partition by conversion_id, channel) as channel_touches,
        count(*) over (partition by conversion_id, attribution_channel) as attribution_channel_touches
    from journeys
),

final as (
    select
        counted.conversion_id,
        counted.conversion_type,
        counted.opportunity_id,
        counted.touchpoint_id,
        channel_credits.attribution_model,
        channel_credits.channel_credit
        / case
            when channel_credits.is_platform_split then counted.attribution_channel_touches
            else counted.channel_touches
        end as credit
    from counted
    inner join channel_credits
        on
            counted.conversion_id = channel_credits.conversion_id
            and channel_credits.channel_key = case
                when channel_credits.is_platform_split then counted.attribution_channel
                else counted.channel
            end
)

select * from final
