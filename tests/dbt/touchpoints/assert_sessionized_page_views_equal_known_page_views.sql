-- Nothing dropped, nothing multiplied: the sessionized page views are exactly the staged page views of
-- contacts the crosswalk maps to a person (not deleted), counted without a join. Fails with one row when the
-- counts differ.

-- Runs only when the sources it reads are switched on (vars `<source>_enabled`).
{{ config(enabled=var('hubspot_enabled')) }}

with

known_contacts as (
    select source_record_id
    from {{ ref('int_person_records_mapped') }}
    where
        source_system = 'hubspot'
        and source_object = 'contacts'
        and not is_deleted
),

expected as (
    select count(*) as page_views
    from {{ ref('stg_hubspot__page_views') }}
    where
        occurred_at is not null
        and contact_id in (select known_contacts.source_record_id from known_contacts)
),

actual as (
    select
        count(*) as page_views,
        count(distinct page_view_id) as distinct_page_views
    from {{ ref('int_page_views_sessionized') }}
)

select
    expected.page_views as expected_page_views,
    actual.page_views as actual_page_views,
    actual.distinct_page_views
from expected
cross join actual
where
    expected.page_views != actual.page_views
    or actual.distinct_page_views != actual.page_views
