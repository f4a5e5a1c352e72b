{#- One row per campaign_key: every ad campaign that spend and touchpoints can name (Google Ads campaigns,
    Meta campaigns, LinkedIn campaign groups), keyed `platform:utm_campaign` exactly as
    int_ad_spend_days_unioned and int_touchpoints_unioned build it, and every Salesforce campaign, keyed
    `salesforce:<campaign id>` (the campaigns of campaign responses and of opportunities). An ad campaign
    enters when its spend carries a campaign_key (its ads' or its own utm_campaign); its details come from
    the platform's campaign table. Salesforce campaigns keep their deleted ones, flagged. Only the systems
    switched on (vars `<source>_enabled`) are read. -#}

with

ad_spend_days as (
    select
        platform,
        ad_account_id,
        campaign_id,
        campaign_name,
        utm_campaign,
        campaign_key,
        currency_code,
        report_date
    from {{ ref('int_ad_spend_days_unioned') }}
    where campaign_key is not null
),

{%- if var('google_ads_enabled') %}

    google_campaigns as (
        select
            campaign_id,
            campaign_status,
            advertising_channel_type,
            start_date,
            end_date
        from {{ ref('stg_google_ads__campaigns') }}
    ),

{%- endif %}

{%- if var('facebook_ads_enabled') %}

    facebook_campaigns as (
        select
            campaign_id,
            campaign_status,
            objective,
            start_at,
            stop_at
        from {{ ref('stg_facebook_ads__campaigns') }}
    ),

{%- endif %}

{%- if var('linkedin_ads_enabled') %}

    linkedin_campaign_groups as (
        select
            campaign_group_id,
            campaign_group_status,
            run_start_at,
            run_end_at
        from {{ ref('stg_linkedin_ads__campaign_groups') }}
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_campaigns as (
        select
            campaign_id,
            campaign_name,
            campaign_type,
            campaign_status,
            start_date,
            end_date,
            cost_currency,
            is_deleted
        from {{ ref('stg_salesforce__campaigns') }}
    ),

{%- endif %}

-- One row per ad campaign and key: its name, utm_campaign, currency and the days it reported.
ad_campaign_keys as (
    select
        platform,
        ad_account_id,
        campaign_id,
        campaign_key,
        utm_campaign,
        currency_code,
        max(campaign_name) as campaign_name,
        min(report_date) as first_report_date,
        max(report_date) as last_report_date
    from ad_spend_days
    group by
        platform,
        ad_account_id,
        campaign_id,
        campaign_key,
        utm_campaign,
        currency_code
),

-- Each platform's campaign details in one shape (LinkedIn campaign groups are the campaigns).
ad_campaign_details as (
    {%- set details = [] %}
    {%- if var('google_ads_enabled') %}
        {%- do details.append("""
    select
        'google_ads' as platform,
        campaign_id,
        campaign_status,
        advertising_channel_type as campaign_type,
        start_date,
        end_date
    from google_campaigns""") %}
    {%- endif %}
    {%- if var('facebook_ads_enabled') %}
        {%- do details.append("""
    select
        'facebook_ads' as platform,
        campaign_id,
        campaign_status,
        objective as campaign_type,
        cast(start_at as date) as start_date,
        cast(stop_at as date) as end_date
    from facebook_campaigns""") %}
    {%- endif %}
    {%- if var('linkedin_ads_enabled') %}
        {%- do details.append("""
    select
        'linkedin_ads' as platform,
        campaign_group_id as campaign_id,
        campaign_group_status as campaign_status,
        cast(null as """ ~ dbt.type_string() ~ """) as campaign_type,
        cast(run_start_at as date) as start_date,
        cast(run_end_at as date) as end_date
    from linkedin_campaign_groups""") %}
    {%- endif %}
    {%- if details %}
        {{- details | join('\n\n    union all\n') }}
    {%- else %}
    {{ no_rows([
        ('platform', dbt.type_string()), ('campaign_id', dbt.type_string()),
        ('campaign_status', dbt.type_string()), ('campaign_type', dbt.type_string()),
        ('start_date', 'date'), ('end_date', 'date'),
    ]) }}
    {%- endif %}
),

ad_campaigns as (
    select
        ad_campaign_keys.campaign_key,
        ad_campaign_keys.platform,
        ad_campaign_keys.ad_account_id,
        ad_campaign_keys.campaign_id,
        ad_campaign_keys.campaign_name,
        ad_campaign_details.campaign_type,
        ad_campaign_details.campaign_status,
        ad_campaign_keys.utm_campaign,
        ad_campaign_keys.currency_code,
        ad_campaign_details.start_date,
        ad_campaign_details.end_date,
        ad_campaign_keys.first_report_date,
        ad_campaign_keys.last_report_date,
        false as is_deleted
    from ad_campaign_keys
    left join ad_campaign_details
        on
            ad_campaign_keys.platform = ad_campaign_details.platform
            and ad_campaign_keys.campaign_id = ad_campaign_details.campaign_id
),

{%- if var('salesforce_enabled') %}

    crm_campaigns as (
        select
            {{ dbt.concat(["'salesforce:'", 'campaign_id']) }} as campaign_key,
            'salesforce' as platform,
            cast(null as {{ dbt.type_string() }}) as ad_account_id,
            campaign_id,
            campaign_name,
            campaign_type,
            campaign_status,
            cast(null as {{ dbt.type_string() }}) as utm_campaign,
            cost_currency as currency_code,
            start_date,
            end_date,
            cast(null as date) as first_report_date,
            cast(null as date) as last_report_date,
            is_deleted
        from salesforce_campaigns
    ),

{%- endif %}

campaigns as (
    select * from ad_campaigns
    {%- if var('salesforce_enabled') %}
        union all
        select * from crm_campaigns
    {%- endif %}
),

-- Campaign names repeat across platforms (the same launch on Google, Meta and LinkedIn): the display name
-- leads with the platform, so a report grouped by it never merges two platforms' campaigns.
campaigns_named as (
    select
        campaigns.*,
        {{ dbt.concat([
            "case campaigns.platform"
            ~ " when 'google_ads' then 'Google Ads'"
            ~ " when 'facebook_ads' then 'Meta Ads'"
            ~ " when 'linkedin_ads' then 'LinkedIn Ads'"
            ~ " when 'salesforce' then 'Salesforce'"
            ~ " else coalesce(campaigns.platform, 'Unknown') end",
            "': '",
            "coalesce(campaigns.campaign_name, campaigns.campaign_id, campaigns.campaign_key)",
        ]) }} as campaign_display_name
    from campaigns
),

final as (
    select
        cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(ad_account_id as {{ dbt.type_string() }}) as ad_account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(campaign_display_name as {{ dbt.type_string() }}) as campaign_display_name,
        cast(campaign_type as {{ dbt.type_string() }}) as campaign_type,
        cast(campaign_status as {{ dbt.type_string() }}) as campaign_status,
        cast(utm_campaign as {{ dbt.type_string() }}) as utm_campaign,
        cast(currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(first_report_date as date) as first_report_date,
        cast(last_report_date as date) as last_report_date,
        cast(is_deleted as {{ dbt.type_boolean() }}) as is_deleted
    from campaigns_named
)

select * from final
