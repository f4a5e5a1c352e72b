{#- A percent-encoded URL component decoded: `%XX` escapes (UTF-8 sequences included) and `+` as a space.
    Malformed escapes are left as they are. -#}
{% macro url_decode(column) -%}
    {{ return(adapter.dispatch('url_decode')(column)) }}
{%- endmacro %}

{% macro default__url_decode(column) -%}
    {{ exceptions.raise_compiler_error('url_decode is not implemented for ' ~ target.type) }}
{%- endmacro %}

{% macro duckdb__url_decode(column) -%}
    url_decode(replace({{ column }}, '+', ' '))
{%- endmacro %}
