{#- One row per person and feature snapshot: the rules-based scores. The fit score puts the person's fit points
    on 0-100 between the lowest and highest totals the seed `lead_scoring_fit_points` allows; the engagement
    score saturates the decayed engagement points (half of 100 at var('lead_scoring_engagement_half_score_points'));
    the lead score weighs them with var('lead_scoring_fit_weight'); the grade and the priority tier follow from
    the thresholds in vars. See the doc block `lead_scoring__rules`. -#}

{%- set grade_thresholds = var('lead_scoring_grade_thresholds') -%}
{%- set tier_thresholds = var('lead_scoring_tier_thresholds') -%}
{%- set fit_weight = var('lead_scoring_fit_weight') -%}

with

features as (
    select
        person_id,
        snapshot_date,
        fit_points,
        engagement_points
    from {{ ref('int_lead_score_features_snapshotted') }}
),

fit_points as (
    select
        attribute,
        points
    from {{ ref('lead_scoring_fit_points') }}
),

-- A person matches at most one row per attribute and gets 0 for an attribute nothing matches, so the totals
-- lie between the sums of each attribute's lowest and highest points, 0 included.
attribute_ranges as (
    select
        attribute,
        case when min(points) < 0 then min(points) else 0 end as min_points,
        case when max(points) > 0 then max(points) else 0 end as max_points
    from fit_points
    group by attribute
),

fit_range as (
    select
        sum(min_points) as min_fit_points,
        sum(max_points) as max_fit_points
    from attribute_ranges
),

scored as (
    select
        features.person_id,
        features.snapshot_date,
        features.fit_points,
        features.engagement_points,
        case
            when fit_range.max_fit_points > fit_range.min_fit_points
                then
                    100.0 * (features.fit_points - fit_range.min_fit_points)
                    / (fit_range.max_fit_points - fit_range.min_fit_points)
            else 0.0
        end as fit_score,
        case
            when features.engagement_points > 0
                then
                    100.0 * features.engagement_points
                    / (features.engagement_points + {{ var('lead_scoring_engagement_half_score_points') }})
            else 0.0
        end as engagement_score
    from features
    cross join fit_range
),

combined as (
    select
        person_id,
        snapshot_date,
        fit_points,
        engagement_points,
        fit_score,
        engagement_score,
        {{ fit_weight }} * fit_score + (1 - {{ fit_weight }}) * engagement_score as lead_score
    from scored
),

final as (
    select
        person_id,
        snapshot_date,
        fit_points,
        engagement_points,
        {{ round_number('fit_score', 1) }} as fit_score,
        {{ round_number('engagement_score', 1) }} as engagement_score,
        {{ round_number('lead_score', 1) }} as lead_score,
        case
            when {{ round_number('lead_score', 1) }} >= {{ grade_thresholds[0] }} then 'A'
            when {{ round_number('lead_score', 1) }} >= {{ grade_thresholds[1] }} then 'B'
            when {{ round_number('lead_score', 1) }} >= {{ grade_thresholds[2] }} then 'C'
            else 'D'
        end as lead_grade,
        case
            when
                {{ round_number('fit_score', 1) }} >= {{ tier_thresholds['fit_score'] }}
                and {{ round_number('engagement_score', 1) }} >= {{ tier_thresholds['engagement_score'] }}
                then 1
            when {{ round_number('fit_score', 1) }} >= {{ tier_thresholds['fit_score'] }} then 2
            when {{ round_number('engagement_score', 1) }} >= {{ tier_thresholds['engagement_score'] }} then 3
            else 4
        end as priority_tier
    from combined
)

select * from final
