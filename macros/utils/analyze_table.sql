{#- A post-hook: on PostgreSQL, `analyze` the table just built, so the planner sees its real size when the next
    model joins it. Without statistics PG guesses, and int_page_views_sessionized (a join to
    int_person_records_mapped under twelve URL decodes per row) took over 13 minutes instead of seconds. Empty
    on every other engine, and dbt skips an empty hook. -#}
{% macro analyze_table() -%}
    {%- if target.type == 'postgres' and config.get('materialized') == 'table' -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
