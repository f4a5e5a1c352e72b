"""Versions, credentials and limits of the local Salesforce REST and Bulk APIs."""

from __future__ import annotations

import re

from gtm_demo.ids import salesforce_id

# DuckDB strftime format of a Salesforce REST datetime: 2024-01-15T10:20:30.000+0000.
_SQL_DATETIME = "%Y-%m-%dT%H:%M:%S.%g+0000"


BATCH_SIZE_DEFAULT = 2000


BATCH_SIZE_MIN = 200


BULK_MAX_RECORDS_DEFAULT = 50_000


MAX_OPEN_CURSORS = 20


MAX_BULK_JOBS = 50


ORG_ID = "00D5g00000LumenEAA"


INTEGRATION_USER_ID = salesforce_id("User", 999_999)


_VERSION = re.compile(r"^v(\d+)\.(\d)$")


API_VERSION = "v68.0"
"""The newest version served (Winter '27); `GET /services/data/` lists every one served."""
OLDEST_VERSION = 31
"""The oldest major version served: 21.0-30.0 are retired since Summer '25 and answer 410 GONE
(https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/api_rest_eol.htm)."""


_STATUS_CODES = {
    400: "MALFORMED_QUERY",
    401: "INVALID_SESSION_ID",
    403: "REQUEST_LIMIT_EXCEEDED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    412: "JOB_NOT_COMPLETE",
    429: "REQUEST_LIMIT_EXCEEDED",
    503: "SERVER_UNAVAILABLE",
}


_DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}


_LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}


# Reference fields whose target is not simply the field name without "Id".
_REFERENCE_TARGETS = {
    "OwnerId": ["User"],
    "CreatedById": ["User"],
    "ManagerId": ["User"],
    "WhoId": ["Contact", "Lead"],
    "LeadOrContactId": ["Contact", "Lead"],
    "WhatId": ["Account", "Campaign", "Opportunity"],
}


_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "string": "xsd:string",
    "datetime": "xsd:dateTime",
    "date": "xsd:date",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "percent": "xsd:double",
    "currency": "xsd:double",
    "double": "xsd:double",
}


_NUMERIC = {"int", "percent", "currency", "double"}


_TEXT = {"id", "reference", "string"}
