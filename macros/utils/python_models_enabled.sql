{#- Whether the target's adapter runs dbt Python models (the algorithmic attribution and the predictive lead
    score). dbt_project.yml enables those models, and the marts that read them, for the same adapters. -#}
{% macro python_models_enabled() -%}
    {{ return(target.type in ['duckdb', 'snowflake', 'bigquery', 'databricks']) }}
{%- endmacro %}
