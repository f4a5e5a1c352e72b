with

source as (
    select
        id,
        name,
        website,
        industry,
        number_of_employees,
        annual_revenue,
        billing_country,
        type,
        owner_id,
        parent_id,
        {{ custom_field_columns('salesforce__account') }}
        created_date,
        last_modified_date,
        system_modstamp,
        is_deleted
    from {{ source('salesforce', 'account') }}
),

final as (
    select
        id as account_id,
        name as account_name,
        {{ normalize_company_name('name') }} as normalized_company_name,
        website,
        {{ domain_from_url('website') }} as domain,  -- noqa: RF04
        {{ industry('industry') }} as industry,
        cast(number_of_employees as {{ dbt.type_int() }}) as employee_count,
        cast(annual_revenue as decimal(18, 2)) as annual_revenue,
        -- The org is single-currency (no CurrencyIsoCode field): every amount is in its corporate currency.
        '{{ var("salesforce_corporate_currency") }}' as annual_revenue_currency,
        billing_country,
        {{ country_code('billing_country') }} as country_code,
        type as account_type,
        owner_id,
        parent_id as parent_account_id,
        {{ custom_fields('salesforce__account') }}
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('last_modified_date') }} as updated_at,
        {{ to_utc('system_modstamp') }} as system_modstamp_at,
        is_deleted
    from source
)

select * from final
