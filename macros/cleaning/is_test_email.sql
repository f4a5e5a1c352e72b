{#- Whether an address belongs to a test record: its domain is one of the var `test_email_domains`. -#}
{% macro is_test_email(column) -%}
    coalesce({{ email_domain(column) }} in (
        {%- for domain in var('test_email_domains') %}'{{ domain | lower }}'{{ ", " if not loop.last }}{% endfor -%}
    ), false)
{%- endmacro %}
