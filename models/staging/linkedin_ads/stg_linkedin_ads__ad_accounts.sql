with

source as (
    select
        id,
        name,
        currency,
        time_zone,
        type,
        status,
        reference,
        test,
        serving_statuses,
        created_at,
        last_modified_at
    from {{ source('linkedin_ads', 'ad_accounts') }}
),

final as (
    select
        cast(id as {{ dbt.type_string() }}) as ad_account_id,
        name as account_name,
        currency as currency_code,
        -- LinkedIn accounts have no time zone of their own: the loader records 'UTC', the zone of every report day.
        coalesce(time_zone, 'UTC') as time_zone,
        type as account_type,
        status as account_status,
        reference as reference_urn,
        serving_statuses,
        coalesce(test, false) as is_test,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('last_modified_at') }} as last_modified_at
    from source
)

select * from final
