{#- One canonical industry for the ways two CRMs write it (Salesforce's picklist `Financial Services`, HubSpot's
    enum `FINANCIAL_SERVICES`), looked up case-insensitively in the seed `industry_mapping`; a value the seed
    does not know is lower-cased with spaces as underscores; null when empty. -#}
{% macro industry(column) -%}
    {#- The seed's columns are renamed in a derived table so that they cannot capture a caller's column of
        the same name (`industry`) inside this correlated subquery. #}
    coalesce(
        (
            select max(industry_lookup.lookup_industry)
            from (
                select
                    industry_mapping.industry_key as lookup_industry_key,
                    industry_mapping.industry as lookup_industry
                from {{ ref('industry_mapping') }} as industry_mapping
            ) as industry_lookup
            where industry_lookup.lookup_industry_key = upper(trim({{ column }}))
        ),
        replace(lower(nullif(trim({{ column }}), '')), ' ', '_')
    )
{%- endmacro %}
