{#- The SQL type of a double-precision float: `double precision` on DuckDB, PostgreSQL and Snowflake,
    `float64` on BigQuery, `double` on Spark and Databricks. dbt's type_float() is not it: on DuckDB it is
    `float`, a single-precision float there. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'gtm_warehouse')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
