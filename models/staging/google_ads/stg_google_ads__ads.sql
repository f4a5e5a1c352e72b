{#- UTM parameters are read from every place Google Ads keeps them, in the order a browser meets them on the
    landing page: the ad's final URL, then the final URL suffix appended to it, then the tracking template.
    Suffix and template are each taken from the most specific level that sets one (ad, ad group, campaign,
    account). Template values may be ValueTrack parameters: {creative}, {adgroupid} and {campaignid} become
    the ids; {_name} becomes the custom parameter `name` of the most specific level that defines it. -#}
{%- set utm_parameters = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content'] -%}
{%- set custom_parameter_levels = ['ad', 'ad_group', 'campaign'] -%}

with

source as (
    select
        id,
        ad_group_id,
        resource_name,
        customer_id,
        campaign_id,
        name,
        type,
        status,
        final_urls,
        tracking_url_template,
        final_url_suffix,
        url_custom_parameters
    from {{ source('google_ads', 'ads') }}
),

ad_groups as (
    select
        id,
        tracking_url_template,
        final_url_suffix,
        url_custom_parameters
    from {{ source('google_ads', 'ad_groups') }}
),

campaigns as (
    select
        id,
        tracking_url_template,
        final_url_suffix,
        url_custom_parameters
    from {{ source('google_ads', 'campaigns') }}
),

ad_accounts as (
    select
        id,
        tracking_url_template,
        final_url_suffix
    from {{ source('google_ads', 'customers') }}
),

renamed as (
    select
        cast(id as {{ dbt.type_string() }}) as ad_id,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(customer_id as {{ dbt.type_string() }}) as ad_account_id,
        name as ad_name,
        type as ad_type,
        status as ad_status,
        {{ json_text('final_urls') }} as final_urls,
        {{ json_array_first('final_urls') }} as final_url,
        nullif(trim(tracking_url_template), '') as tracking_url_template,
        nullif(trim(final_url_suffix), '') as final_url_suffix,
        {{ json_text('url_custom_parameters') }} as url_custom_parameters,
        resource_name
    from source
),

tracking_inherited as (
    select
        renamed.ad_id,
        renamed.ad_group_id,
        renamed.campaign_id,
        renamed.ad_account_id,
        renamed.ad_name,
        renamed.ad_type,
        renamed.ad_status,
        renamed.final_urls,
        renamed.final_url,
        renamed.tracking_url_template,
        renamed.final_url_suffix,
        renamed.url_custom_parameters,
        renamed.resource_name,
        coalesce(
            renamed.final_url_suffix,
            nullif(trim(ad_groups.final_url_suffix), ''),
            nullif(trim(campaigns.final_url_suffix), ''),
            nullif(trim(ad_accounts.final_url_suffix), '')
        ) as effective_final_url_suffix,
        coalesce(
            renamed.tracking_url_template,
            nullif(trim(ad_groups.tracking_url_template), ''),
            nullif(trim(campaigns.tracking_url_template), ''),
            nullif(trim(ad_accounts.tracking_url_template), '')
        ) as effective_tracking_url_template,
        -- Custom parameters as compact JSON text (no blank after ':' or ','), searched by key below.
        replace(replace(renamed.url_custom_parameters, '": "', '":"'), '", "', '","') as ad_custom_parameters,
        replace(
            replace({{ json_text('ad_groups.url_custom_parameters') }}, '": "', '":"'), '", "', '","'
        ) as ad_group_custom_parameters,
        replace(
            replace({{ json_text('campaigns.url_custom_parameters') }}, '": "', '":"'), '", "', '","'
        ) as campaign_custom_parameters
    from renamed
    left join ad_groups
        on renamed.ad_group_id = cast(ad_groups.id as {{ dbt.type_string() }})
    left join campaigns
        on renamed.campaign_id = cast(campaigns.id as {{ dbt.type_string() }})
    left join ad_accounts
        on renamed.ad_account_id = cast(ad_accounts.id as {{ dbt.type_string() }})
),

url_parameters_parsed as (
    select
        ad_id,
        ad_group_id,
        campaign_id,
        ad_custom_parameters,
        ad_group_custom_parameters,
        campaign_custom_parameters,
        {%- for parameter in utm_parameters %}
            {{ url_parameter('final_url', parameter) }} as {{ parameter }}_in_final_url,
            {{ url_parameter(dbt.concat(["'?'", 'effective_final_url_suffix']), parameter) }}
                as {{ parameter }}_in_suffix,
            {{ url_parameter('effective_tracking_url_template', parameter) }} as {{ parameter }}_in_template,
        {%- endfor %}
        final_url
    from tracking_inherited
),

value_track_expanded as (
    select
        ad_id,
        ad_group_id,
        ad_custom_parameters,
        ad_group_custom_parameters,
        campaign_custom_parameters,
        {%- for parameter in utm_parameters %}
            {{ parameter }}_in_final_url,
            {{ parameter }}_in_suffix,
            replace(
                replace(replace({{ parameter }}_in_template, '{creative}', ad_id), '{adgroupid}', ad_group_id),
                '{campaignid}',
                campaign_id
            ) as {{ parameter }}_in_template,
            -- `{_name}` refers to the custom parameter `name`.
            case
                when
                    substr({{ parameter }}_in_template, 1, 2) = '{_'
                    and substr({{ parameter }}_in_template, length({{ parameter }}_in_template), 1) = '}'
                    then substr({{ parameter }}_in_template, 3, length({{ parameter }}_in_template) - 3)
            end as {{ parameter }}_custom_parameter_key,
        {%- endfor %}
        final_url
    from url_parameters_parsed
),

custom_parameters_located as (
    select
        ad_id,
        ad_group_id,
        ad_custom_parameters,
        ad_group_custom_parameters,
        campaign_custom_parameters,
        {%- for parameter in utm_parameters %}
            {{ parameter }}_in_final_url,
            {{ parameter }}_in_suffix,
            {{ parameter }}_in_template,
            {{ parameter }}_custom_parameter_key,
            {%- for level in custom_parameter_levels %}
                {%- set needle = dbt.concat(
                    ["'\"key\":\"'", parameter ~ '_custom_parameter_key', "'\",\"value\":\"'"]
                ) %}
                {{ dbt.position(needle, level ~ '_custom_parameters') }} as {{ parameter }}_at_{{ level }}_position,
            {%- endfor %}
        {%- endfor %}
        final_url
    from value_track_expanded
),

custom_parameters_resolved as (
    select
        ad_id,
        ad_group_id,
        {%- for parameter in utm_parameters %}
            {{ parameter }}_in_final_url,
            {{ parameter }}_in_suffix,
            case
                when {{ parameter }}_custom_parameter_key is null then {{ parameter }}_in_template
                {%- for level in custom_parameter_levels %}
                    {#- The value starts after `"key":"<key>","value":"` (18 characters plus the key) and ends at
                        a quote. #}
                    {%- set position = parameter ~ '_at_' ~ level ~ '_position' %}
                    {%- set value_start = position ~ ' + 18 + length(' ~ parameter ~ '_custom_parameter_key)' %}
                    {%- set value_onwards = 'substr(' ~ level ~ '_custom_parameters, ' ~ value_start ~ ')' %}
                    when {{ position }} > 0
                        then {{ dbt.split_part(value_onwards, "'\"'", 1) }}
                {%- endfor %}
            end as {{ parameter }}_in_template,
        {%- endfor %}
        final_url
    from custom_parameters_located
),

utm_parameters_resolved as (
    select
        ad_id,
        ad_group_id,
        {%- for parameter in utm_parameters %}
            {#- A ValueTrack parameter left unexpanded (`{keyword}`) is no value any landing page carries. #}
            {%- set value -%}
                coalesce(
                    {{ parameter }}_in_final_url,
                    {{ parameter }}_in_suffix,
                    case
                        when {{ dbt.position("'{'", parameter ~ '_in_template') }} = 0
                            then {{ parameter }}_in_template
                    end
                )
            {%- endset %}
            {{ 'lower(' ~ value ~ ')' if parameter in ['utm_source', 'utm_medium'] else value }} as {{ parameter }},
        {%- endfor %}
        final_url
    from custom_parameters_resolved
),

final as (
    select
        tracking_inherited.ad_id,
        tracking_inherited.ad_group_id,
        tracking_inherited.campaign_id,
        tracking_inherited.ad_account_id,
        tracking_inherited.ad_name,
        tracking_inherited.ad_type,
        tracking_inherited.ad_status,
        tracking_inherited.final_url,
        tracking_inherited.final_urls,
        tracking_inherited.tracking_url_template,
        tracking_inherited.final_url_suffix,
        tracking_inherited.url_custom_parameters,
        tracking_inherited.effective_tracking_url_template,
        tracking_inherited.effective_final_url_suffix,
        utm_parameters_resolved.utm_source,
        utm_parameters_resolved.utm_medium,
        utm_parameters_resolved.utm_campaign,
        utm_parameters_resolved.utm_content,
        tracking_inherited.resource_name
    from tracking_inherited
    inner join utm_parameters_resolved
        on
            tracking_inherited.ad_group_id = utm_parameters_resolved.ad_group_id
            and tracking_inherited.ad_id = utm_parameters_resolved.ad_id
)

select * from final
