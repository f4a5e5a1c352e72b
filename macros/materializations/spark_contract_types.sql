{#- dbt's `get_empty_schema_sql` (dbt-adapters, macros/adapters/columns.sql) for Spark: the select of nulls cast to
    each contracted column's type, which dbt compares with the model's columns. The contracts in this project
    spell types the way DuckDB and PostgreSQL read them; Spark has no `varchar` without a length and no
    `double precision`, so those two are spelled `string` and `double` here (what the models' casts to
    dbt.type_string() and dbt.type_float() give on Spark). Everything else is dbt's. -#}
{% macro spark__get_empty_schema_sql(columns) %}
    {%- set spark_spelling = {'varchar': 'string', 'double precision': 'double'} -%}
    {%- set col_err = [] -%}
    {%- set col_naked_numeric = [] -%}
    select
    {% for i in columns %}
      {%- set col = columns[i] -%}
      {%- if col['data_type'] is not defined -%}
        {%- do col_err.append(col['name']) -%}
      {%- elif col['data_type'].strip().lower() in ('numeric', 'decimal', 'number') -%}
        {%- do col_naked_numeric.append(col['name']) -%}
      {%- endif -%}
      {%- set data_type = col['data_type'] -%}
      {%- if data_type is defined -%}
        {%- set data_type = spark_spelling.get(data_type.strip().lower(), data_type) -%}
      {%- endif -%}
      {% set col_name = adapter.quote(col['name']) if col.get('quote') else col['name'] %}
      {{ cast('null', data_type) }} as {{ col_name }}{{ ", " if not loop.last }}
    {%- endfor -%}
    {%- if (col_err | length) > 0 -%}
      {{ exceptions.column_type_missing(column_names=col_err) }}
    {%- elif (col_naked_numeric | length) > 0 -%}
      {{ exceptions.warn("Detected columns with numeric type and unspecified precision/scale, this can lead to unintended rounding: " ~ col_naked_numeric ~ "`") }}
    {%- endif -%}
{% endmacro %}
