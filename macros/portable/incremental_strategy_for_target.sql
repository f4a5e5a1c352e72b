{#- How the incremental models replace what they rebuild, per engine: one place to extend for a new one.
    DuckDB and PostgreSQL: `delete+insert` on the model's `unique_key` (a key dbt deletes by, not
    necessarily unique: the sessionised page views rebuild whole contacts). Spark with its default
    parquet tables cannot delete or merge (portability-notes §4), so there the models rebuild in full
    through `insert_overwrite` without partitions, and incremental_by_key() is false. Snowflake runs
    `delete+insert` as DuckDB does. BigQuery has no strategy that replaces rows by a key that is not unique
    (merge needs one source row per target row; insert_overwrite needs partitions), so there the models are
    tables rebuilt in full (incremental_materialization()). -#}

{% macro incremental_strategy_for_target() %}
    {{ return(adapter.dispatch('incremental_strategy_for_target', 'gtm_warehouse')()) }}
{% endmacro %}

{% macro default__incremental_strategy_for_target() %}
    {{ return('delete+insert') }}
{% endmacro %}

{#- Only read where the model is incremental, never on BigQuery (incremental_materialization()): a name
    BigQuery accepts. -#}
{% macro bigquery__incremental_strategy_for_target() %}
    {{ return('merge') }}
{% endmacro %}

{% macro spark__incremental_strategy_for_target() %}
    {{ return('insert_overwrite') }}
{% endmacro %}

{#- The materialization of the incremental models: `incremental`, except on BigQuery (above), a table. -#}
{% macro incremental_materialization() %}
    {{ return(adapter.dispatch('incremental_materialization', 'gtm_warehouse')()) }}
{% endmacro %}

{% macro default__incremental_materialization() %}
    {{ return('incremental') }}
{% endmacro %}

{% macro bigquery__incremental_materialization() %}
    {{ return('table') }}
{% endmacro %}

{#- True when an incremental model should build only its changed keys: an incremental run (the table exists,
    no --full-refresh) on an engine whose strategy replaces rows by key. Elsewhere the model selects every
    row, so a strategy that overwrites the whole table still gives the full result. -#}
{% macro incremental_by_key() %}
    {{ return(is_incremental() and incremental_strategy_for_target() in ['delete+insert', 'merge']) }}
{% endmacro %}

{#- The earliest event time an incremental run rebuilds from: var('late_arrival_days') before the latest
    `column` the model already holds (never the clock, so a build gives the same rows on any day). -#}
{% macro late_arrival_window_start(column) %}
    {{ dbt.dateadd('day', -1 * var('late_arrival_days'), 'max(' ~ column ~ ')') }}
{% endmacro %}
