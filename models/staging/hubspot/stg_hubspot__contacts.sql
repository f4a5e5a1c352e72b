with

source as (
    select
        id,
        email,
        firstname,
        lastname,
        jobtitle,
        phone,
        country,
        company,
        associatedcompanyid,
        lifecyclestage,
        hs_lifecyclestage_lead_date,
        hs_lifecyclestage_marketingqualifiedlead_date,
        hs_lifecyclestage_salesqualifiedlead_date,
        hs_lifecyclestage_opportunity_date,
        hs_lifecyclestage_customer_date,
        hs_analytics_source,
        hubspot_owner_id,
        hs_merged_object_ids,
        {{ custom_field_columns('hubspot__contacts') }}
        created_at,
        updated_at,
        archived,
        archived_at
    from {{ source('hubspot', 'contacts') }}
    -- dlt deletes a contact merged into another (`merged_away`, a hard-delete column) where it merges; its
    -- filesystem destination (Parquet for Spark) only appends, so there the deletion lands as a row.
    where merged_away is null or not merged_away
),

with_country_code as (
    select
        source.*,
        {{ country_code('source.country') }} as looked_up_country_code,
        {{ calling_code('source.country') }} as looked_up_calling_code
    from source
),

final as (
    select
        id as contact_id,
        {{ normalize_email('email') }} as email,
        {{ is_valid_email('email') }} as is_valid_email,
        {{ is_test_email('email') }} as is_test_record,
        {{ email_domain('email') }} as email_domain,
        {{ company_domain('null', 'email') }} as company_domain,
        {{ normalize_email('email') }} is null as has_missing_email,
        nullif(trim(firstname), '') as first_name,
        nullif(trim(lastname), '') as last_name,
        nullif(trim(jobtitle), '') as job_title,
        phone,
        {{ phone_to_e164('phone', 'looked_up_country_code', 'looked_up_calling_code') }} as phone_e164,
        country,
        looked_up_country_code as country_code,
        nullif(trim(company), '') as company_name,
        nullif(trim(associatedcompanyid), '') as primary_company_id,
        nullif(trim(lifecyclestage), '') as lifecycle_stage,
        {{ parse_timestamp_utc('hs_lifecyclestage_lead_date') }} as became_lead_at,
        {{ parse_timestamp_utc('hs_lifecyclestage_marketingqualifiedlead_date') }} as became_mql_at,
        {{ parse_timestamp_utc('hs_lifecyclestage_salesqualifiedlead_date') }} as became_sql_at,
        {{ parse_timestamp_utc('hs_lifecyclestage_opportunity_date') }} as became_opportunity_at,
        {{ parse_timestamp_utc('hs_lifecyclestage_customer_date') }} as became_customer_at,
        nullif(trim(hs_analytics_source), '') as analytics_source,
        nullif(trim(hubspot_owner_id), '') as owner_id,
        nullif(trim(hs_merged_object_ids), '') as merged_contact_ids,
        {{ custom_fields('hubspot__contacts') }}
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('updated_at') }} as updated_at,
        coalesce(archived, false) as is_deleted,
        {{ to_utc('archived_at') }} as archived_at
    from with_country_code
)

select * from final
