{#- STUB (macros helper replaces): a company's domain from its website, else from a non-free-mail e-mail. -#}
{% macro company_domain(website_column, email_column) -%}
    coalesce({{ domain_from_url(website_column) }}, {{ email_domain(email_column) }})
{%- endmacro %}
