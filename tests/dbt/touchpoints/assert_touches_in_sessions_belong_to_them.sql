-- A form submission or e-mail click flagged as part of a web session belongs to a session of the same
-- person, at a time that fits: the form submitted after the session started and within the timeout of its
-- last page view, the click before the session it opened started (within the timeout). Fails with every
-- touch that does not fit its session.

-- Runs only when the sources it reads are switched on (vars `<source>_enabled`).
{{ config(enabled=var('hubspot_enabled')) }}

with

touchpoints as (
    select
        touchpoint_id,
        touchpoint_type,
        person_id,
        touched_at,
        web_session_id
    from {{ ref('int_touchpoints_unioned') }}
    where is_part_of_web_session
),

sessions as (
    select
        session_id,
        person_id,
        started_at,
        ended_at
    from {{ ref('int_web_sessions_aggregated') }}
)

select
    touchpoints.touchpoint_id,
    touchpoints.touchpoint_type,
    touchpoints.touched_at,
    sessions.started_at,
    sessions.ended_at
from touchpoints
left join sessions
    on touchpoints.web_session_id = sessions.session_id
where
    sessions.session_id is null
    or touchpoints.touchpoint_type not in ('form_submission', 'email_click')
    or sessions.person_id != touchpoints.person_id
    or (
        touchpoints.touchpoint_type = 'form_submission'
        and (
            touchpoints.touched_at < sessions.started_at
            or touchpoints.touched_at
            > {{ dbt.dateadd('minute', var('session_timeout_minutes'), 'sessions.ended_at') }}
        )
    )
    or (
        touchpoints.touchpoint_type = 'email_click'
        and (
            sessions.started_at < touchpoints.touched_at
            or sessions.started_at
            > {{ dbt.dateadd('minute', var('session_timeout_minutes'), 'touchpoints.touched_at') }}
        )
    )
