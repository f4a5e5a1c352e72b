{#- Fails with every attribution model, conversion type and lifecycle stage whose count in fct_marketing_roi
    (new leads, MQLs, SQLs, opportunities, customers, with `Unattributed`) differs from the number of people
    (not deleted) who reached that stage: nobody is left out, nobody counted twice. -#}

{%- set stages = ['lead', 'mql', 'sql', 'opportunity', 'customer'] %}

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

marketing_roi as (
    select
        attribution_model,
        conversion_type,
        new_leads,
        new_mqls,
        new_sqls,
        new_opportunities,
        new_customers
    from {{ ref('fct_marketing_roi') }}
),

people_totals as (
    select
        {%- for stage in stages %}
            count(lifecycles.became_{{ stage }}_at) as people_{{ stage }}{{ "," if not loop.last }}
        {%- endfor %}
    from lifecycles
    inner join people
        on lifecycles.person_id = people.person_id
),

roi_totals as (
    select
        attribution_model,
        conversion_type,
        sum(new_leads) as roi_lead,
        sum(new_mqls) as roi_mql,
        sum(new_sqls) as roi_sql,
        sum(new_opportunities) as roi_opportunity,
        sum(new_customers) as roi_customer
    from marketing_roi
    group by
        attribution_model,
        conversion_type
),

final as (
    select
        roi_totals.*,
        people_totals.*
    from roi_totals
    cross join people_totals
    where
        {%- for stage in stages %}
            roi_totals.roi_{{ stage }} <> people_totals.people_{{ stage }}{{ " or" if not loop.last }}
        {%- endfor %}
)

select * from final
