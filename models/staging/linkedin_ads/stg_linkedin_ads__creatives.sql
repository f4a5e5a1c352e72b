{#- UTM parameters of the creative's landing page. LinkedIn's dynamic UTM parameters are expanded for the
    creative: {{CREATIVE_ID}}, {{CAMPAIGN_ID}}, {{CAMPAIGN_GROUP_ID}}, {{ACCOUNT_ID}} and the `_NAME` siblings
    of the last three; a value still holding an unknown one is dropped, as no landing page carries it. -#}
{%- set utm_parameters = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content'] -%}
{%- set dynamic_parameters = [
    ('{{CREATIVE_ID}}', 'creative_id'),
    ('{{CAMPAIGN_ID}}', 'campaign_id'),
    ('{{CAMPAIGN_NAME}}', 'campaign_name'),
    ('{{CAMPAIGN_GROUP_ID}}', 'campaign_group_id'),
    ('{{CAMPAIGN_GROUP_NAME}}', 'campaign_group_name'),
    ('{{ACCOUNT_ID}}', 'ad_account_id'),
    ('{{ACCOUNT_NAME}}', 'account_name'),
] -%}

with

source as (
    select
        id,
        account_id,
        campaign_id,
        name,
        intended_status,
        landing_page,
        content,
        is_test,
        created_at,
        last_modified_at
    from {{ source('linkedin_ads', 'creatives') }}
),

campaigns as (
    select
        id,
        campaign_group_id,
        name
    from {{ source('linkedin_ads', 'campaigns') }}
),

campaign_groups as (
    select
        id,
        name
    from {{ source('linkedin_ads', 'campaign_groups') }}
),

ad_accounts as (
    select
        id,
        name
    from {{ source('linkedin_ads', 'ad_accounts') }}
),

renamed as (
    select
        cast(id as {{ dbt.type_string() }}) as creative_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,
        name as creative_name,
        intended_status as creative_status,
        nullif(trim(landing_page), '') as landing_page,
        cast(content as {{ dbt.type_string() }}) as content_json,
        coalesce(is_test, false) as is_test,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('last_modified_at') }} as last_modified_at
    from source
),

parents_joined as (
    select
        renamed.creative_id,
        renamed.campaign_id,
        renamed.ad_account_id,
        renamed.creative_name,
        renamed.creative_status,
        renamed.landing_page,
        renamed.content_json,
        renamed.is_test,
        renamed.created_at,
        renamed.last_modified_at,
        campaigns.name as campaign_name,
        cast(campaigns.campaign_group_id as {{ dbt.type_string() }}) as campaign_group_id,
        campaign_groups.name as campaign_group_name,
        ad_accounts.name as account_name
    from renamed
    left join campaigns
        on renamed.campaign_id = cast(campaigns.id as {{ dbt.type_string() }})
    left join campaign_groups
        on campaigns.campaign_group_id = campaign_groups.id
    left join ad_accounts
        on renamed.ad_account_id = cast(ad_accounts.id as {{ dbt.type_string() }})
),

dynamic_parameters_expanded as (
    select
        creative_id,
        campaign_id,
        campaign_group_id,
        ad_account_id,
        creative_name,
        creative_status,
        landing_page,
        content_json,
        is_test,
        created_at,
        {%- for parameter in utm_parameters %}
            {%- set expanded = namespace(sql=url_parameter('landing_page', parameter)) %}
            {%- for placeholder, column in dynamic_parameters %}
                {%- set replacement = 'coalesce(' ~ column ~ ", '')" %}
                {%- set expanded.sql = 'replace(' ~ expanded.sql ~ ", '" ~ placeholder ~ "', " ~ replacement ~ ')' %}
            {%- endfor %}
            {{ expanded.sql }} as {{ parameter }},
        {%- endfor %}
        last_modified_at
    from parents_joined
),

-- A value still holding an unknown dynamic parameter is no value a landing page carries.
unexpanded_parameters_dropped as (
    select
        creative_id,
        campaign_id,
        campaign_group_id,
        ad_account_id,
        creative_name,
        creative_status,
        landing_page,
        content_json,
        is_test,
        created_at,
        {%- for parameter in utm_parameters %}
            {%- set value = 'case when ' ~ dbt.position("'{{'", parameter) ~ ' = 0 then ' ~ parameter ~ ' end' %}
            {{ 'lower(' ~ value ~ ')' if parameter in ['utm_source', 'utm_medium'] else value }} as {{ parameter }},
        {%- endfor %}
        last_modified_at
    from dynamic_parameters_expanded
),

final as (
    select
        creative_id,
        campaign_id,
        campaign_group_id,
        ad_account_id,
        creative_name,
        creative_status,
        landing_page,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        content_json,
        is_test,
        created_at,
        last_modified_at
    from unexpanded_parameters_dropped
)

select * from final
