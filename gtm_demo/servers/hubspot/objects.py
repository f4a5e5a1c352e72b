"""The CRM object types, association types and labels, and property field types."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class _ObjectType:
    name: str  # plural, as in the path and the world
    singular: str
    type_id: str
    modified: str  # the last-modified property
    defaults: tuple[str, ...]
    group: str
    searchable: tuple[str, ...]

    @property
    def table(self) -> str:
        return f"hubspot/{self.name}"


OBJECTS = {
    "contacts": _ObjectType(
        "contacts",
        "contact",
        "0-1",
        "lastmodifieddate",
        ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
        "contactinformation",
        ("email", "firstname", "lastname", "phone", "company"),
    ),
    "companies": _ObjectType(
        "companies",
        "company",
        "0-2",
        "hs_lastmodifieddate",
        ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
        "companyinformation",
        ("name", "domain"),
    ),
    "deals": _ObjectType(
        "deals",
        "deal",
        "0-3",
        "hs_lastmodifieddate",
        (
            "amount",
            "closedate",
            "createdate",
            "dealname",
            "dealstage",
            "hs_lastmodifieddate",
            "hs_object_id",
            "pipeline",
        ),
        "dealinformation",
        ("dealname",),
    ),
}


ALIASES = {
    alias: obj.name for obj in OBJECTS.values() for alias in (obj.name, obj.singular, obj.type_id)
}


# Association type ids one way and the other; names as v3 list `associations=` spells them.
REVERSE_TYPE = {1: 2, 3: 4, 5: 6, 279: 280, 341: 342}


REVERSE_TYPE.update({v: k for k, v in list(REVERSE_TYPE.items())})


REVERSE_LABEL = {2: "Contact with Primary Company", 6: "Deal with Primary Company"}


TYPE_NAMES = {
    1: "contact_to_company",
    2: "company_to_contact",
    3: "deal_to_contact",
    4: "contact_to_deal",
    5: "deal_to_company",
    6: "company_to_deal",
    279: "contact_to_company_unlabeled",
    280: "company_to_contact_unlabeled",
    341: "deal_to_company_unlabeled",
    342: "company_to_deal_unlabeled",
}


LABELS = {
    "email": "Email",
    "firstname": "First Name",
    "lastname": "Last Name",
    "jobtitle": "Job Title",
    "phone": "Phone Number",
    "country": "Country/Region",
    "company": "Company Name",
    "lifecyclestage": "Lifecycle Stage",
    "hs_analytics_source": "Original Source",
    "hubspot_owner_id": "Contact owner",
    "associatedcompanyid": "Primary Associated Company ID",
    "hs_merged_object_ids": "Merged Record IDs",
    "createdate": "Create Date",
    "lastmodifieddate": "Last Modified Date",
    "hs_lastmodifieddate": "Last Modified Date",
    "hs_object_id": "Record ID",
    "name": "Company name",
    "domain": "Company Domain Name",
    "industry": "Industry",
    "numberofemployees": "Number of Employees",
    "annualrevenue": "Annual Revenue",
    "dealname": "Deal Name",
    "amount": "Amount",
    "dealstage": "Deal Stage",
    "pipeline": "Pipeline",
    "closedate": "Close Date",
    "salesforce_opportunity_id": "Salesforce Opportunity ID",
    "product_interest": "Product interest",
}


FIELD_TYPES = {"string": "text", "number": "number", "datetime": "date", "bool": "booleancheckbox"}
