"""The personal-data policy of the dbt project: tags in the YAML, read back from dbt's manifest.

Every column that holds personal data carries `config: {meta: {pii: <treatment>}}` in its model's
YAML (dbt >= 1.10 keeps column `meta` under `config`; a top-level `meta:` is read too). The
treatment says what the published file for BI does with it:

- `drop`: left out (names, phone numbers, free text, raw e-mail addresses where a domain exists);
- `pseudonymise`: replaced by a keyed hash (HMAC-SHA256 with the secret key, see `keys`), so
  people stay joinable across marts without being identifiable;
- `domain`: an e-mail address reduced to the part after its `@`.

Which columns are "of a personal kind" is decided by name (`personal_kind`): e-mail addresses,
people's names, phone numbers, IP addresses, free text and person keys (the ids that point at one
person in a CRM or in the warehouse). `ALLOWED` lists the names that match a pattern but hold no
personal data, each with its reason. `untagged_personal_columns` is what the policy test and the
publish step check: a column of a personal kind in staging or above without a tag is an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TREATMENTS = ("drop", "pseudonymise", "domain")
"""What publishing may do with a tagged column."""

LAYERS = ("staging", "intermediate", "marts")
"""The model folders the policy covers (staging and above)."""

KINDS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"(^|_)(email|e_mail|recipient)$"),
    "name": re.compile(
        r"^(name|(first|last|middle|full|given|family|display)_name|"
        r"(contact|lead|person|owner|user|recipient|submitter|rep)_name)$"
    ),
    "phone": re.compile(r"(^|_)(phone|mobile|fax)(_|$)"),
    "ip": re.compile(r"(^|_)ip(_address)?$|^ip_"),
    "free_text": re.compile(
        r"(^|_)(subject|description|notes?|comments?|body|message|free_text|form_values)$"
    ),
    "person_key": re.compile(
        r"(^|_)(person|contact|lead|who|visitor|subject)_ids?$|^lead_or_contact_id$|"
        r"^merged_contact_ids?$|^person_record_id$|^recipient_id$"
    ),
}
"""Column-name patterns of each personal kind (matched against the lower-cased column name)."""

FLAG_PREFIXES = ("is_", "has_")
"""Booleans (`is_valid_email`, `has_missing_email`) say something about a value, never hold it."""

ALLOWED: dict[str, str] = {
    "subject_hash": "already a keyed hash of a person (the erasure log and suppression list)",
    "email_domain": "the part after the @: the company (B2B) or the mail provider, not a person",
    "company_domain": "the company's web domain",
    "owner_id": "the CRM user (an employee) who owns a record; the owners' names are tagged",
    "created_by_user_id": "the CRM user (an employee) who made a change",
}
"""Column names that match no pattern or match one but hold no personal data of a subject.

Listed with the reason, so that a reader sees the decision and a test can check the list.
"""


class PolicyError(ValueError):
    """The policy is broken: an unknown treatment, or a personal column left untagged."""


@dataclass(frozen=True)
class ColumnPolicy:
    """One column of one model, with its kind by name and its tag (None when untagged)."""

    model: str
    layer: str
    column: str
    kind: str | None
    treatment: str | None


def personal_kind(column: str) -> str | None:
    """Return the personal kind a column's name says it holds, or None."""
    name = column.lower()
    if name in ALLOWED or name.startswith(FLAG_PREFIXES):
        return None
    for kind, pattern in KINDS.items():
        if pattern.search(name):
            return kind
    return None


def column_treatment(column: Mapping[str, Any]) -> str | None:
    """Return the `pii` treatment of a manifest column (None when untagged).

    Raises `PolicyError` for a treatment that is not one of `TREATMENTS`.
    """
    config = column.get("config") or {}
    meta = dict(column.get("meta") or {}) | dict(config.get("meta") or {})
    value = meta.get("pii")
    if value is None:
        return None
    if value not in TREATMENTS:
        raise PolicyError(
            f"column {column.get('name')!r}: meta pii {value!r} is not one of "
            f"{', '.join(TREATMENTS)}"
        )
    return str(value)


def load_manifest(path: Path) -> dict[str, Any]:
    """Read dbt's `manifest.json`; a clear error when it is missing."""
    if not path.exists():
        raise PolicyError(f"dbt's manifest {path} does not exist; run dbt parse or dbt build first")
    return json.loads(path.read_text(encoding="utf-8"))


def _layer(node: Mapping[str, Any]) -> str | None:
    parts = Path(str(node.get("original_file_path", ""))).parts
    return parts[1] if len(parts) > 2 and parts[0] == "models" and parts[1] in LAYERS else None


def model_nodes(manifest: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Yield the project's models in staging, intermediate and marts."""
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "model" and _layer(node):
            yield node


def columns(manifest: Mapping[str, Any]) -> list[ColumnPolicy]:
    """Return every documented column of every model in staging and above, kind and tag."""
    found = []
    for node in model_nodes(manifest):
        for name, column in node.get("columns", {}).items():
            found.append(
                ColumnPolicy(
                    model=node["name"],
                    layer=str(_layer(node)),
                    column=name,
                    kind=personal_kind(name),
                    treatment=column_treatment(column),
                )
            )
    return sorted(found, key=lambda c: (c.layer, c.model, c.column))


def untagged_personal_columns(manifest: Mapping[str, Any]) -> list[ColumnPolicy]:
    """Return the columns of a personal kind (by name) that carry no `pii` tag."""
    return [c for c in columns(manifest) if c.kind is not None and c.treatment is None]


def table_policy(manifest: Mapping[str, Any], schema: str, table: str) -> dict[str, str | None]:
    """Return {column: treatment} for the model materialised as `schema.table` (empty if unknown).

    Columns that the YAML documents but leaves untagged map to None.
    """
    for node in model_nodes(manifest):
        alias = node.get("alias") or node["name"]
        if node.get("schema") == schema and alias == table:
            return {
                name: column_treatment(column) for name, column in node.get("columns", {}).items()
            }
    return {}
