with

people as (
    select * from {{ ref('dim_people') }}
),

lead_scores as (
    select * from {{ ref('fct_lead_scores') }}
),

touchpoints as (
    select * from {{ ref('int_touchpoints_unioned') }}
),

attribution as (
    select * from {{ ref('fct_attribution') }}
),

first_touches_ranked as (
    select
        person_id,
        channel,
        row_number() over (partition by person_id order by touched_at asc, touchpoint_id asc) as touch_rank
    from touchpoints
    where person_id is not null
),

first_touch_channels as (
    select
        person_id,
        channel as first_touch_channel
    from first_touches_ranked
    where touch_rank = 1
),

data_driven_credits as (
    select
        person_id,
        channel,
        sum(credit) as channel_credit
    from attribution
    where attribution_model = 'data_driven'
    group by person_id, channel
),

data_driven_ranked as (
    select
        person_id,
        channel,
        row_number() over (partition by person_id order by channel_credit desc, channel asc) as channel_rank
    from data_driven_credits
),

data_driven_channels as (
    select
        person_id,
        channel as data_driven_channel
    from data_driven_ranked
    where channel_rank = 1
),

final as (
    select
        people.person_id,
        people.hubspot_contact_id,
        people.salesforce_lead_id,
        people.salesforce_contact_id,
        lead_scores.as_of_date,
        lead_scores.lead_score,
        lead_scores.lead_grade,
        lead_scores.priority_tier,
        {{ round_number('lead_scores.predictive_probability', 4) }} as predictive_probability,
        {{ dbt.concat([
            "coalesce(lead_scores.top_rule_signal_1, '')",
            "case when lead_scores.top_rule_signal_2 is not null then "
            ~ "'; ' || lead_scores.top_rule_signal_2 else '' end",
            "case when lead_scores.top_rule_signal_3 is not null then "
            ~ "'; ' || lead_scores.top_rule_signal_3 else '' end",
        ]) }} as top_reasons,
        first_touch_channels.first_touch_channel,
        data_driven_channels.data_driven_channel,
        people.became_mql_at,
        people.became_sql_at,
        people.lifecycle_stage
    from people
    inner join lead_scores
        on people.person_id = lead_scores.person_id
    left join first_touch_channels
        on people.person_id = first_touch_channels.person_id
    left join data_driven_channels
        on people.person_id = data_driven_channels.person_id
    where not people.is_deleted
)

select * from final
