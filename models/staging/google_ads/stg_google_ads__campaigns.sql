{#- The campaign's own UTM parameters, for what it spends without ads (Performance Max): read from the final URL
    suffix, then the tracking template, each the campaign's own or else its account's, as in
    stg_google_ads__ads. Template values may be ValueTrack parameters: {campaignid} becomes the campaign id and
    {_name} the campaign's custom parameter `name`. -#}
{%- set utm_parameters = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content'] -%}

with

source as (
    select
        id,
        resource_name,
        customer_id,
        name,
        status,
        advertising_channel_type,
        start_date,
        end_date,
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
        cast(id as {{ dbt.type_string() }}) as campaign_id,
        cast(customer_id as {{ dbt.type_string() }}) as ad_account_id,
        name as campaign_name,
        status as campaign_status,
        advertising_channel_type,
        start_date,
        end_date,
        nullif(trim(tracking_url_template), '') as tracking_url_template,
        nullif(trim(final_url_suffix), '') as final_url_suffix,
        {{ json_text('url_custom_parameters') }} as url_custom_parameters,
        resource_name
    from source
),

tracking_inherited as (
    select
        renamed.campaign_id,
        renamed.ad_account_id,
        renamed.campaign_name,
        renamed.campaign_status,
        renamed.advertising_channel_type,
        renamed.start_date,
        renamed.end_date,
        renamed.tracking_url_template,
        renamed.final_url_suffix,
        renamed.url_custom_parameters,
        renamed.resource_name,
        coalesce(renamed.final_url_suffix, nullif(trim(ad_accounts.final_url_suffix), ''))
            as effective_final_url_suffix,
        coalesce(renamed.tracking_url_template, nullif(trim(ad_accounts.tracking_url_template), ''))
            as effective_tracking_url_template,
        -- Custom parameters as compact JSON text (no blank after ':' or ','), searched by key below.
        replace(replace(renamed.url_custom_parameters, '": "', '":"'), '", "', '","') as campaign_custom_parameters
    from renamed
    left join ad_accounts
        on renamed.ad_account_id = cast(ad_accounts.id as {{ dbt.type_string() }})
),

url_parameters_parsed as (
    select
        campaign_id,
        campaign_custom_parameters,
        {%- for parameter in utm_parameters %}
            {{ url_parameter(dbt.concat(["'?'", 'effective_final_url_suffix']), parameter) }}
                as {{ parameter }}_in_suffix,
            replace(
                {{ url_parameter('effective_tracking_url_template', parameter) }}, '{campaignid}', campaign_id
            ) as {{ parameter }}_in_template,
        {%- endfor %}
        effective_final_url_suffix
    from tracking_inherited
),

custom_parameter_keys as (
    select
        campaign_id,
        campaign_custom_parameters,
        {%- for parameter in utm_parameters %}
            {{ parameter }}_in_suffix,
            {{ parameter }}_in_template,
            -- `{_name}` refers to the custom parameter `name`.
            case
                when
                    substr({{ parameter }}_in_template, 1, 2) = '{_'
                    and substr({{ parameter }}_in_template, length({{ parameter }}_in_template), 1) = '}'
                    then substr({{ parameter }}_in_template, 3, length({{ parameter }}_in_template) - 3)
            end as {{ parameter }}_custom_parameter_key,
        {%- endfor %}
        effective_final_url_suffix
    from url_parameters_parsed
),

custom_parameters_located as (
    select
        campaign_id,
        campaign_custom_parameters,
        {%- for parameter in utm_parameters %}
            {%- set needle = dbt.concat(
                ["'\"key\":\"'", parameter ~ '_custom_parameter_key', "'\",\"value\":\"'"]
            ) %}
            {{ parameter }}_in_suffix,
            {{ parameter }}_in_template,
            {{ parameter }}_custom_parameter_key,
            {{ dbt.position(needle, 'campaign_custom_parameters') }} as {{ parameter }}_position,
        {%- endfor %}
        effective_final_url_suffix
    from custom_parameter_keys
),

utm_parameters_resolved as (
    select
        campaign_id,
        {%- for parameter in utm_parameters %}
            {#- The value starts after `"key":"<key>","value":"` (18 characters plus the key) and ends at a quote. #}
            {%- set value_start = parameter ~ '_position + 18 + length(' ~ parameter ~ '_custom_parameter_key)' %}
            {%- set value_onwards = 'substr(campaign_custom_parameters, ' ~ value_start ~ ')' %}
            {%- set value -%}
                coalesce(
                    {{ parameter }}_in_suffix,
                    case
                        -- A ValueTrack parameter left unexpanded (`{keyword}`) is no value a landing page carries.
                        when
                            {{ parameter }}_custom_parameter_key is null
                            and {{ dbt.position("'{'", parameter ~ '_in_template') }} = 0
                            then {{ parameter }}_in_template
                        when {{ parameter }}_position > 0
                            then {{ dbt.split_part(value_onwards, "'\"'", 1) }}
                    end
                )
            {%- endset %}
            {{ 'lower(' ~ value ~ ')' if parameter in ['utm_source', 'utm_medium'] else value }} as {{ parameter }},
        {%- endfor %}
        effective_final_url_suffix
    from custom_parameters_located
),

final as (
    select
        tracking_inherited.campaign_id,
        tracking_inherited.ad_account_id,
        tracking_inherited.campaign_name,
        tracking_inherited.campaign_status,
        tracking_inherited.advertising_channel_type,
        tracking_inherited.start_date,
        tracking_inherited.end_date,
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
        on tracking_inherited.campaign_id = utm_parameters_resolved.campaign_id
)

select * from final
