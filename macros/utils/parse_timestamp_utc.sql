{#- An ISO-8601 string (`2025-06-02T02:05:02.000Z`, `2025-06-02`, or with an offset) as a naive UTC timestamp;
    empty or unparseable strings give null rather than an error. -#}
{% macro parse_timestamp_utc(column) -%}
    {{ return(adapter.dispatch('parse_timestamp_utc', 'gtm_warehouse')(column)) }}
{%- endmacro %}

{% macro default__parse_timestamp_utc(column) -%}
    {{ exceptions.raise_compiler_error('parse_timestamp_utc is not implemented for ' ~ target.type) }}
{%- endmacro %}

{#- PostgreSQL has no try_cast: a malformed string raises there. -#}
{% macro postgres__parse_timestamp_utc(column) -%}
    {{ to_utc('cast(nullif(trim(' ~ column ~ "), '') as timestamp with time zone)") }}
{%- endmacro %}

{#- BigQuery reads ISO 8601 with `T`, `Z` or an offset; safe_cast gives null on bad input. -#}
{% macro bigquery__parse_timestamp_utc(column) -%}
    {{ to_utc('safe_cast(nullif(trim(' ~ column ~ "), '') as timestamp)") }}
{%- endmacro %}

{% macro snowflake__parse_timestamp_utc(column) -%}
    {{ to_utc('try_to_timestamp_tz(nullif(trim(' ~ column ~ "), ''))") }}
{%- endmacro %}

{% macro duckdb__parse_timestamp_utc(column) -%}
    {{ to_utc('try_cast(nullif(trim(' ~ column ~ "), '') as timestamptz)") }}
{%- endmacro %}

{#- Spark's try_cast to timestamp reads the offset (or the session time zone, UTC, without one). -#}
{% macro spark__parse_timestamp_utc(column) -%}
    {{ to_utc('try_cast(nullif(trim(' ~ column ~ "), '') as timestamp)") }}
{%- endmacro %}
