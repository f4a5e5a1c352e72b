{#- The domain of an e-mail address (after the `@`), normalised; null when there is none. -#}
{% macro email_domain(column) -%}
    nullif({{ dbt.split_part(normalize_email(column), "'@'", 2) }}, '')
{%- endmacro %}
