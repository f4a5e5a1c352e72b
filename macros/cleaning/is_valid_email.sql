{#- Whether the normalised address is usable: one `@`, a local part, a dot in the domain, no `..` in the
    domain, no spaces. Null for a null address. -#}
{% macro is_valid_email(column) -%}
    {%- set email = normalize_email(column) -%}
    (
        {{ dbt.length(email) }} - {{ dbt.length(dbt.replace(email, "'@'", "''")) }} = 1
        and {{ dbt.position("'@'", email) }} > 1
        and {{ dbt.position("'.'", dbt.split_part(email, "'@'", 2)) }} > 0
        and {{ dbt.position("'..'", dbt.split_part(email, "'@'", 2)) }} = 0
        and {{ dbt.position("' '", email) }} = 0
        and {{ dbt.right(email, 1) }} != '.'
    )
{%- endmacro %}
