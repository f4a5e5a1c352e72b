{#- One row per marketing touch of a known person, from four sources: web sessions (HubSpot page views),
    HubSpot form submissions, HubSpot marketing e-mail clicks and Salesforce campaign responses. Each touch
    gets a traffic source and medium (its UTMs, else what its click id, referrer or CRM campaign says) and
    the channel the seed `channel_mapping` gives them; paid touches also get their ad platform, campaign
    key (the key of int_ad_spend_days_unioned) and ad. -#}

with

web_sessions as (
    select
        session_id,
        person_id,
        started_at,
        ended_at,
        landing_url,
        referrer_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type
    from {{ ref('int_web_sessions_aggregated') }}
),

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

email_events as (
    select
        email_event_id,
        email_campaign_id,
        recipient_email,
        url,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        occurred_at
    from {{ ref('stg_hubspot__email_events') }}
    where event_type = 'click'
),

campaign_members as (
    select
        campaign_member_id,
        campaign_id,
        lead_id,
        contact_id,
        first_responded_date,
        created_at
    from {{ ref('stg_salesforce__campaign_members') }}
    where
        has_responded
        and not is_deleted
),

campaigns as (
    select
        campaign_id,
        campaign_type
    from {{ ref('stg_salesforce__campaigns') }}
    where not is_deleted
),

person_records as (
    select
        source_system,
        source_object,
        source_record_id,
        person_id
    from {{ ref('int_person_records_mapped') }}
    where not is_deleted
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

channel_mapping as (
    select
        source_pattern,
        medium_pattern,
        channel,
        priority
    from {{ ref('channel_mapping') }}
),

-- Web sessions -------------------------------------------------------------------------------------------
session_touches as (
    select
        'web_session' as touchpoint_type,
        'hubspot' as source_system,
        session_id as source_record_id,
        person_id,
        started_at as touched_at,
        session_id as web_session_id,
        false as is_part_of_web_session,
        landing_url as url,
        referrer_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        cast(null as {{ dbt.type_string() }}) as form_id,
        cast(null as {{ dbt.type_string() }}) as email_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_type
    from web_sessions
),

-- Form submissions: the submitter by e-mail, and the web session the form was submitted in (the person's
-- latest session started at or before the submission that had not timed out by then). --------------------
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
            <= {{ dbt.dateadd('minute', var('session_timeout_minutes', 30), 'web_sessions.ended_at') }}
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
        form_submitters.form_id,
        cast(null as {{ dbt.type_string() }}) as email_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_type
    from form_submitters
    left join form_sessions_ranked
        on
            form_submitters.form_submission_id = form_sessions_ranked.form_submission_id
            and form_sessions_ranked.session_rank = 1
    left join web_sessions
        on form_sessions_ranked.session_id = web_sessions.session_id
),

-- E-mail clicks: the recipient by e-mail (people's e-mails are unique, so a shared address never fans
-- out), and the web session the click opened (the first one on the same e-mail campaign's link within the
-- session timeout). ---------------------------------------------------------------------------------------
email_clickers as (
    select
        email_events.email_event_id,
        email_events.email_campaign_id,
        email_events.url,
        email_events.utm_source,
        email_events.utm_medium,
        email_events.utm_campaign,
        email_events.utm_content,
        email_events.occurred_at,
        people.person_id
    from email_events
    inner join people
        on email_events.recipient_email = people.email
),

email_sessions_ranked as (
    select
        email_clickers.email_event_id,
        web_sessions.session_id,
        row_number() over (
            partition by email_clickers.email_event_id
            order by web_sessions.started_at, web_sessions.session_id
        ) as session_rank
    from email_clickers
    inner join web_sessions
        on
            email_clickers.person_id = web_sessions.person_id
            and email_clickers.occurred_at <= web_sessions.started_at
            and web_sessions.started_at
            <= {{ dbt.dateadd('minute', var('session_timeout_minutes', 30), 'email_clickers.occurred_at') }}
            and coalesce(web_sessions.utm_source, '') = coalesce(email_clickers.utm_source, '')
            and coalesce(web_sessions.utm_medium, '') = coalesce(email_clickers.utm_medium, '')
            and coalesce(web_sessions.utm_campaign, '') = coalesce(email_clickers.utm_campaign, '')
),

email_touches as (
    select
        'email_click' as touchpoint_type,
        'hubspot' as source_system,
        email_clickers.email_event_id as source_record_id,
        email_clickers.person_id,
        email_clickers.occurred_at as touched_at,
        email_sessions_ranked.session_id as web_session_id,
        email_sessions_ranked.session_id is not null as is_part_of_web_session,
        email_clickers.url,
        cast(null as {{ dbt.type_string() }}) as referrer_domain,
        -- HubSpot's e-mail links carry their UTMs; a link without them is still an e-mail touch.
        coalesce(email_clickers.utm_source, 'hubspot') as utm_source,
        coalesce(email_clickers.utm_medium, 'email') as utm_medium,
        email_clickers.utm_campaign,
        email_clickers.utm_content,
        cast(null as {{ dbt.type_string() }}) as utm_term,
        cast(null as {{ dbt.type_string() }}) as click_id_type,
        cast(null as {{ dbt.type_string() }}) as form_id,
        email_clickers.email_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_id,
        cast(null as {{ dbt.type_string() }}) as salesforce_campaign_type
    from email_clickers
    left join email_sessions_ranked
        on
            email_clickers.email_event_id = email_sessions_ranked.email_event_id
            and email_sessions_ranked.session_rank = 1
),

-- Salesforce campaign responses: the member's contact, else its lead, through the crosswalk. -------------
campaign_responses as (
    select
        campaign_members.campaign_member_id,
        campaign_members.campaign_id,
        campaigns.campaign_type,
        coalesce(contact_records.person_id, lead_records.person_id) as person_id,
        coalesce(
            cast(campaign_members.first_responded_date as {{ dbt.type_timestamp() }}),
            campaign_members.created_at
        ) as touched_at
    from campaign_members
    inner join campaigns
        on campaign_members.campaign_id = campaigns.campaign_id
    left join person_records as contact_records
        on
            campaign_members.contact_id = contact_records.source_record_id
            and contact_records.source_system = 'salesforce'
            and contact_records.source_object = 'Contact'
    left join person_records as lead_records
        on
            campaign_members.lead_id = lead_records.source_record_id
            and lead_records.source_system = 'salesforce'
            and lead_records.source_object = 'Lead'
),

campaign_touches as (
    select
        'campaign_response' as touchpoint_type,
        'salesforce' as source_system,
        campaign_member_id as source_record_id,
        person_id,
        touched_at,
        cast(null as {{ dbt.type_string() }}) as web_session_id,
        false as is_part_of_web_session,
        cast(null as {{ dbt.type_string() }}) as url,
        cast(null as {{ dbt.type_string() }}) as referrer_domain,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        cast(null as {{ dbt.type_string() }}) as utm_content,
        cast(null as {{ dbt.type_string() }}) as utm_term,
        cast(null as {{ dbt.type_string() }}) as click_id_type,
        cast(null as {{ dbt.type_string() }}) as form_id,
        cast(null as {{ dbt.type_string() }}) as email_campaign_id,
        campaign_id as salesforce_campaign_id,
        campaign_type as salesforce_campaign_type
    from campaign_responses
    where
        person_id is not null
        and touched_at is not null
),

unioned as (
    select * from session_touches
    union all
    select * from form_touches
    union all
    select * from email_touches
    union all
    select * from campaign_touches
),

-- The source and medium the channel is looked up with: the UTMs, else the click id's platform, else the
-- referrer (medium `referral`), else `(direct)` / `(none)`; CRM campaigns: `salesforce` and their type.
traffic_sources as (
    select
        {{ dbt.hash(dbt.concat(['touchpoint_type', "'|'", 'source_record_id'])) }} as touchpoint_id,
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
        email_campaign_id,
        salesforce_campaign_id,
        salesforce_campaign_type,
        case
            when touchpoint_type = 'campaign_response' then 'salesforce'
            when utm_source is not null then utm_source
            when click_id_type = 'gclid' then 'google'
            when click_id_type = 'fbclid' then 'facebook'
            when click_id_type = 'li_fat_id' then 'linkedin'
            when referrer_domain is not null then referrer_domain
            when utm_medium is null then '(direct)'
        end as traffic_source,
        case
            when touchpoint_type = 'campaign_response' then lower(trim(salesforce_campaign_type))
            when utm_medium is not null then utm_medium
            when click_id_type = 'gclid' then 'cpc'
            when click_id_type in ('fbclid', 'li_fat_id') then 'paid_social'
            when utm_source is not null then null
            when referrer_domain is not null then 'referral'
            else '(none)'
        end as traffic_medium
    from unioned
),

-- Every mapping row that matches (a pattern is a value or `*`); the lowest priority wins.
channel_matches as (
    select
        traffic_sources.touchpoint_id,
        channel_mapping.channel,
        row_number() over (
            partition by traffic_sources.touchpoint_id
            order by
                channel_mapping.priority asc,
                channel_mapping.source_pattern desc,
                channel_mapping.medium_pattern desc,
                channel_mapping.channel asc
        ) as match_rank
    from traffic_sources
    inner join channel_mapping
        on
            (
                channel_mapping.source_pattern = '*'
                or traffic_sources.traffic_source = channel_mapping.source_pattern
            )
            and (
                channel_mapping.medium_pattern = '*'
                or traffic_sources.traffic_medium = channel_mapping.medium_pattern
            )
),

channels as (
    select
        traffic_sources.touchpoint_id,
        traffic_sources.touchpoint_type,
        traffic_sources.source_system,
        traffic_sources.source_record_id,
        traffic_sources.person_id,
        traffic_sources.touched_at,
        traffic_sources.web_session_id,
        traffic_sources.is_part_of_web_session,
        traffic_sources.url,
        traffic_sources.referrer_domain,
        traffic_sources.utm_source,
        traffic_sources.utm_medium,
        traffic_sources.utm_campaign,
        traffic_sources.utm_content,
        traffic_sources.utm_term,
        traffic_sources.click_id_type,
        traffic_sources.form_id,
        traffic_sources.email_campaign_id,
        traffic_sources.salesforce_campaign_id,
        traffic_sources.salesforce_campaign_type,
        traffic_sources.traffic_source,
        traffic_sources.traffic_medium,
        coalesce(channel_matches.channel, 'Other') as channel
    from traffic_sources
    left join channel_matches
        on
            traffic_sources.touchpoint_id = channel_matches.touchpoint_id
            and channel_matches.match_rank = 1
),

-- The ad platform of a paid touch: its click id, else its utm_source.
platforms as (
    select
        touchpoint_id,
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
        email_campaign_id,
        salesforce_campaign_id,
        salesforce_campaign_type,
        traffic_source,
        traffic_medium,
        channel,
        case
            when click_id_type = 'gclid' then 'google_ads'
            when click_id_type = 'fbclid' then 'facebook_ads'
            when click_id_type = 'li_fat_id' then 'linkedin_ads'
            when channel in ('Paid Search', 'Paid Social', 'Display') then
                case
                    when utm_source in ('google', 'adwords', 'youtube') then 'google_ads'
                    when utm_source in ('facebook', 'fb', 'instagram', 'ig', 'meta') then 'facebook_ads'
                    when utm_source in ('linkedin', 'lnkd.in') then 'linkedin_ads'
                end
        end as platform
    from channels
),

final as (
    select
        touchpoint_id,
        person_id,
        touched_at,
        touchpoint_type,
        source_system,
        source_record_id,
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
        traffic_source,
        traffic_medium,
        channel,
        platform,
        case
            when salesforce_campaign_id is not null
                then {{ dbt.concat(["'salesforce:'", 'salesforce_campaign_id']) }}
            when platform is not null and utm_campaign is not null
                then {{ dbt.concat(['platform', "':'", 'lower(utm_campaign)']) }}
        end as campaign_key,
        case when platform is not null then utm_content end as ad_id,
        salesforce_campaign_id,
        salesforce_campaign_type,
        form_id,
        email_campaign_id
    from platforms
)

select * from final
