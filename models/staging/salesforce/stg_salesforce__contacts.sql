with

source as (
    select
        id,
        account_id,
        first_name,
        last_name,
        email,
        title,
        phone,
        mailing_country,
        lead_source,
        owner_id,
        {{ custom_field_columns('salesforce__contact') }}
        created_date,
        last_modified_date,
        system_modstamp,
        is_deleted
    from {{ source('salesforce', 'contact') }}
),

renamed as (
    select
        id as contact_id,
        account_id,
        first_name,
        last_name,
        {{ normalize_email('email') }} as email,
        title,
        phone,
        mailing_country as country,
        {{ country_code('mailing_country') }} as country_code,
        {{ calling_code('mailing_country') }} as calling_code,
        lead_source,
        owner_id,
        {{ custom_fields('salesforce__contact') }}
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('last_modified_date') }} as updated_at,
        {{ to_utc('system_modstamp') }} as system_modstamp_at,
        is_deleted
    from source
),

final as (
    select
        contact_id,
        account_id,
        first_name,
        last_name,
        last_name is null as has_missing_last_name,
        email,
        {{ is_valid_email('email') }} as is_valid_email,
        {{ is_test_email('email') }} as is_test_record,
        {{ email_domain('email') }} as email_domain,
        {{ company_domain('null', 'email') }} as company_domain,
        title,
        phone,
        {{ phone_to_e164('phone', 'country_code', 'calling_code') }} as phone_e164,
        country,
        country_code,
        lead_source,
        owner_id,
        {{ custom_field_aliases('salesforce__contact') }}
        created_at,
        updated_at,
        system_modstamp_at,
        is_deleted
    from renamed
)

select * from final
