{#- A percent-encoded URL component decoded: `%XX` escapes (UTF-8 sequences included) and `+` as a space.
    Malformed escapes are left as they are. -#}
{% macro url_decode(column) -%}
    {{ return(adapter.dispatch('url_decode', 'gtm_warehouse')(column)) }}
{%- endmacro %}

{% macro default__url_decode(column) -%}
    {{ exceptions.raise_compiler_error('url_decode is not implemented for ' ~ target.type) }}
{%- endmacro %}

{% macro duckdb__url_decode(column) -%}
    url_decode(replace({{ column }}, '+', ' '))
{%- endmacro %}

{#- PostgreSQL has no URL decoder: split into `%XX` escapes and other text, turn each into bytes, join them
    in order and read the bytes as UTF-8. A `%` without two hex digits stays as it is. -#}
{% macro postgres__url_decode(column) -%}
    case when {{ column }} is not null then coalesce((
        select convert_from(
            string_agg(
                case
                    when piece.parts[1] ~ '^%[0-9A-Fa-f]{2}$' then decode(substr(piece.parts[1], 2), 'hex')
                    else convert_to(piece.parts[1], 'UTF8')
                end,
                ''::bytea
                order by piece.position
            ),
            'UTF8'
        )
        from regexp_matches(replace({{ column }}, '+', ' '), '%[0-9A-Fa-f]{2}|[^%]+|%', 'g')
            with ordinality as piece (parts, position)
    ), '') end
{%- endmacro %}

{#- Spark 4's try_url_decode (java.net.URLDecoder, `+` as a space): a malformed escape gives null here,
    where DuckDB and PostgreSQL keep the text as it is. -#}
{% macro spark__url_decode(column) -%}
    try_url_decode({{ column }})
{%- endmacro %}
