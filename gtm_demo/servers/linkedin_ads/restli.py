"""Rest.li 2.0 query syntax, and the typed parameters the finders take."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import unquote

from gtm_demo.servers.linkedin_ads.errors import LinkedInError, param_error
from gtm_demo.servers.linkedin_ads.settings import _DIGITS, _PERCENT


class _RestliParser:
    """Parse one raw (still percent-encoded) Rest.li 2.0 value: `List(...)`, `(k:v)`, leaves."""

    def __init__(self, text: str, param: str) -> None:
        self.text = text
        self.param = param
        self.pos = 0

    def error(self, description: str) -> LinkedInError:
        return param_error(
            self.param, f"Invalid value for param; wrong type or other syntax error: {description}"
        )

    def parse(self) -> Any:
        value = self.value()
        if self.pos != len(self.text):
            raise self.error(f"unexpected {self.text[self.pos]!r} at position {self.pos}")
        return value

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def value(self) -> Any:
        if self.text.startswith("List(", self.pos):
            self.pos += len("List(")
            items: list[Any] = []
            if self.peek() == ")":
                self.pos += 1
                return items
            while True:
                items.append(self.value())
                char = self.peek()
                self.pos += 1
                if char == ")":
                    return items
                if char == ":":
                    raise self.error(
                        "a URN inside List() must be percent-encoded (urn%3Ali%3A...), "
                        "its colons are Rest.li syntax otherwise"
                    )
                if char != ",":
                    raise self.error("List() is not closed")
        if self.peek() == "(":
            self.pos += 1
            record: dict[str, Any] = {}
            if self.peek() == ")":
                self.pos += 1
                return record
            while True:
                key = self.leaf()
                if self.peek() != ":":
                    raise self.error(f"a record field {key!r} has no ':'")
                self.pos += 1
                record[key] = self.value()
                char = self.peek()
                self.pos += 1
                if char == ")":
                    return record
                if char != ",":
                    raise self.error("a record is not closed")
        return self.leaf()

    def leaf(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in "(),:":
            self.pos += 1
        return decode_leaf(self.text[start : self.pos], self.param)


def decode_leaf(raw: str, param: str) -> str:
    """Percent-decode one value once; a value still percent-encoded after that is an error."""
    if raw == "''":
        return ""
    decoded = unquote(raw)
    if _PERCENT.search(decoded):
        raise param_error(
            param,
            f"Invalid value for param; the value {raw!r} is percent-encoded twice "
            f"(it decodes to {decoded!r}); encode it once",
        )
    return decoded


def parse_restli(raw: str, param: str) -> Any:
    """Parse the raw query value of `param`: a Rest.li structure or a plain string."""
    if raw.startswith("List(") or raw.startswith("("):
        return _RestliParser(raw, param).parse()
    decoded = unquote(raw)
    if decoded.startswith("List(") or decoded.startswith("("):
        raise param_error(
            param,
            "Invalid value for param; wrong type or other syntax error: Rest.li structural "
            "characters ( ) , : must not be percent-encoded",
        )
    return decode_leaf(raw, param)


def parse_query(query: str) -> dict[str, Any]:
    """Parse a raw query string into Rest.li values by parameter name."""
    values: dict[str, Any] = {}
    for part in query.split("&"):
        if not part:
            continue
        name, _, raw = part.partition("=")
        name = unquote(name.replace("+", " "))
        values[name] = parse_restli(raw, name)
    return values


def _string(query: dict[str, Any], name: str, default: str | None = None) -> str | None:
    value = query.get(name, default)
    if value is not None and not isinstance(value, str):
        raise param_error(name, "Invalid value for param; a plain value is expected")
    return value


def _integer(value: Any, name: str) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise param_error(name, f"Invalid value for param; {value!r} is not an integer")
    return int(value)


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise param_error(name, "Invalid value for param; wrong type: a List(...) is expected")
    return value


def urn_ids(value: Any, name: str, kind: str) -> list[str]:
    """Return the ids of `List(urn:li:<kind>:<id>, ...)`."""
    ids = []
    for item in _list(value, name):
        prefix = f"urn:li:{kind}:"
        if not isinstance(item, str) or not item.startswith(prefix):
            raise param_error(name, f"Invalid value for param; {item!r} is not a {kind} URN")
        ident = item[len(prefix) :]
        if not _DIGITS.match(ident):
            raise param_error(name, f"Invalid value for param; {item!r} has no numeric id")
        ids.append(ident)
    return ids


def _date(value: Any, name: str) -> date:
    if not isinstance(value, dict) or not {"year", "month", "day"} <= set(value):
        raise param_error(name, "Invalid value for param; a date is (year:Y,month:M,day:D)")
    try:
        return date(
            _integer(value["year"], name),
            _integer(value["month"], name),
            _integer(value["day"], name),
        )
    except ValueError as exc:
        raise param_error(name, f"Invalid value for param; {exc}") from exc


def date_range(value: Any, default_end: date) -> tuple[date, date]:
    """Parse `dateRange=(start:(year,month,day),end:(...))`; the end defaults to today."""
    if not isinstance(value, dict) or "start" not in value:
        raise param_error("dateRange", "Invalid value for param; dateRange needs a start")
    unknown = set(value) - {"start", "end"}
    if unknown:
        raise param_error("dateRange", f"Invalid value for param; unknown fields {sorted(unknown)}")
    start = _date(value["start"], "dateRange")
    end = _date(value["end"], "dateRange") if "end" in value else default_end
    if end < start:
        raise param_error("dateRange", "Invalid value for param; the end is before the start")
    return start, end


def _date_json(day: date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


def _encode_token(values: list[int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_token(text: str) -> int:
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], int):
            raise ValueError("not a page token")
    except (ValueError, TypeError) as exc:
        raise param_error(
            "pageToken", f"Invalid value for param; {text!r} is no page token"
        ) from exc
    return values[0]


# Search criteria per finder: criterion -> (column, how a value is read).
_Criteria = dict[str, tuple[str, Callable[[str], Any]]]


def _urn_value(kind: str) -> Callable[[str], Any]:
    prefix = f"urn:li:{kind}:"

    def read(value: str) -> Any:
        if not value.startswith(prefix) or not _DIGITS.match(value[len(prefix) :]):
            raise ValueError(f"{value!r} is not a {kind} URN")
        return value[len(prefix) :]

    return read


def _id_value(value: str) -> Any:
    if not _DIGITS.match(value):
        raise ValueError(f"{value!r} is not an id")
    return value


ACCOUNT_CRITERIA: _Criteria = {
    "id": ("id", _id_value),
    "name": ("name", str),
    "status": ("status", str),
    "type": ("type", str),
    "currency": ("currency", str),
}


GROUP_CRITERIA: _Criteria = {
    "id": ("id", _id_value),
    "name": ("name", str),
    "status": ("status", str),
}


CAMPAIGN_CRITERIA: _Criteria = {
    "id": ("id", _id_value),
    "name": ("name", str),
    "status": ("status", str),
    "campaignGroup": ("campaign_group_id", _urn_value("sponsoredCampaignGroup")),
    "costType": ("cost_type", str),
}
