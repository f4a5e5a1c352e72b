{#- A select of no rows with the given columns and types: what a union or join reads in place of a
    source system that is switched off (var `<source>_enabled`), so the model keeps its columns. -#}
{% macro no_rows(columns) -%}
    select
    {%- for column in columns %}
        cast(null as {{ column[1] }}) as {{ column[0] }}{{ ',' if not loop.last }}
    {%- endfor %}
    where 1 = 0
{%- endmacro %}
