"""Erasure requests: who to forget, given as e-mail addresses or CRM ids (one, or a file of many).

A subject is written as

- an e-mail address (`ann@example.org`; matched lower-cased and trimmed);
- a HubSpot contact id, `hubspot:1234` or just the digits `1234`;
- a Salesforce lead or contact id, `salesforce:00Q...` or the bare 15- or 18-character id, whose
  prefix says which (`00Q` lead, `003` contact).

A file holds one subject per line; blank lines and lines starting with `#` are skipped. A line
that is none of the above is an invalid request: it gets its own line in the output and its own
audit row, and the other lines are still processed.

A subject is never printed or logged: output names it by its position (`#3`, or `line 7` of a
file), its kind and the start of its keyed hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gtm.errors import GtmError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HUBSPOT_ID = re.compile(r"^\d{1,18}$")
SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")
SALESFORCE_PREFIXES = {"00Q": "salesforce_lead", "003": "salesforce_contact"}
KINDS = ("email", "hubspot_contact", "salesforce_lead", "salesforce_contact")


class RequestFileError(GtmError):
    """A file of requests that cannot be read at all."""


@dataclass(frozen=True)
class Subject:
    """One erasure request: what kind of identifier, its normalised value, where it came from."""

    where: str
    """`#n` for the n-th subject on the command line, `<file> line n` for a file."""
    kind: str | None
    """One of `KINDS`; None for an invalid request."""
    value: str
    """The normalised identifier (an invalid request keeps its text, to hash it for the audit)."""
    problem: str = ""
    """Why the request is invalid ('' when it is valid)."""

    @property
    def key_text(self) -> str:
        """Return the text that is hashed to make the subject's keyed hash."""
        return f"{self.kind or 'invalid'}:{self.value}"


def parse_subject(text: str, where: str) -> Subject:
    """Parse one request; an unreadable one comes back with `kind` None and its `problem`."""
    value = text.strip()
    system, _, rest = value.partition(":")
    if "@" in value:
        if EMAIL.match(value):
            return Subject(where, "email", value.lower())
        return Subject(where, None, value, "not a valid e-mail address")
    if rest and system.lower() == "hubspot":
        if HUBSPOT_ID.match(rest):
            return Subject(where, "hubspot_contact", rest)
        return Subject(where, None, value, "a HubSpot contact id is digits only")
    if rest and system.lower() == "salesforce":
        value = rest
    elif rest:
        return Subject(where, None, value, f"unknown system {system!r} (hubspot or salesforce)")
    if HUBSPOT_ID.match(value):
        return Subject(where, "hubspot_contact", value)
    if SALESFORCE_ID.match(value):
        kind = SALESFORCE_PREFIXES.get(value[:3])
        if kind is None:
            return Subject(
                where, None, value, "a Salesforce id of neither a lead (00Q) nor a contact (003)"
            )
        return Subject(where, kind, value)
    if not value:
        return Subject(where, None, value, "empty")
    return Subject(where, None, value, "neither an e-mail address nor a CRM id")


def read_request_file(path: Path) -> list[Subject]:
    """Read a file of requests; raises `RequestFileError` when it cannot be read as text."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RequestFileError(f"request file {path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise RequestFileError(
            f"request file {path} is not UTF-8 text (byte {exc.start}); nothing was erased"
        ) from None
    except OSError as exc:
        raise RequestFileError(f"request file {path} cannot be read: {exc.strerror}") from None
    subjects = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        subjects.append(parse_subject(stripped, f"{path.name} line {number}"))
    return subjects


def gather(values: list[str], files: list[Path]) -> list[Subject]:
    """Return the subjects given on the command line (`#1`, `#2`, ...) and in `files`."""
    subjects = [parse_subject(value, f"#{n}") for n, value in enumerate(values, start=1)]
    for path in files:
        subjects.extend(read_request_file(path))
    return subjects
