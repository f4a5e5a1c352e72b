-- Google Ads keyword figures (keyword_view) add up to the ad-level figures per ad group and report day:
-- impressions, clicks and conversions exactly, spend to the micro. Fails with one row per ad group and day that
-- differs or exists on one side only.

-- Runs only when the sources it reads are switched on (vars `<source>_enabled`).
{{ config(enabled=var('google_ads_enabled')) }}

with

keyword_days as (
    select
        ad_group_id,
        report_date,
        impressions,
        clicks,
        spend,
        conversions
    from {{ ref('stg_google_ads__keyword_daily_metrics') }}
),

ad_days as (
    select
        ad_group_id,
        report_date,
        impressions,
        clicks,
        spend,
        conversions
    from {{ ref('stg_google_ads__ad_daily_metrics') }}
),

keywords as (
    select
        ad_group_id,
        report_date,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(spend) as spend,
        {{ round_number('sum(conversions)', 6) }} as conversions
    from keyword_days
    group by
        ad_group_id,
        report_date
),

ads as (
    select
        ad_group_id,
        report_date,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(spend) as spend,
        {{ round_number('sum(conversions)', 6) }} as conversions
    from ad_days
    group by
        ad_group_id,
        report_date
),

final as (
    select
        keywords.spend as keyword_spend,
        ads.spend as ad_spend,
        coalesce(keywords.ad_group_id, ads.ad_group_id) as ad_group_id,
        coalesce(keywords.report_date, ads.report_date) as report_date
    from keywords
    full outer join ads
        on
            keywords.ad_group_id = ads.ad_group_id
            and keywords.report_date = ads.report_date
    where
        -- Ads of ad groups without keywords (none in search campaigns) have no keyword rows.
        (keywords.ad_group_id is null and ads.impressions > 0)
        or ads.ad_group_id is null
        or keywords.impressions <> ads.impressions
        or keywords.clicks <> ads.clicks
        or keywords.spend <> ads.spend
        or keywords.conversions <> ads.conversions
)

select * from final
