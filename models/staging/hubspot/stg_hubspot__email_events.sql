with

source as (
    select
        id,
        type,
        recipient,
        email_campaign_id,
        sent_by_id,
        portal_id,
        app_id,
        url,
        created
    from {{ source('hubspot', 'email_events') }}
),

final as (
    select
        id as email_event_id,
        lower(trim(type)) as event_type,
        {{ normalize_email('recipient') }} as recipient_email,
        email_campaign_id,
        sent_by_id as sent_by_event_id,
        portal_id,
        app_id,
        nullif(trim(url), '') as url,
        lower({{ url_parameter('url', 'utm_source') }}) as utm_source,
        lower({{ url_parameter('url', 'utm_medium') }}) as utm_medium,
        {{ url_parameter('url', 'utm_campaign') }} as utm_campaign,
        {{ url_parameter('url', 'utm_content') }} as utm_content,
        {{ to_utc('created') }} as occurred_at
    from source
)

select * from final
