{#- `round(expression, digits)` for a double: PostgreSQL rounds only `numeric`, so its branch rounds through
    numeric and returns a double again; elsewhere round takes a double as it is. -#}
{% macro round_number(expression, digits=0) -%}
    {{ return(adapter.dispatch('round_number', 'gtm_warehouse')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_number(expression, digits=0) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro postgres__round_number(expression, digits=0) -%}
    cast(round(cast({{ expression }} as numeric), {{ digits }}) as double precision)
{%- endmacro %}
