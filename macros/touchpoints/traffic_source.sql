{#- The source a touch's channel is looked up with: its utm_source, else its ad click id's platform source,
    else its external referrer's domain, else `(direct)` (null when it has a utm_medium but no source). -#}
{% macro traffic_source(utm_source, utm_medium, click_id_type, referrer_domain) -%}
    case
        when {{ utm_source }} is not null then {{ utm_source }}
        when {{ click_id_type }} = 'gclid' then 'google'
        when {{ click_id_type }} = 'fbclid' then 'facebook'
        when {{ click_id_type }} = 'li_fat_id' then 'linkedin'
        when {{ referrer_domain }} is not null then {{ referrer_domain }}
        when {{ utm_medium }} is null then '(direct)'
    end
{%- endmacro %}
