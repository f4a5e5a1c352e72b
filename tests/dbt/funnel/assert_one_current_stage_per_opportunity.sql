-- Every opportunity with stage history has exactly one current stage, its last entry: stage_sequence runs
-- 1..n without gaps, and each entry but the last exits when the next one enters. Fails with one row per
-- opportunity that breaks this.

with

stages as (
    select
        opportunity_id,
        stage_sequence,
        entered_at,
        exited_at,
        is_current,
        lead(entered_at) over (
            partition by opportunity_id
            order by stage_sequence
        ) as next_entered_at
    from {{ ref('int_opportunity_stages_sequenced') }}
),

per_opportunity as (
    select
        opportunity_id,
        count(*) as entries,
        max(stage_sequence) as last_sequence,
        sum(case when is_current then 1 else 0 end) as current_entries,
        max(case when is_current then stage_sequence end) as current_sequence,
        sum(
            case
                when next_entered_at is not null and (exited_at is null or exited_at != next_entered_at) then 1
                else 0
            end
        ) as broken_exits
    from stages
    group by opportunity_id
)

select * from per_opportunity
where
    current_entries != 1
    or current_sequence != last_sequence
    or last_sequence != entries
    or broken_exits > 0
