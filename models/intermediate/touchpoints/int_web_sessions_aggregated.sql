{#- One row per web session of a known contact: when it started and ended, how many pages it saw, and
    where it came from (the landing page: its UTMs, click id and referrer). -#}

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

session_totals as (
    select
        session_id,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as page_views
    from page_views
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
    from page_views
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
