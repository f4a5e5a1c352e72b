{#- A timestamp with time zone as a naive UTC timestamp: the one kind of `_at` column in this project. -#}
{% macro to_utc(column) -%}
    {{ return(adapter.dispatch('to_utc', 'gtm_warehouse')(column)) }}
{%- endmacro %}

{% macro default__to_utc(column) -%}
    {{ exceptions.raise_compiler_error('to_utc is not implemented for ' ~ target.type) }}
{%- endmacro %}

{#- DuckDB and PostgreSQL: `at time zone 'UTC'` turns an instant into UTC wall-clock time. -#}
{% macro duckdb__to_utc(column) -%}
    cast(({{ column }}) at time zone 'UTC' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro postgres__to_utc(column) -%}
    cast(({{ column }}) at time zone 'UTC' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- BigQuery's timestamp is an instant (shown in UTC), dbt's type_timestamp() there. -#}
{% macro bigquery__to_utc(column) -%}
    cast({{ column }} as timestamp)
{%- endmacro %}

{#- Snowflake: the instant in UTC, then without its offset (timestamp_ntz, dbt's type_timestamp() there). -#}
{% macro snowflake__to_utc(column) -%}
    cast(convert_timezone('UTC', {{ column }}) as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- Spark has one timestamp type, an instant shown in the session time zone (pinned to UTC in
    profiles.yml), so it is already UTC. -#}
{% macro spark__to_utc(column) -%}
    cast({{ column }} as timestamp)
{%- endmacro %}
