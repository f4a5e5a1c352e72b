"""Compare the assertions two dbt manifests make: every check of the old one must still be made.

An assertion is (model, column, check kind, arguments, config that changes its meaning). A
model-level `column_checks` test is expanded into the assertions it makes (one per listed check),
so a project that folds many stand-alone tests into one `column_checks` per model compares equal
to the one before.

Usage: python scripts/compare_assertions.py OLD_MANIFEST NEW_MANIFEST
Prints the assertions lost and the ones added; exits 1 when any is lost.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

# Configs that change what a test asserts (a `where` filter, warning instead of error, thresholds).
MEANING = ("where", "severity", "warn_if", "error_if", "fail_calc", "limit")
DEFAULTS = {"severity": "ERROR", "warn_if": "!= 0", "error_if": "!= 0", "fail_calc": "count(*)"}

Assertion = tuple[str, str, str, str, str]


def _norm(value: Any) -> str:
    """Return a canonical text for an argument value (sorted lists and keys, collapsed spaces)."""
    if isinstance(value, list):
        return json.dumps(sorted(_norm(item) for item in value))
    if isinstance(value, dict):
        return json.dumps({key: _norm(item) for key, item in sorted(value.items())})
    if isinstance(value, str):
        return re.sub(r"\s+", " ", value.strip())
    return json.dumps(value)


def _config(node: dict[str, Any]) -> str:
    """Return the test's meaning-changing config, defaults dropped."""
    config = node.get("config", {})
    kept = {
        key: str(config.get(key))
        for key in MEANING
        if config.get(key) is not None
        and str(config.get(key)).upper() != DEFAULTS.get(key, "").upper()
    }
    return json.dumps(kept, sort_keys=True)


def _expand_column_checks(model: str, kwargs: dict[str, Any], config: str) -> list[Assertion]:
    """Return the stand-alone assertions one `column_checks` test makes."""
    out: list[Assertion] = []
    for kind in ("not_null", "unique", "not_negative"):
        out += [(model, column, kind, "{}", config) for column in kwargs.get(kind) or []]
    for column, values in (kwargs.get("accepted_values") or {}).items():
        out.append((model, column, "accepted_values", _norm({"values": values}), config))
    for column, bounds in (kwargs.get("accepted_range") or {}).items():
        bounds = {"inclusive": True, **bounds}
        out.append((model, column, "accepted_range", _norm(bounds), config))
    for column, expression in (kwargs.get("expression_is_true") or {}).items():
        out.append((model, column, "expression_is_true", _norm({"expression": expression}), config))
    for column, parent in (kwargs.get("relationships") or {}).items():
        out.append((model, column, "relationships", _norm(parent), config))
    for columns in kwargs.get("unique_combinations") or []:
        args = _norm({"combination_of_columns": columns})
        out.append((model, "", "unique_combination_of_columns", args, config))
    for _name, expression in (kwargs.get("expressions") or {}).items():
        out.append((model, "", "expression_is_true", _norm({"expression": expression}), config))
    return out


def assertions(manifest_path: Path) -> set[Assertion]:
    """Return every assertion the manifest's data tests make."""
    manifest = json.loads(manifest_path.read_text())
    found: set[Assertion] = set()
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "test":
            continue
        config = _config(node)
        meta = node.get("test_metadata")
        if not meta:  # a singular test: compared by its SQL file
            found.add(("", "", "singular", node["original_file_path"], config))
            continue
        model = (node.get("attached_node") or "").split(".")[-1]
        kwargs = {k: v for k, v in meta["kwargs"].items() if k != "model"}
        column = kwargs.pop("column_name", None) or node.get("column_name") or ""
        if meta["name"] == "column_checks":
            found.update(_expand_column_checks(model, kwargs, config))
            continue
        if meta["name"] == "accepted_range":
            kwargs = {"inclusive": True, **kwargs}
        if meta["name"] == "accepted_values":
            kwargs.setdefault("quote", True)
            if kwargs["quote"] in (True, "true", "True"):
                kwargs.pop("quote")
        found.add((model, column, meta["name"], _norm(kwargs), config))
        del unique_id
    return found


def main() -> None:
    """Print lost and added assertions; exit 1 when any old assertion is lost."""
    old, new = (assertions(Path(arg)) for arg in sys.argv[1:3])
    lost, added = sorted(old - new), sorted(new - old)
    for label, rows in (("LOST", lost), ("ADDED", added)):
        for row in rows:
            print(label, " | ".join(row))
    print(f"old {len(old)} assertions, new {len(new)}; lost {len(lost)}, added {len(added)}")
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
