{#- UTM parameters of the ad's landing page: its creative's link first, then the creative's URL tags (the
    order a browser meets them). Meta's dynamic parameters are expanded for the ad: {{ad.id}}, {{adset.id}},
    {{campaign.id}} and their `.name` siblings; a value still holding one Meta fills per impression
    ({{placement}}, {{site_source_name}}) is dropped, as no single landing page carries it. -#}
{%- set utm_parameters = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content'] -%}
{%- set dynamic_parameters = [
    ('{{ad.id}}', 'ad_id'),
    ('{{ad.name}}', 'ad_name'),
    ('{{adset.id}}', 'ad_set_id'),
    ('{{adset.name}}', 'ad_set_name'),
    ('{{campaign.id}}', 'campaign_id'),
    ('{{campaign.name}}', 'campaign_name'),
] -%}

with

source as (
    select
        id,
        account_id,
        campaign_id,
        adset_id,
        name,
        status,
        configured_status,
        effective_status,
        creative_id,
        created_time,
        updated_time
    from {{ source('facebook_ads', 'ads') }}
),

ad_creatives as (
    select
        id,
        url_tags,
        link_url
    from {{ source('facebook_ads', 'ad_creatives') }}
),

ad_sets as (
    select
        id,
        name
    from {{ source('facebook_ads', 'ad_sets') }}
),

campaigns as (
    select
        id,
        name
    from {{ source('facebook_ads', 'campaigns') }}
),

renamed as (
    select
        cast(id as {{ dbt.type_string() }}) as ad_id,
        cast(adset_id as {{ dbt.type_string() }}) as ad_set_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,
        cast(creative_id as {{ dbt.type_string() }}) as creative_id,
        name as ad_name,
        status as ad_status,
        configured_status,
        effective_status,
        {{ to_utc('created_time') }} as created_at,
        {{ to_utc('updated_time') }} as updated_at
    from source
),

creatives_joined as (
    select
        renamed.ad_id,
        renamed.ad_set_id,
        renamed.campaign_id,
        renamed.ad_account_id,
        renamed.creative_id,
        renamed.ad_name,
        renamed.ad_status,
        renamed.configured_status,
        renamed.effective_status,
        renamed.created_at,
        renamed.updated_at,
        ad_sets.name as ad_set_name,
        campaigns.name as campaign_name,
        nullif(trim(ad_creatives.link_url), '') as link_url,
        nullif(trim(ad_creatives.url_tags), '') as url_tags
    from renamed
    left join ad_creatives
        on renamed.creative_id = cast(ad_creatives.id as {{ dbt.type_string() }})
    left join ad_sets
        on renamed.ad_set_id = cast(ad_sets.id as {{ dbt.type_string() }})
    left join campaigns
        on renamed.campaign_id = cast(campaigns.id as {{ dbt.type_string() }})
),

url_parameters_parsed as (
    select
        ad_id,
        ad_set_id,
        campaign_id,
        ad_account_id,
        creative_id,
        ad_name,
        ad_status,
        configured_status,
        effective_status,
        created_at,
        updated_at,
        ad_set_name,
        campaign_name,
        link_url,
        {%- for parameter in utm_parameters %}
            coalesce(
                {{ url_parameter('link_url', parameter) }},
                {{ url_parameter(dbt.concat(["'?'", 'url_tags']), parameter) }}
            ) as {{ parameter }}_as_written,
        {%- endfor %}
        url_tags
    from creatives_joined
),

dynamic_parameters_expanded as (
    select
        ad_id,
        ad_set_id,
        campaign_id,
        ad_account_id,
        creative_id,
        ad_name,
        ad_status,
        configured_status,
        effective_status,
        created_at,
        updated_at,
        link_url,
        {%- for parameter in utm_parameters %}
            {%- set expanded = namespace(sql=parameter ~ '_as_written') %}
            {%- for placeholder, column in dynamic_parameters %}
                {%- set replacement = 'coalesce(' ~ column ~ ", '')" %}
                {%- set expanded.sql = 'replace(' ~ expanded.sql ~ ", '" ~ placeholder ~ "', " ~ replacement ~ ')' %}
            {%- endfor %}
            {{ expanded.sql }} as {{ parameter }},
        {%- endfor %}
        url_tags
    from url_parameters_parsed
),

-- A value still holding a parameter Meta fills per impression is no value a single landing page carries.
unexpanded_parameters_dropped as (
    select
        ad_id,
        ad_set_id,
        campaign_id,
        ad_account_id,
        creative_id,
        ad_name,
        ad_status,
        configured_status,
        effective_status,
        created_at,
        updated_at,
        link_url,
        {%- for parameter in utm_parameters %}
            {%- set value = 'case when ' ~ dbt.position("'{{'", parameter) ~ ' = 0 then ' ~ parameter ~ ' end' %}
            {{ 'lower(' ~ value ~ ')' if parameter in ['utm_source', 'utm_medium'] else value }} as {{ parameter }},
        {%- endfor %}
        url_tags
    from dynamic_parameters_expanded
),

final as (
    select
        ad_id,
        ad_set_id,
        campaign_id,
        ad_account_id,
        creative_id,
        ad_name,
        ad_status,
        configured_status,
        effective_status,
        link_url,
        url_tags,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        created_at,
        updated_at
    from unexpanded_parameters_dropped
)

select * from final
