with

source as (
    select
        account_id,
        id,
        name,
        currency,
        timezone_name,
        account_status,
        business_country_code,
        created_time
    from {{ source('facebook_ads', 'ad_accounts') }}
),

final as (
    select
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,
        id as graph_api_id,
        name as account_name,
        currency as currency_code,
        timezone_name as time_zone,
        -- https://developers.facebook.com/docs/marketing-api/reference/ad-account/ (account_status)
        case account_status
            when 1 then 'ACTIVE'
            when 2 then 'DISABLED'
            when 3 then 'UNSETTLED'
            when 7 then 'PENDING_RISK_REVIEW'
            when 8 then 'PENDING_SETTLEMENT'
            when 9 then 'IN_GRACE_PERIOD'
            when 100 then 'PENDING_CLOSURE'
            when 101 then 'CLOSED'
            when 201 then 'ANY_ACTIVE'
            when 202 then 'ANY_CLOSED'
        end as account_status,
        account_status as account_status_code,
        business_country_code as country_code,
        {{ to_utc('created_time') }} as created_at
    from source
)

select * from final
