"""Salesforce endpoints, API version, objects and defaults."""

from __future__ import annotations

NAME = "salesforce"
DEFAULT_API_VERSION = "v68.0"
DEFAULT_START_DATE = "2000-01-01T00:00:00Z"
TOKEN_PATH = "/services/oauth2/token"
DATA = "/services/data/{api_version}"
"""The REST API's root under the instance URL; the endpoints below are relative to it."""
DESCRIBE = "/sobjects/{sobject}/describe"
QUERY_ALL = "/queryAll"
BULK_QUERY_JOBS = "/jobs/query"
DELETED = "/sobjects/{sobject}/deleted/"

DEFAULT_OBJECTS = (
    "Account",
    "Contact",
    "Lead",
    "Opportunity",
    "OpportunityContactRole",
    "OpportunityHistory",
    "Campaign",
    "CampaignMember",
    "User",
    "Task",
    "Event",
)
"""The sObjects the source reads by default."""
LARGE_OBJECTS = ("Lead", "Contact", "Task", "Event", "CampaignMember", "OpportunityHistory")
"""The sObjects whose first load runs as a Bulk API 2.0 job."""

BATCH_SIZE = 2000
"""Records per REST query page (`Sforce-Query-Options: batchSize`, 200 to 2,000)."""
BULK_PAGE_SIZE = 50_000
"""Records per Bulk API result page (`maxRecords`)."""
BULK_POLL_SECONDS = 0.2
"""The first wait between polls of a Bulk API job (doubling up to 10 s)."""
