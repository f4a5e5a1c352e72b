{#- STUB (macros helper replaces): an amount converted to var('reporting_currency') at the day's rate. -#}
{% macro to_reporting_currency(amount_column, currency_column, date_column) -%}
    {{ amount_column }}
{%- endmacro %}
