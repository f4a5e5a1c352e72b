-- No feature snapshot counts an event at or after its snapshot date. Recounts, for every person and snapshot,
-- the person's signals strictly before midnight of the snapshot date, and fails with every snapshot row whose
-- signal count or latest signal differs, or whose latest counted signal is not before the snapshot. Counts only
-- grow with time, so a single event at or after the snapshot makes its count exceed the recount.

with

features as (
    select
        person_id,
        snapshot_date,
        signal_count,
        last_signal_at
    from {{ ref('int_lead_score_features_snapshotted') }}
),

signals as (
    select
        person_id,
        occurred_at
    from {{ ref('int_lead_score_signals_listed') }}
),

recounted as (
    select
        features.person_id,
        features.snapshot_date,
        count(signals.occurred_at) as signal_count,
        max(signals.occurred_at) as last_signal_at
    from features
    left join signals
        on
            features.person_id = signals.person_id
            and signals.occurred_at < cast(features.snapshot_date as {{ dbt.type_timestamp() }})
    group by features.person_id, features.snapshot_date
)

select
    features.person_id,
    features.snapshot_date,
    features.signal_count,
    recounted.signal_count as signals_before_snapshot,
    features.last_signal_at,
    recounted.last_signal_at as last_signal_before_snapshot_at
from features
inner join recounted
    on
        features.person_id = recounted.person_id
        and features.snapshot_date = recounted.snapshot_date
where
    features.signal_count != recounted.signal_count
    or features.last_signal_at >= cast(features.snapshot_date as {{ dbt.type_timestamp() }})
    or coalesce(features.last_signal_at, cast('1900-01-01' as {{ dbt.type_timestamp() }}))
    != coalesce(recounted.last_signal_at, cast('1900-01-01' as {{ dbt.type_timestamp() }}))
