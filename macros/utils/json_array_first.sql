{#- The first element of a JSON array of strings held in `column` (JSON or JSON text, e.g. Google Ads'
    `final_urls`, `["https://www.example.com/?a=b"]`), as a string; null when the column is null, not an
    array, or the array is empty. JSON functions differ on every engine, so each gets its own branch;
    engines not tested raise. -#}
{% macro json_array_first(column) -%}
    {{ return(adapter.dispatch('json_array_first', 'gtm_warehouse')(column)) }}
{%- endmacro %}

{% macro default__json_array_first(column) -%}
    {{ exceptions.raise_compiler_error('json_array_first is not implemented for ' ~ target.type) }}
{%- endmacro %}

{#- BigQuery's json_value reads JSON and JSON text alike. -#}
{% macro bigquery__json_array_first(column) -%}
    json_value({{ column }}, '$[0]')
{%- endmacro %}

{#- Snowflake: dlt loads nested values as VARIANT; to_varchar and try_parse_json read JSON text alike. -#}
{% macro snowflake__json_array_first(column) -%}
    cast(get(try_parse_json(to_varchar({{ column }})), 0) as varchar)
{%- endmacro %}

{% macro duckdb__json_array_first(column) -%}
    json_extract_string({{ column }}, '$[0]')
{%- endmacro %}

{#- dlt loads nested values into PostgreSQL as jsonb. -#}
{% macro postgres__json_array_first(column) -%}
    (cast({{ column }} as jsonb) ->> 0)
{%- endmacro %}

{#- dlt's Parquet files (the filesystem destination Spark reads) hold nested values as native Parquet lists,
    so on Spark the column is an `array<string>`, not JSON text. -#}
{% macro spark__json_array_first(column) -%}
    try_element_at({{ column }}, 1)
{%- endmacro %}
