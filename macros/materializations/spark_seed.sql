{#- How a seed's rows are inserted on Spark, in place of dbt-spark's `spark__load_csv_rows` (a root-project macro
    of the same name wins over the adapter's). dbt-spark's session method pastes each value into the SQL
    between single quotes without escaping it, so a seed value with a quote (`Côte d'Ivoire`, `PEOPLE'S
    REPUBLIC OF CHINA` in country_codes) breaks the statement. Here each value is a string literal escaped
    for Spark (a backslash before `\` and `'`) and each column is cast once to its type in a select over the
    values, rather than once per cell, which Spark parses and plans faster (exchange_rates has 20,824 rows).
    The types are the seed's `column_types` or dbt's inferred ones, as in dbt-spark. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set columns = [] -%}
    {%- for column_name in agate_table.column_names -%}
        {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
        {%- do columns.append({
            'alias': 'seed_column_' ~ loop.index,
            'name': adapter.quote_seed_column(column_name | string, model['config'].get('quote_columns', None)),
            'type': column_override.get(column_name, inferred_type),
        }) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} (
                {%- for column in columns %}{{ column['name'] }}{{ ', ' if not loop.last }}{% endfor -%}
            )
            select
                {%- for column in columns %}
                cast({{ column['alias'] }} as {{ column['type'] }}){{ ',' if not loop.last }}
                {%- endfor %}
            from values
            {%- for row in chunk %}
                (
                    {%- for value in row -%}
                        {%- if value is none -%}
                            null
                        {%- else -%}
                            '{{ (value | string) | replace('\\', '\\\\') | replace("'", "\\'") }}'
                        {%- endif -%}
                        {{- ', ' if not loop.last -}}
                    {%- endfor -%}
                ){{ ',' if not loop.last }}
            {%- endfor %}
            as seed_rows (
                {%- for column in columns %}{{ column['alias'] }}{{ ', ' if not loop.last }}{% endfor -%}
            )
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- The SQL of the first batch is what dbt writes to the compiled seed file. -#}
    {{ return(statements[0]) }}
{% endmacro %}
