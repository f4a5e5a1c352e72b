{#- The account crosswalk: one row per CRM company record (HubSpot company, Salesforce account) -> account_id.

    Records are the same company when their normalised domains are equal. A record without a domain takes the
    domain of the records carrying its normalised company name, when that name points at exactly one domain;
    otherwise it matches other domain-less records on the normalised name alone. A record with neither stays
    an account of its own. Deleted (archived) records stay in, flagged with `is_deleted`.

    account_id: a hash of the matching key (`domain:<domain>`, `name:<normalised name>` or the record's own id),
    so it depends only on the data, never on the day of the build. -#}

with

account_records as (
    select
        account_record_id,
        source_system,
        source_object,
        source_record_id,
        normalized_company_name,
        domain,
        is_deleted,
        created_at,
        updated_at
    from {{ ref('int_account_records_unioned') }}
),

domains_by_name as (
    select
        normalized_company_name,
        min(domain) as domain,  -- noqa: RF04
        count(distinct domain) as domain_count
    from account_records
    where
        domain is not null
        and normalized_company_name is not null
    group by normalized_company_name
),

keyed_records as (
    select
        account_records.account_record_id,
        account_records.source_system,
        account_records.source_object,
        account_records.source_record_id,
        account_records.domain,
        account_records.normalized_company_name,
        account_records.is_deleted,
        account_records.created_at,
        account_records.updated_at,
        case
            when account_records.domain is not null
                then {{ dbt.concat(["'domain:'", "account_records.domain"]) }}
            when domains_by_name.domain_count = 1
                then {{ dbt.concat(["'domain:'", "domains_by_name.domain"]) }}
            when account_records.normalized_company_name is not null
                then {{ dbt.concat(["'name:'", "account_records.normalized_company_name"]) }}
            else {{ dbt.concat(["'record:'", "account_records.account_record_id"]) }}
        end as account_key,
        case
            when account_records.domain is not null then 'domain'
            when account_records.normalized_company_name is not null then 'company_name'
            else 'unmatched'
        end as match_rule
    from account_records
    left join domains_by_name
        on
            account_records.domain is null
            and account_records.normalized_company_name = domains_by_name.normalized_company_name
),

final as (
    select
        account_record_id,
        {{ dbt.hash('account_key') }} as account_id,
        source_system,
        source_object,
        source_record_id,
        match_rule,
        account_key,
        domain,  -- noqa: RF04
        normalized_company_name,
        is_deleted,
        created_at,
        updated_at
    from keyed_records
)

select * from final
