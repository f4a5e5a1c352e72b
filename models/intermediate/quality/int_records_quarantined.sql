{#- One row per source row, reason and detail that makes a CRM or event row unusable or defective.

    Reasons: `test_record`, `invalid_email`, `missing_email` (Salesforce leads and contacts without an e-mail),
    `missing_required_field` (`detail` names the field: contacts.email, Lead.Company, Contact.LastName,
    Opportunity.Amount), `orphaned_reference` (the row points at a record that does not exist; `detail` names
    the pointing field) and `null_key` (the field that links the row to a record is null).

    Every defect is counted, on deleted and archived rows too (the counts equal the demo world's defect
    manifest). `is_record_excluded` says whether downstream models leave the row out: a person record is left
    out when it is not in the person crosswalk (no usable identity), an event or association row when it
    cannot be linked; a missing non-key field (Lead.Company, Contact.LastName, Opportunity.Amount) or a
    dangling account reference only leaves that value null. All rows of one person record agree. Deleted and merged records are not quarantined:
    they are flagged in int_person_records_unioned and counted in int_people_resolved. -#}


{#- The checks: one per source table, field and defect. Values are SQL over the columns of `relation`
    (see the macro quarantine_checks); a check with `missing_from` fails rows whose reference is dangling. -#}
{%- set sf = "'salesforce'" -%}
{%- set hs = "'hubspot'" -%}
{%- set orphaned = "'orphaned_reference'" -%}
{%- set person_record = {
    'relation': 'person_record_status', 'source_system': 'source_system', 'source_table': 'source_object',
    'record_id': 'source_record_id', 'detail': 'email_field', 'is_record_excluded': 'is_record_excluded',
} -%}
{#- Person records: test records, invalid e-mails, missing e-mails (HubSpot requires one on a contact, a
    required field; Salesforce does not, but a lead or contact without one cannot be matched by e-mail), and
    merged-away contacts whose survivor is itself unusable. -#}
{%- set checks = [
    dict(person_record, reason="'test_record'", where='is_test_record'),
    dict(person_record, reason="'invalid_email'", where='email is not null and not is_valid_email'),
    dict(
        person_record,
        reason="case when source_system = 'hubspot' then 'missing_required_field' else 'missing_email' end",
        where='email is null and not is_merged',
    ),
    dict(
        person_record, reason=orphaned, detail="'contacts.hs_merged_object_ids'",
        where='is_merged and is_record_excluded',
    ),
] -%}
{%- for relation, table, record_id, flag, field in [
    ('salesforce_leads', 'Lead', 'lead_id', 'has_missing_company', 'Company'),
    ('salesforce_contacts', 'Contact', 'contact_id', 'has_missing_last_name', 'LastName'),
    ('salesforce_opportunities', 'Opportunity', 'opportunity_id', 'has_missing_amount', 'Amount'),
] -%}
    {%- do checks.append({
        'relation': relation, 'source_system': sf, 'source_table': "'" ~ table ~ "'", 'record_id': record_id,
        'reason': "'missing_required_field'", 'detail': "'" ~ table ~ "." ~ field ~ "'",
        'is_record_excluded': 'false', 'where': flag,
    }) -%}
{%- endfor -%}
{#- Dangling references: (relation, table, record id, key, referenced relation, its key, field, excluded,
    null key: a null reference counts as `null_key`, else it is not checked). #}
{%- for relation, table, record_id, key, referenced, referenced_key, field, excluded, null_key in [
    ('salesforce_contacts', 'Contact', 'contact_id', 'account_id', 'salesforce_accounts', 'account_id',
        'AccountId', 'false', false),
    ('salesforce_opportunities', 'Opportunity', 'opportunity_id', 'account_id', 'salesforce_accounts',
        'account_id', 'AccountId', 'false', false),
    ('salesforce_opportunity_contact_roles', 'OpportunityContactRole', 'opportunity_contact_role_id',
        'contact_id', 'salesforce_contacts', 'contact_id', 'ContactId', 'true', true),
    ('salesforce_opportunity_contact_roles', 'OpportunityContactRole', 'opportunity_contact_role_id',
        'opportunity_id', 'salesforce_opportunities', 'opportunity_id', 'OpportunityId', 'true', true),
    ('salesforce_campaign_members', 'CampaignMember', 'campaign_member_id', 'lead_id', 'salesforce_leads',
        'lead_id', 'LeadId', 'true', false),
    ('salesforce_campaign_members', 'CampaignMember', 'campaign_member_id', 'contact_id',
        'salesforce_contacts', 'contact_id', 'ContactId', 'true', false),
] -%}
    {%- do checks.append({
        'relation': relation, 'source_system': sf, 'source_table': "'" ~ table ~ "'", 'record_id': record_id,
        'reason': orphaned, 'null_key': key if null_key else none, 'detail': "'" ~ table ~ "." ~ field ~ "'",
        'is_record_excluded': excluded, 'where': none if null_key else key ~ ' is not null',
        'missing_from': {'relation': referenced, 'key': key, 'on': referenced_key},
    }) -%}
{%- endfor -%}
{%- do checks.append({
    'relation': 'salesforce_campaign_members', 'source_system': sf, 'source_table': "'CampaignMember'",
    'record_id': 'campaign_member_id', 'reason': "'null_key'", 'detail': "'CampaignMember.LeadOrContactId'",
    'is_record_excluded': 'true', 'where': 'lead_id is null and contact_id is null',
}) -%}
{#- HubSpot associations (each end must be a known record) and events (each must reach a known person). #}
{%- for relation, table, key, referenced, referenced_key, field in [
    ('hubspot_contact_company_associations', 'contacts_to_companies', 'contact_id', 'known_hubspot_contacts',
        'contact_id', 'from_id'),
    ('hubspot_contact_company_associations', 'contacts_to_companies', 'company_id', 'hubspot_companies',
        'company_id', 'to_id'),
    ('hubspot_deal_contact_associations', 'deals_to_contacts', 'deal_id', 'hubspot_deals', 'deal_id', 'from_id'),
    ('hubspot_deal_contact_associations', 'deals_to_contacts', 'contact_id', 'known_hubspot_contacts',
        'contact_id', 'to_id'),
    ('hubspot_deal_company_associations', 'deals_to_companies', 'deal_id', 'hubspot_deals', 'deal_id', 'from_id'),
    ('hubspot_deal_company_associations', 'deals_to_companies', 'company_id', 'hubspot_companies', 'company_id',
        'to_id'),
] -%}
    {%- do checks.append({
        'relation': relation, 'source_system': hs, 'source_table': "'" ~ table ~ "'", 'record_id': 'association_id',
        'reason': orphaned, 'detail': "'" ~ table ~ "." ~ field ~ "'", 'is_record_excluded': 'true',
        'missing_from': {'relation': referenced, 'key': key, 'on': referenced_key},
    }) -%}
{%- endfor -%}
{%- for relation, table, record_id, key, referenced, referenced_key, field in [
    ('hubspot_page_views', 'web_events', 'page_view_id', 'contact_id', 'known_hubspot_contacts', 'contact_id',
        'object_id'),
    ('hubspot_email_events', 'email_events', 'email_event_id', 'recipient_email', 'known_emails', 'email',
        'recipient'),
    ('hubspot_form_submissions', 'form_submissions', 'form_submission_id', 'email', 'known_emails', 'email',
        'email'),
] -%}
    {%- do checks.append({
        'relation': relation, 'source_system': hs, 'source_table': "'" ~ table ~ "'", 'record_id': record_id,
        'reason': orphaned, 'null_key': key, 'detail': "'" ~ table ~ "." ~ field ~ "'",
        'is_record_excluded': 'true', 'missing_from': {'relation': referenced, 'key': key, 'on': referenced_key},
    }) -%}
{%- endfor %}
{#- Only the checks of the CRMs switched on (vars `salesforce_enabled`, `hubspot_enabled`). #}
{%- if not var('salesforce_enabled') %}
    {%- set checks = checks | rejectattr('source_system', 'equalto', sf) | list %}
{%- endif %}
{%- if not var('hubspot_enabled') %}
    {%- set checks = checks | rejectattr('source_system', 'equalto', hs) | list %}
{%- endif %}

with

person_records as (
    select
        person_record_id,
        source_system,
        source_object,
        source_record_id,
        email,
        is_valid_email,
        is_test_record,
        is_merged
    from {{ ref('int_person_records_unioned') }}
),

person_crosswalk as (
    select person_record_id
    from {{ ref('int_person_records_mapped') }}
),

{%- if var('salesforce_enabled') %}

    salesforce_leads as (
        select
            lead_id,
            has_missing_company
        from {{ ref('stg_salesforce__leads') }}
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_contacts as (
        select
            contact_id,
            account_id,
            has_missing_last_name
        from {{ ref('stg_salesforce__contacts') }}
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_accounts as (
        select account_id
        from {{ ref('stg_salesforce__accounts') }}
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_opportunities as (
        select
            opportunity_id,
            account_id,
            has_missing_amount
        from {{ ref('stg_salesforce__opportunities') }}
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_opportunity_contact_roles as (
        select
            opportunity_contact_role_id,
            opportunity_id,
            contact_id
        from {{ ref('stg_salesforce__opportunity_contact_roles') }}
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_campaign_members as (
        select
            campaign_member_id,
            lead_id,
            contact_id
        from {{ ref('stg_salesforce__campaign_members') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    hubspot_companies as (
        select company_id
        from {{ ref('stg_hubspot__companies') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    hubspot_deals as (
        select deal_id
        from {{ ref('stg_hubspot__deals') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    hubspot_contact_company_associations as (
        select
            contact_id,
            company_id,
        {{ dbt.concat([
            "contact_id", "':'", "company_id", "':'", dbt.cast("association_type_id", dbt.type_string()),
        ]) }} as association_id
        from {{ ref('stg_hubspot__contact_company_associations') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    hubspot_deal_contact_associations as (
        select
            deal_id,
            contact_id,
        {{ dbt.concat([
            "deal_id", "':'", "contact_id", "':'", dbt.cast("association_type_id", dbt.type_string()),
        ]) }} as association_id
        from {{ ref('stg_hubspot__deal_contact_associations') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    hubspot_deal_company_associations as (
        select
            deal_id,
            company_id,
        {{ dbt.concat([
            "deal_id", "':'", "company_id", "':'", dbt.cast("association_type_id", dbt.type_string()),
        ]) }} as association_id
        from {{ ref('stg_hubspot__deal_company_associations') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    hubspot_page_views as (
        select
            page_view_id,
            contact_id
        from {{ ref('stg_hubspot__page_views') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    hubspot_email_events as (
        select
            email_event_id,
            recipient_email
        from {{ ref('stg_hubspot__email_events') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    hubspot_form_submissions as (
        select
            form_submission_id,
            email
        from {{ ref('stg_hubspot__form_submissions') }}
    ),

{%- endif %}

-- Person records, and the records references may point at ----------------------------------------------

person_record_status as (
    select
        person_records.person_record_id,
        person_records.source_system,
        person_records.source_object,
        person_records.source_record_id,
        person_records.email,
        person_records.is_valid_email,
        person_records.is_test_record,
        person_records.is_merged,
        person_crosswalk.person_record_id is null as is_record_excluded,
        case
            when person_records.source_system = 'hubspot' then 'contacts.email'
            else {{ dbt.concat(["person_records.source_object", "'.Email'"]) }}
        end as email_field
    from person_records
    left join person_crosswalk
        on person_records.person_record_id = person_crosswalk.person_record_id
),

known_hubspot_contacts as (
    select source_record_id as contact_id
    from person_records
    where source_system = 'hubspot'
),

known_emails as (
    select distinct email
    from person_records
    where email is not null
),

unioned as (
    {{- quarantine_checks(checks) }}
),

final as (
    -- A person record is left out as a whole or not at all: the crosswalk decides, whatever the reason.
    select
        unioned.source_system,
        unioned.source_table,
        unioned.record_id,
        unioned.reason,
        unioned.detail,
        coalesce(person_record_status.is_record_excluded, unioned.is_record_excluded) as is_record_excluded
    from unioned
    left join person_record_status
        on
            unioned.source_system = person_record_status.source_system
            and unioned.source_table = person_record_status.source_object
            and unioned.record_id = person_record_status.source_record_id
)

select * from final
