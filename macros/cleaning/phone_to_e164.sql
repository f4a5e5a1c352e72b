{#- STUB (macros helper replaces): a phone number as E.164, given the record's ISO country code column. -#}
{% macro phone_to_e164(column, country_code_column) -%}
    nullif('+' || regexp_replace({{ column }}, '[^0-9]', '', 'g'), '+')
{%- endmacro %}
