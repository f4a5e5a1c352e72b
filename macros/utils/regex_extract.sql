{#- The first match of `pattern` in `column` (the whole match, or capture group `group`), or null. -#}
{% macro regex_extract(column, pattern, group=0) -%}
    {{ return(adapter.dispatch('regex_extract')(column, pattern, group)) }}
{%- endmacro %}

{% macro default__regex_extract(column, pattern, group=0) -%}
    {{ exceptions.raise_compiler_error('regex_extract is not implemented for ' ~ target.type) }}
{%- endmacro %}

{% macro duckdb__regex_extract(column, pattern, group=0) -%}
    nullif(regexp_extract({{ column }}, '{{ pattern }}', {{ group }}), '')
{%- endmacro %}

{% macro postgres__regex_extract(column, pattern, group=0) -%}
    (regexp_match({{ column }}, '{{ pattern }}'))[{{ group if group > 0 else 1 }}]
{%- endmacro %}
