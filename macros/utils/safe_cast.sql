{#- dbt's safe_cast is a plain cast on DuckDB, so bad input raises; this makes it return null, as on
    Snowflake and BigQuery. -#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{#- PostgreSQL has no try_cast: numbers are cast only when they look like one (else null); other types are
    cast as they are (bad input raises there). -#}
{% macro postgres__safe_cast(field, type) -%}
    {%- set kind = type | lower -%}
    {%- if kind.startswith('int') or kind.startswith('bigint') or kind.startswith('smallint') -%}
        case when trim(cast({{ field }} as text)) ~ '^[+-]?[0-9]+$' then cast({{ field }} as {{ type }}) end
    {%- elif kind.startswith('decimal') or kind.startswith('numeric') or kind.startswith('double') or kind.startswith('float') or kind.startswith('real') -%}
        case
            when trim(cast({{ field }} as text)) ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$'
                then cast({{ field }} as {{ type }})
        end
    {%- else -%}
        cast({{ field }} as {{ type }})
    {%- endif -%}
{%- endmacro %}

{#- Spark's try_cast gives null on bad input; `varchar` without a length is `string` there. -#}
{% macro spark__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ 'string' if (type | lower) == 'varchar' else type }})
{%- endmacro %}

{#- BigQuery: dbt's own branch (safe_cast), with `varchar`, which BigQuery lacks, as `string` (the var
    `custom_fields` declares types in the DuckDB/PostgreSQL spelling). -#}
{% macro bigquery__safe_cast(field, type) -%}
    safe_cast({{ field }} as {{ 'string' if (type | lower) in ('varchar', 'text') else type }})
{%- endmacro %}
