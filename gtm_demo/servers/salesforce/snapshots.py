"""The org metadata and query result snapshots: SOQL compiled to SQL over the world files."""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gtm_demo.servers.salesforce.errors import SalesforceError, parse_datetime
from gtm_demo.servers.salesforce.settings import (
    _NUMERIC,
    _REFERENCE_TARGETS,
    _SQL_DATETIME,
    _TEXT,
    BATCH_SIZE_DEFAULT,
    INTEGRATION_USER_ID,
    MAX_BULK_JOBS,
    MAX_OPEN_CURSORS,
    ORG_ID,
)
from gtm_demo.servers.salesforce.soql import Soql, _malformed
from gtm_demo.serving import FaultPlan, WorldState


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
