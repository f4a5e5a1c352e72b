{#- UTM parameters as the creative carries them: from its link first, then from the URL tags Meta appends to
    the link (the order a browser meets them on the landing page). Dynamic parameters (`{{ad.id}}`) are left
    as they are: a creative can serve several ads, so stg_facebook_ads__ads expands them per ad. -#}
{%- set utm_parameters = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content'] -%}

with

source as (
    select
        id,
        account_id,
        name,
        status,
        url_tags,
        link_url
    from {{ source('facebook_ads', 'ad_creatives') }}
),

renamed as (
    select
        cast(id as {{ dbt.type_string() }}) as creative_id,
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,
        name as creative_name,
        status as creative_status,
        nullif(trim(link_url), '') as link_url,
        nullif(trim(url_tags), '') as url_tags
    from source
),

utm_parameters_parsed as (
    select
        creative_id,
        {%- for parameter in utm_parameters %}
            {%- set value -%}
                coalesce(
                    {{ url_parameter('link_url', parameter) }},
                    {{ url_parameter(dbt.concat(["'?'", 'url_tags']), parameter) }}
                )
            {%- endset %}
            {{ 'lower(' ~ value ~ ')' if parameter in ['utm_source', 'utm_medium'] else value }} as {{ parameter }},
        {%- endfor %}
        ad_account_id
    from renamed
),

final as (
    select
        renamed.creative_id,
        renamed.ad_account_id,
        renamed.creative_name,
        renamed.creative_status,
        renamed.link_url,
        renamed.url_tags,
        utm_parameters_parsed.utm_source,
        utm_parameters_parsed.utm_medium,
        utm_parameters_parsed.utm_campaign,
        utm_parameters_parsed.utm_content
    from renamed
    inner join utm_parameters_parsed
        on renamed.creative_id = utm_parameters_parsed.creative_id
)

select * from final
