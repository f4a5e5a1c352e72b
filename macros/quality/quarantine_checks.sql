{#- The rows that fail any of `checks`, as `union all` of one select per check: source_system, source_table,
    record_id, reason, detail, is_record_excluded. Each check is a dict of SQL expressions over the columns of
    its `relation` (a CTE of the calling model): `source_system`, `source_table`, `record_id`, `reason`,
    `detail`, `is_record_excluded` and `where` (the failing rows). Two optional keys:
    - `missing_from: {relation, key, on}`: the row fails when no row of that relation has `on` equal to the
      row's `key` (a dangling reference; a null `key` is dangling too); ANDed with `where`, if any;
    - `null_key`: a column; the reason becomes `null_key` where it is null (the reference is absent, not
      dangling).
    The relation is read `as` itself: Spark (ANSI mode off, as dbt-spark runs it) parses `from t where (c)`
    as the table alias `where` with a column list `(c)` rather than a filter. -#}
{% macro quarantine_checks(checks) -%}
    {%- for check in checks %}
    {%- set reason = check.reason %}
    {%- if check.null_key %}
        {%- set reason = "case when " ~ check.null_key ~ " is null then 'null_key' else " ~ check.reason ~ " end" %}
    {%- endif %}
    {%- set conditions = [] %}
    {%- if check.where %}{% do conditions.append('(' ~ check.where ~ ')') %}{% endif %}
    {%- if check.missing_from %}
        {%- do conditions.append(
            'not exists (select 1 from ' ~ check.missing_from.relation ~ ' where '
            ~ check.missing_from.relation ~ '.' ~ check.missing_from.on ~ ' = '
            ~ check.relation ~ '.' ~ check.missing_from.key ~ ')'
        ) %}
    {%- endif %}
    select
        {{ check.source_system }} as source_system,
        {{ check.source_table }} as source_table,
        {{ check.record_id }} as record_id,
        {{ reason }} as reason,
        {{ check.detail }} as detail,
        {{ check.is_record_excluded }} as is_record_excluded
    from {{ check.relation }} as {{ check.relation }}
    where {{ conditions | join('\n        and ') }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
