with

source as (
    select
        id,
        account_id,
        campaign_group_id,
        name,
        status,
        type,
        objective_type,
        cost_type,
        daily_budget_amount,
        daily_budget_currency,
        total_budget_amount,
        total_budget_currency,
        run_start,
        run_end,
        test,
        created_at,
        last_modified_at
    from {{ source('linkedin_ads', 'campaigns') }}
),

final as (
    select
        cast(id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaign_group_id as {{ dbt.type_string() }}) as campaign_group_id,
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,
        name as campaign_name,
        status as campaign_status,
        type as campaign_type,
        objective_type,
        cost_type,
        cast(daily_budget_amount as decimal(38, 6)) as daily_budget_amount,
        daily_budget_currency,
        cast(total_budget_amount as decimal(38, 6)) as total_budget_amount,
        total_budget_currency,
        {{ to_utc('run_start') }} as run_start_at,
        {{ to_utc('run_end') }} as run_end_at,
        coalesce(test, false) as is_test,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('last_modified_at') }} as last_modified_at
    from source
)

select * from final
