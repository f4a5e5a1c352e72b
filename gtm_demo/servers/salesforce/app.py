"""The Salesforce app: OAuth, REST query, Bulk API 2.0 jobs, describe, faults, start."""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import hmac
import io
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gtm_demo.ids import SALESFORCE_PREFIXES
from gtm_demo.servers.salesforce.errors import (
    SalesforceError,
    _label,
    _session_error,
    error_body,
    format_datetime,
    parse_datetime,
    sf_error,
)
from gtm_demo.servers.salesforce.settings import (
    _DELIMITERS,
    _LINE_ENDINGS,
    _SOAP_TYPES,
    _SQL_DATETIME,
    _VERSION,
    API_VERSION,
    BATCH_SIZE_DEFAULT,
    BATCH_SIZE_MIN,
    BULK_MAX_RECORDS_DEFAULT,
    INTEGRATION_USER_ID,
    OLDEST_VERSION,
    ORG_ID,
)
from gtm_demo.servers.salesforce.snapshots import (
    BulkJob,
    FieldSpec,
    SalesforceOrg,
    Snapshot,
    _reference_to,
)
from gtm_demo.servers.salesforce.soql import _malformed, parse_soql
from gtm_demo.servers.salesforce.writes import write_routes
from gtm_demo.serving import (
    FaultPlan,
    ServerHandle,
    WorldState,
    admin_routes,
    fault_middleware,
    serve,
)


def _check_version(request: Request, latest: str = API_VERSION) -> str:
    """Accept a served version; a retired one is 410 GONE, an unknown one 404 NOT_FOUND."""
    version = request.path_params["ver"]
    match = _VERSION.match(version)
    newest = _VERSION.match(latest)
    if not match or not newest or (int(match[1]), int(match[2])) > (int(newest[1]), 0):
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
    if int(match[1]) < OLDEST_VERSION:
        raise SalesforceError(
            410,
            "GONE",
            f"API version {version[1:]} has been retired and is no longer available; use a "
            f"version from {OLDEST_VERSION}.0 to {latest[1:]}",
        )
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
    api_version: str = API_VERSION,
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
        newest = int(org.api_version[1:].split(".")[0])
        return JSONResponse(
            [
                {"label": "Demo", "url": f"/services/data/v{major}.0", "version": f"{major}.0"}
                for major in range(OLDEST_VERSION, newest + 1)
            ]
        )

    async def limits(request: Request) -> JSONResponse:
        _check_version(request, org.api_version)
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
        version = _check_version(request, org.api_version)
        return JSONResponse(
            {
                "encoding": "UTF-8",
                "maxBatchSize": 200,
                "sobjects": [sobject_summary(version, name) for name in org.describe],
            }
        )

    async def sobject_info(request: Request) -> JSONResponse:
        version = _check_version(request, org.api_version)
        sobject = org.sobject(request.path_params["sobject"])
        return JSONResponse(
            {"objectDescribe": sobject_summary(version, sobject), "recentItems": []}
        )

    async def describe(request: Request) -> JSONResponse:
        version = _check_version(request, org.api_version)
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
        _check_version(request, org.api_version)
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
        version = _check_version(request, org.api_version)
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
        version = _check_version(request, org.api_version)
        locator, _, offset = request.path_params["locator"].rpartition("-")
        snapshot = org.cursors.get(locator)
        if snapshot is None or not offset.isdigit() or int(offset) > snapshot.total:
            raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return respond(version, snapshot, locator, int(offset), request)

    # --- Bulk API 2.0 ---
    def job_or_404(request: Request) -> BulkJob:
        _check_version(request, org.api_version)
        job = org.jobs.get(request.path_params["job"])
        if job is None:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        return job

    async def create_job(request: Request) -> JSONResponse:
        version = _check_version(request, org.api_version)
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
        *write_routes(org),
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
