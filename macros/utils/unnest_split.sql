{#- One row per element of a `delimiter`-separated string: a whole `select` of `relation`'s `columns` and each
    element of `list_column` as `element` (e.g. HubSpot's `hs_merged_object_ids`, `1824;1830`, gives a row
    per merged id). Elements come back untrimmed and may be empty: trim and drop empties in the model.
    Splitting into rows has no portable SQL (DuckDB and PostgreSQL unnest an array, Spark `lateral view
    explode`, Snowflake `lateral split_to_table`, BigQuery `unnest(split())`), and Snowflake and BigQuery
    only split in the from clause, so each engine renders the whole select; engines not tested raise. -#}
{% macro unnest_split(relation, columns, list_column, delimiter, element) -%}
    {{ return(adapter.dispatch('unnest_split', 'gtm_warehouse')(relation, columns, list_column, delimiter, element)) }}
{%- endmacro %}

{% macro default__unnest_split(relation, columns, list_column, delimiter, element) -%}
    {{ exceptions.raise_compiler_error('unnest_split is not implemented for ' ~ target.type) }}
{%- endmacro %}

{% macro bigquery__unnest_split(relation, columns, list_column, delimiter, element) -%}
    select
        {%- for column in columns %}
        {{ relation }}.{{ column }},
        {%- endfor %}
        {{ element }}
    from {{ relation }}
    cross join unnest(split({{ relation }}.{{ list_column }}, '{{ delimiter }}')) as {{ element }}
{%- endmacro %}

{% macro snowflake__unnest_split(relation, columns, list_column, delimiter, element) -%}
    select
        {%- for column in columns %}
        {{ relation }}.{{ column }},
        {%- endfor %}
        cast(split_elements.value as varchar) as {{ element }}
    from {{ relation }}
    cross join lateral split_to_table({{ relation }}.{{ list_column }}, '{{ delimiter }}') as split_elements
{%- endmacro %}

{% macro duckdb__unnest_split(relation, columns, list_column, delimiter, element) -%}
    select
        {%- for column in columns %}
        {{ relation }}.{{ column }},
        {%- endfor %}
        split_elements.{{ element }}
    from {{ relation }}
    cross join unnest(string_split({{ relation }}.{{ list_column }}, '{{ delimiter }}')) as split_elements ({{ element }})
{%- endmacro %}

{% macro postgres__unnest_split(relation, columns, list_column, delimiter, element) -%}
    select
        {%- for column in columns %}
        {{ relation }}.{{ column }},
        {%- endfor %}
        split_elements.{{ element }}
    from {{ relation }}
    cross join unnest(string_to_array({{ relation }}.{{ list_column }}, '{{ delimiter }}')) as split_elements ({{ element }})
{%- endmacro %}

{#- split() takes a regular expression: the delimiter is quoted as a literal. -#}
{% macro spark__unnest_split(relation, columns, list_column, delimiter, element) -%}
    select
        {%- for column in columns %}
        {{ relation }}.{{ column }},
        {%- endfor %}
        split_elements.{{ element }}
    from {{ relation }}
    lateral view explode(split({{ relation }}.{{ list_column }}, '\\Q{{ delimiter }}\\E')) split_elements as {{ element }}
{%- endmacro %}
