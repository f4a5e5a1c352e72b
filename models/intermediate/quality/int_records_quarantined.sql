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

salesforce_leads as (
    select
        lead_id,
        has_missing_company
    from {{ ref('stg_salesforce__leads') }}
),

salesforce_contacts as (
    select
        contact_id,
        account_id,
        has_missing_last_name
    from {{ ref('stg_salesforce__contacts') }}
),

salesforce_accounts as (
    select account_id
    from {{ ref('stg_salesforce__accounts') }}
),

salesforce_opportunities as (
    select
        opportunity_id,
        account_id,
        has_missing_amount
    from {{ ref('stg_salesforce__opportunities') }}
),

salesforce_opportunity_contact_roles as (
    select
        opportunity_contact_role_id,
        opportunity_id,
        contact_id
    from {{ ref('stg_salesforce__opportunity_contact_roles') }}
),

salesforce_campaign_members as (
    select
        campaign_member_id,
        lead_id,
        contact_id
    from {{ ref('stg_salesforce__campaign_members') }}
),

hubspot_companies as (
    select company_id
    from {{ ref('stg_hubspot__companies') }}
),

hubspot_deals as (
    select deal_id
    from {{ ref('stg_hubspot__deals') }}
),

hubspot_contact_company_associations as (
    select
        contact_id,
        company_id,
        association_type_id
    from {{ ref('stg_hubspot__contact_company_associations') }}
),

hubspot_deal_contact_associations as (
    select
        deal_id,
        contact_id,
        association_type_id
    from {{ ref('stg_hubspot__deal_contact_associations') }}
),

hubspot_deal_company_associations as (
    select
        deal_id,
        company_id,
        association_type_id
    from {{ ref('stg_hubspot__deal_company_associations') }}
),

hubspot_page_views as (
    select
        page_view_id,
        contact_id
    from {{ ref('stg_hubspot__page_views') }}
),

hubspot_email_events as (
    select
        email_event_id,
        recipient_email
    from {{ ref('stg_hubspot__email_events') }}
),

hubspot_form_submissions as (
    select
        form_submission_id,
        email
    from {{ ref('stg_hubspot__form_submissions') }}
),

-- Person records -----------------------------------------------------------------------------------------

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

person_record_defects as (
    select
        source_system,
        source_object as source_table,
        source_record_id as record_id,
        'test_record' as reason,
        email_field as detail,
        is_record_excluded
    from person_record_status
    where is_test_record

    union all

    select
        source_system,
        source_object as source_table,
        source_record_id as record_id,
        'invalid_email' as reason,
        email_field as detail,
        is_record_excluded
    from person_record_status
    where
        email is not null
        and not is_valid_email

    union all

    -- HubSpot requires an e-mail on a contact (a required field); Salesforce does not, but a lead or contact
    -- without one cannot be matched by e-mail.
    select
        source_system,
        source_object as source_table,
        source_record_id as record_id,
        case
            when source_system = 'hubspot' then 'missing_required_field'
            else 'missing_email'
        end as reason,
        email_field as detail,
        is_record_excluded
    from person_record_status
    where
        email is null
        and not is_merged

    union all

    -- A merged-away contact follows its survivor; when the survivor is itself unusable, so is it.
    select
        source_system,
        source_object as source_table,
        source_record_id as record_id,
        'orphaned_reference' as reason,
        'contacts.hs_merged_object_ids' as detail,
        is_record_excluded
    from person_record_status
    where
        is_merged
        and is_record_excluded
),

missing_required_fields as (
    select
        'salesforce' as source_system,
        'Lead' as source_table,
        salesforce_leads.lead_id as record_id,
        'missing_required_field' as reason,
        'Lead.Company' as detail,
        false as is_record_excluded
    from salesforce_leads
    where salesforce_leads.has_missing_company

    union all

    select
        'salesforce' as source_system,
        'Contact' as source_table,
        salesforce_contacts.contact_id as record_id,
        'missing_required_field' as reason,
        'Contact.LastName' as detail,
        false as is_record_excluded
    from salesforce_contacts
    where salesforce_contacts.has_missing_last_name

    union all

    select
        'salesforce' as source_system,
        'Opportunity' as source_table,
        salesforce_opportunities.opportunity_id as record_id,
        'missing_required_field' as reason,
        'Opportunity.Amount' as detail,
        false as is_record_excluded
    from salesforce_opportunities
    where salesforce_opportunities.has_missing_amount
),

-- References ---------------------------------------------------------------------------------------------

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

salesforce_reference_defects as (
    select
        'salesforce' as source_system,
        'Contact' as source_table,
        salesforce_contacts.contact_id as record_id,
        'orphaned_reference' as reason,
        'Contact.AccountId' as detail,
        false as is_record_excluded
    from salesforce_contacts
    left join salesforce_accounts
        on salesforce_contacts.account_id = salesforce_accounts.account_id
    where
        salesforce_contacts.account_id is not null
        and salesforce_accounts.account_id is null

    union all

    select
        'salesforce' as source_system,
        'Opportunity' as source_table,
        salesforce_opportunities.opportunity_id as record_id,
        'orphaned_reference' as reason,
        'Opportunity.AccountId' as detail,
        false as is_record_excluded
    from salesforce_opportunities
    left join salesforce_accounts
        on salesforce_opportunities.account_id = salesforce_accounts.account_id
    where
        salesforce_opportunities.account_id is not null
        and salesforce_accounts.account_id is null

    union all

    select
        'salesforce' as source_system,
        'OpportunityContactRole' as source_table,
        salesforce_opportunity_contact_roles.opportunity_contact_role_id as record_id,
        case
            when salesforce_opportunity_contact_roles.contact_id is null then 'null_key'
            else 'orphaned_reference'
        end as reason,
        'OpportunityContactRole.ContactId' as detail,
        true as is_record_excluded
    from salesforce_opportunity_contact_roles
    left join salesforce_contacts
        on salesforce_opportunity_contact_roles.contact_id = salesforce_contacts.contact_id
    where salesforce_contacts.contact_id is null

    union all

    select
        'salesforce' as source_system,
        'OpportunityContactRole' as source_table,
        salesforce_opportunity_contact_roles.opportunity_contact_role_id as record_id,
        case
            when salesforce_opportunity_contact_roles.opportunity_id is null then 'null_key'
            else 'orphaned_reference'
        end as reason,
        'OpportunityContactRole.OpportunityId' as detail,
        true as is_record_excluded
    from salesforce_opportunity_contact_roles
    left join salesforce_opportunities
        on salesforce_opportunity_contact_roles.opportunity_id = salesforce_opportunities.opportunity_id
    where salesforce_opportunities.opportunity_id is null

    union all

    select
        'salesforce' as source_system,
        'CampaignMember' as source_table,
        salesforce_campaign_members.campaign_member_id as record_id,
        'orphaned_reference' as reason,
        'CampaignMember.LeadId' as detail,
        true as is_record_excluded
    from salesforce_campaign_members
    left join salesforce_leads
        on salesforce_campaign_members.lead_id = salesforce_leads.lead_id
    where
        salesforce_campaign_members.lead_id is not null
        and salesforce_leads.lead_id is null

    union all

    select
        'salesforce' as source_system,
        'CampaignMember' as source_table,
        salesforce_campaign_members.campaign_member_id as record_id,
        'orphaned_reference' as reason,
        'CampaignMember.ContactId' as detail,
        true as is_record_excluded
    from salesforce_campaign_members
    left join salesforce_contacts
        on salesforce_campaign_members.contact_id = salesforce_contacts.contact_id
    where
        salesforce_campaign_members.contact_id is not null
        and salesforce_contacts.contact_id is null

    union all

    select
        'salesforce' as source_system,
        'CampaignMember' as source_table,
        campaign_member_id as record_id,
        'null_key' as reason,
        'CampaignMember.LeadOrContactId' as detail,
        true as is_record_excluded
    from salesforce_campaign_members
    where
        lead_id is null
        and contact_id is null
),

hubspot_association_defects as (
    select
        'hubspot' as source_system,
        'contacts_to_companies' as source_table,
        {{ dbt.concat([
            "hubspot_contact_company_associations.contact_id", "':'",
            "hubspot_contact_company_associations.company_id", "':'",
            dbt.cast("hubspot_contact_company_associations.association_type_id", dbt.type_string()),
        ]) }} as record_id,
        'orphaned_reference' as reason,
        'contacts_to_companies.from_id' as detail,
        true as is_record_excluded
    from hubspot_contact_company_associations
    left join known_hubspot_contacts
        on hubspot_contact_company_associations.contact_id = known_hubspot_contacts.contact_id
    where known_hubspot_contacts.contact_id is null

    union all

    select
        'hubspot' as source_system,
        'contacts_to_companies' as source_table,
        {{ dbt.concat([
            "hubspot_contact_company_associations.contact_id", "':'",
            "hubspot_contact_company_associations.company_id", "':'",
            dbt.cast("hubspot_contact_company_associations.association_type_id", dbt.type_string()),
        ]) }} as record_id,
        'orphaned_reference' as reason,
        'contacts_to_companies.to_id' as detail,
        true as is_record_excluded
    from hubspot_contact_company_associations
    left join hubspot_companies
        on hubspot_contact_company_associations.company_id = hubspot_companies.company_id
    where hubspot_companies.company_id is null

    union all

    select
        'hubspot' as source_system,
        'deals_to_contacts' as source_table,
        {{ dbt.concat([
            "hubspot_deal_contact_associations.deal_id", "':'",
            "hubspot_deal_contact_associations.contact_id", "':'",
            dbt.cast("hubspot_deal_contact_associations.association_type_id", dbt.type_string()),
        ]) }} as record_id,
        'orphaned_reference' as reason,
        'deals_to_contacts.from_id' as detail,
        true as is_record_excluded
    from hubspot_deal_contact_associations
    left join hubspot_deals
        on hubspot_deal_contact_associations.deal_id = hubspot_deals.deal_id
    where hubspot_deals.deal_id is null

    union all

    select
        'hubspot' as source_system,
        'deals_to_contacts' as source_table,
        {{ dbt.concat([
            "hubspot_deal_contact_associations.deal_id", "':'",
            "hubspot_deal_contact_associations.contact_id", "':'",
            dbt.cast("hubspot_deal_contact_associations.association_type_id", dbt.type_string()),
        ]) }} as record_id,
        'orphaned_reference' as reason,
        'deals_to_contacts.to_id' as detail,
        true as is_record_excluded
    from hubspot_deal_contact_associations
    left join known_hubspot_contacts
        on hubspot_deal_contact_associations.contact_id = known_hubspot_contacts.contact_id
    where known_hubspot_contacts.contact_id is null

    union all

    select
        'hubspot' as source_system,
        'deals_to_companies' as source_table,
        {{ dbt.concat([
            "hubspot_deal_company_associations.deal_id", "':'",
            "hubspot_deal_company_associations.company_id", "':'",
            dbt.cast("hubspot_deal_company_associations.association_type_id", dbt.type_string()),
        ]) }} as record_id,
        'orphaned_reference' as reason,
        'deals_to_companies.from_id' as detail,
        true as is_record_excluded
    from hubspot_deal_company_associations
    left join hubspot_deals
        on hubspot_deal_company_associations.deal_id = hubspot_deals.deal_id
    where hubspot_deals.deal_id is null

    union all

    select
        'hubspot' as source_system,
        'deals_to_companies' as source_table,
        {{ dbt.concat([
            "hubspot_deal_company_associations.deal_id", "':'",
            "hubspot_deal_company_associations.company_id", "':'",
            dbt.cast("hubspot_deal_company_associations.association_type_id", dbt.type_string()),
        ]) }} as record_id,
        'orphaned_reference' as reason,
        'deals_to_companies.to_id' as detail,
        true as is_record_excluded
    from hubspot_deal_company_associations
    left join hubspot_companies
        on hubspot_deal_company_associations.company_id = hubspot_companies.company_id
    where hubspot_companies.company_id is null
),

hubspot_event_defects as (
    select
        'hubspot' as source_system,
        'web_events' as source_table,
        hubspot_page_views.page_view_id as record_id,
        case
            when hubspot_page_views.contact_id is null then 'null_key'
            else 'orphaned_reference'
        end as reason,
        'web_events.object_id' as detail,
        true as is_record_excluded
    from hubspot_page_views
    left join known_hubspot_contacts
        on hubspot_page_views.contact_id = known_hubspot_contacts.contact_id
    where known_hubspot_contacts.contact_id is null

    union all

    select
        'hubspot' as source_system,
        'email_events' as source_table,
        hubspot_email_events.email_event_id as record_id,
        case
            when hubspot_email_events.recipient_email is null then 'null_key'
            else 'orphaned_reference'
        end as reason,
        'email_events.recipient' as detail,
        true as is_record_excluded
    from hubspot_email_events
    left join known_emails
        on hubspot_email_events.recipient_email = known_emails.email
    where known_emails.email is null

    union all

    select
        'hubspot' as source_system,
        'form_submissions' as source_table,
        hubspot_form_submissions.form_submission_id as record_id,
        case
            when hubspot_form_submissions.email is null then 'null_key'
            else 'orphaned_reference'
        end as reason,
        'form_submissions.email' as detail,
        true as is_record_excluded
    from hubspot_form_submissions
    left join known_emails
        on hubspot_form_submissions.email = known_emails.email
    where known_emails.email is null
),

unioned as (
    select * from person_record_defects
    union all
    select * from missing_required_fields
    union all
    select * from salesforce_reference_defects
    union all
    select * from hubspot_association_defects
    union all
    select * from hubspot_event_defects
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
