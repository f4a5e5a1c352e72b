{#- One row per resolved account (company): the survivorship of its CRM records' attributes.

    Survivorship, per attribute: the non-null value of a non-deleted record wins over a deleted one; among
    those, the most recently updated record's; ties go to Salesforce (the sales team's system of record for
    companies) before HubSpot, then to the smaller record id. Revenue and its currency come from the same
    record. -#}

{%- set attributes = [
    'account_name',
    'industry',
    'employee_count',
    'annual_revenue',
    'country_code',
] -%}

with

account_records as (
    select
        account_record_id,
        source_system,
        source_object,
        source_record_id,
        account_name,
        industry,
        employee_count,
        annual_revenue,
        annual_revenue_currency,
        country_code,
        created_at,
        updated_at,
        is_deleted
    from {{ ref('int_account_records_unioned') }}
),

account_crosswalk as (
    select
        account_record_id,
        account_id,
        domain
    from {{ ref('int_account_records_mapped') }}
),

mapped_records as (
    select
        account_crosswalk.account_id,
        account_crosswalk.domain,
        account_records.account_record_id,
        account_records.source_system,
        account_records.source_object,
        account_records.source_record_id,
        account_records.account_name,
        account_records.industry,
        account_records.employee_count,
        account_records.annual_revenue,
        account_records.annual_revenue_currency,
        account_records.country_code,
        account_records.created_at,
        account_records.updated_at,
        account_records.is_deleted,
        case account_records.source_system when 'salesforce' then 1 else 2 end as system_priority
    from account_records
    inner join account_crosswalk
        on account_records.account_record_id = account_crosswalk.account_record_id
),

ranked_records as (
    select
        account_id,
        domain,
        source_system,
        source_record_id,
        annual_revenue_currency,
        created_at,
        updated_at,
        is_deleted,
        {%- for attribute in attributes %}
            {{ attribute }},
            row_number() over (
                partition by account_id
                order by
                    case when {{ attribute }} is null then 1 else 0 end,
                    case when is_deleted then 1 else 0 end,
                    case when updated_at is null then 1 else 0 end,
                    updated_at desc,
                    system_priority,
                    account_record_id
            ) as {{ attribute }}_rank,
        {%- endfor %}
        row_number() over (
            partition by account_id, source_system
            order by
                case when is_deleted then 1 else 0 end,
                case when created_at is null then 1 else 0 end,
                created_at,
                source_record_id
        ) as primary_record_rank
    from mapped_records
),

final as (
    select
        account_id,
        {%- for attribute in attributes %}
            max(case when {{ attribute }}_rank = 1 then {{ attribute }} end) as {{ attribute }},
        {%- endfor %}
        max(case when annual_revenue_rank = 1 then annual_revenue_currency end) as annual_revenue_currency,
        min(domain) as domain,  -- noqa: RF04
        max(
            case
                when source_system = 'hubspot' and primary_record_rank = 1 and not is_deleted then source_record_id
            end
        ) as hubspot_company_id,
        max(
            case
                when source_system = 'salesforce' and primary_record_rank = 1 and not is_deleted
                    then source_record_id
            end
        ) as salesforce_account_id,
        sum(case when source_system = 'hubspot' and not is_deleted then 1 else 0 end) as hubspot_company_count,
        sum(case when source_system = 'salesforce' and not is_deleted then 1 else 0 end) as salesforce_account_count,
        sum(case when is_deleted then 1 else 0 end) as deleted_record_count,
        count(*) as record_count,
        min(case when is_deleted then 1 else 0 end) = 1 as is_deleted,
        min(created_at) as first_seen_at,
        max(updated_at) as last_updated_at
    from ranked_records
    group by account_id
)

select * from final
