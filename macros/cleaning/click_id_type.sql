{#- Which ad platform's click id a landing URL carries: gclid (Google), fbclid (Meta), li_fat_id (LinkedIn). -#}
{% macro click_id_type(column) -%}
    case
        when {{ url_parameter(column, 'gclid') }} is not null then 'gclid'
        when {{ url_parameter(column, 'fbclid') }} is not null then 'fbclid'
        when {{ url_parameter(column, 'li_fat_id') }} is not null then 'li_fat_id'
    end
{%- endmacro %}
