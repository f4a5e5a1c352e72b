{#- STUB (macros helper replaces): the value of query parameter `name` in a URL (or a bare query string). -#}
{% macro url_parameter(column, name) -%}
    {{ regex_extract(column, '[?&#]' ~ name ~ '=([^&#]*)', 1) }}
{%- endmacro %}
