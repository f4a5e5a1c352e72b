{#- The first match of `pattern` in `column` (the whole match, or capture group `group`), or null. -#}
{% macro regex_extract(column, pattern, group=0) -%}
    {{ return(adapter.dispatch('regex_extract', 'gtm_warehouse')(column, pattern, group)) }}
{%- endmacro %}

{% macro default__regex_extract(column, pattern, group=0) -%}
    {{ exceptions.raise_compiler_error('regex_extract is not implemented for ' ~ target.type) }}
{%- endmacro %}

{% macro duckdb__regex_extract(column, pattern, group=0) -%}
    nullif(regexp_extract({{ column }}, '{{ pattern }}', {{ group }}), '')
{%- endmacro %}

{% macro postgres__regex_extract(column, pattern, group=0) -%}
    {#- regexp_match returns the capture groups, or the whole match when the pattern has none. -#}
    {%- if group > 0 %}
    nullif((regexp_match({{ column }}, '{{ pattern }}'))[{{ group }}], '')
    {%- else %}
    nullif((regexp_match({{ column }}, '({{ pattern }})'))[1], '')
    {%- endif %}
{%- endmacro %}

{#- Spark (Java regex): backslashes doubled for Spark's string literals; POSIX classes as Java's. -#}
{% macro spark__regex_extract(column, pattern, group=0) -%}
    nullif(regexp_extract({{ column }}, '{{ spark_regex_literal(pattern) }}', {{ group }}), '')
{%- endmacro %}

{#- A regular expression as the body of a Spark SQL string literal: Spark reads backslash escapes in
    literals (so each backslash is doubled), Java regex has no `[:space:]` class (`\s` instead), and a
    single quote is escaped with a backslash. -#}
{% macro spark_regex_literal(pattern) -%}
    {{- pattern | replace('\\', '\\\\') | replace('[:space:]', '\\\\s') | replace("'", "\\'") -}}
{%- endmacro %}
