with

source as (
    select
        id,
        first_name,
        last_name,
        email,
        company,
        title,
        phone,
        country,
        status,
        lead_source,
        is_converted,
        converted_date,
        converted_account_id,
        converted_contact_id,
        converted_opportunity_id,
        owner_id,
        {{ custom_field_columns('salesforce__lead') }}
        created_date,
        last_modified_date,
        system_modstamp,
        is_deleted
    from {{ source('salesforce', 'lead') }}
),

renamed as (
    select
        id as lead_id,
        first_name,
        last_name,
        {{ normalize_email('email') }} as email,
        company as company_name,
        title,
        phone,
        country,
        {{ country_code('country') }} as country_code,
        {{ calling_code('country') }} as calling_code,
        status as lead_status,
        lead_source,
        is_converted,
        converted_date,
        converted_account_id,
        converted_contact_id,
        converted_opportunity_id,
        owner_id,
        {{ custom_fields('salesforce__lead') }}
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('last_modified_date') }} as updated_at,
        {{ to_utc('system_modstamp') }} as system_modstamp_at,
        is_deleted
    from source
),

final as (
    select
        lead_id,
        first_name,
        last_name,
        email,
        {{ is_valid_email('email') }} as is_valid_email,
        {{ is_test_email('email') }} as is_test_record,
        {{ email_domain('email') }} as email_domain,
        {{ company_domain('null', 'email') }} as company_domain,
        company_name,
        {{ normalize_company_name('company_name') }} as normalized_company_name,
        company_name is null as has_missing_company,
        title,
        phone,
        {{ phone_to_e164('phone', 'country_code', 'calling_code') }} as phone_e164,
        country,
        country_code,
        lead_status,
        lead_source,
        is_converted,
        converted_date,
        converted_account_id,
        converted_contact_id,
        converted_opportunity_id,
        owner_id,
        {{ custom_field_aliases('salesforce__lead') }}
        created_at,
        updated_at,
        system_modstamp_at,
        is_deleted
    from renamed
)

select * from final
