"""Query parameters of the Graph API: formats, cursors, fields and filtering."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from gtm_demo.servers.facebook_ads.errors import _param_error
from gtm_demo.servers.facebook_ads.settings import DEFAULT_LIMIT, EPOCH, MAX_LIMIT


def graph_time(value: datetime | None, zone: ZoneInfo) -> str | None:
    """Render a moment as Meta does: `2026-01-02T10:20:30-0800`, in the account's time zone."""
    if value is None:
        return None
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S%z")


def money(value: Decimal | float | int) -> str:
    """Render an amount as a decimal string with two places, as insights `spend`."""
    return f"{Decimal(value):.2f}"


def ratio(value: float) -> str:
    """Render a derived metric (cpc, cpm, ctr) as Meta does: a string of up to six decimals."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def _encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> str:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise _param_error(f"Invalid cursor: {text}") from exc


def _json_param(raw: str | None, name: str) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise _param_error(f"Param {name} must be a valid JSON value") from exc


def _list_param(raw: str | None, name: str) -> list[str]:
    """Read a list parameter sent as a JSON array or as comma-separated names."""
    if raw is None or raw.strip() == "":
        return []
    text = raw.strip()
    if text.startswith("["):
        value = _json_param(text, name)
        if not isinstance(value, list):
            raise _param_error(f"Param {name} must be an array")
        return [str(v) for v in value]
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_fields(raw: str | None) -> list[str]:
    """Split a `fields` parameter at top-level commas (sub-selections like `creative{id}`)."""
    if raw is None:
        return []
    text = raw.strip()
    if text.startswith("["):
        return _list_param(text, "fields")
    names, depth, current = [], 0, ""
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        if char == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    names.append(current)
    return [name.split("{")[0].split(".")[0].strip() for name in names if name.strip()]


def _limit(params: dict[str, str]) -> int:
    raw = params.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError as exc:
        raise _param_error(f"Param limit must be an integer, got {raw}") from exc
    return max(1, min(value, MAX_LIMIT))


def _parse_day(text: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError as exc:
        raise _param_error(f"Param time_range[{name}] must be a date (YYYY-MM-DD)") from exc


_OPERATORS = {
    "EQUAL": "=",
    "NOT_EQUAL": "<>",
    "GREATER_THAN": ">",
    "GREATER_THAN_OR_EQUAL": ">=",
    "LESS_THAN": "<",
    "LESS_THAN_OR_EQUAL": "<=",
}


def _filter_value(value: Any, kind: str, field_name: str) -> Any:
    try:
        if kind == "time":
            return EPOCH + timedelta(seconds=float(value))
        if kind == "num":
            return float(value)
    except (TypeError, ValueError) as exc:
        raise _param_error(f"Filtering field {field_name} needs a numeric value") from exc
    return str(value)


def compile_filtering(
    rules: Any, columns: dict[str, tuple[str, str]]
) -> tuple[list[str], list[Any]]:
    """Translate a `filtering` array into SQL clauses over `columns` (name -> (sql, kind))."""
    if rules is None:
        return [], []
    if not isinstance(rules, list):
        raise _param_error("Param filtering must be an array")
    clauses: list[str] = []
    params: list[Any] = []
    for rule in rules:
        if not isinstance(rule, dict) or not {"field", "operator"} <= set(rule):
            raise _param_error("Each filtering rule needs field, operator and value")
        name, operator = str(rule["field"]), str(rule["operator"]).upper()
        if name not in columns:
            raise _param_error(
                f"Filtering field '{name}' with operation '{operator.lower()}' is not supported"
            )
        sql, kind = columns[name]
        value = rule.get("value")
        if operator in _OPERATORS:
            clauses.append(f"{sql} {_OPERATORS[operator]} ?")
            params.append(_filter_value(value, kind, name))
        elif operator in ("IN", "NOT_IN"):
            values = value if isinstance(value, list) else [value]
            marks = ", ".join("?" for _ in values) or "null"
            negate = "not " if operator == "NOT_IN" else ""
            clauses.append(f"coalesce({negate}({sql} in ({marks})), {operator == 'NOT_IN'})")
            params.extend(_filter_value(v, kind, name) for v in values)
        elif operator in ("IN_RANGE", "NOT_IN_RANGE"):
            if not isinstance(value, list) or len(value) != 2:
                raise _param_error(f"Filtering field {name}: {operator} needs [low, high]")
            negate = "not " if operator == "NOT_IN_RANGE" else ""
            clauses.append(f"{negate}({sql} between ? and ?)")
            params.extend(_filter_value(v, kind, name) for v in value)
        elif operator in ("CONTAIN", "NOT_CONTAIN"):
            negate = "not " if operator == "NOT_CONTAIN" else ""
            clauses.append(f"{negate}contains(lower(cast({sql} as varchar)), lower(?))")
            params.append(str(value))
        else:
            raise _param_error(f"Filtering operator '{operator}' is not supported")
    return clauses, params
