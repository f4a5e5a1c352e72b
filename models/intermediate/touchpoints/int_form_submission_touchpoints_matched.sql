{#- One row per HubSpot form submission of a known person (the submitter by e-mail), as a touchpoint, with
    the web session it was submitted in: the person's latest session started at or before the submission
    that had not timed out by then. A form on an untagged page takes the source of that session. -#}

{{ config(enabled=var('hubspot_enabled')) }}

with

form_submissions as (
    select
        form_submission_id,
        form_id,
        submitted_at,
        page_url,
        email,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term
    from {{ ref('stg_hubspot__form_submissions') }}
    where is_valid_email
),

web_sessions as (
    select
        session_id,
        person_id,
        started_at,
        ended_at,
        referrer_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type
    from {{ ref('int_web_sessions_aggregated') }}
),

people as (
    select
        person_id,
        email
    from {{ ref('int_people_resolved') }}
    where
        email is not null
        and not is_deleted
),

form_submitters as (
    select
        form_submissions.form_submission_id,
        form_submissions.form_id,
        form_submissions.submitted_at,
        form_submissions.page_url,
        form_submissions.utm_source,
        form_submissions.utm_medium,
        form_submissions.utm_campaign,
        form_submissions.utm_content,
        form_submissions.utm_term,
        people.person_id,
        form_submissions.utm_source is not null or form_submissions.utm_medium is not null as has_own_utms
    from form_submissions
    inner join people
        on form_submissions.email = people.email
),

form_sessions_ranked as (
    select
        form_submitters.form_submission_id,
        web_sessions.session_id,
        row_number() over (
            partition by form_submitters.form_submission_id
            order by web_sessions.started_at desc, web_sessions.session_id asc
        ) as session_rank
    from form_submitters
    inner join web_sessions
        on
            form_submitters.person_id = web_sessions.person_id
            and form_submitters.submitted_at >= web_sessions.started_at
            and form_submitters.submitted_at
            <= {{ dbt.dateadd('minute', var('session_timeout_minutes'), 'web_sessions.ended_at') }}
),

form_touches as (
    select
        'form_submission' as touchpoint_type,
        'hubspot' as source_system,
        form_submitters.form_submission_id as source_record_id,
        form_submitters.person_id,
        form_submitters.submitted_at as touched_at,
        web_sessions.session_id as web_session_id,
        web_sessions.session_id is not null as is_part_of_web_session,
        form_submitters.page_url as url,
        -- A form on an untagged page takes the source of the visit it was submitted in.
        case
            when not form_submitters.has_own_utms
                then web_sessions.referrer_domain
        end as referrer_domain,
        case
            when not form_submitters.has_own_utms
                then web_sessions.utm_source
            else form_submitters.utm_source
        end as utm_source,
        case
            when not form_submitters.has_own_utms
                then web_sessions.utm_medium
            else form_submitters.utm_medium
        end as utm_medium,
        case
            when not form_submitters.has_own_utms
                then web_sessions.utm_campaign
            else form_submitters.utm_campaign
        end as utm_campaign,
        case
            when not form_submitters.has_own_utms
                then web_sessions.utm_content
            else form_submitters.utm_content
        end as utm_content,
        case
            when not form_submitters.has_own_utms
                then web_sessions.utm_term
            else form_submitters.utm_term
        end as utm_term,
        case
            when not form_submitters.has_own_utms
                then web_sessions.click_id_type
            else {{ click_id_type('form_submitters.page_url') }}
        end as click_id_type,
        form_submitters.form_id
    from form_submitters
    left join form_sessions_ranked
        on
            form_submitters.form_submission_id = form_sessions_ranked.form_submission_id
            and form_sessions_ranked.session_rank = 1
    left join web_sessions
        on form_sessions_ranked.session_id = web_sessions.session_id
),

final as (
    select
        touchpoint_type,
        source_system,
        source_record_id,
        person_id,
        touched_at,
        web_session_id,
        is_part_of_web_session,
        url,
        referrer_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        form_id,
        cast(null as {{ dbt.type_string() }}) as email_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_type,
        {{ traffic_source('utm_source', 'utm_medium', 'click_id_type', 'referrer_domain') }} as traffic_source,
        {{ traffic_medium('utm_source', 'utm_medium', 'click_id_type', 'referrer_domain') }} as traffic_medium
    from form_touches
)

select * from final
