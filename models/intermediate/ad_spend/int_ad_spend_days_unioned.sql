{#- Daily ad spend of every platform at one grain: date x platform x account x campaign x ad group x ad, from
    one model per platform (Google's campaign-level remainders included), with the spend in the reporting
    currency and the campaign key touchpoints join on. Only the platforms switched on (vars
    `<platform>_enabled`) are read; with none, no rows.

    Incremental (docs/incremental.md): a run rewrites the days within var('late_arrival_days') of the latest
    day already built (platforms restate recent days) and any older row that differs from what was built
    (a late or restated day, a renamed campaign). A day a platform stops reporting altogether stays until
    `--full-refresh`. -#}

{%- set platforms = [] -%}
{%- for platform in ['google_ads', 'facebook_ads', 'linkedin_ads'] if var(platform ~ '_enabled') -%}
    {%- do platforms.append(platform) -%}
{%- endfor %}

{%- set spend_day_columns = [
    'ad_spend_id', 'platform', 'ad_account_id', 'campaign_id', 'campaign_name', 'ad_group_id', 'ad_group_name',
    'ad_id', 'ad_name', 'is_campaign_level', 'report_date', 'account_time_zone', 'report_time_zone', 'spend',
    'currency_code', 'spend_reporting', 'reporting_currency', 'impressions', 'clicks', 'platform_conversions',
    'utm_campaign', 'campaign_key',
] -%}

{{ config(
    materialized=incremental_materialization(),
    incremental_strategy=incremental_strategy_for_target(),
    unique_key='ad_spend_id',
) }}

with

{%- if var('google_ads_enabled') %}

    google_ads_spend_days as (
        select
            platform,
            ad_account_id,
            campaign_id,
            campaign_name,
            ad_group_id,
            ad_group_name,
            ad_id,
            ad_name,
            report_date,
            account_time_zone,
            report_time_zone,
            spend,
            currency_code,
            impressions,
            clicks,
            platform_conversions,
            utm_campaign,
            is_campaign_level
        from {{ ref('int_google_ads_spend_days_listed') }}
    ),

{%- endif %}

{%- if var('facebook_ads_enabled') %}

    facebook_ads_spend_days as (
        select
            platform,
            ad_account_id,
            campaign_id,
            campaign_name,
            ad_group_id,
            ad_group_name,
            ad_id,
            ad_name,
            report_date,
            account_time_zone,
            report_time_zone,
            spend,
            currency_code,
            impressions,
            clicks,
            platform_conversions,
            utm_campaign,
            is_campaign_level
        from {{ ref('int_facebook_ads_spend_days_listed') }}
    ),

{%- endif %}

{%- if var('linkedin_ads_enabled') %}

    linkedin_ads_spend_days as (
        select
            platform,
            ad_account_id,
            campaign_id,
            campaign_name,
            ad_group_id,
            ad_group_name,
            ad_id,
            ad_name,
            report_date,
            account_time_zone,
            report_time_zone,
            spend,
            currency_code,
            impressions,
            clicks,
            platform_conversions,
            utm_campaign,
            is_campaign_level
        from {{ ref('int_linkedin_ads_spend_days_listed') }}
    ),

{%- endif %}

{%- if not platforms %}

    no_spend_days as (
    {{ no_rows([
        ('platform', dbt.type_string()), ('ad_account_id', dbt.type_string()), ('campaign_id', dbt.type_string()),
        ('campaign_name', dbt.type_string()), ('ad_group_id', dbt.type_string()),
        ('ad_group_name', dbt.type_string()), ('ad_id', dbt.type_string()), ('ad_name', dbt.type_string()),
        ('report_date', 'date'), ('account_time_zone', dbt.type_string()),
        ('report_time_zone', dbt.type_string()), ('spend', 'decimal(18, 2)'),
        ('currency_code', dbt.type_string()), ('impressions', dbt.type_bigint()), ('clicks', dbt.type_bigint()),
        ('platform_conversions', dbt.type_float()), ('utm_campaign', dbt.type_string()),
        ('is_campaign_level', dbt.type_boolean()),
    ]) }}
    ),
    {%- do platforms.append('no') %}
{%- endif %}

unioned as (
    {%- for platform in platforms %}
        select * from {{ platform }}_spend_days
        {{- '\n    union all' if not loop.last }}
    {%- endfor %}
),

spend_days as (
    select
        {{ dbt.hash(dbt.concat([
            'platform', "'|'",
            'ad_account_id', "'|'",
            "coalesce(campaign_id, '')", "'|'",
            "coalesce(ad_group_id, '')", "'|'",
            "coalesce(ad_id, '')", "'|'",
            'cast(report_date as ' ~ dbt.type_string() ~ ')'
        ])) }} as ad_spend_id,
        platform,
        ad_account_id,
        campaign_id,
        campaign_name,
        ad_group_id,
        ad_group_name,
        ad_id,
        ad_name,
        is_campaign_level,
        report_date,
        account_time_zone,
        report_time_zone,
        spend,
        currency_code,
        {{ to_reporting_currency('spend', 'currency_code', 'report_date') }} as spend_reporting,
        '{{ var("reporting_currency") }}' as reporting_currency,
        impressions,
        clicks,
        platform_conversions,
        utm_campaign,
        case
            when utm_campaign is not null then {{ dbt.concat(['platform', "':'", 'utm_campaign']) }}
        end as campaign_key
    from unioned
),

{%- if incremental_by_key() %}

    window_start as (
        select {{ late_arrival_window_start('report_date') }} as window_start_at
        from {{ this }}
    ),

    built_spend_days as (
        select
            {{ spend_day_columns | join(',\n        ') }}
        from {{ this }}
    ),

    -- Rows that differ from what was built, at any age (new, late, restated or renamed).
    differing_spend_days as (
        select
            {{ spend_day_columns | join(',\n        ') }}
        from spend_days
        {{ dbt.except() }}
        select
            {{ spend_day_columns | join(',\n        ') }}
        from built_spend_days
    ),

    changed_keys as (
        select spend_days.ad_spend_id
        from spend_days
        cross join window_start
        where spend_days.report_date >= window_start.window_start_at
        union distinct
        select ad_spend_id
        from differing_spend_days
    ),

    final as (
        select
            spend_days.{{ spend_day_columns | join(',\n        spend_days.') }}
        from spend_days
        inner join changed_keys
            on spend_days.ad_spend_id = changed_keys.ad_spend_id
    )

{%- else %}

    final as (
        select
            {{ spend_day_columns | join(',\n        ') }}
        from spend_days
    )

{%- endif %}

select * from final
