-- Sessions hold exactly the sessionized page views: per session, `page_views` equals the page views
-- carrying its session_id, and no page view belongs to a session that is not there. Fails with one row per
-- session whose counts differ (or that exists on one side only).

-- Runs only when the sources it reads are switched on (vars `<source>_enabled`).
{{ config(enabled=var('hubspot_enabled')) }}

with

sessionized_counts as (
    select
        session_id,
        count(*) as page_views
    from {{ ref('int_page_views_sessionized') }}
    group by session_id
),

sessions as (
    select
        session_id,
        page_views
    from {{ ref('int_web_sessions_aggregated') }}
),

compared as (
    select
        sessions.page_views as session_page_views,
        sessionized_counts.page_views as sessionized_page_views,
        coalesce(sessions.session_id, sessionized_counts.session_id) as session_id
    from sessions
    full outer join sessionized_counts
        on sessions.session_id = sessionized_counts.session_id
)

select * from compared
where
    session_page_views is null
    or sessionized_page_views is null
    or session_page_views != sessionized_page_views
