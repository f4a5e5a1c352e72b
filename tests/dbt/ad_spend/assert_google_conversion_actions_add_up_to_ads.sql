-- Google Ads conversions by conversion action add up to each ad's conversions per report day (every action is
-- counted in `conversions`), and their values to the ad's conversion value to the cent. Fails with one row per
-- ad and day that differs.

-- Runs only when the sources it reads are switched on (vars `<source>_enabled`).
{{ config(enabled=var('google_ads_enabled')) }}

with

action_days as (
    select
        ad_group_id,
        ad_id,
        report_date,
        conversions,
        conversion_value
    from {{ ref('stg_google_ads__conversion_action_daily_metrics') }}
),

ad_days as (
    select
        ad_group_id,
        ad_id,
        report_date,
        conversions,
        conversion_value
    from {{ ref('stg_google_ads__ad_daily_metrics') }}
),

actions as (
    select
        ad_group_id,
        ad_id,
        report_date,
        sum(conversions) as conversions,
        sum(conversion_value) as conversion_value
    from action_days
    group by
        ad_group_id,
        ad_id,
        report_date
),

final as (
    select
        ad_days.ad_group_id,
        ad_days.ad_id,
        ad_days.report_date,
        ad_days.conversions as ad_conversions,
        coalesce(actions.conversions, 0) as action_conversions
    from ad_days
    left join actions
        on
            ad_days.ad_group_id = actions.ad_group_id
            and ad_days.ad_id = actions.ad_id
            and ad_days.report_date = actions.report_date
    where
        {{ round_number('coalesce(actions.conversions, 0)', 6) }} <> {{ round_number('ad_days.conversions', 6) }}
        or {{ round_number('coalesce(actions.conversion_value, 0)', 2) }} <> {{ round_number('ad_days.conversion_value', 2) }}
)

select * from final
