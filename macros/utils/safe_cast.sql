{#- dbt's safe_cast is a plain cast on DuckDB, so bad input raises; this makes it return null, as on
    Snowflake and BigQuery. -#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
