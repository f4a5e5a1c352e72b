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
