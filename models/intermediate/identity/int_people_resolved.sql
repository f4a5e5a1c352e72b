{#- One row per resolved person: the survivorship of the attributes of their CRM records (int_person_records_mapped).

    Survivorship, per attribute: the non-null value of a non-deleted record wins over a deleted one; among
    those, the most recently updated record's; ties go to the CRM priority Salesforce contact, Salesforce
    lead, HubSpot contact, then to the smaller record id. The e-mail is the person's canonical e-mail (the
    one person_id hashes). Record ids: the primary HubSpot contact is the earliest created non-deleted one
    (later ones are duplicates); the Salesforce lead and contact are the most recently created non-deleted
    ones, and the Salesforce account is that contact's. The account: the resolved account of the records'
    own company links (HubSpot primary company, Salesforce contact account, converted lead's account) by the
    same survivorship, else the account whose domain is the e-mail's domain unless that is a free-mail
    domain (seed free_email_domains). -#}

{%- set attributes = [
    'first_name',
    'last_name',
    'title',
    'phone_e164',
    'country_code',
    'company_name',
    'account_id',
] -%}

with

person_crosswalk as (
    select
        person_record_id,
        person_id,
        canonical_email
    from {{ ref('int_person_records_mapped') }}
),

person_records as (
    select
        person_record_id,
        source_system,
        source_object,
        source_record_id,
        is_deleted,
        is_merged,
        first_name,
        last_name,
        title,
        phone_e164,
        country_code,
        company_name,
        account_record_id,
        created_at,
        updated_at
    from {{ ref('int_person_records_unioned') }}
),

account_crosswalk as (
    select
        account_record_id,
        account_id
    from {{ ref('int_account_records_mapped') }}
),

salesforce_contacts as (
    {%- if var('salesforce_enabled') %}
        select
            contact_id,
            account_id
        from {{ ref('stg_salesforce__contacts') }}
    {%- else %}
    {{ no_rows([('contact_id', dbt.type_string()), ('account_id', dbt.type_string())]) }}
    {%- endif %}
),

accounts_by_domain as (
    select
        domain,  -- noqa: RF04
        min(account_id) as account_id
    from {{ ref('int_account_records_mapped') }}
    where domain is not null
    group by domain
),

mapped_records as (
    select
        person_crosswalk.person_id,
        person_crosswalk.canonical_email,
        person_records.person_record_id,
        person_records.source_system,
        person_records.source_object,
        person_records.source_record_id,
        person_records.is_deleted,
        person_records.is_merged,
        person_records.first_name,
        person_records.last_name,
        person_records.title,
        person_records.phone_e164,
        person_records.country_code,
        person_records.company_name,
        account_crosswalk.account_id,
        person_records.created_at,
        person_records.updated_at,
        case person_records.source_object
            when 'Contact' then 1
            when 'Lead' then 2
            else 3
        end as crm_priority,
        person_records.is_deleted or person_records.is_merged as is_inactive
    from person_crosswalk
    inner join person_records
        on person_crosswalk.person_record_id = person_records.person_record_id
    left join account_crosswalk
        on person_records.account_record_id = account_crosswalk.account_record_id
),

ranked_records as (
    select
        person_id,
        canonical_email,
        source_object,
        source_record_id,
        is_deleted,
        is_merged,
        is_inactive,
        created_at,
        updated_at,
        {%- for attribute in attributes %}
            {{ attribute }},
            row_number() over (
                partition by person_id
                order by
                    case when {{ attribute }} is null then 1 else 0 end,
                    case when is_inactive then 1 else 0 end,
                    case when updated_at is null then 1 else 0 end,
                    updated_at desc,
                    crm_priority asc,
                    person_record_id asc
            ) as {{ attribute }}_rank,
        {%- endfor %}
        row_number() over (
            partition by person_id, source_object
            order by
                case when is_inactive then 1 else 0 end,
                case when created_at is null then 1 else 0 end,
                created_at,
                source_record_id
        ) as earliest_record_rank,
        row_number() over (
            partition by person_id, source_object
            order by
                case when is_inactive then 1 else 0 end,
                case when created_at is null then 1 else 0 end,
                created_at desc,
                source_record_id desc
        ) as latest_record_rank
    from mapped_records
),

aggregated_people as (
    select
        person_id,
        min(canonical_email) as email,
        {%- for attribute in attributes %}
            max(case when {{ attribute }}_rank = 1 then {{ attribute }} end) as {{ attribute }},
        {%- endfor %}
        max(
            case
                when source_object = 'contacts' and earliest_record_rank = 1 and not is_inactive
                    then source_record_id
            end
        ) as hubspot_contact_id,
        max(
            case
                when source_object = 'Lead' and latest_record_rank = 1 and not is_inactive
                    then source_record_id
            end
        ) as salesforce_lead_id,
        max(
            case
                when source_object = 'Contact' and latest_record_rank = 1 and not is_inactive
                    then source_record_id
            end
        ) as salesforce_contact_id,
        sum(case when source_object = 'contacts' and not is_inactive then 1 else 0 end) as hubspot_contact_count,
        sum(case when source_object = 'Lead' and not is_inactive then 1 else 0 end) as salesforce_lead_count,
        sum(case when source_object = 'Contact' and not is_inactive then 1 else 0 end) as salesforce_contact_count,
        sum(case when is_deleted then 1 else 0 end) as deleted_record_count,
        sum(case when is_merged then 1 else 0 end) as merged_record_count,
        count(*) as record_count,
        min(case when is_inactive then 1 else 0 end) = 1 as is_deleted,
        min(created_at) as first_seen_at,
        max(updated_at) as last_updated_at
    from ranked_records
    group by person_id
),

people as (
    select
        person_id,
        email,
        {{ email_domain('email') }} as email_domain,
        {{ company_domain('null', 'email') }} as company_domain,
        first_name,
        last_name,
        title,
        phone_e164,
        country_code,
        company_name,
        account_id,
        hubspot_contact_id,
        salesforce_lead_id,
        salesforce_contact_id,
        hubspot_contact_count,
        salesforce_lead_count,
        salesforce_contact_count,
        deleted_record_count,
        merged_record_count,
        record_count,
        is_deleted,
        first_seen_at,
        last_updated_at
    from aggregated_people
),

final as (
    select
        people.person_id,
        people.email,
        people.email_domain,
        people.first_name,
        people.last_name,
        people.title,
        people.phone_e164,
        people.country_code,
        people.company_name,
        people.hubspot_contact_id,
        people.salesforce_lead_id,
        people.salesforce_contact_id,
        salesforce_contacts.account_id as salesforce_account_id,
        people.hubspot_contact_count,
        people.salesforce_lead_count,
        people.salesforce_contact_count,
        people.deleted_record_count,
        people.merged_record_count,
        people.record_count,
        people.is_deleted,
        people.first_seen_at,
        people.last_updated_at,
        coalesce(people.account_id, accounts_by_domain.account_id) as account_id,
        case
            when people.account_id is not null then 'crm_record'
            when accounts_by_domain.account_id is not null then 'email_domain'
        end as account_match_rule
    from people
    left join salesforce_contacts
        on people.salesforce_contact_id = salesforce_contacts.contact_id
    left join accounts_by_domain
        on people.company_domain = accounts_by_domain.domain
)

select * from final
