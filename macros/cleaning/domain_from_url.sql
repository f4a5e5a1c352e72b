{#- The host of a URL or bare domain, lower-case, without scheme, user info, `www.` (or `www2.`), port,
    path, query, fragment or trailing dot: `https://www.Acme.com:443/about?x=1` gives `acme.com`. Null when
    empty or when what is left has no dot (`localhost`, `n/a`). -#}
{% macro domain_from_url(column) -%}
    {%- set host = regex_extract(
        'lower(trim(' ~ column ~ '))',
        '^([a-z][a-z0-9+.-]*://)?([^/?#@]*@)?(www[0-9]*[.])?([^/?#:]*[^/?#:.])',
        4
    ) -%}
    case when {{ host }} like '%_._%' and {{ host }} not like '% %' then {{ host }} end
{%- endmacro %}
