with

source as (
    select
        id,
        account_id,
        name,
        status,
        test,
        run_start,
        run_end,
        total_budget_amount,
        total_budget_currency,
        serving_statuses,
        created_at,
        last_modified_at
    from {{ source('linkedin_ads', 'campaign_groups') }}
),

final as (
    select
        cast(id as {{ dbt.type_string() }}) as campaign_group_id,
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,
        name as campaign_group_name,
        status as campaign_group_status,
        serving_statuses,
        {{ to_utc('run_start') }} as run_start_at,
        {{ to_utc('run_end') }} as run_end_at,
        cast(total_budget_amount as decimal(38, 6)) as total_budget_amount,
        total_budget_currency,
        coalesce(test, false) as is_test,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('last_modified_at') }} as last_modified_at
    from source
)

select * from final
