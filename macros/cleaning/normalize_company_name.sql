{#- STUB (macros helper replaces): a company name lower-cased without punctuation and legal suffixes. -#}
{% macro normalize_company_name(column) -%}
    nullif(trim(lower({{ column }})), '')
{%- endmacro %}
