{#- An amount converted to var('reporting_currency') at the rates of the day (`date_column`, a date or a
    timestamp) in the seed `exchange_rates` (US dollars per unit of each currency):
    amount * usd_per_unit(currency) / usd_per_unit(reporting currency), rounded to cents. An amount already
    in the reporting currency is only rounded; a currency or day without a rate gives null, never a guessed
    rate of 1. The seed's columns are renamed in derived tables so that they cannot capture a caller's column
    of the same name (`currency_code`) inside the correlated subqueries. The amount goes through
    `reporting_currency_operand`. -#}
{% macro to_reporting_currency(amount_column, currency_column, date_column) -%}
    {%- set reporting_currency = var('reporting_currency') | upper -%}
    {%- set currency = 'upper(trim(' ~ currency_column ~ '))' -%}
    {%- set rate_date = 'cast(' ~ date_column ~ ' as date)' -%}
    {%- set converted -%}
        case
            when {{ currency }} = '{{ reporting_currency }}' then {{ amount_column }}
            else {{ reporting_currency_operand(amount_column) }}
                * (
                    select max(rate_lookup.lookup_usd_per_unit)
                    from (
                        select
                            exchange_rates.rate_date as lookup_rate_date,
                            exchange_rates.currency_code as lookup_currency_code,
                            exchange_rates.usd_per_unit as lookup_usd_per_unit
                        from {{ ref('exchange_rates') }} as exchange_rates
                    ) as rate_lookup
                    where
                        rate_lookup.lookup_currency_code = {{ currency }}
                        and rate_lookup.lookup_rate_date = {{ rate_date }}
                )
                / (
                    select max(rate_lookup.lookup_usd_per_unit)
                    from (
                        select
                            exchange_rates.rate_date as lookup_rate_date,
                            exchange_rates.currency_code as lookup_currency_code,
                            exchange_rates.usd_per_unit as lookup_usd_per_unit
                        from {{ ref('exchange_rates') }} as exchange_rates
                    ) as rate_lookup
                    where
                        rate_lookup.lookup_currency_code = '{{ reporting_currency }}'
                        and rate_lookup.lookup_rate_date = {{ rate_date }}
                )
        end
    {%- endset -%}
    cast({{ round_number(converted, 2) }} as decimal(18, 2))
{%- endmacro %}

{#- The amount as the conversion multiplies and divides it. DuckDB multiplies decimals exactly and divides in
    double precision, PostgreSQL keeps numeric exact; Spark caps a decimal product at 38 digits by cutting its
    scale to 6 and rounds the quotient to 6 decimals, which moved a half cent (5.70 became 5.71). On Spark the
    amount is a double, so the product and quotient are doubles as DuckDB's quotient is. -#}
{% macro reporting_currency_operand(amount_column) -%}
    {{ return(adapter.dispatch('reporting_currency_operand', 'gtm_warehouse')(amount_column)) }}
{%- endmacro %}

{% macro default__reporting_currency_operand(amount_column) -%}
    {{ amount_column }}
{%- endmacro %}

{% macro spark__reporting_currency_operand(amount_column) -%}
    cast({{ amount_column }} as {{ type_double() }})
{%- endmacro %}
