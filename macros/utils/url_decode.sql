{#- A percent-encoded URL component decoded: `%XX` escapes (UTF-8 sequences included) and `+` as a space.
    Malformed escapes are left as they are. -#}
{% macro url_decode(column) -%}
    {{ return(adapter.dispatch('url_decode', 'gtm_warehouse')(column)) }}
{%- endmacro %}

{% macro default__url_decode(column) -%}
    {{ exceptions.raise_compiler_error('url_decode is not implemented for ' ~ target.type) }}
{%- endmacro %}

{#- BigQuery has no URL decoder: split at `%`; the first piece is text, every later one starts with the two
    hex digits of an escape (else the `%` was literal). Everything becomes hex, in order, and the bytes are
    read as UTF-8 (invalid sequences as U+FFFD). -#}
{% macro bigquery__url_decode(column) -%}
    (
        select safe_convert_bytes_to_string(from_hex(string_agg(
            case
                when piece_position = 0 then to_hex(cast(piece as bytes))
                when regexp_contains(piece, '^[0-9A-Fa-f]{2}')
                    then substr(piece, 1, 2) || to_hex(cast(substr(piece, 3) as bytes))
                else '25' || to_hex(cast(piece as bytes))
            end,
            ''
            order by piece_position
        )))
        from unnest(split(replace({{ column }}, '+', ' '), '%')) as piece with offset as piece_position
    )
{%- endmacro %}

{#- Snowflake has no URL decoder: the same split at `%` as BigQuery's, each piece to hex, the hex decoded as
    UTF-8 (an invalid sequence gives null). -#}
{% macro snowflake__url_decode(column) -%}
    {%- set text = "replace(" ~ column ~ ", '+', ' ')" -%}
    try_hex_decode_string(
        hex_encode(split_part({{ text }}, '%', 1))
        || array_to_string(
            transform(
                array_slice(split({{ text }}, '%'), 1, array_size(split({{ text }}, '%'))),
                piece -> case
                    when regexp_like(left(cast(piece as varchar), 2), '[0-9A-Fa-f]{2}')
                        then left(cast(piece as varchar), 2) || hex_encode(substr(cast(piece as varchar), 3))
                    else '25' || hex_encode(cast(piece as varchar))
                end
            ),
            ''
        )
    )
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
