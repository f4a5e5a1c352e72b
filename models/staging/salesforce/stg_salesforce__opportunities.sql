with

source as (
    select
        id,
        account_id,
        name,
        stage_name,
        amount,
        close_date,
        probability,
        is_closed,
        is_won,
        forecast_category,
        lead_source,
        campaign_id,
        type,
        owner_id,
        {{ custom_field_columns('salesforce__opportunity') }}
        created_date,
        last_modified_date,
        system_modstamp,
        is_deleted
    from {{ source('salesforce', 'opportunity') }}
),

final as (
    select
        id as opportunity_id,
        account_id,
        name as opportunity_name,
        stage_name,
        cast(amount as decimal(18, 2)) as amount,
        -- The org is single-currency (no CurrencyIsoCode field): every amount is in its corporate currency.
        '{{ var("salesforce_corporate_currency") }}' as amount_currency,
        amount is null as has_missing_amount,
        close_date,
        -- Salesforce stores a percentage (0-100); downstream multiplies by a fraction.
        cast(probability / 100.0 as decimal(5, 4)) as probability,
        is_closed,
        is_won,
        forecast_category,
        lead_source,
        campaign_id,
        type as opportunity_type,
        owner_id,
        {{ custom_fields('salesforce__opportunity') }}
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('last_modified_date') }} as updated_at,
        {{ to_utc('system_modstamp') }} as system_modstamp_at,
        is_deleted
    from source
)

select * from final
