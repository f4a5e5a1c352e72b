{#- STUB (macros helper replaces): ISO 3166 alpha-2 code of a country name, alias or code, from the seed. -#}
{% macro country_code(column) -%}
    (
        select country_codes.country_code
        from {{ ref('country_codes') }} as country_codes
        where country_codes.country_key = upper(trim({{ column }}))
    )
{%- endmacro %}
