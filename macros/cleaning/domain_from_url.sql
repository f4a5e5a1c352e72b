{#- STUB (macros helper replaces): the host of a URL or bare domain: no scheme, `www.`, port or path. -#}
{% macro domain_from_url(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}
