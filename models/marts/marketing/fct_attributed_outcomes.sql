{#- One row per month x channel x campaign x attribution model x conversion type: the conversions and the
    amount the model credits to the channel and campaign (fct_attribution by the month of the conversion:
    the opportunity's creation for `pipeline`, its close for `revenue`). A campaign's credit is booked under
    its channel (int_campaign_channels_assigned), as in fct_marketing_performance_monthly. Conversions with no
    touch in the lookback window count whole under the channel `Unattributed` in every model, so each model
    and type adds up to every conversion and its whole amount. Only attributed measures live here: spend and
    funnel counts, which no model changes, are in fct_marketing_performance_monthly. -#}

with

attribution as (
    select
        conversion_id,
        conversion_type,
        attribution_model,
        conversion_date,
        credit,
        attributed_amount,
        channel,
        campaign_key
    from {{ ref('fct_attribution') }}
),

conversions as (
    select
        conversion_id,
        conversion_type,
        converted_at,
        amount
    from {{ ref('int_attribution_conversions_listed') }}
),

campaign_channels as (
    select
        campaign_key,
        channel
    from {{ ref('int_campaign_channels_assigned') }}
),

-- Every model fct_attribution holds: a model added there appears here without an edit.
attribution_models as (
    select distinct attribution_model
    from attribution
),

attributed_rows as (
    select
        cast({{ dbt.date_trunc('month', 'attribution.conversion_date') }} as date) as month_start_date,
        coalesce(campaign_channels.channel, attribution.channel) as channel,
        attribution.campaign_key,
        attribution.attribution_model,
        attribution.conversion_type,
        attribution.credit as attributed_conversions,
        coalesce(attribution.attributed_amount, 0) as attributed_amount
    from attribution
    left join campaign_channels
        on attribution.campaign_key = campaign_channels.campaign_key
),

-- The conversions each model credits to some touch.
credited_conversions as (
    select distinct
        conversion_id,
        attribution_model
    from attribution
),

-- Conversions with no touch in the lookback window (no row in fct_attribution): their whole amount, under
-- the channel `Unattributed`, in every model.
unattributed_rows as (
    select
        cast({{ dbt.date_trunc('month', 'conversions.converted_at') }} as date) as month_start_date,
        'Unattributed' as channel,
        cast(null as {{ dbt.type_string() }}) as campaign_key,
        attribution_models.attribution_model,
        conversions.conversion_type,
        cast(1 as {{ type_double() }}) as attributed_conversions,
        coalesce(conversions.amount, 0) as attributed_amount
    from conversions
    cross join attribution_models
    left join credited_conversions
        on
            conversions.conversion_id = credited_conversions.conversion_id
            and attribution_models.attribution_model = credited_conversions.attribution_model
    where credited_conversions.conversion_id is null
),

all_rows as (
    select * from attributed_rows
    union all
    select * from unattributed_rows
),

aggregated as (
    select
        month_start_date,
        channel,
        campaign_key,
        attribution_model,
        conversion_type,
        sum(attributed_conversions) as attributed_conversions,
        sum(attributed_amount) as attributed_amount
    from all_rows
    group by
        month_start_date,
        channel,
        campaign_key,
        attribution_model,
        conversion_type
),

final as (
    select
        cast(month_start_date as date) as month_start_date,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(attribution_model as {{ dbt.type_string() }}) as attribution_model,
        cast(conversion_type as {{ dbt.type_string() }}) as conversion_type,
        cast(attributed_conversions as {{ type_double() }}) as attributed_conversions,
        cast(attributed_amount as decimal(18, 2)) as attributed_amount,
        '{{ var("reporting_currency") }}' as reporting_currency
    from aggregated
)

select * from final
