{#- A post-hook of the keyed incremental models: after an incremental run, delete the rows whose `key` the
    `parent` no longer holds (a deleted or merged-away contact), which delete+insert of the changed keys alone
    would keep. Empty, so dbt runs nothing, on a full build or where incremental_by_key() is false. -#}

{% macro delete_unknown_keys(target_relation, key, parent, parent_key, parent_filter='true') %}
    {%- if incremental_by_key() -%}
        delete from {{ target_relation }}
        where not exists (
            select 1
            from {{ parent }} as parent_rows
            where
                parent_rows.{{ parent_key }} = {{ target_relation }}.{{ key }}
                and ({{ parent_filter }})
        )
    {%- endif -%}
{% endmacro %}
