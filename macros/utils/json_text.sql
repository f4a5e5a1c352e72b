{#- A nested value as dlt loaded it (a JSON array or object, e.g. Google Ads' `url_custom_parameters`) as JSON
    text, for models that keep it as a string or search it. DuckDB and PostgreSQL hold it as JSON, so a cast
    is enough; dlt's Parquet files (Spark) hold it as a native list or struct, which `to_json` writes compact
    (`[{"key":"a","value":"b"}]`; a plain cast to string would give `[{a, b}]`). Engines not tested raise. -#}
{% macro json_text(column) -%}
    {{ return(adapter.dispatch('json_text', 'gtm_warehouse')(column)) }}
{%- endmacro %}

{% macro default__json_text(column) -%}
    {{ exceptions.raise_compiler_error('json_text is not implemented for ' ~ target.type) }}
{%- endmacro %}

{% macro duckdb__json_text(column) -%}
    cast({{ column }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro postgres__json_text(column) -%}
    cast({{ column }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro spark__json_text(column) -%}
    to_json({{ column }})
{%- endmacro %}

{#- Snowflake: dlt loads nested values as VARIANT; to_json writes it compact. -#}
{% macro snowflake__json_text(column) -%}
    to_json({{ column }})
{%- endmacro %}

{#- BigQuery: dlt loads nested values as JSON; to_json_string writes it compact. -#}
{% macro bigquery__json_text(column) -%}
    to_json_string({{ column }})
{%- endmacro %}
