{#- The select-list entries for the custom fields configured for one raw table in the var `custom_fields`
    (`<source>__<raw table>`: a list of {name, alias, type}), each `cast(name as type) as alias,`. -#}
{% macro custom_fields(table_key) -%}
    {%- for field in var('custom_fields').get(table_key, []) %}
        {{ dbt.safe_cast(adapter.quote(field['name']), field.get('type', dbt.type_string())) }} as {{ field.get('alias', field['name']) }},
    {%- endfor %}
{%- endmacro %}

{#- The aliases of the same custom fields, `alias,` each: to carry them through later CTEs. -#}
{% macro custom_field_aliases(table_key) -%}
    {%- for field in var('custom_fields').get(table_key, []) %}
        {{ field.get('alias', field['name']) }},
    {%- endfor %}
{%- endmacro %}

{#- The raw columns of the same custom fields, quoted, `name,` each: to list them in an import CTE. -#}
{% macro custom_field_columns(table_key) -%}
    {%- for field in var('custom_fields').get(table_key, []) %}
        {{ adapter.quote(field['name']) }},
    {%- endfor %}
{%- endmacro %}
