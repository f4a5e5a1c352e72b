{#- Fails with one row per group (of the `group_by` columns, present in both models; the whole table when
    empty) whose sum of `column_name` in the model differs by a cent or more from the sum of `compare_column`
    (default: the same name) in `compare_model`. A group missing on one side counts as a sum of 0; null
    values count as 0. -#}
{% test equal_sum(model, column_name, compare_model, compare_column=none, group_by=[]) %}
    {%- set compare_column = compare_column or column_name -%}
    with sums as (
        select
            {% for column in group_by %}{{ column }}, {% endfor %}
            sum({{ column_name }}) as model_sum,
            0 as compare_model_sum
        from {{ model }}
        {% if group_by %}group by {{ group_by | join(', ') }}{% endif %}

        union all

        select
            {% for column in group_by %}{{ column }}, {% endfor %}
            0 as model_sum,
            sum({{ compare_column }}) as compare_model_sum
        from {{ compare_model }}
        {% if group_by %}group by {{ group_by | join(', ') }}{% endif %}
    ),

    compared as (
        select
            {% for column in group_by %}{{ column }}, {% endfor %}
            coalesce(sum(model_sum), 0) as model_sum,
            coalesce(sum(compare_model_sum), 0) as compare_model_sum
        from sums
        {% if group_by %}group by {{ group_by | join(', ') }}{% endif %}
    )

    select *
    from compared
    where abs(model_sum - compare_model_sum) >= 0.005
{% endtest %}
