{#- `column` with every match of the regular expression `pattern` replaced by `replacement` (all
    occurrences, not only the first). Single quotes in the pattern are escaped here. -#}
{% macro regex_replace(column, pattern, replacement='') -%}
    {{ return(adapter.dispatch('regex_replace', 'gtm_warehouse')(column, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace(column, pattern, replacement='') -%}
    {{ exceptions.raise_compiler_error('regex_replace is not implemented for ' ~ target.type) }}
{%- endmacro %}

{#- BigQuery (RE2) and Snowflake replace every match; their literals read backslash escapes. -#}
{% macro bigquery__regex_replace(column, pattern, replacement='') -%}
    regexp_replace({{ column }}, '{{ backslash_regex_literal(pattern) }}', '{{ backslash_regex_literal(replacement) }}')
{%- endmacro %}

{% macro snowflake__regex_replace(column, pattern, replacement='') -%}
    regexp_replace({{ column }}, '{{ backslash_regex_literal(pattern) }}', '{{ backslash_regex_literal(replacement) }}')
{%- endmacro %}

{% macro duckdb__regex_replace(column, pattern, replacement='') -%}
    regexp_replace({{ column }}, '{{ pattern | replace("'", "''") }}', '{{ replacement | replace("'", "''") }}', 'g')
{%- endmacro %}

{% macro postgres__regex_replace(column, pattern, replacement='') -%}
    regexp_replace({{ column }}, '{{ pattern | replace("'", "''") }}', '{{ replacement | replace("'", "''") }}', 'g')
{%- endmacro %}

{#- Spark's regexp_replace replaces every match; Java regex (see spark_regex_literal). -#}
{% macro spark__regex_replace(column, pattern, replacement='') -%}
    regexp_replace({{ column }}, '{{ spark_regex_literal(pattern) }}', '{{ replacement | replace("'", "\\'") }}')
{%- endmacro %}
