{#- Fails with every row for which `expression` is not true (null counts as a failure). Under a column, an
    expression that starts with an operator (`>= 0`, `in ('a', 'b')`, `is not null`) is applied to that
    column, as in dbt_utils (macro `column_expression`); a full expression (`amount >= 0`) is used as written. -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select * from {{ model }}
    where not coalesce({{ column_expression(column_name, expression) }}, false)
{% endtest %}
