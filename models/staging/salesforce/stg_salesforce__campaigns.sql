with

source as (
    select
        id,
        name,
        type,
        status,
        start_date,
        end_date,
        budgeted_cost,
        actual_cost,
        is_active,
        parent_id,
        owner_id,
        created_date,
        last_modified_date,
        system_modstamp,
        is_deleted
    from {{ source('salesforce', 'campaign') }}
),

final as (
    select
        id as campaign_id,
        name as campaign_name,
        type as campaign_type,
        status as campaign_status,
        start_date,
        end_date,
        cast(budgeted_cost as decimal(18, 2)) as budgeted_cost,
        cast(actual_cost as decimal(18, 2)) as actual_cost,
        -- The org is single-currency (no CurrencyIsoCode field): every amount is in its corporate currency.
        '{{ var("salesforce_corporate_currency") }}' as cost_currency,
        is_active,
        parent_id as parent_campaign_id,
        owner_id,
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('last_modified_date') }} as updated_at,
        {{ to_utc('system_modstamp') }} as system_modstamp_at,
        is_deleted
    from source
)

select * from final
