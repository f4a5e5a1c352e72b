{#- An e-mail address trimmed and lower-cased; empty gives null. -#}
{% macro normalize_email(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}
