with

source as (
    select
        id,
        opportunity_id,
        stage_name,
        amount,
        close_date,
        probability,
        forecast_category,
        expected_revenue,
        created_by_id,
        created_date,
        system_modstamp,
        is_deleted
    from {{ source('salesforce', 'opportunity_history') }}
),

renamed as (
    select
        id as opportunity_history_id,
        opportunity_id,
        stage_name,
        cast(amount as decimal(18, 2)) as amount,
        cast(expected_revenue as decimal(18, 2)) as expected_revenue,
        -- The org is single-currency (no CurrencyIsoCode field): every amount is in its corporate currency.
        '{{ var("salesforce_corporate_currency") }}' as amount_currency,
        close_date,
        -- Salesforce stores a percentage (0-100); downstream multiplies by a fraction.
        cast(probability / 100.0 as decimal(5, 4)) as probability,
        forecast_category,
        created_by_id as created_by_user_id,
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('system_modstamp') }} as system_modstamp_at,
        is_deleted
    from source
),

-- Salesforce also writes a history row when only the amount, close date or probability changes.
previous_stages as (
    select
        opportunity_history_id,
        opportunity_id,
        stage_name,
        amount,
        expected_revenue,
        amount_currency,
        close_date,
        probability,
        forecast_category,
        created_by_user_id,
        created_at,
        system_modstamp_at,
        is_deleted,
        lag(stage_name) over (
            partition by opportunity_id
            order by created_at, opportunity_history_id
        ) as previous_stage_name
    from renamed
),

stage_changes as (
    select
        opportunity_history_id,
        opportunity_id,
        stage_name,
        previous_stage_name,
        amount,
        expected_revenue,
        amount_currency,
        close_date,
        probability,
        forecast_category,
        created_by_user_id,
        created_at,
        system_modstamp_at,
        is_deleted,
        coalesce(previous_stage_name <> stage_name, true) as is_stage_change
    from previous_stages
),

final as (
    select
        opportunity_history_id,
        opportunity_id,
        stage_name,
        previous_stage_name,
        is_stage_change,
        amount,
        expected_revenue,
        amount_currency,
        close_date,
        probability,
        forecast_category,
        created_by_user_id,
        created_at,
        system_modstamp_at,
        is_deleted
    from stage_changes
)

select * from final
