with

source as (
    select
        id,
        object_type,
        object_id,
        event_type,
        occurred_at,
        url,
        referrer,
        page_title
    from {{ source('hubspot', 'web_events') }}
),

parsed as (
    select
        id as page_view_id,
        case when upper(object_type) = 'CONTACT' then object_id end as contact_id,
        object_type,
        object_id,
        event_type,
        {{ to_utc('occurred_at') }} as occurred_at,
        nullif(trim(url), '') as url,
        nullif(trim(referrer), '') as referrer,
        nullif(trim(page_title), '') as page_title,
        coalesce(
            {{ url_parameter('url', 'gclid') }},
            {{ url_parameter('url', 'fbclid') }},
            {{ url_parameter('url', 'li_fat_id') }}
        ) as click_id
    from source
),

final as (
    select
        page_view_id,
        contact_id,
        object_type,
        object_id,
        event_type,
        occurred_at,
        url,
        case
            when url is not null
                then coalesce({{ regex_extract('url', '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*([^?#]*)', 1) }}, '/')
        end as page_path,
        page_title,
        referrer,
        {{ domain_from_url('referrer') }} as referrer_domain,
        lower({{ url_parameter('url', 'utm_source') }}) as utm_source,
        lower({{ url_parameter('url', 'utm_medium') }}) as utm_medium,
        {{ url_parameter('url', 'utm_campaign') }} as utm_campaign,
        {{ url_parameter('url', 'utm_content') }} as utm_content,
        {{ url_parameter('url', 'utm_term') }} as utm_term,
        {{ click_id_type('url') }} as click_id_type,
        click_id,
        click_id is not null as is_paid_landing,
        coalesce(
            {{ dbt.length('url') }} - {{ dbt.length(dbt.replace('url', "'?'", "''")) }} > 1
            or {{ dbt.position("'%3d'", 'lower(url)') }} > 0
            or (
                {{ dbt.position("'utm_campaign='", 'url') }} > 0
                and {{ url_parameter('url', 'utm_campaign') }} is null
            ),
            false
        ) as has_malformed_utm
    from parsed
)

select * from final
