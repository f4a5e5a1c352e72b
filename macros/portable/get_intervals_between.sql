{#- dbt's date_spine asks the warehouse how many intervals lie between its bounds (a query at compile time).
    Under `--vars '{offline_compile: true}'` (scripts/cloud_check.sh) there is no connection, so it counts 1,
    as dbt itself does while parsing; otherwise dbt's own query. A root-project branch of dbt's dispatched
    macro takes precedence over dbt's for every engine that has no branch of its own (none does). -#}
{% macro default__get_intervals_between(start_date, end_date, datepart) -%}
    {%- if var('offline_compile', false) -%}
        {{ return(1) }}
    {%- else -%}
        {{ return(dbt.default__get_intervals_between(start_date, end_date, datepart)) }}
    {%- endif -%}
{%- endmacro %}
