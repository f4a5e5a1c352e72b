"""Every key a source accepts is documented: in docs/ingestion.md and in a .dlt example file."""

import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEMS = {
    "salesforce": "Salesforce",
    "hubspot": "HubSpot",
    "google_ads": "Google Ads",
    "facebook_ads": "Meta Ads",
    "linkedin_ads": "LinkedIn Ads",
}


def source_keys(system: str) -> list[str]:
    """The parameters of the system's `@dlt.source` function: the keys dlt resolves."""
    module = importlib.import_module(f"ingest.{system}")
    return list(inspect.signature(getattr(module, f"{system}_source")).parameters)


def docs_section(system: str) -> str:
    """The settings table of `system` in docs/ingestion.md (up to the next heading)."""
    text = (ROOT / "docs" / "ingestion.md").read_text()
    heading = f"### {SYSTEMS[system]} settings (`[sources.{system}]`)"
    assert heading in text, f"docs/ingestion.md has no heading {heading!r}"
    body = text.split(heading, 1)[1]
    return re.split(r"^#{2,3} ", body, maxsplit=1, flags=re.MULTILINE)[0]


def toml_keys(path: Path, system: str) -> set[str]:
    """Keys named in `[sources.<system>]` of a TOML file, set or commented out."""
    keys: set[str] = set()
    section = None
    for line in path.read_text().splitlines():
        header = re.match(r"^\s*\[([^\]]+)\]", line)
        if header:
            section = header.group(1).strip()
            continue
        if section == f"sources.{system}":
            found = re.match(r"^\s*#?\s*([a-z_][a-z0-9_]*)\s*=", line)
            if found:
                keys.add(found.group(1))
    return keys


@pytest.mark.parametrize("system", list(SYSTEMS))
def test_every_source_key_is_in_the_docs_and_an_example_file(system):
    keys = source_keys(system)
    assert keys, system
    table = docs_section(system)
    undocumented = [key for key in keys if f"`{key}`" not in table]
    assert not undocumented, f"{system}: keys missing from docs/ingestion.md: {undocumented}"
    named = toml_keys(ROOT / ".dlt" / "config.toml", system) | toml_keys(
        ROOT / ".dlt" / "example.secrets.toml", system
    )
    missing = [key for key in keys if key not in named]
    assert not missing, (
        f"{system}: keys missing from .dlt/config.toml and example.secrets: {missing}"
    )


@pytest.mark.parametrize("system", list(SYSTEMS))
def test_no_documented_key_is_unknown_to_the_source(system):
    keys = set(source_keys(system))
    rows = re.findall(r"^\| (`[^|]+`) \|", docs_section(system), flags=re.MULTILINE)
    documented = {name for row in rows for name in re.findall(r"`([a-z_0-9]+)`", row)}
    assert documented - keys == set(), f"{system}: documented but not accepted"
