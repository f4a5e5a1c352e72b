{#- HubSpot page views of known contacts (contacts that map to a person in the identity crosswalk), each
    with the web session it belongs to. A page view starts a new session of its contact when it is the
    contact's first, when more than var('session_timeout_minutes') passed since the contact's previous page
    view, or when it is a new entrance from a marketing source (campaign parameters or an external referrer
    that differ from the previous page view's: an ad or e-mail click during a visit is a new visit, as in
    Universal Analytics).

    Incremental (docs/incremental.md): a run rebuilds whole contacts, every page view of each contact that
    has a page view within var('late_arrival_days') of the latest one already built, whose page view count
    or latest page view differs from what was built (a late arrival of any age), or whose person changed;
    sessions are numbered over a contact's whole history, so a session spanning the window's start is
    rebuilt whole. Contacts no longer known are deleted after the run. -#}

{{ config(
    materialized=incremental_materialization(),
    incremental_strategy=incremental_strategy_for_target(),
    unique_key='contact_id',
    post_hook="{{ delete_unknown_keys(this, 'contact_id', ref('int_person_records_mapped'), 'source_record_id',
        \"source_system = 'hubspot' and source_object = 'contacts' and not is_deleted\") }}",
) }}

{{ config(enabled=var('hubspot_enabled')) }}

with

page_views as (
    select
        page_view_id,
        contact_id,
        occurred_at,
        url,
        page_path,
        page_title,
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
    from {{ ref('stg_hubspot__page_views') }}
),

person_records as (
    select
        source_record_id,
        person_id
    from {{ ref('int_person_records_mapped') }}
    where
        source_system = 'hubspot'
        and source_object = 'contacts'
        and not is_deleted
),

{%- if incremental_by_key() %}

    built_contacts as (
        select
            contact_id,
            person_id,
            count(*) as page_views,
            max(occurred_at) as last_occurred_at
        from {{ this }}
        group by
            contact_id,
            person_id
    ),

    window_start as (
        select {{ late_arrival_window_start('occurred_at') }} as window_start_at
        from {{ this }}
    ),

    source_contacts as (
        select
            contact_id,
            count(*) as page_views,
            max(occurred_at) as last_occurred_at
        from page_views
        where occurred_at is not null
        group by contact_id
    ),

    -- Contacts to rebuild: a page view in the window, a count or latest time that differs from what was
    -- built (new, late or deleted page views), or a person that differs (identity resolution moved them).
    changed_contacts as (
        select distinct page_views.contact_id
        from page_views
        cross join window_start
        where page_views.occurred_at >= window_start.window_start_at
        union distinct
        select source_contacts.contact_id
        from source_contacts
        inner join person_records
            on source_contacts.contact_id = person_records.source_record_id
        left join built_contacts
            on source_contacts.contact_id = built_contacts.contact_id
        where
            built_contacts.contact_id is null
            or built_contacts.page_views <> source_contacts.page_views
            or built_contacts.last_occurred_at <> source_contacts.last_occurred_at
            or built_contacts.person_id <> person_records.person_id
    ),
{%- endif %}

known_page_views as (
    select
        page_views.page_view_id,
        page_views.contact_id,
        person_records.person_id,
        page_views.occurred_at,
        page_views.url,
        page_views.page_path,
        page_views.page_title,
        page_views.referrer,
        page_views.referrer_domain,
        {{ domain_from_url('page_views.url') }} as page_domain,
        page_views.utm_source,
        page_views.utm_medium,
        page_views.utm_campaign,
        page_views.utm_content,
        page_views.utm_term,
        page_views.click_id_type,
        page_views.click_id,
        page_views.has_malformed_utm
    from page_views
    inner join person_records
        on page_views.contact_id = person_records.source_record_id
    {%- if incremental_by_key() %}
        inner join changed_contacts
            on page_views.contact_id = changed_contacts.contact_id
    {%- endif %}
    where page_views.occurred_at is not null
),

-- What brought the visitor to this page from outside the site: campaign parameters, or a referrer on
-- another domain. Null for a page reached by clicking inside the site or typed in directly.
entrances as (
    select
        page_view_id,
        contact_id,
        person_id,
        occurred_at,
        url,
        page_path,
        page_title,
        referrer,
        referrer_domain,
        page_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        click_id,
        has_malformed_utm,
        case
            when
                utm_source is not null
                or utm_medium is not null
                or utm_campaign is not null
                or utm_content is not null
                or click_id is not null
                or (referrer_domain is not null and referrer_domain <> coalesce(page_domain, ''))
                then {{ dbt.concat([
                    "coalesce(url, '')", "'|'",
                    "case when referrer_domain <> coalesce(page_domain, '') then referrer_domain else '' end"
                ]) }}
        end as entrance_source
    from known_page_views
),

previous_page_views as (
    select
        page_view_id,
        contact_id,
        person_id,
        occurred_at,
        url,
        page_path,
        page_title,
        referrer,
        referrer_domain,
        page_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        click_id,
        has_malformed_utm,
        entrance_source,
        lag(occurred_at) over (
            partition by contact_id
            order by occurred_at, page_view_id
        ) as previous_occurred_at,
        lag(entrance_source) over (
            partition by contact_id
            order by occurred_at, page_view_id
        ) as previous_entrance_source
    from entrances
),

session_starts as (
    select
        page_view_id,
        contact_id,
        person_id,
        occurred_at,
        url,
        page_path,
        page_title,
        referrer,
        referrer_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        click_id,
        has_malformed_utm,
        case
            when previous_occurred_at is null then 1
            when
                occurred_at
                > {{ dbt.dateadd('minute', var('session_timeout_minutes'), 'previous_occurred_at') }}
                then 1
            -- A new entrance from a marketing source; reloading the same tagged page is not one.
            when
                entrance_source is not null
                and entrance_source <> coalesce(previous_entrance_source, '')
                then 1
            else 0
        end as is_session_start_flag
    from previous_page_views
),

numbered as (
    select
        page_view_id,
        contact_id,
        person_id,
        occurred_at,
        url,
        page_path,
        page_title,
        referrer,
        referrer_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        click_id,
        has_malformed_utm,
        is_session_start_flag = 1 as is_session_start,
        sum(is_session_start_flag) over (
            partition by contact_id
            order by occurred_at, page_view_id
            rows between unbounded preceding and current row
        ) as session_number
    from session_starts
),

with_landing as (
    select
        page_view_id,
        contact_id,
        person_id,
        occurred_at,
        url,
        page_path,
        page_title,
        referrer,
        referrer_domain,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        click_id,
        has_malformed_utm,
        is_session_start,
        session_number,
        first_value(page_view_id) over (
            partition by contact_id, session_number
            order by occurred_at, page_view_id
            rows between unbounded preceding and unbounded following
        ) as landing_page_view_id,
        row_number() over (
            partition by contact_id, session_number
            order by occurred_at, page_view_id
        ) as page_number
    from numbered
),

final as (
    select
        page_view_id,
        {{ dbt.hash(dbt.concat(["'hubspot|'", 'contact_id', "'|'", 'landing_page_view_id'])) }} as session_id,
        contact_id,
        person_id,
        cast(session_number as {{ dbt.type_int() }}) as session_number,
        cast(page_number as {{ dbt.type_int() }}) as page_number,
        is_session_start,
        landing_page_view_id,
        occurred_at,
        url,
        page_path,
        page_title,
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
    from with_landing
)

select * from final
