{#- dbt's `listagg` on Spark, in place of dbt-spark's: dbt-spark drops the `order_by_clause` (with a warning) and
    collects in whatever order the rows arrive, so an attribution path (`int_attribution_paths_listed`) would list
    its channels in an arbitrary order. Spark 4 has `listagg(..) within group (order by ..)`, which keeps the
    order as DuckDB and PostgreSQL do. A root-project macro of this name wins over the adapter's. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error('listagg with limit_num is not implemented for ' ~ target.type) }}
    {%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }})
    {%- if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
{%- endmacro %}
