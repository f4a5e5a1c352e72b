"""Arrow schemas of every file in a demo world.

A world directory holds one Parquet file per source object, named `<system>/<object>.parquet`,
with the source system's own field names. Versioned files carry `_version_at`: each row is one
version of a record, visible from that moment on; the state of the world as of a moment T is, per
record key, the last version with `_version_at <= T`. Event files (page views, e-mail events, form
submissions) have one row per event, visible from `_version_at`.
"""

from __future__ import annotations

import pyarrow as pa

STR = pa.string()
TS = pa.timestamp("ms", tz="UTC")
DATE = pa.date32()
I64 = pa.int64()
F64 = pa.float64()
BOOL = pa.bool_()
MONEY = pa.decimal128(18, 2)
VERSION = ("_version_at", TS)


def _schema(*fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema([pa.field(name, kind) for name, kind in fields])


_SF_AUDIT = (("CreatedDate", TS), ("LastModifiedDate", TS), ("SystemModstamp", TS), ("IsDeleted", BOOL))

SCHEMAS: dict[str, pa.Schema] = {
    # --- Salesforce ---------------------------------------------------------------------------
    "salesforce/User": _schema(
        ("Id", STR), ("FirstName", STR), ("LastName", STR), ("Name", STR), ("Email", STR),
        ("Title", STR), ("Department", STR), ("IsActive", BOOL), ("ManagerId", STR),
        ("CreatedDate", TS), ("LastModifiedDate", TS), ("SystemModstamp", TS), VERSION,
    ),
    "salesforce/Account": _schema(
        ("Id", STR), ("Name", STR), ("Website", STR), ("Industry", STR), ("NumberOfEmployees", I64),
        ("AnnualRevenue", MONEY), ("BillingCountry", STR), ("Type", STR), ("OwnerId", STR),
        ("ParentId", STR), *_SF_AUDIT, VERSION,
    ),
    "salesforce/Contact": _schema(
        ("Id", STR), ("AccountId", STR), ("FirstName", STR), ("LastName", STR), ("Email", STR),
        ("Title", STR), ("Phone", STR), ("MailingCountry", STR), ("LeadSource", STR),
        ("OwnerId", STR), *_SF_AUDIT, VERSION,
    ),
    "salesforce/Lead": _schema(
        ("Id", STR), ("FirstName", STR), ("LastName", STR), ("Email", STR), ("Company", STR),
        ("Title", STR), ("Phone", STR), ("Country", STR), ("Status", STR), ("LeadSource", STR),
        ("IsConverted", BOOL), ("ConvertedDate", DATE), ("ConvertedAccountId", STR),
        ("ConvertedContactId", STR), ("ConvertedOpportunityId", STR), ("OwnerId", STR),
        ("Product_Interest__c", STR), *_SF_AUDIT, VERSION,
    ),
    "salesforce/Opportunity": _schema(
        ("Id", STR), ("AccountId", STR), ("Name", STR), ("StageName", STR), ("Amount", MONEY),
        ("CloseDate", DATE), ("Probability", F64), ("IsClosed", BOOL), ("IsWon", BOOL),
        ("ForecastCategory", STR), ("LeadSource", STR), ("CampaignId", STR), ("Type", STR),
        ("OwnerId", STR), *_SF_AUDIT, VERSION,
    ),
    "salesforce/OpportunityHistory": _schema(
        ("Id", STR), ("OpportunityId", STR), ("StageName", STR), ("Amount", MONEY),
        ("CloseDate", DATE), ("Probability", F64), ("ForecastCategory", STR),
        ("ExpectedRevenue", MONEY), ("CreatedById", STR), ("CreatedDate", TS),
        ("SystemModstamp", TS), ("IsDeleted", BOOL), VERSION,
    ),
    "salesforce/OpportunityContactRole": _schema(
        ("Id", STR), ("OpportunityId", STR), ("ContactId", STR), ("Role", STR), ("IsPrimary", BOOL),
        *_SF_AUDIT, VERSION,
    ),
    "salesforce/Campaign": _schema(
        ("Id", STR), ("Name", STR), ("Type", STR), ("Status", STR), ("StartDate", DATE),
        ("EndDate", DATE), ("BudgetedCost", MONEY), ("ActualCost", MONEY), ("IsActive", BOOL),
        ("ParentId", STR), ("OwnerId", STR), *_SF_AUDIT, VERSION,
    ),
    "salesforce/CampaignMember": _schema(
        ("Id", STR), ("CampaignId", STR), ("LeadId", STR), ("ContactId", STR),
        ("LeadOrContactId", STR), ("Status", STR), ("HasResponded", BOOL),
        ("FirstRespondedDate", DATE), *_SF_AUDIT, VERSION,
    ),
    "salesforce/Task": _schema(
        ("Id", STR), ("WhoId", STR), ("WhatId", STR), ("Subject", STR), ("Type", STR),
        ("Status", STR), ("ActivityDate", DATE), ("OwnerId", STR), ("IsArchived", BOOL),
        *_SF_AUDIT, VERSION,
    ),
    "salesforce/Event": _schema(
        ("Id", STR), ("WhoId", STR), ("WhatId", STR), ("Subject", STR), ("Type", STR),
        ("StartDateTime", TS), ("EndDateTime", TS), ("ActivityDate", DATE), ("OwnerId", STR),
        ("IsArchived", BOOL), *_SF_AUDIT, VERSION,
    ),
    # --- HubSpot ------------------------------------------------------------------------------
    "hubspot/contacts": _schema(
        ("id", STR), ("email", STR), ("firstname", STR), ("lastname", STR), ("jobtitle", STR),
        ("phone", STR), ("country", STR), ("company", STR), ("lifecyclestage", STR),
        ("hs_lifecyclestage_lead_date", TS), ("hs_lifecyclestage_marketingqualifiedlead_date", TS),
        ("hs_lifecyclestage_salesqualifiedlead_date", TS), ("hs_lifecyclestage_opportunity_date", TS),
        ("hs_lifecyclestage_customer_date", TS), ("hs_analytics_source", STR),
        ("hubspot_owner_id", STR), ("associatedcompanyid", STR), ("hs_merged_object_ids", STR),
        ("product_interest", STR), ("createdate", TS), ("lastmodifieddate", TS),
        ("archived", BOOL), ("archived_at", TS), ("_merged_into", STR), VERSION,
    ),
    "hubspot/companies": _schema(
        ("id", STR), ("name", STR), ("domain", STR), ("industry", STR), ("numberofemployees", I64),
        ("annualrevenue", MONEY), ("country", STR), ("lifecyclestage", STR),
        ("hubspot_owner_id", STR), ("createdate", TS), ("hs_lastmodifieddate", TS),
        ("archived", BOOL), ("archived_at", TS), VERSION,
    ),
    "hubspot/deals": _schema(
        ("id", STR), ("dealname", STR), ("amount", MONEY), ("dealstage", STR), ("pipeline", STR),
        ("closedate", TS), ("hubspot_owner_id", STR), ("salesforce_opportunity_id", STR),
        ("createdate", TS), ("hs_lastmodifieddate", TS), ("archived", BOOL), ("archived_at", TS),
        VERSION,
    ),
    "hubspot/associations": _schema(
        ("from_object_type", STR), ("from_id", STR), ("to_object_type", STR), ("to_id", STR),
        ("association_type_id", I64), ("association_category", STR), ("label", STR), VERSION,
    ),
    "hubspot/owners": _schema(
        ("id", STR), ("email", STR), ("firstName", STR), ("lastName", STR), ("userId", I64),
        ("createdAt", TS), ("updatedAt", TS), ("archived", BOOL), VERSION,
    ),
    "hubspot/email_campaigns": _schema(
        ("id", I64), ("app_id", I64), ("app_name", STR), ("name", STR), ("subject", STR),
        ("type", STR), ("sent_at", TS), VERSION,
    ),
    "hubspot/email_events": _schema(
        ("id", STR), ("created", TS), ("type", STR), ("recipient", STR), ("portal_id", I64),
        ("app_id", I64), ("app_name", STR), ("email_campaign_id", I64), ("sent_by_id", STR),
        ("sent_by_created", TS), ("url", STR), VERSION,
    ),
    "hubspot/forms": _schema(
        ("guid", STR), ("name", STR), ("form_type", STR), ("created_at", TS), VERSION,
    ),
    "hubspot/form_submissions": _schema(
        ("conversion_id", STR), ("form_guid", STR), ("submitted_at", TS), ("page_url", STR),
        ("values", pa.list_(pa.struct([("name", STR), ("value", STR)]))), VERSION,
    ),
    "hubspot/web_events": _schema(
        ("id", STR), ("object_type", STR), ("object_id", STR), ("event_type", STR),
        ("occurred_at", TS), ("url", STR), ("referrer", STR), ("page_title", STR), VERSION,
    ),
    # --- Google Ads ---------------------------------------------------------------------------
    "google_ads/customers": _schema(
        ("id", STR), ("descriptive_name", STR), ("currency_code", STR), ("time_zone", STR),
        ("manager", BOOL), VERSION,
    ),
    "google_ads/campaigns": _schema(
        ("id", STR), ("customer_id", STR), ("name", STR), ("status", STR),
        ("advertising_channel_type", STR), ("start_date", DATE), ("end_date", DATE),
        ("tracking_url_template", STR), ("final_url_suffix", STR), VERSION,
    ),
    "google_ads/ad_groups": _schema(
        ("id", STR), ("customer_id", STR), ("campaign_id", STR), ("name", STR), ("status", STR),
        VERSION,
    ),
    "google_ads/ads": _schema(
        ("id", STR), ("customer_id", STR), ("campaign_id", STR), ("ad_group_id", STR),
        ("name", STR), ("type", STR), ("status", STR), ("final_urls", pa.list_(STR)),
        ("tracking_url_template", STR), ("final_url_suffix", STR),
        ("url_custom_parameters", pa.list_(pa.struct([("key", STR), ("value", STR)]))), VERSION,
    ),
    "google_ads/ad_metrics": _schema(
        ("customer_id", STR), ("campaign_id", STR), ("ad_group_id", STR), ("ad_id", STR),
        ("date", DATE), ("impressions", I64), ("clicks", I64), ("cost_micros", I64),
        ("conversions", F64), ("conversions_value", F64), VERSION,
    ),
    # --- Meta (Facebook) Ads ------------------------------------------------------------------
    "facebook_ads/ad_accounts": _schema(
        ("account_id", STR), ("name", STR), ("currency", STR), ("timezone_name", STR), VERSION,
    ),
    "facebook_ads/campaigns": _schema(
        ("id", STR), ("account_id", STR), ("name", STR), ("objective", STR), ("status", STR),
        ("start_time", TS), ("stop_time", TS), ("created_time", TS), ("updated_time", TS), VERSION,
    ),
    "facebook_ads/ad_sets": _schema(
        ("id", STR), ("account_id", STR), ("campaign_id", STR), ("name", STR), ("status", STR),
        ("created_time", TS), ("updated_time", TS), VERSION,
    ),
    "facebook_ads/ad_creatives": _schema(
        ("id", STR), ("account_id", STR), ("name", STR), ("link_url", STR), ("url_tags", STR),
        VERSION,
    ),
    "facebook_ads/ads": _schema(
        ("id", STR), ("account_id", STR), ("campaign_id", STR), ("adset_id", STR),
        ("creative_id", STR), ("name", STR), ("status", STR), ("created_time", TS),
        ("updated_time", TS), VERSION,
    ),
    "facebook_ads/insights": _schema(
        ("account_id", STR), ("campaign_id", STR), ("adset_id", STR), ("ad_id", STR),
        ("date_start", DATE), ("impressions", I64), ("clicks", I64), ("spend", MONEY),
        ("leads_7d_click", I64), ("leads_1d_view", I64), VERSION,
    ),
    # --- LinkedIn Ads -------------------------------------------------------------------------
    "linkedin_ads/ad_accounts": _schema(
        ("id", STR), ("name", STR), ("currency", STR), ("type", STR), ("status", STR), VERSION,
    ),
    "linkedin_ads/campaign_groups": _schema(
        ("id", STR), ("account_id", STR), ("name", STR), ("status", STR), ("run_start", TS),
        ("run_end", TS), VERSION,
    ),
    "linkedin_ads/campaigns": _schema(
        ("id", STR), ("account_id", STR), ("campaign_group_id", STR), ("name", STR),
        ("status", STR), ("cost_type", STR), ("daily_budget_amount", MONEY),
        ("daily_budget_currency", STR), ("run_start", TS), ("run_end", TS), ("created_at", TS),
        ("last_modified_at", TS), VERSION,
    ),
    "linkedin_ads/creatives": _schema(
        ("id", STR), ("account_id", STR), ("campaign_id", STR), ("click_uri", STR),
        ("status", STR), ("created_at", TS), ("last_modified_at", TS), VERSION,
    ),
    "linkedin_ads/analytics": _schema(
        ("account_id", STR), ("campaign_id", STR), ("creative_id", STR), ("date", DATE),
        ("impressions", I64), ("clicks", I64), ("cost_in_local_currency", MONEY),
        ("cost_in_usd", MONEY), ("external_website_conversions", I64), VERSION,
    ),
    # --- Truth: what the warehouse must never see ----------------------------------------------
    "truth/people": _schema(
        ("person_id", I64), ("company_id", I64), ("first_name", STR), ("last_name", STR),
        ("email", STR), ("phone_e164", STR), ("country_code", STR), ("title", STR),
        ("seniority", STR), ("fit", F64), ("intent", F64), ("propensity", F64),
        ("known_at", TS), ("known_via", STR), ("mql_at", TS), ("sql_at", TS),
        ("became_opportunity", BOOL), ("opportunity_created_at", TS), ("is_won", BOOL),
    ),
    "truth/companies": _schema(
        ("company_id", I64), ("name", STR), ("domain", STR), ("industry", STR),
        ("employee_count", I64), ("country_code", STR), ("annual_revenue", MONEY), ("fit", F64),
    ),
    "truth/records": _schema(
        ("system", STR), ("object", STR), ("record_id", STR), ("person_id", I64),
        ("company_id", I64), ("is_test", BOOL),
    ),
    "truth/touches": _schema(
        ("person_id", I64), ("touched_at", TS), ("channel", STR), ("ad_id", STR),
    ),
}

# Record keys of every versioned source file (event files are keyed by their first column).
KEYS: dict[str, tuple[str, ...]] = {
    "google_ads/ad_metrics": ("ad_id", "date"),
    "facebook_ads/insights": ("ad_id", "date_start"),
    "linkedin_ads/analytics": ("creative_id", "date"),
    "hubspot/associations": ("from_object_type", "from_id", "to_object_type", "to_id",
                             "association_type_id"),
    "facebook_ads/ad_accounts": ("account_id",),
    "hubspot/forms": ("guid",),
    "hubspot/form_submissions": ("conversion_id",),
}


def key_of(table: str) -> tuple[str, ...]:
    """Return the record key columns of a world table."""
    return KEYS.get(table, (SCHEMAS[table].names[0],))
