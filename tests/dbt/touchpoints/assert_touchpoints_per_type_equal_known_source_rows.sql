-- No fan-out and nothing dropped: per touchpoint type, the touchpoints equal their source rows that have a
-- known person, counted here with `in` lookups (which cannot multiply rows) rather than the model's joins:
-- web sessions = distinct sessions of the sessionized page views; form submissions and e-mail clicks =
-- rows whose (valid) e-mail is a person's e-mail; campaign responses = responded, live memberships of a live
-- campaign whose contact or lead maps to a person. Fails with one row per type whose counts differ.

-- Runs only when the sources it reads are switched on (vars `<source>_enabled`).
{{ config(enabled=var('hubspot_enabled') and var('salesforce_enabled')) }}

with

people_emails as (
    select email
    from {{ ref('int_people_resolved') }}
    where
        email is not null
        and not is_deleted
),

salesforce_records as (
    select
        source_object,
        source_record_id
    from {{ ref('int_person_records_mapped') }}
    where
        source_system = 'salesforce'
        and not is_deleted
),

live_campaigns as (
    select campaign_id
    from {{ ref('stg_salesforce__campaigns') }}
    where not is_deleted
),

expected as (
    select
        'web_session' as touchpoint_type,
        count(distinct session_id) as source_rows
    from {{ ref('int_page_views_sessionized') }}

    union all

    select
        'form_submission' as touchpoint_type,
        count(*) as source_rows
    from {{ ref('stg_hubspot__form_submissions') }}
    where
        is_valid_email
        and email in (select people_emails.email from people_emails)

    union all

    select
        'email_click' as touchpoint_type,
        count(*) as source_rows
    from {{ ref('stg_hubspot__email_events') }}
    where
        event_type = 'click'
        and recipient_email in (select people_emails.email from people_emails)

    union all

    select
        'campaign_response' as touchpoint_type,
        count(*) as source_rows
    from {{ ref('stg_salesforce__campaign_members') }}
    where
        has_responded
        and not is_deleted
        and coalesce(first_responded_date, created_at) is not null
        and campaign_id in (select live_campaigns.campaign_id from live_campaigns)
        and (
            contact_id in (
                select salesforce_records.source_record_id
                from salesforce_records
                where salesforce_records.source_object = 'Contact'
            )
            or lead_id in (
                select salesforce_records.source_record_id
                from salesforce_records
                where salesforce_records.source_object = 'Lead'
            )
        )
),

actual as (
    select
        touchpoint_type,
        count(*) as touchpoints
    from {{ ref('int_touchpoints_unioned') }}
    group by touchpoint_type
),

compared as (
    select
        expected.touchpoint_type,
        expected.source_rows,
        coalesce(actual.touchpoints, 0) as touchpoints
    from expected
    left join actual
        on expected.touchpoint_type = actual.touchpoint_type
)

select * from compared
where source_rows != touchpoints
