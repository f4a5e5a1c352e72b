"""A local Salesforce that speaks the real REST and Bulk API 2.0 wire formats over the demo world.

A source written against Salesforce runs unchanged against it, then against the real org:

- OAuth: `POST /services/oauth2/token` (client credentials, password or refresh token grants);
  API calls need `Authorization: Bearer <token>`.
- SOQL: `GET /services/data/vXX.X/query?q=` and `/queryAll?q=` (soft-deleted records included),
  paged by a relative `nextRecordsUrl` (`/services/data/vXX.X/query/<locator>-<offset>`) over a
  server-side snapshot of the result, `Sforce-Query-Options: batchSize=N` honoured.
- Describe: `/sobjects/` and `/sobjects/<Object>/describe`; custom fields exist from their
  `introduced_at` on. Deleted records: `/sobjects/<Object>/deleted/?start=&end=`.
- Bulk API 2.0 query jobs: `POST /jobs/query`, poll `GET /jobs/query/<id>`, CSV results paged by
  `Sforce-Locator`, gzip when the client accepts it.
- Every `/services/data` response carries `Sforce-Limit-Info`; past the daily limit calls get 403
  `REQUEST_LIMIT_EXCEEDED`. Faults: the generic kinds of `gtm_demo.serving`, plus
  `expired_token` (the session dies: 401 `INVALID_SESSION_ID`) and `repeat_record` (the next page
  starts with the last record of the page before it).

SOQL is parsed here and translated to parameterised DuckDB SQL over `WorldState.table`; the
subset covers what extraction sends: a field list, one object, `WHERE` with comparisons, `IN`,
`LIKE`, `AND`/`OR`/`NOT` and parentheses, `ORDER BY`, `LIMIT`, `OFFSET`.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import hmac
import io
import itertools
import json
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gtm_demo.ids import SALESFORCE_PREFIXES, salesforce_id
from gtm_demo.serving import (
    FaultPlan,
    ServerHandle,
    WorldState,
    admin_routes,
    fault_middleware,
    serve,
)

# DuckDB strftime format of a Salesforce REST datetime: 2024-01-15T10:20:30.000+0000.
_SQL_DATETIME = "%Y-%m-%dT%H:%M:%S.%g+0000"
BATCH_SIZE_DEFAULT = 2000
BATCH_SIZE_MIN = 200
BULK_MAX_RECORDS_DEFAULT = 50_000
MAX_OPEN_CURSORS = 20
MAX_BULK_JOBS = 50
ORG_ID = "00D5g00000LumenEAA"
INTEGRATION_USER_ID = salesforce_id("User", 999_999)

_VERSION = re.compile(r"^v\d+\.\d$")
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


# --- errors -------------------------------------------------------------------------------------


class SalesforceError(Exception):
    """An API error, answered as Salesforce's JSON error array."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def sf_error(status: int, code: str, message: str) -> JSONResponse:
    """Return Salesforce's error body: `[{"message": ..., "errorCode": ...}]`."""
    return JSONResponse([{"message": message, "errorCode": code}], status_code=status)


def error_body(status: int, message: str) -> Response:
    """Render an injected status as Salesforce would answer it (for `fault_middleware`)."""
    return sf_error(status, _STATUS_CODES.get(status, "UNKNOWN_EXCEPTION"), message)


def _session_error() -> JSONResponse:
    return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")


# --- formats ------------------------------------------------------------------------------------


def format_datetime(moment: datetime) -> str:
    """Format `moment` the way the REST API does: `2024-01-15T10:20:30.000+0000`."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    """Parse an ISO datetime as Salesforce accepts it (`Z`, `+0000` or `+00:00`; UTC if naive)."""
    value = datetime.fromisoformat(text.strip().replace(" ", "+"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _label(name: str) -> str:
    if name.endswith("__c"):
        return name[:-3].replace("_", " ")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


# --- SOQL ---------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    |(?P<string>'(?:[^'\\]|\\.)*')
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
    |(?P<number>[+-]?\d+(?:\.\d+)?)(?![\w.])
    |(?P<op>!=|<>|<=|>=|=|<|>)
    |(?P<punct>[(),])
    |(?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    """,
    re.VERBOSE,
)
_KEYWORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "not",
    "in",
    "like",
    "order",
    "by",
    "asc",
    "desc",
    "nulls",
    "first",
    "last",
    "limit",
    "offset",
    "true",
    "false",
    "null",
}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


@dataclass
class Token:
    """One SOQL token: its kind (string, datetime, date, number, op, punct, word) and text."""

    kind: str
    text: str
    pos: int


@dataclass
class Soql:
    """A parsed SOQL query."""

    fields: list[str]
    sobject: str
    where: tuple | None = None
    order: list[tuple[str, bool, bool | None]] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


def _malformed(message: str) -> SalesforceError:
    return SalesforceError(400, "MALFORMED_QUERY", message)


def tokenize(text: str) -> list[Token]:
    """Split SOQL into tokens; anything unrecognised is a MALFORMED_QUERY."""
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _malformed(f"unexpected token: '{text[pos : pos + 20]}'")
        if match.lastgroup != "ws":
            tokens.append(Token(match.lastgroup or "", match.group(), pos))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> Token | None:
        index = self.i + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def is_keyword(self, word: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == "word" and token.text.lower() == word

    def is_punct(self, char: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "punct" and token.text == char

    def next(self, what: str) -> Token:
        token = self.peek()
        if token is None:
            raise _malformed(f"unexpected end of query, expecting {what}")
        self.i += 1
        return token

    def keyword(self, word: str) -> None:
        token = self.next(word.upper())
        if token.kind != "word" or token.text.lower() != word:
            raise _malformed(f"unexpected token: '{token.text}', expecting {word.upper()}")

    def name(self, what: str) -> str:
        token = self.next(what)
        if token.kind != "word" or token.text.lower() in _KEYWORDS:
            raise _malformed(f"unexpected token: '{token.text}', expecting {what}")
        if self.is_punct("("):
            raise _malformed(f"functions are not supported here: '{token.text}('")
        return token.text

    def integer(self, what: str) -> int:
        token = self.next(what)
        if token.kind != "number" or not token.text.isdigit():
            raise _malformed(f"unexpected token: '{token.text}', expecting {what}")
        return int(token.text)

    def parse(self) -> Soql:
        self.keyword("select")
        fields = [self.name("a field name")]
        while self.is_punct(","):
            self.i += 1
            fields.append(self.name("a field name"))
        self.keyword("from")
        query = Soql(fields, self.name("an object name"))
        if self.is_keyword("where"):
            self.i += 1
            query.where = self.disjunction()
        if self.is_keyword("order"):
            self.i += 1
            self.keyword("by")
            query.order.append(self.order_item())
            while self.is_punct(","):
                self.i += 1
                query.order.append(self.order_item())
        if self.is_keyword("limit"):
            self.i += 1
            query.limit = self.integer("a LIMIT")
        if self.is_keyword("offset"):
            self.i += 1
            query.offset = self.integer("an OFFSET")
        if self.peek() is not None:
            raise _malformed(f"unexpected token: '{self.peek().text}'")  # type: ignore[union-attr]
        return query

    def order_item(self) -> tuple[str, bool, bool | None]:
        name = self.name("a field to order by")
        descending = False
        if self.is_keyword("asc") or self.is_keyword("desc"):
            descending = self.next("ASC or DESC").text.lower() == "desc"
        nulls_first = None
        if self.is_keyword("nulls"):
            self.i += 1
            token = self.next("FIRST or LAST")
            if token.text.lower() not in ("first", "last"):
                raise _malformed(f"unexpected token: '{token.text}', expecting FIRST or LAST")
            nulls_first = token.text.lower() == "first"
        return name, descending, nulls_first

    def disjunction(self) -> tuple:
        terms = [self.conjunction()]
        while self.is_keyword("or"):
            self.i += 1
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else ("or", terms)

    def conjunction(self) -> tuple:
        terms = [self.factor()]
        while self.is_keyword("and"):
            self.i += 1
            terms.append(self.factor())
        return terms[0] if len(terms) == 1 else ("and", terms)

    def factor(self) -> tuple:
        if self.is_keyword("not"):
            self.i += 1
            return ("not", self.factor())
        if self.is_punct("("):
            self.i += 1
            inner = self.disjunction()
            if not self.is_punct(")"):
                raise _malformed("expecting ')'")
            self.i += 1
            return inner
        name = self.name("a field name")
        if self.is_keyword("not") and self.is_keyword("in", 1):
            self.i += 2
            return ("in", name, True, self.literal_list())
        if self.is_keyword("in"):
            self.i += 1
            return ("in", name, False, self.literal_list())
        if self.is_keyword("like"):
            self.i += 1
            value = self.literal()
            if value[0] != "string":
                raise _malformed("LIKE needs a quoted string")
            return ("like", name, value)
        token = self.next("an operator")
        if token.kind != "op":
            raise _malformed(f"unexpected token: '{token.text}', expecting an operator")
        op = "!=" if token.text == "<>" else token.text
        return ("cmp", name, op, self.literal())

    def literal_list(self) -> list[tuple[str, Any]]:
        if not self.is_punct("("):
            raise _malformed("expecting '(' after IN")
        self.i += 1
        values = [self.literal()]
        while self.is_punct(","):
            self.i += 1
            values.append(self.literal())
        if not self.is_punct(")"):
            raise _malformed("expecting ')' to close the IN list")
        self.i += 1
        return values

    def literal(self) -> tuple[str, Any]:
        token = self.next("a value")
        if token.kind == "string":
            body = token.text[1:-1]
            return "string", re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], "\\" + m[1]), body)
        if token.kind == "datetime":
            return "datetime", parse_datetime(token.text)
        if token.kind == "date":
            return "date", date.fromisoformat(token.text)
        if token.kind == "number":
            return "number", Decimal(token.text)
        if token.kind == "word" and token.text.lower() in ("true", "false"):
            return "boolean", token.text.lower() == "true"
        if token.kind == "word" and token.text.lower() == "null":
            return "null", None
        raise _malformed(f"unexpected token: '{token.text}', expecting a value")


def parse_soql(text: str) -> Soql:
    """Parse the SOQL subset this server understands."""
    return _Parser(text).parse()


# --- the org's metadata -------------------------------------------------------------------------


@dataclass
class FieldSpec:
    """One field of an sObject as the describe call reports it."""

    name: str
    type: str
    custom: bool
    nillable: bool
    introduced_at: datetime | None = None


def _load_describe(world: Path) -> dict[str, list[FieldSpec]]:
    raw = json.loads((world / "salesforce" / "_describe.json").read_text())
    objects = {}
    for sobject, spec in raw.items():
        fields = []
        for entry in spec["fields"]:
            introduced = entry.get("introduced_at")
            if introduced is not None:
                introduced = parse_datetime(introduced)
            fields.append(
                FieldSpec(
                    entry["name"], entry["type"], entry["custom"], entry["nillable"], introduced
                )
            )
        objects[sobject] = fields
    return objects


def _reference_to(sobject: str, name: str, objects: set[str]) -> list[str]:
    if name in _REFERENCE_TARGETS:
        return _REFERENCE_TARGETS[name]
    if name == "ParentId":
        return [sobject]
    target = name.removeprefix("Converted").removesuffix("Id")
    return [target] if target in objects else []


# --- result snapshots ---------------------------------------------------------------------------


@dataclass
class Snapshot:
    """A query result frozen in a DuckDB table: rows numbered in query order."""

    table: str
    sobject: str
    fields: list[FieldSpec]
    total: int
    batch_size: int = BATCH_SIZE_DEFAULT


@dataclass
class BulkJob:
    """A Bulk API 2.0 query job and the snapshot of its result."""

    id: str
    operation: str
    snapshot: Snapshot
    created: str
    api_version: str
    column_delimiter: str
    line_ending: str
    polls: int = 0
    state: str = "UploadComplete"

    def info(self) -> dict[str, Any]:
        """Return the job as `GET /jobs/query/<id>` describes it."""
        body = {
            "id": self.id,
            "operation": self.operation,
            "object": self.snapshot.sobject,
            "createdById": INTEGRATION_USER_ID,
            "createdDate": self.created,
            "systemModstamp": self.created,
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.api_version[1:]),
            "lineEnding": self.line_ending,
            "columnDelimiter": self.column_delimiter,
        }
        if self.polls:
            body |= {
                "jobType": "V2Query",
                "numberRecordsProcessed": (
                    self.snapshot.total if self.state == "JobComplete" else 0
                ),
                "retries": 0,
                "totalProcessingTime": 0,
                "isPkChunkingSupported": True,
            }
        return body


class SalesforceOrg:
    """The server's mutable side: sessions, API usage, open cursors and bulk jobs."""

    def __init__(
        self,
        state: WorldState,
        plan: FaultPlan,
        client_id: str,
        client_secret: str,
        daily_limit: int,
        api_version: str,
    ) -> None:
        self.state = state
        self.plan = plan
        self.client_id = client_id
        self.client_secret = client_secret
        self.daily_limit = daily_limit
        self.api_version = api_version
        self.describe = _load_describe(state.world)
        self.tokens: set[str] = set()
        self.used = 0
        self.cursors: OrderedDict[str, Snapshot] = OrderedDict()
        self.jobs: OrderedDict[str, BulkJob] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # --- metadata ---
    def sobject(self, name: str) -> str:
        """Return the canonical name of sObject `name` (case-insensitive), or INVALID_TYPE."""
        for sobject in self.describe:
            if sobject.lower() == name.lower():
                return sobject
        raise SalesforceError(
            400,
            "INVALID_TYPE",
            f"sObject type '{name}' is not supported. If you are attempting to use a custom "
            "object, be sure to append the '__c' after the entity name. Please reference your "
            "WSDL or the describe call for the appropriate names.",
        )

    def fields(self, sobject: str) -> list[FieldSpec]:
        """Return the fields of `sobject` that exist at the world's moment."""
        moment = self.state.moment
        return [
            f
            for f in self.describe[sobject]
            if f.introduced_at is None or moment >= f.introduced_at
        ]

    # --- sessions and usage ---
    def issue_token(self) -> str:
        """Remember and return a new access token."""
        token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(48)}"
        with self._lock:
            self.tokens.add(token)
        return token

    def count_call(self) -> int:
        """Count one API call and return the usage so far."""
        with self._lock:
            self.used += 1
            return self.used

    def limit_info(self) -> bytes:
        """Return the value of the `Sforce-Limit-Info` header."""
        return f"api-usage={self.used}/{self.daily_limit}".encode()

    def new_id(self, prefix: str) -> str:
        """Return a new 18-character id with `prefix` (locators, jobs)."""
        return f"{prefix}{next(self._ids):015d}"

    # --- snapshots ---
    def snapshot(self, query: Soql, include_deleted: bool) -> Snapshot:
        """Run `query` against the world's moment and freeze its result in a DuckDB table."""
        sobject = self.sobject(query.sobject)
        by_name = {f.name.lower(): f for f in self.fields(sobject)}

        def resolve(name: str) -> FieldSpec:
            spec = by_name.get(name.lower())
            if spec is None:
                if "." in name:
                    message = f"Didn't understand relationship '{name.split('.')[0]}' in field path"
                else:
                    message = (
                        f"No such column '{name}' on entity '{sobject}'. If you are attempting "
                        "to use a custom field, be sure to append the '__c' after the custom "
                        "field name. Please reference your WSDL or the describe call for the "
                        "appropriate names."
                    )
                raise SalesforceError(400, "INVALID_FIELD", message)
            return spec

        selected = [resolve(name) for name in query.fields]
        seen: set[str] = set()
        for spec in selected:
            if spec.name in seen:
                raise _malformed(f"duplicate field selected: {spec.name}")
            seen.add(spec.name)
        params: list[Any] = []
        conditions = []
        if not include_deleted and "isdeleted" in by_name:
            conditions.append('"IsDeleted" = false')
        if query.where is not None:
            conditions.append(_condition(query.where, resolve, params))
        order = []
        for name, descending, nulls_first in query.order:
            spec = resolve(name)
            first = (not descending) if nulls_first is None else nulls_first
            direction = "desc" if descending else "asc"
            order.append(f'"{spec.name}" {direction} nulls {"first" if first else "last"}')
        order.append('"Id" asc')
        table = self.state.table(f"salesforce/{sobject}")
        outputs = ", ".join(f"{_output(spec)} as c{i}" for i, spec in enumerate(selected))
        where = " and ".join(conditions) or "true"
        order_sql = ", ".join(order)
        name = f"sf_result_{next(self._ids)}"
        # Rows are numbered 1.. in query order after OFFSET and LIMIT, so pages are ranges.
        window = f"__rn > {int(query.offset)}"
        if query.limit is not None:
            window += f" and __rn <= {int(query.offset) + int(query.limit)}"
        created = self.state.fetch(
            f"create table {name} as select __rn - {int(query.offset)} as __rn, * exclude (__rn) "
            f"from (select row_number() over (order by {order_sql}) as __rn, "
            f'"Id" as __id, {outputs} from {table} where {where}) where {window} order by __rn',
            params,
        )
        total = int(created[0]["Count"]) if created else 0
        return Snapshot(name, sobject, selected, total)

    def page(self, snapshot: Snapshot, offset: int, count: int) -> list[tuple]:
        """Return rows `offset`..`offset+count` of a snapshot as (id, values...) tuples."""
        rows = self.state.fetch(
            f"select * exclude (__rn) from {snapshot.table} where __rn > ? and __rn <= ? "
            "order by __rn",
            [offset, offset + count],
        )
        return [tuple(row.values()) for row in rows]

    def drop(self, snapshot: Snapshot) -> None:
        """Forget a snapshot's table."""
        self.state.fetch(f"drop table if exists {snapshot.table}")

    def keep_cursor(self, snapshot: Snapshot) -> str:
        """Keep a snapshot for paging; the oldest cursors beyond the limit are closed."""
        locator = self.new_id("01g5g")
        with self._lock:
            self.cursors[locator] = snapshot
            stale = []
            while len(self.cursors) > MAX_OPEN_CURSORS:
                stale.append(self.cursors.popitem(last=False)[1])
        for old in stale:
            self.drop(old)
        return locator

    def keep_job(self, job: BulkJob) -> None:
        """Keep a bulk job; the oldest jobs beyond the limit are deleted."""
        with self._lock:
            self.jobs[job.id] = job
            stale = []
            while len(self.jobs) > MAX_BULK_JOBS:
                stale.append(self.jobs.popitem(last=False)[1])
        for old in stale:
            self.drop(old.snapshot)


def _output(spec: FieldSpec) -> str:
    column = f'"{spec.name}"'
    if spec.type == "datetime":
        return f"strftime({column} at time zone 'UTC', '{_SQL_DATETIME}')"
    if spec.type == "date":
        return f"strftime({column}, '%Y-%m-%d')"
    if spec.type == "currency":
        return f"cast({column} as double)"
    return column


_SF_TYPE_NAMES = {"datetime": "dateTime", "reference": "id"}
_LITERAL_FOR = {
    "datetime": "datetime",
    "date": "date",
    "boolean": "boolean",
    **{t: "number" for t in _NUMERIC},
    **{t: "string" for t in _TEXT},
}


def _value(spec: FieldSpec, literal: tuple[str, Any]) -> Any:
    kind, value = literal
    wanted = _LITERAL_FOR.get(spec.type, "string")
    if kind != wanted:
        quoted = "" if wanted == "string" else "not "
        type_name = _SF_TYPE_NAMES.get(spec.type, spec.type)
        raise SalesforceError(
            400,
            "INVALID_FIELD",
            f"value of filter criterion for field '{spec.name}' must be of type {type_name} "
            f"and should {quoted}be enclosed in quotes",
        )
    if kind == "number":
        return int(value) if spec.type == "int" and value == value.to_integral() else float(value)
    return value


def _condition(node: tuple, resolve: Callable[[str], FieldSpec], params: list[Any]) -> str:
    kind = node[0]
    if kind in ("and", "or"):
        return "(" + f" {kind} ".join(_condition(n, resolve, params) for n in node[1]) + ")"
    if kind == "not":
        return f"(not {_condition(node[1], resolve, params)})"
    spec = resolve(node[1])
    column = f'"{spec.name}"'
    if kind == "like":
        if spec.type not in _TEXT:
            raise SalesforceError(
                400, "INVALID_FIELD", f"invalid operator on {spec.type} field: {spec.name}"
            )
        params.append(node[2][1])
        return f"({column} ilike ? escape '\\')"
    if kind == "in":
        values = [_value(spec, literal) for literal in node[3] if literal[0] != "null"]
        has_null = any(literal[0] == "null" for literal in node[3])
        parts = []
        if values:
            if spec.type == "string":
                params.extend(str(v).lower() for v in values)
                parts.append(f"lower({column}) in ({', '.join('?' for _ in values)})")
            else:
                params.extend(values)
                parts.append(f"{column} in ({', '.join('?' for _ in values)})")
        if has_null:
            parts.append(f"{column} is null")
        inner = " or ".join(parts) or "false"
        if node[2]:
            return f"(not coalesce({inner}, false))"
        return f"({inner})"
    _, _, op, literal = node
    if literal[0] == "null":
        if op == "=":
            return f"({column} is null)"
        if op == "!=":
            return f"({column} is not null)"
        raise _malformed(f"null can only be compared with = or !=, not {op}")
    value = _value(spec, literal)
    if spec.type == "string":
        params.append(value.lower())
        column = f"lower({column})"
    elif spec.type in ("id", "reference") and len(value) == 15:
        params.append(value)
        column = f"substr({column}, 1, 15)"
    else:
        params.append(value)
    if op == "!=":
        # Salesforce's != keeps null values (null is not equal to anything).
        return f"({column} is distinct from ?)"
    return f"({column} {op} ?)"


# --- the app ------------------------------------------------------------------------------------


def _check_version(request: Request) -> str:
    version = request.path_params["ver"]
    if not _VERSION.match(version):
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
    return version


def _records(org: SalesforceOrg, version: str, snapshot: Snapshot, rows: list[tuple]) -> list:
    records = []
    prefix = f"/services/data/{version}/sobjects/{snapshot.sobject}/"
    names = [spec.name for spec in snapshot.fields]
    for row in rows:
        record: dict[str, Any] = {"attributes": {"type": snapshot.sobject, "url": prefix + row[0]}}
        record.update(zip(names, row[1:], strict=True))
        records.append(record)
    return records


def _batch_size(request: Request) -> int:
    options = request.headers.get("sforce-query-options", "")
    match = re.search(r"batchSize\s*=\s*(\d+)", options, re.IGNORECASE)
    if not match:
        return BATCH_SIZE_DEFAULT
    return max(BATCH_SIZE_MIN, min(BATCH_SIZE_DEFAULT, int(match[1])))


def _csv_value(value: Any, spec: FieldSpec) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if spec.type == "datetime":
        # Bulk CSV results write UTC datetimes with a Z: 2024-01-15T10:20:30.000Z.
        return value.removesuffix("+0000") + "Z"
    return str(value)


def _form(body: bytes, request: Request) -> dict[str, str]:
    values = dict(request.query_params)
    values.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            user, password = "", ""
        values.setdefault("client_id", user)
        values.setdefault("client_secret", password)
    return values


def _gate(org: SalesforceOrg) -> Callable:
    """ASGI middleware for `/services/data`: sessions, the daily limit, `Sforce-Limit-Info`."""

    def wrap(app: Callable) -> Callable:
        async def middleware(scope: dict, receive: Callable, send: Callable) -> None:
            path = scope.get("path", "")
            if (
                scope["type"] != "http"
                or not path.startswith("/services/data/")
                or path == "/services/data/"
            ):
                await app(scope, receive, send)
                return

            async def send_with_limits(message: dict) -> None:
                if message["type"] == "http.response.start":
                    headers = [(k, v) for k, v in message.get("headers", [])]
                    headers.append((b"sforce-limit-info", org.limit_info()))
                    message = {**message, "headers": headers}
                await send(message)

            headers = dict(scope.get("headers", []))
            auth = headers.get(b"authorization", b"").decode("latin-1").strip()
            scheme, _, token = auth.partition(" ")
            token = token.strip()
            if scheme.lower() not in ("bearer", "oauth") or token not in org.tokens:
                await _session_error()(scope, receive, send_with_limits)
                return
            if org.plan.take(path, {"expired_token"}) is not None:
                with org._lock:
                    org.tokens.discard(token)
                await _session_error()(scope, receive, send_with_limits)
                return
            if org.count_call() > org.daily_limit:
                response = sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
                await response(scope, receive, send_with_limits)
                return
            await app(scope, receive, send_with_limits)

        return middleware

    return wrap


def create_app(
    state: WorldState,
    plan: FaultPlan,
    client_id: str = "demo-client",
    client_secret: str = "demo-secret",
    daily_limit: int = 1_000_000,
    api_version: str = "v62.0",
) -> Starlette:
    """Return the local Salesforce as an ASGI app serving `state`, with faults from `plan`."""
    org = SalesforceOrg(state, plan, client_id, client_secret, daily_limit, api_version)

    # --- OAuth ---
    async def token(request: Request) -> JSONResponse:
        values = _form(await request.body(), request)
        grant = values.get("grant_type", "")
        if grant not in ("client_credentials", "password", "refresh_token"):
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant type not supported",
                },
                status_code=400,
            )
        if values.get("client_id") != org.client_id or not hmac.compare_digest(
            values.get("client_secret", ""), org.client_secret
        ):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "invalid client credentials"},
                status_code=400,
            )
        if (grant == "password" and not values.get("username")) or (
            grant == "refresh_token" and not values.get("refresh_token")
        ):
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "authentication failure"},
                status_code=400,
            )
        instance = str(request.base_url).rstrip("/")
        issued = str(int(time.time() * 1000))
        identity = f"{instance}/id/{ORG_ID}/{INTEGRATION_USER_ID}"
        signature = base64.b64encode(
            hmac.new(
                org.client_secret.encode(), (identity + issued).encode(), hashlib.sha256
            ).digest()
        ).decode()
        return JSONResponse(
            {
                "access_token": org.issue_token(),
                "instance_url": instance,
                "id": identity,
                "token_type": "Bearer",
                "issued_at": issued,
                "signature": signature,
            }
        )

    # --- versions and limits ---
    async def versions(request: Request) -> JSONResponse:
        number = org.api_version[1:]
        return JSONResponse(
            [{"label": "Demo", "url": f"/services/data/{org.api_version}", "version": number}]
        )

    async def limits(request: Request) -> JSONResponse:
        _check_version(request)
        remaining = max(0, org.daily_limit - org.used)
        return JSONResponse({"DailyApiRequests": {"Max": org.daily_limit, "Remaining": remaining}})

    # --- describe ---
    def sobject_summary(version: str, sobject: str) -> dict[str, Any]:
        base = f"/services/data/{version}/sobjects/{sobject}"
        return {
            "name": sobject,
            "label": _label(sobject),
            "labelPlural": _label(sobject) + "s",
            "keyPrefix": SALESFORCE_PREFIXES.get(sobject),
            "custom": False,
            "queryable": True,
            "replicateable": True,
            "retrieveable": True,
            "searchable": sobject in ("Account", "Contact", "Lead", "Opportunity", "Campaign"),
            "urls": {
                "sobject": base,
                "describe": f"{base}/describe",
                "rowTemplate": f"{base}/{{ID}}",
            },
        }

    async def sobjects(request: Request) -> JSONResponse:
        version = _check_version(request)
        return JSONResponse(
            {
                "encoding": "UTF-8",
                "maxBatchSize": 200,
                "sobjects": [sobject_summary(version, name) for name in org.describe],
            }
        )

    async def sobject_info(request: Request) -> JSONResponse:
        version = _check_version(request)
        sobject = org.sobject(request.path_params["sobject"])
        return JSONResponse(
            {"objectDescribe": sobject_summary(version, sobject), "recentItems": []}
        )

    async def describe(request: Request) -> JSONResponse:
        version = _check_version(request)
        sobject = org.sobject(request.path_params["sobject"])
        names = set(org.describe)
        fields = []
        for spec in org.fields(sobject):
            reference = _reference_to(sobject, spec.name, names) if spec.type == "reference" else []
            length = (
                255 if spec.type == "string" else (18 if spec.type in ("id", "reference") else 0)
            )
            fields.append(
                {
                    "name": spec.name,
                    "type": spec.type,
                    "label": _label(spec.name.removesuffix("Id") if reference else spec.name),
                    "nillable": spec.nillable,
                    "custom": spec.custom,
                    "referenceTo": reference,
                    "relationshipName": spec.name.removesuffix("Id") if reference else None,
                    "length": length,
                    "precision": 18 if spec.type == "currency" else 0,
                    "scale": 2 if spec.type == "currency" else 0,
                    "soapType": _SOAP_TYPES.get(spec.type, "xsd:string"),
                    "calculated": False,
                    "filterable": True,
                    "sortable": True,
                    "picklistValues": [],
                }
            )
        return JSONResponse(
            sobject_summary(version, sobject)
            | {"fields": fields, "childRelationships": [], "recordTypeInfos": []}
        )

    # --- deleted records ---
    async def deleted(request: Request) -> JSONResponse:
        _check_version(request)
        sobject = org.sobject(request.path_params["sobject"])
        try:
            start = parse_datetime(request.query_params["start"])
            end = parse_datetime(request.query_params["end"])
        except KeyError as missing:
            raise SalesforceError(
                400, "MISSING_ARGUMENT", f"{missing.args[0]} parameter not specified"
            ) from None
        except ValueError:
            raise SalesforceError(
                400, "INVALID_REPLICATION_DATE", "start and end must be ISO datetimes"
            ) from None
        if start > end:
            raise SalesforceError(400, "INVALID_REPLICATION_DATE", "startDate must precede endDate")
        latest = min(end, state.moment)
        rows: list[dict[str, Any]] = []
        if any(spec.name == "IsDeleted" for spec in org.describe[sobject]):
            table = state.table(f"salesforce/{sobject}")
            rows = state.fetch(
                f'select "Id" as id, strftime("SystemModstamp" at time zone \'UTC\', '
                f'\'{_SQL_DATETIME}\') as "deletedDate" from {table} where "IsDeleted" '
                'and "SystemModstamp" >= ? and "SystemModstamp" <= ? '
                'order by "SystemModstamp", "Id"',
                [start, latest],
            )
        earliest = datetime.fromisoformat(state.meta["history_start"]).replace(tzinfo=UTC)
        return JSONResponse(
            {
                "deletedRecords": rows,
                "earliestDateAvailable": format_datetime(earliest),
                "latestDateCovered": format_datetime(latest),
            }
        )

    # --- SOQL ---
    def first_page(request: Request, include_deleted: bool) -> JSONResponse:
        version = _check_version(request)
        text = request.query_params.get("q")
        if not text:
            raise _malformed("the q parameter is required")
        snapshot = org.snapshot(parse_soql(text), include_deleted)
        snapshot.batch_size = _batch_size(request)
        return respond(version, snapshot, None, 0, request)

    def respond(
        version: str, snapshot: Snapshot, locator: str | None, offset: int, request: Request
    ) -> JSONResponse:
        start, count = offset, snapshot.batch_size
        if offset > 0 and org.plan.take(request.url.path, {"repeat_record"}) is not None:
            start, count = offset - 1, count + 1
        rows = org.page(snapshot, start, count)
        following = offset + snapshot.batch_size
        body: dict[str, Any] = {"totalSize": snapshot.total, "done": following >= snapshot.total}
        if following < snapshot.total:
            locator = locator or org.keep_cursor(snapshot)
            body["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{following}"
        elif locator is None:
            org.drop(snapshot)
        body["records"] = _records(org, version, snapshot, rows)
        return JSONResponse(body)

    async def query(request: Request) -> JSONResponse:
        return first_page(request, include_deleted=False)

    async def query_all(request: Request) -> JSONResponse:
        return first_page(request, include_deleted=True)

    async def query_more(request: Request) -> JSONResponse:
        version = _check_version(request)
        locator, _, offset = request.path_params["locator"].rpartition("-")
        snapshot = org.cursors.get(locator)
        if snapshot is None or not offset.isdigit() or int(offset) > snapshot.total:
            raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return respond(version, snapshot, locator, int(offset), request)

    # --- Bulk API 2.0 ---
    def job_or_404(request: Request) -> BulkJob:
        _check_version(request)
        job = org.jobs.get(request.path_params["job"])
        if job is None:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        return job

    async def create_job(request: Request) -> JSONResponse:
        version = _check_version(request)
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise SalesforceError(400, "JSON_PARSER_ERROR", "the body is not JSON") from None
        operation = body.get("operation")
        if operation not in ("query", "queryAll"):
            raise SalesforceError(400, "INVALIDJOB", f"Invalid operation: {operation}")
        delimiter = body.get("columnDelimiter", "COMMA")
        line_ending = body.get("lineEnding", "LF")
        if delimiter not in _DELIMITERS or line_ending not in _LINE_ENDINGS:
            raise SalesforceError(400, "INVALIDJOB", "Invalid columnDelimiter or lineEnding")
        text = body.get("query")
        if not text:
            raise SalesforceError(400, "INVALIDJOB", "query is required")
        snapshot = org.snapshot(parse_soql(text), include_deleted=operation == "queryAll")
        job = BulkJob(
            org.new_id("7505g"),
            operation,
            snapshot,
            format_datetime(state.moment),
            version,
            delimiter,
            line_ending,
        )
        org.keep_job(job)
        return JSONResponse(job.info())

    async def job_info(request: Request) -> JSONResponse:
        job = job_or_404(request)
        if request.method == "DELETE":
            with org._lock:
                org.jobs.pop(job.id, None)
            org.drop(job.snapshot)
            return Response(status_code=204)
        if request.method == "PATCH":
            body = json.loads(await request.body() or b"{}")
            if body.get("state") == "Aborted" and job.state != "JobComplete":
                job.state = "Aborted"
            return JSONResponse(job.info())
        job.polls += 1
        if job.state in ("UploadComplete", "InProgress"):
            job.state = "InProgress" if job.polls == 1 else "JobComplete"
        return JSONResponse(job.info())

    async def job_results(request: Request) -> Response:
        job = job_or_404(request)
        if job.state != "JobComplete":
            raise SalesforceError(
                412,
                "JOB_NOT_COMPLETE",
                "can only download query results of successfully completed bulk job with "
                f"status: JOB_COMPLETE. Current status: {job.state.upper()}",
            )
        locator = request.query_params.get("locator") or ""
        try:
            offset = int(base64.b64decode(locator + "=" * (-len(locator) % 4))) if locator else 0
        except ValueError:
            raise SalesforceError(400, "INVALID_LOCATOR", "invalid locator") from None
        try:
            max_records = int(request.query_params.get("maxRecords", BULK_MAX_RECORDS_DEFAULT))
        except ValueError:
            max_records = 0
        if max_records <= 0 or offset < 0 or offset > job.snapshot.total:
            raise SalesforceError(400, "INVALIDREQUEST", "invalid locator or maxRecords")
        start, count = offset, max_records
        if offset > 0 and org.plan.take(request.url.path, {"repeat_record"}) is not None:
            start, count = offset - 1, count + 1
        rows = org.page(job.snapshot, start, count)
        following = offset + max_records
        buffer = io.StringIO()
        writer = csv.writer(
            buffer,
            delimiter=_DELIMITERS[job.column_delimiter],
            lineterminator=_LINE_ENDINGS[job.line_ending],
            quoting=csv.QUOTE_ALL,
        )
        specs = job.snapshot.fields
        writer.writerow([spec.name for spec in specs])
        for row in rows:
            writer.writerow([_csv_value(v, s) for v, s in zip(row[1:], specs, strict=True)])
        payload = buffer.getvalue().encode("utf-8")
        next_locator = (
            base64.b64encode(str(following).encode()).decode().rstrip("=")
            if following < job.snapshot.total
            else "null"
        )
        headers = {"Sforce-Locator": next_locator, "Sforce-NumberOfRecords": str(len(rows))}
        if "gzip" in request.headers.get("accept-encoding", "").lower():
            payload = gzip.compress(payload, mtime=0)
            headers["Content-Encoding"] = "gzip"
        return Response(payload, media_type="text/csv", headers=headers)

    async def on_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, SalesforceError):
            return sf_error(exc.status, exc.code, exc.message)
        status = getattr(exc, "status_code", 500)
        if status == 404:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        return error_body(status, str(getattr(exc, "detail", exc)))

    data = "/services/data/{ver}"
    routes = [
        Route("/services/oauth2/token", token, methods=["POST"]),
        Route("/services/data", versions),
        Route("/services/data/", versions),
        Route(f"{data}/limits", limits),
        Route(f"{data}/limits/", limits),
        Route(f"{data}/sobjects", sobjects),
        Route(f"{data}/sobjects/", sobjects),
        Route(f"{data}/sobjects/{{sobject}}", sobject_info),
        Route(f"{data}/sobjects/{{sobject}}/", sobject_info),
        Route(f"{data}/sobjects/{{sobject}}/describe", describe),
        Route(f"{data}/sobjects/{{sobject}}/describe/", describe),
        Route(f"{data}/sobjects/{{sobject}}/deleted", deleted),
        Route(f"{data}/sobjects/{{sobject}}/deleted/", deleted),
        Route(f"{data}/query", query),
        Route(f"{data}/query/", query),
        Route(f"{data}/queryAll", query_all),
        Route(f"{data}/queryAll/", query_all),
        Route(f"{data}/query/{{locator}}", query_more),
        Route(f"{data}/queryAll/{{locator}}", query_more),
        Route(f"{data}/jobs/query", create_job, methods=["POST"]),
        Route(f"{data}/jobs/query/", create_job, methods=["POST"]),
        Route(f"{data}/jobs/query/{{job}}", job_info, methods=["GET", "DELETE", "PATCH"]),
        Route(f"{data}/jobs/query/{{job}}/results", job_results),
        *admin_routes(state, plan),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(_gate(org)),
            Middleware(fault_middleware(plan, error_body)),
        ],
        exception_handlers={SalesforceError: on_error, HTTPException: on_error},
    )
    app.state.org = org
    return app


def start(world_dir: Path | str, moment: datetime | None = None, **kw: Any) -> ServerHandle:
    """Serve the world in `world_dir` as a local Salesforce; the handle carries `.state`, `.plan`.

    Keyword arguments go to `create_app` (client_id, client_secret, daily_limit, api_version).
    """
    state = WorldState(Path(world_dir), moment)
    plan = FaultPlan()
    handle = serve(create_app(state, plan, **kw))
    handle.state = state  # type: ignore[attr-defined]
    handle.plan = plan  # type: ignore[attr-defined]
    return handle
