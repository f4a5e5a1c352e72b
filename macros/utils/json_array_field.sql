{#- The `value` of the element whose `name` equals `name` in a JSON array of {"name": ..., "value": ...}
    objects held in `column` (JSON or JSON text, e.g. HubSpot's form submission `values`), as a string;
    null when the column is null or no element has that name (the first match wins). JSON functions differ
    on every engine, so each gets its own branch; engines not tested raise. -#}
{% macro json_array_field(column, name) -%}
    {{ return(adapter.dispatch('json_array_field', 'gtm_warehouse')(column, name)) }}
{%- endmacro %}

{% macro default__json_array_field(column, name) -%}
    {{ exceptions.raise_compiler_error('json_array_field is not implemented for ' ~ target.type) }}
{%- endmacro %}

{#- BigQuery: the array's elements as rows (JSON or JSON text alike), the first whose name matches. -#}
{% macro bigquery__json_array_field(column, name) -%}
    (
        select json_value(element, '$.value')
        from unnest(json_query_array({{ column }})) as element with offset as position
        where json_value(element, '$.name') = '{{ name }}'
        order by position
        limit 1
    )
{%- endmacro %}

{#- Snowflake: dlt loads nested values as VARIANT; to_varchar and try_parse_json read JSON text alike. -#}
{% macro snowflake__json_array_field(column, name) -%}
    cast(get(get(
        filter(
            as_array(try_parse_json(to_varchar({{ column }}))),
            element -> cast(get(element, 'name') as varchar) = '{{ name }}'
        ),
        0
    ), 'value') as varchar)
{%- endmacro %}

{#- `from_json` with a struct type gives one struct per element (a missing key is null, a number its text). -#}
{% macro duckdb__json_array_field(column, name) -%}
    list_extract(
        list_filter(
            from_json({{ column }}, '[{"name": "varchar", "value": "varchar"}]'),
            lambda element: element.name = '{{ name }}'
        ),
        1
    ).value
{%- endmacro %}

{% macro postgres__json_array_field(column, name) -%}
    (
        select element.value ->> 'value'
        from jsonb_array_elements(
            case when jsonb_typeof(cast({{ column }} as jsonb)) = 'array' then cast({{ column }} as jsonb) end
        ) with ordinality as element (value, position)
        where element.value ->> 'name' = '{{ name }}'
        order by element.position
        limit 1
    )
{%- endmacro %}

{#- dlt's Parquet files (the filesystem destination Spark reads) hold the array as a native Parquet list of
    structs, so on Spark the column is an `array<struct<name, value>>`, not JSON text. -#}
{% macro spark__json_array_field(column, name) -%}
    try_element_at(filter({{ column }}, element -> element.name = '{{ name }}'), 1).value
{%- endmacro %}
