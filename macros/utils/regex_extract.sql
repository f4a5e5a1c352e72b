{#- The first match of `pattern` in `column` (the whole match, or capture group `group`), or null. -#}
{% macro regex_extract(column, pattern, group=0) -%}
    {{ return(adapter.dispatch('regex_extract', 'gtm_warehouse')(column, pattern, group)) }}
{%- endmacro %}

{% macro default__regex_extract(column, pattern, group=0) -%}
    {{ exceptions.raise_compiler_error('regex_extract is not implemented for ' ~ target.type) }}
{%- endmacro %}

{#- BigQuery's regexp_extract refuses a pattern with more than one capture group, so the match is taken with
    regexp_replace instead: the whole value is replaced by the wanted group of the first match (an empty
    string, hence null, when nothing matches: the second alternative). -#}
{% macro bigquery__regex_extract(column, pattern, group=0) -%}
    {%- set wrapped = '(' ~ pattern ~ ')' if group == 0 else '(?:' ~ pattern ~ ')' -%}
    nullif(regexp_replace(
        {{ column }},
        '(?s)^.*?{{ backslash_regex_literal(wrapped) }}.*$|^.*$',
        '\\{{ 1 if group == 0 else group }}'
    ), '')
{%- endmacro %}

{#- Snowflake's regexp_substr: the `e` parameter extracts capture group `group`. -#}
{% macro snowflake__regex_extract(column, pattern, group=0) -%}
    {%- if group > 0 %}
    nullif(regexp_substr({{ column }}, '{{ backslash_regex_literal(pattern) }}', 1, 1, 'e', {{ group }}), '')
    {%- else %}
    nullif(regexp_substr({{ column }}, '{{ backslash_regex_literal(pattern) }}'), '')
    {%- endif %}
{%- endmacro %}

{#- A regular expression as the body of a string literal on engines that read backslash escapes in
    literals (BigQuery, Snowflake): each backslash doubled, a single quote escaped with a backslash. -#}
{% macro backslash_regex_literal(pattern) -%}
    {{- pattern | replace('\\', '\\\\') | replace("'", "\\'") -}}
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
