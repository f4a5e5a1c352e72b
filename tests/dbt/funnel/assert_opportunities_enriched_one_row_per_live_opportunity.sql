-- No fan-out: int_opportunities_enriched has exactly one row per opportunity that is not deleted (its joins to
-- accounts, people and stages never multiply or drop one). Fails with one row when the counts differ.

-- Runs only when the sources it reads are switched on (vars `<source>_enabled`).
{{ config(enabled=var('salesforce_enabled')) }}

with

expected as (
    select count(*) as opportunities
    from {{ ref('stg_salesforce__opportunities') }}
    where not is_deleted
),

actual as (
    select count(*) as opportunities
    from {{ ref('int_opportunities_enriched') }}
)

select
    expected.opportunities as expected_opportunities,
    actual.opportunities as actual_opportunities
from expected
cross join actual
where expected.opportunities != actual.opportunities
