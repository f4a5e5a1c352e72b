{#- The ISO 3166-1 alpha-2 code of a country written as its alpha-2 or alpha-3 code, English name, official
    name or a common alias (`USA`, `U.S.`, `UK`, `Deutschland`, ...), looked up case-insensitively in the seed
    `country_codes`; null when empty or unknown. -#}
{% macro country_code(column) -%}
    {{ country_lookup(column, 'country_code') }}
{%- endmacro %}

{#- The international calling code (`44`, `1`, ...) of a country written any way `country_code()` reads; null
    when empty or unknown. A model computes it once per row and hands it to `phone_to_e164()`. -#}
{% macro calling_code(column) -%}
    {{ country_lookup(column, 'calling_code') }}
{%- endmacro %}

{#- One column of the seed `country_codes` for a country written any way, as a correlated scalar subquery. -#}
{% macro country_lookup(column, field) -%}
    {#- The seed's columns are renamed in a derived table so that they cannot capture a caller's column of
        the same name (`country_code`, `calling_code`) inside this correlated subquery. #}
    (
        select max(country_lookup.lookup_value)
        from (
            select
                country_codes.country_key as lookup_country_key,
                country_codes.{{ field }} as lookup_value
            from {{ ref('country_codes') }} as country_codes
        ) as country_lookup
        where country_lookup.lookup_country_key = upper(trim({{ column }}))
    )
{%- endmacro %}
