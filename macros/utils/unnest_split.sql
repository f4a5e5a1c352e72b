{#- One row per element of a `delimiter`-separated string: a select-list expression that turns each input row
    into as many rows as the list has elements (e.g. HubSpot's `hs_merged_object_ids`, `1824;1830`).
    Elements come back untrimmed and may be empty: trim and drop empties in the model. Splitting into rows
    has no portable SQL (PostgreSQL `unnest(string_to_array())`, Snowflake `lateral flatten`, Spark
    `explode(split())`), so each engine gets its own branch; engines not tested raise. -#}
{% macro unnest_split(column, delimiter) -%}
    {{ return(adapter.dispatch('unnest_split', 'gtm_warehouse')(column, delimiter)) }}
{%- endmacro %}

{% macro default__unnest_split(column, delimiter) -%}
    {{ exceptions.raise_compiler_error('unnest_split is not implemented for ' ~ target.type) }}
{%- endmacro %}

{% macro duckdb__unnest_split(column, delimiter) -%}
    unnest(string_split({{ column }}, '{{ delimiter }}'))
{%- endmacro %}

{% macro postgres__unnest_split(column, delimiter) -%}
    unnest(string_to_array({{ column }}, '{{ delimiter }}'))
{%- endmacro %}

{#- split() takes a regular expression: the delimiter is quoted as a literal. -#}
{% macro spark__unnest_split(column, delimiter) -%}
    explode(split({{ column }}, '\\Q{{ delimiter }}\\E'))
{%- endmacro %}
