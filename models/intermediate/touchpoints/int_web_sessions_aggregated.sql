{#- One row per web session of a known contact: when it started and ended, how many pages it saw, and
    where it came from (the landing page: its UTMs, click id and referrer).

    Incremental like int_page_views_sessionized, by whole contacts: those with a page view within
    var('late_arrival_days') of the latest session end already built, or whose page view count, latest page
    view or person differs from what was built. -#}

{{ config(
    materialized=incremental_materialization(),
    incremental_strategy=incremental_strategy_for_target(),
    unique_key='contact_id',
    post_hook="{{ delete_unknown_keys(this, 'contact_id', ref('int_page_views_sessionized'), 'contact_id') }}",
) }}

{{ config(enabled=var('hubspot_enabled')) }}

with

page_views as (
    select
        page_view_id,
        session_id,
        contact_id,
        person_id,
        session_number,
        page_number,
        occurred_at,
        url,
        page_path,
        referrer,
        referrer_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        click_id,
        has_malformed_utm
    from {{ ref('int_page_views_sessionized') }}
),

{%- if incremental_by_key() %}

    built_contacts as (
        select
            contact_id,
            person_id,
            sum(page_views) as page_views,
            max(ended_at) as last_occurred_at
        from {{ this }}
        group by
            contact_id,
            person_id
    ),

    window_start as (
        select {{ late_arrival_window_start('ended_at') }} as window_start_at
        from {{ this }}
    ),

    sessionized_contacts as (
        select
            contact_id,
            person_id,
            count(*) as page_views,
            max(occurred_at) as last_occurred_at
        from page_views
        group by
            contact_id,
            person_id
    ),

    changed_contacts as (
        select distinct page_views.contact_id
        from page_views
        cross join window_start
        where page_views.occurred_at >= window_start.window_start_at
        union distinct
        select sessionized_contacts.contact_id
        from sessionized_contacts
        left join built_contacts
            on sessionized_contacts.contact_id = built_contacts.contact_id
        where
            built_contacts.contact_id is null
            or built_contacts.page_views <> sessionized_contacts.page_views
            or built_contacts.last_occurred_at <> sessionized_contacts.last_occurred_at
            or built_contacts.person_id <> sessionized_contacts.person_id
    ),

    changed_page_views as (
        select page_views.*
        from page_views
        inner join changed_contacts
            on page_views.contact_id = changed_contacts.contact_id
    ),
{%- endif %}

session_totals as (
    select
        session_id,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as page_views
    from {{ 'changed_page_views' if incremental_by_key() else 'page_views' }}
    group by session_id
),

landing_pages as (
    select
        session_id,
        contact_id,
        person_id,
        session_number,
        page_view_id,
        url,
        page_path,
        referrer,
        referrer_domain,
        {{ domain_from_url('url') }} as page_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        click_id,
        has_malformed_utm
    from {{ 'changed_page_views' if incremental_by_key() else 'page_views' }}
    where page_number = 1
),

final as (
    select
        landing_pages.session_id,
        landing_pages.contact_id,
        landing_pages.person_id,
        landing_pages.session_number,
        session_totals.started_at,
        session_totals.ended_at,
        {{ dbt.datediff('session_totals.started_at', 'session_totals.ended_at', 'second') }} as duration_seconds,
        session_totals.page_views,
        landing_pages.page_view_id as landing_page_view_id,
        landing_pages.url as landing_url,
        landing_pages.page_path as landing_page_path,
        landing_pages.referrer,
        -- A referrer on the site's own domain (a visit resumed after the timeout) is no traffic source.
        case
            when landing_pages.referrer_domain <> coalesce(landing_pages.page_domain, '')
                then landing_pages.referrer_domain
        end as referrer_domain,
        landing_pages.utm_source,
        landing_pages.utm_medium,
        landing_pages.utm_campaign,
        landing_pages.utm_content,
        landing_pages.utm_term,
        landing_pages.click_id_type,
        landing_pages.click_id,
        landing_pages.has_malformed_utm
    from landing_pages
    inner join session_totals
        on landing_pages.session_id = session_totals.session_id
)

select * from final
