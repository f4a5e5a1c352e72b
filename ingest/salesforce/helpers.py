"""Salesforce helpers: error verdicts, which fields to read, and pages as typed Arrow tables."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from ingest._transport import Verdict
from ingest.extract import keyed

# Field types SOQL cannot select in bulk (compound fields repeat their components).
_SKIPPED_TYPES = frozenset({"address", "location", "base64"})

_TEXT = pa.string()
_ARROW_TYPES: dict[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "int": pa.int64(),
    "double": pa.float64(),
    "percent": pa.float64(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}


def classify(status: int, headers: Any, body: bytes) -> Verdict:
    """Read Salesforce's answers: what to retry, renew, or end the run for.

    REQUEST_LIMIT_EXCEEDED is a spent quota; 401 INVALID_SESSION_ID renews the token; a Bulk
    result page shorter than its `Sforce-NumberOfRecords` (a body cut short can still be valid
    CSV) is fetched again.
    """
    if status == 403 and b"REQUEST_LIMIT_EXCEEDED" in body:
        return "quota"
    if status == 401:
        return "refresh"
    expected = headers.get("Sforce-NumberOfRecords") if status == 200 else None
    if expected is not None and body.count(b"\n") < int(expected) + 1:
        return "retry"
    return None


def queryable_fields(describe: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the fields of a describe result that a query selects, in describe order."""
    return [spec for spec in describe["fields"] if spec.get("type") not in _SKIPPED_TYPES]


def arrow_type(spec: dict[str, Any]) -> pa.DataType:
    """Return the Arrow type a field lands as: money as decimal, datetimes as UTC, text as text."""
    kind = spec.get("type", "string")
    if kind == "currency":
        precision = int(spec.get("precision") or 18)
        scale = int(spec.get("scale") if spec.get("scale") is not None else 2)
        return pa.decimal128(max(precision, scale + 1), scale)
    return _ARROW_TYPES.get(kind, _TEXT)


def soql_datetime(moment: datetime) -> str:
    """Format a SOQL datetime literal (unquoted, UTC, milliseconds)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_api_datetime(text: str) -> datetime:
    """Parse a datetime as the API writes it (`2024-01-15T10:20:30.000+0000`)."""
    return datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")


def _typed(values: pa.Array, spec: dict[str, Any]) -> pa.Array:
    target = arrow_type(spec)
    if values.type == target:
        return values
    try:
        return values.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ValueError(
            f"salesforce: field {spec['name']} ({spec.get('type')}) has a value that is not a "
            f"{target}: {exc}"
        ) from None


def arrow_from_records(records: list[dict[str, Any]], fields: list[dict[str, Any]]) -> pa.Table:
    """Convert a page of REST query records to a table typed from the describe."""
    columns = {}
    for spec in fields:
        name = spec["name"]
        raw = [record.get(name) for record in records]
        target = arrow_type(spec)
        if pa.types.is_boolean(target) or pa.types.is_integer(target):
            array = pa.array(raw, target)
        elif pa.types.is_floating(target):
            array = pa.array([None if v is None else float(v) for v in raw], target)
        elif pa.types.is_decimal(target):
            array = pa.array(
                [
                    None if v is None else Decimal(repr(v) if isinstance(v, float) else str(v))
                    for v in raw
                ],
            )
            array = _typed(array, spec) if len(array) else pa.array([], target)
        else:
            array = _typed(pa.array(raw, _TEXT), spec)
        columns[name] = array
    return keyed(pa.table(columns), "Id")


def arrow_from_csv(content: bytes, fields: list[dict[str, Any]]) -> pa.Table:
    """Convert a Bulk API 2.0 CSV result page to a table typed from the describe (empty = null)."""
    names = [spec["name"] for spec in fields]
    if not content.strip():
        return pa.table({spec["name"]: pa.array([], arrow_type(spec)) for spec in fields})
    table = pacsv.read_csv(
        io.BytesIO(content),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, _TEXT),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
            include_columns=names,
        ),
    )
    return keyed(
        pa.table({spec["name"]: _typed(table[spec["name"]], spec) for spec in fields}), "Id"
    )
