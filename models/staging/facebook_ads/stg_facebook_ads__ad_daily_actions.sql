with

source as (
    select
        ad_id,
        date_start,
        action_type,
        account_id,
        account_currency,
        action_count,
        action_count_7d_click,
        action_count_1d_view,
        action_value,
        action_value_7d_click,
        action_value_1d_view,
        cost_per_action
    from {{ source('facebook_ads', 'ads_insights_actions') }}
),

final as (
    select
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,
        date_start as report_date,
        action_type,
        action_count,
        action_count_7d_click,
        action_count_1d_view,
        cast(action_value as decimal(38, 6)) as action_value,
        cast(action_value_7d_click as decimal(38, 6)) as action_value_7d_click,
        cast(action_value_1d_view as decimal(38, 6)) as action_value_1d_view,
        cast(cost_per_action as decimal(38, 6)) as cost_per_action,
        account_currency as currency_code
    from source
)

select * from final
