-- Every CRM company record maps to exactly one account and no join fans out: the account union has one row per
-- staged HubSpot company and Salesforce account, the crosswalk one row per union row, and the accounts' record
-- counts add up to it. Fails with one row per check whose two sides differ.

-- Runs only when the sources it reads are switched on (vars `<source>_enabled`).
{{ config(enabled=var('hubspot_enabled') and var('salesforce_enabled')) }}

with

staged_counts as (
    select
        (select count(*) from {{ ref('stg_hubspot__companies') }})
        + (select count(*) from {{ ref('stg_salesforce__accounts') }}) as staged_records
),

union_counts as (
    select count(*) as union_records
    from {{ ref('int_account_records_unioned') }}
),

crosswalk_counts as (
    select
        count(*) as crosswalk_records,
        sum(case when is_deleted then 1 else 0 end) as deleted_records
    from {{ ref('int_account_records_mapped') }}
),

account_counts as (
    select
        sum(record_count) as records,
        sum(deleted_record_count) as deleted_records
    from {{ ref('int_accounts_resolved') }}
),

checks as (
    select
        'union rows = staged company records' as check_name,
        union_counts.union_records as actual,
        staged_counts.staged_records as expected
    from union_counts
    cross join staged_counts

    union all

    select
        'crosswalk rows = union rows' as check_name,
        crosswalk_counts.crosswalk_records as actual,
        union_counts.union_records as expected
    from crosswalk_counts
    cross join union_counts

    union all

    select
        'accounts record_count = crosswalk rows' as check_name,
        account_counts.records as actual,
        crosswalk_counts.crosswalk_records as expected
    from account_counts
    cross join crosswalk_counts

    union all

    select
        'accounts deleted_record_count = deleted crosswalk rows' as check_name,
        account_counts.deleted_records as actual,
        crosswalk_counts.deleted_records as expected
    from account_counts
    cross join crosswalk_counts
)

select * from checks
where actual is distinct from expected
