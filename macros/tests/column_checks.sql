{#- Several column-level checks of one model in one scan, one dbt node instead of one per check (a dbt
    node costs far more than DuckDB's scan). Fails with one row per failing check: `check_name` (column and
    check, as the stand-alone test would be named) and `failing_rows`. Each check means what its stand-alone
    generic test means:
    - not_null: [columns]: no null;
    - unique: [columns]: no non-null value twice (nulls pass, as dbt's `unique`); failing_rows counts the
      surplus copies;
    - not_negative: [columns]: nothing below zero (null passes);
    - accepted_values: {column: [values]}: every non-null value is one of the values (quoted as dbt does);
    - accepted_range: {column: {min_value, max_value, inclusive}}: as `accepted_range` (null passes);
    - expression_is_true: {column: expression}: as `expression_is_true` under that column (null fails);
    - relationships: {column: {to: ref('parent'), field: parent_column}}: every non-null value is a
      `field` of `to` (as dbt's `relationships`); failing_rows counts the orphan rows. Each parent's
      distinct keys are left-joined to the model, so the model is still scanned once for every check;
    - expressions: {name: expression}: row-level rules over several columns, each true on every row (null
      fails), as a model-level `expression_is_true` named `name`;
    - unique_combinations: [[columns], ...]: no combination of the columns occurs twice (nulls equal, as
      `unique_combination_of_columns`' group by); failing_rows counts the surplus rows. -#}
{% test column_checks(
    model,
    not_null=[],
    unique=[],
    not_negative=[],
    accepted_values={},
    accepted_range={},
    expression_is_true={},
    relationships={},
    expressions={},
    unique_combinations=[]
) %}
    {%- set checks = [] -%}
    {%- for column in not_null -%}
        {%- do checks.append((column ~ ' not_null', 'sum(case when ' ~ column ~ ' is null then 1 else 0 end)')) -%}
    {%- endfor -%}
    {%- for column in unique -%}
        {%- do checks.append((column ~ ' unique', 'count(' ~ column ~ ') - count(distinct ' ~ column ~ ')')) -%}
    {%- endfor -%}
    {%- for column in not_negative -%}
        {%- do checks.append((column ~ ' not_negative', 'sum(case when ' ~ column ~ ' < 0 then 1 else 0 end)')) -%}
    {%- endfor -%}
    {%- for column, values in accepted_values.items() -%}
        {%- set quoted = [] -%}
        {%- for value in values -%}
            {%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {%- do checks.append((
            column ~ ' accepted_values',
            'sum(case when ' ~ column ~ ' not in (' ~ quoted | join(', ') ~ ') then 1 else 0 end)'
        )) -%}
    {%- endfor -%}
    {%- for column, bounds in accepted_range.items() -%}
        {%- set inclusive = bounds.get('inclusive', true) -%}
        {%- set outside = [] -%}
        {%- if bounds.get('min_value') is not none -%}
            {%- do outside.append(column ~ (' < ' if inclusive else ' <= ') ~ bounds['min_value']) -%}
        {%- endif -%}
        {%- if bounds.get('max_value') is not none -%}
            {%- do outside.append(column ~ (' > ' if inclusive else ' >= ') ~ bounds['max_value']) -%}
        {%- endif -%}
        {%- if not outside -%}
            {{ exceptions.raise_compiler_error('column_checks: accepted_range of ' ~ column ~ ' needs a bound') }}
        {%- endif -%}
        {%- do checks.append((
            column ~ ' accepted_range',
            'sum(case when ' ~ outside | join(' or ') ~ ' then 1 else 0 end)'
        )) -%}
    {%- endfor -%}
    {%- for column, expression in expression_is_true.items() -%}
        {%- do checks.append((
            column ~ ' expression_is_true',
            'sum(case when not coalesce(' ~ column_expression(column, expression) ~ ', false) then 1 else 0 end)'
        )) -%}
    {%- endfor -%}
    {%- for name, expression in expressions.items() -%}
        {%- do checks.append((name, 'sum(case when not coalesce(' ~ expression ~ ', false) then 1 else 0 end)')) -%}
    {%- endfor -%}
    {%- for column, parent in relationships.items() -%}
        {%- do checks.append((
            column ~ ' relationships',
            'sum(case when checked_rows.' ~ column ~ ' is not null and parent_keys_' ~ loop.index
                ~ '.parent_key is null then 1 else 0 end)'
        )) -%}
    {%- endfor -%}
    {%- if unique_combinations -%}
        {%- do checks.append(('', 'count(*)')) -%}
    {%- endif -%}
    {%- if not checks -%}
        {{ exceptions.raise_compiler_error('column_checks on ' ~ model ~ ' lists no check') }}
    {%- endif %}

    with
    {%- for column, parent in relationships.items() %}

    parent_keys_{{ loop.index }} as (
        select distinct {{ parent['field'] }} as parent_key
        from {{ parent['to'] }}
    ),
    {%- endfor %}

    {%- for columns in unique_combinations %}

    combinations_{{ loop.index }} as (
        select count(*) as combination_count
        from (
            select distinct {{ columns | join(', ') }}
            from {{ model }}
        ) as distinct_combinations
    ),
    {%- endfor %}

    counted as (
        select
            {%- for check in checks %}
            {{ check[1] }} as failing_{{ loop.index }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ model }} as checked_rows
        {%- for column in relationships %}
        left join parent_keys_{{ loop.index }}
            on checked_rows.{{ column }} = parent_keys_{{ loop.index }}.parent_key
        {%- endfor %}
    ),

    checked as (
        {%- for check in checks if check[0] %}
        select
            '{{ check[0] }}' as check_name,
            failing_{{ loop.index }} as failing_rows
        from counted
        {{ 'union all' if not loop.last or unique_combinations }}
        {%- endfor %}
        {%- for columns in unique_combinations %}
        select
            '{{ columns | join(", ") }} unique_combination' as check_name,
            counted.failing_{{ checks | length }} - combinations_{{ loop.index }}.combination_count
                as failing_rows
        from counted
        cross join combinations_{{ loop.index }}
        {{ 'union all' if not loop.last }}
        {%- endfor %}
    )

    select * from checked
    where failing_rows > 0
{% endtest %}

{#- The condition `expression_is_true` checks under a column: an expression that starts with an operator
    (`>= 0`, `in ('a', 'b')`, `is not null`) applies to the column, as in dbt_utils; a full expression is
    used as written. -#}
{% macro column_expression(column_name, expression) %}
    {%- set lowered = expression | trim | lower -%}
    {%- set state = namespace(on_column=false) -%}
    {%- if column_name is not none -%}
        {%- for operator in ['=', '<', '>', '!', 'is ', 'in ', 'in(', 'not ', 'between ', 'like ', 'ilike '] -%}
            {%- if lowered[:operator | length] == operator -%}
                {%- set state.on_column = true -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{- column_name ~ ' ' ~ expression if state.on_column else expression -}}
{% endmacro %}
