{#- A company name as a matching key: lower-case, `&` as `and`, apostrophes and dots dropped, other ASCII
    punctuation as spaces (letters such as `ü` kept), single spaces, a leading `the` and trailing legal forms
    (`inc`, `llc`, `ltd`, `gmbh`, `co`, `corp`, `plc`, `sa`, `bv`, `pty ltd`, ...) removed: `The Acme Co.,
    Ltd.` gives `acme`. A name that is nothing but a legal form keeps it. Null when empty. -#}
{% macro normalize_company_name(column) -%}
    {%- set legal_forms = [
        'inc', 'incorporated', 'corp', 'corporation', 'co', 'company', 'cos', 'llc', 'llp', 'lp', 'ltd',
        'limited', 'plc', 'gmbh', 'mbh', 'ag', 'kg', 'kgaa', 'ohg', 'ug', 'ev', 'se', 'sa', 'sas', 'sasu',
        'sarl', 'srl', 'spa', 'sl', 'slu', 'sau', 'bv', 'nv', 'vof', 'ab', 'publ', 'as', 'asa', 'aps', 'oy',
        'oyj', 'pty', 'pte', 'pvt', 'kk', 'lda', 'ltda', 'sro', 'doo', 'and',
    ] -%}
    {%- set punctuation -%}[-!"#$%()*+,/:;<=>?@\[\]\\^_{|}~]{%- endset -%}
    {%- set dropped = regex_replace("replace(lower(" ~ column ~ "), '&', ' and ')", "['’`.]", '') -%}
    {%- set spaced = 'trim(' ~ regex_replace(regex_replace(dropped, punctuation, ' '), '[[:space:]]+', ' ') ~ ')' -%}
    {%- set without_the = regex_replace(spaced, '^the ', '') -%}
    {%- set without_legal_forms = regex_replace(
        "' ' || " ~ without_the,
        '( (' ~ legal_forms | join('|') ~ '))+$',
        '',
    ) -%}
    nullif(coalesce(nullif(trim({{ without_legal_forms }}), ''), {{ spaced }}), '')
{%- endmacro %}
