{#- The medium a touch's channel is looked up with: its utm_medium, else its ad click id's (`cpc` for Google,
    `paid_social` for Meta and LinkedIn), else null when it has a utm_source, else `referral` when it has an
    external referrer, else `(none)`. -#}
{% macro traffic_medium(utm_source, utm_medium, click_id_type, referrer_domain) -%}
    case
        when {{ utm_medium }} is not null then {{ utm_medium }}
        when {{ click_id_type }} = 'gclid' then 'cpc'
        when {{ click_id_type }} in ('fbclid', 'li_fat_id') then 'paid_social'
        when {{ utm_source }} is not null then null
        when {{ referrer_domain }} is not null then 'referral'
        else '(none)'
    end
{%- endmacro %}
