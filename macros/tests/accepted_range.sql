{#- Fails with every row whose `column_name` lies outside [min_value, max_value] (either bound optional;
    `inclusive=false` excludes the bounds themselves). Null passes: pair with not_null to forbid it. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error('accepted_range needs min_value, max_value or both') }}
    {%- endif -%}
    select *
    from {{ model }}
    where
        {%- if min_value is not none %}
        {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
        {%- endif %}
        {%- if min_value is not none and max_value is not none %} or{% endif %}
        {%- if max_value is not none %}
        {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
        {%- endif %}
{% endtest %}
