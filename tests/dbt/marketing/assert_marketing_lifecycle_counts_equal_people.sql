{#- Fails with every lifecycle stage whose count in fct_marketing_performance_monthly (new leads, MQLs, SQLs,
    opportunities, customers, with `Unattributed`) or in rpt_marketing_roi (leads, MQLs, SQLs) differs from the
    number of people (not deleted) who reached that stage: nobody is left out, nobody counted twice. -#}

{%- set stages = {
    'lead': 'leads',
    'mql': 'mqls',
    'sql': 'sqls',
    'opportunity': 'opportunities',
    'customer': 'customers',
} %}
{%- set report_stages = {'lead': 'leads', 'mql': 'mqls', 'sql': 'sqls'} %}

with

lifecycles as (
    select
        person_id,
        became_lead_at,
        became_mql_at,
        became_sql_at,
        became_opportunity_at,
        became_customer_at
    from {{ ref('int_people_lifecycle_dated') }}
),

people as (
    select person_id
    from {{ ref('int_people_resolved') }}
    where not is_deleted
),

performance as (
    select
        new_leads,
        new_mqls,
        new_sqls,
        new_opportunities,
        new_customers
    from {{ ref('fct_marketing_performance_monthly') }}
),

roi as (
    select
        new_leads,
        new_mqls,
        new_sqls
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
    {%- for stage, counted in stages.items() %}
        select
            'fct_marketing_performance_monthly' as mart,
            '{{ stage }}' as lifecycle_stage,
            coalesce(sum(new_{{ counted }}), 0) as counted
        from performance
        union all
    {%- endfor %}
    {%- for stage, counted in report_stages.items() %}
        select
            'rpt_marketing_roi' as mart,
            '{{ stage }}' as lifecycle_stage,
            coalesce(sum(new_{{ counted }}), 0) as counted
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
