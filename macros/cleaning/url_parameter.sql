{#- The value of query parameter `name` in a URL or bare query string (`utm_source=x&...`): its first
    occurrence, percent-decoded (`+` as a space), trimmed; null when absent or empty. Tolerates the
    malformed URLs real traffic carries: a second `?` used as a separator (`?utm_source=x?utm_medium=y`) and
    an encoded `=` (`utm_medium%3Dcpc`). `name` is matched case-sensitively, as servers do. -#}
{% macro url_parameter(column, name) -%}
    nullif(trim({{ url_decode(regex_extract(column, '(^|[?&#;])' ~ name ~ '(=|%3[dD])([^&#?]*)', 3)) }}), '')
{%- endmacro %}
