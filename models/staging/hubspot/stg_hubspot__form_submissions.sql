with

source as (
    select
        conversion_id,
        form_id,
        page_url,
        {{ adapter.quote('values') }},
        submitted_at
    from {{ source('hubspot', 'form_submissions') }}
),

submitted_fields as (
    select
        source.conversion_id,
        source.form_id,
        source.page_url,
        source.submitted_at,
        {{ json_array_field('source.' ~ adapter.quote('values'), 'email') }} as raw_email,
        {{ json_array_field('source.' ~ adapter.quote('values'), 'firstname') }} as raw_first_name,
        {{ json_array_field('source.' ~ adapter.quote('values'), 'lastname') }} as raw_last_name,
        {{ json_array_field('source.' ~ adapter.quote('values'), 'company') }} as raw_company_name
    from source
),

final as (
    select
        conversion_id as form_submission_id,
        form_id,
        {{ to_utc('submitted_at') }} as submitted_at,
        nullif(trim(page_url), '') as page_url,
        {{ normalize_email('raw_email') }} as email,
        {{ is_valid_email('raw_email') }} as is_valid_email,
        nullif(trim(raw_first_name), '') as first_name,
        nullif(trim(raw_last_name), '') as last_name,
        nullif(trim(raw_company_name), '') as company_name,
        lower({{ url_parameter('page_url', 'utm_source') }}) as utm_source,
        lower({{ url_parameter('page_url', 'utm_medium') }}) as utm_medium,
        {{ url_parameter('page_url', 'utm_campaign') }} as utm_campaign,
        {{ url_parameter('page_url', 'utm_content') }} as utm_content,
        {{ url_parameter('page_url', 'utm_term') }} as utm_term
    from submitted_fields
)

select * from final
