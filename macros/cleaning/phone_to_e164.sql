{#- A phone number as E.164 (`+` and 8 to 15 digits), given the record's ISO alpha-2 country code and its
    calling code (`calling_code()`, computed once per row by the model: this expression reads it up to seven
    times, and seven lookups made each query slow to plan). Reads `+1 415 555 0123`, `(415) 555-0123`,
    `415.555.0123`, `4155550123`, `0044 20 ...` and, in the +1 zone, `011 44 ...` (international prefixes),
    `020 7946 0018` (the trunk 0 gives way to the country's calling code; Italy, San Marino and the Vatican
    keep it), `+44 (0) 20 ...` (the `(0)` is dropped), and drops extensions (`ext. 12`, `x12`, `#12`).
    Ten digits are North American when the country is in the +1 zone or unknown; eleven or more digits
    already carry a country code (unless they are an eleven-digit national number of a known non-+1
    country); shorter national numbers get the country's code. Null when there is no number, when a
    national number has no known country, or when the result is not 8 to 15 digits. -#}
{% macro phone_to_e164(column, country_code_column, calling_code_column) -%}
    {%- set number = regex_extract('lower(' ~ column ~ ')', '[+0-9(][^a-z#]*') -%}
    {%- set digits = regex_replace('replace(' ~ number ~ ", '(0)', '')", '[^0-9]', '') -%}
    {%- set country = 'upper(trim(' ~ country_code_column ~ '))' -%}
    {%- set calling_code = '(' ~ calling_code_column ~ ')' -%}
    {%- set nanp_or_unknown = 'coalesce(' ~ calling_code ~ ", '1') = '1'" -%}
    {%- set e164 -%}
        case
            when {{ number }} like '+%' then '+' || {{ digits }}
            when {{ digits }} like '00%' then '+' || substring({{ digits }}, 3)
            when {{ digits }} like '011%' and {{ nanp_or_unknown }} then '+' || substring({{ digits }}, 4)
            when {{ digits }} like '0%' then '+' || {{ calling_code }} || case
                when {{ country }} in ('IT', 'SM', 'VA') then {{ digits }}
                else substring({{ digits }}, 2)
            end
            when {{ dbt.length(digits) }} >= 12 then '+' || {{ digits }}
            when {{ dbt.length(digits) }} = 11 and ({{ nanp_or_unknown }} or {{ digits }} like {{ calling_code }} || '%')
                then '+' || {{ digits }}
            when {{ dbt.length(digits) }} = 10 and {{ nanp_or_unknown }} then '+1' || {{ digits }}
            else '+' || nullif({{ calling_code }}, '1') || {{ digits }}
        end
    {%- endset -%}
    {{ regex_extract(e164, '^[+][1-9][0-9]{7,14}$') }}
{%- endmacro %}
