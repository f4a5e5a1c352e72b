{#- The ISO 3166-1 alpha-2 code of a country written as its alpha-2 or alpha-3 code, English name, official
    name or a common alias (`USA`, `U.S.`, `UK`, `Deutschland`, ...), looked up case-insensitively in the seed
    `country_codes`; null when empty or unknown. -#}
{% macro country_code(column) -%}
    {#- The seed's columns are renamed in a derived table so that they cannot capture a caller's column of
        the same name (`country_code`) inside this correlated subquery. #}
    (
        select max(country_lookup.lookup_country_code)
        from (
            select
                country_codes.country_key as lookup_country_key,
                country_codes.country_code as lookup_country_code
            from {{ ref('country_codes') }} as country_codes
        ) as country_lookup
        where country_lookup.lookup_country_key = upper(trim({{ column }}))
    )
{%- endmacro %}
