{#- Fails with every lifecycle stage whose count in fct_marketing_performance_monthly (new leads, MQLs, SQLs,
    opportunities, customers, with `Unattributed`) or in rpt_marketing_roi (leads, MQLs, SQLs) differs from the
    number of people (not deleted) who reached that stage: nobody is left out, nobody counted twice. -#}

{%- set stages = ['lead', 'mql', 'sql', 'opportunity', 'customer'] %}
{%- set report_stages = ['lead', 'mql', 'sql'] %}

with

lifecycles as (
    select
        person_id,
        {%- for stage in stages %}
            became_{{ stage }}_at{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('int_people_lifecycle_dated') }}
),

people as (
    select person_id
    from {{ ref('int_people_resolved') }}
    where not is_deleted
),

performance as (
    select
        {%- for stage in stages %}
            new_{{ stage }}s{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('fct_marketing_performance_monthly') }}
),

roi as (
    select
        {%- for stage in report_stages %}
            new_{{ stage }}s{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('rpt_marketing_roi') }}
),

people_totals as (
    {%- for stage in stages %}
        select
            '{{ stage }}' as lifecycle_stage,
            count(lifecycles.became_{{ stage }}_at) as people
        from lifecycles
        inner join people
            on lifecycles.person_id = people.person_id
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

mart_totals as (
    {%- for stage in stages %}
        select
            'fct_marketing_performance_monthly' as mart,
            '{{ stage }}' as lifecycle_stage,
            coalesce(sum(new_{{ stage }}s), 0) as counted
        from performance
        union all
    {%- endfor %}
    {%- for stage in report_stages %}
        select
            'rpt_marketing_roi' as mart,
            '{{ stage }}' as lifecycle_stage,
            coalesce(sum(new_{{ stage }}s), 0) as counted
        from roi
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select
        mart_totals.mart,
        mart_totals.lifecycle_stage,
        mart_totals.counted,
        people_totals.people
    from mart_totals
    inner join people_totals
        on mart_totals.lifecycle_stage = people_totals.lifecycle_stage
    where mart_totals.counted <> people_totals.people
)

select * from final
