{#- Fails with every row for which `expression` is not true (null counts as a failure). Under a column, an
    expression that starts with an operator (`>= 0`, `in ('a', 'b')`, `is not null`) is applied to that
    column, as in dbt_utils; a full expression (`amount >= 0`) is used as written. -#}
{% test expression_is_true(model, expression, column_name=none) %}
    {%- set lowered = expression | trim | lower -%}
    {%- set state = namespace(on_column=false) -%}
    {%- if column_name is not none -%}
        {%- for operator in ['=', '<', '>', '!', 'is ', 'in ', 'in(', 'not ', 'between ', 'like ', 'ilike '] -%}
            {%- if lowered[:operator | length] == operator -%}
                {%- set state.on_column = true -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif %}
    select * from {{ model }}
    where not coalesce({{ column_name ~ ' ' ~ expression if state.on_column else expression }}, false)
{% endtest %}
