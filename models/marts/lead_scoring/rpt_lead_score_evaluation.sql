{#- One row per score (`predictive`, `lead_score`, `fit_score`, `engagement_score`) and segment of the hold-out
    (fct_lead_score_holdout_outcomes): the whole hold-out (`segment` = 'all': ROC AUC, PR AUC, Brier score) and
    each decile of people ranked by the score (`segment` = 'decile', 1 = highest scores: lift and the
    reliability table, mean predicted probability against the observed rate). See the doc block
    `lead_scoring__evaluation`. -#}

{%- set scores = {
    'predictive': ['predictive_probability', 'predictive_probability'],
    'lead_score': ['lead_score', 'lead_score_probability'],
    'fit_score': ['fit_score', 'fit_score_probability'],
    'engagement_score': ['engagement_score', 'engagement_score_probability'],
} -%}

with

outcomes as (
    select
        person_id,
        cutoff_date,
        horizon_days,
        became_opportunity_within_horizon,
        predictive_probability,
        lead_score,
        lead_score_probability,
        fit_score,
        fit_score_probability,
        engagement_score,
        engagement_score_probability
    from {{ ref('fct_lead_score_holdout_outcomes') }}
),

-- Each person once per score: the value people are ranked by and the probability it stands for.
scores as (
    {%- for score_name, columns in scores.items() %}
        select
            '{{ score_name }}' as score_name,
            person_id,
            cutoff_date,
            horizon_days,
            cast({{ columns[0] }} as {{ type_double() }}) as score,
            cast({{ columns[1] }} as {{ type_double() }}) as probability,
            case when became_opportunity_within_horizon then 1 else 0 end as is_positive
        from outcomes
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

totals as (
    select
        score_name,
        min(cutoff_date) as cutoff_date,
        min(horizon_days) as horizon_days,
        count(*) as people,
        sum(is_positive) as positives,
        avg(probability) as mean_predicted_probability,
        avg((probability - is_positive) * (probability - is_positive)) as brier_score
    from scores
    group by score_name
),

score_ranges as (
    select
        score_name,
        min(score) as min_score,
        max(score) as max_score
    from scores
    group by score_name
),

score_values as (
    select
        score_name,
        score,
        count(*) as people_at_score,
        sum(is_positive) as positives_at_score
    from scores
    group by score_name, score
),

score_values_cumulated as (
    select
        score_name,
        score,
        people_at_score,
        positives_at_score,
        sum(people_at_score) over (
            partition by score_name order by score asc rows between unbounded preceding and current row
        ) - people_at_score as people_below,
        sum(people_at_score) over (
            partition by score_name order by score desc rows between unbounded preceding and current row
        ) as people_at_or_above,
        sum(positives_at_score) over (
            partition by score_name order by score desc rows between unbounded preceding and current row
        ) as positives_at_or_above
    from score_values
),

-- ROC AUC as the Mann-Whitney statistic: the positives' ranks (ties share their average rank), less the
-- smallest possible sum, over positives x negatives. PR AUC as average precision: the precision at each
-- distinct score, weighted by the share of the positives at that score (scikit-learn's definition).
ranking_metrics as (
    select
        score_values_cumulated.score_name,
        case
            when totals.positives > 0 and totals.people > totals.positives
                then
                    (
                        sum(
                            score_values_cumulated.positives_at_score
                            * (score_values_cumulated.people_below + (score_values_cumulated.people_at_score + 1) / 2.0)
                        )
                        - totals.positives * (totals.positives + 1) / 2.0
                    )
                    / (cast(totals.positives as {{ type_double() }}) * (totals.people - totals.positives))
        end as roc_auc,
        case
            when totals.positives > 0
                then
                    sum(
                        cast(score_values_cumulated.positives_at_score as {{ type_double() }})
                        / totals.positives
                        * score_values_cumulated.positives_at_or_above
                        / score_values_cumulated.people_at_or_above
                    )
        end as pr_auc
    from score_values_cumulated
    inner join totals
        on score_values_cumulated.score_name = totals.score_name
    group by score_values_cumulated.score_name, totals.positives, totals.people
),

-- Deciles: people ranked by the score, highest first (ties by person_id), cut into ten groups of equal size.
scores_ranked as (
    select
        score_name,
        person_id,
        score,
        probability,
        is_positive,
        ntile(10) over (partition by score_name order by score desc, person_id asc) as decile
    from scores
),

deciles as (
    select
        score_name,
        decile,
        count(*) as people,
        sum(is_positive) as positives,
        avg(probability) as mean_predicted_probability,
        avg((probability - is_positive) * (probability - is_positive)) as brier_score,
        min(score) as min_score,
        max(score) as max_score
    from scores_ranked
    group by score_name, decile
),

overall_rows as (
    select
        totals.score_name,
        'all' as segment,
        cast(null as {{ dbt.type_int() }}) as decile,
        totals.cutoff_date,
        totals.horizon_days,
        totals.people,
        totals.positives,
        cast(totals.positives as {{ type_double() }}) / totals.people as observed_rate,
        totals.mean_predicted_probability,
        totals.brier_score,
        cast(1.0 as {{ type_double() }}) as lift,
        ranking_metrics.roc_auc,
        ranking_metrics.pr_auc,
        score_ranges.min_score,
        score_ranges.max_score
    from totals
    inner join ranking_metrics
        on totals.score_name = ranking_metrics.score_name
    inner join score_ranges
        on totals.score_name = score_ranges.score_name
),

decile_rows as (
    select
        deciles.score_name,
        'decile' as segment,
        deciles.decile,
        totals.cutoff_date,
        totals.horizon_days,
        deciles.people,
        deciles.positives,
        cast(deciles.positives as {{ type_double() }}) / deciles.people as observed_rate,
        deciles.mean_predicted_probability,
        deciles.brier_score,
        case
            when totals.positives > 0
                then
                    (cast(deciles.positives as {{ type_double() }}) / deciles.people)
                    / (cast(totals.positives as {{ type_double() }}) / totals.people)
        end as lift,
        cast(null as {{ type_double() }}) as roc_auc,
        cast(null as {{ type_double() }}) as pr_auc,
        deciles.min_score,
        deciles.max_score
    from deciles
    inner join totals
        on deciles.score_name = totals.score_name
),

unioned as (
    select * from overall_rows
    union all
    select * from decile_rows
),

final as (
    select
        cast(score_name as {{ dbt.type_string() }}) as score_name,
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(decile as {{ dbt.type_int() }}) as decile,
        cast(cutoff_date as date) as cutoff_date,
        cast(horizon_days as {{ dbt.type_int() }}) as horizon_days,
        cast(people as {{ dbt.type_bigint() }}) as people,
        cast(positives as {{ dbt.type_bigint() }}) as positives,
        cast(observed_rate as {{ type_double() }}) as observed_rate,
        cast(mean_predicted_probability as {{ type_double() }}) as mean_predicted_probability,
        cast(brier_score as {{ type_double() }}) as brier_score,
        cast(lift as {{ type_double() }}) as lift,
        cast(roc_auc as {{ type_double() }}) as roc_auc,
        cast(pr_auc as {{ type_double() }}) as pr_auc,
        cast(min_score as {{ type_double() }}) as min_score,
        cast(max_score as {{ type_double() }}) as max_score
    from unioned
)

select * from final
