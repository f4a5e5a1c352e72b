"""Sync declarations: read from the dbt project (a model's `config.meta.syncs`), and sync settings.

A sync reads one model whose rows are one destination record each. Its declaration names the
destination (`hubspot` or `salesforce`), the object (`contacts`, `Lead`, `Contact`, or a
membership object: `list_membership` in HubSpot, `CampaignMember` in Salesforce), the match-key
column, the mode (`update_only` default, `upsert`, `mirror` for memberships), and the fields:
destination field -> `{column, type, write: owned|fill_empty, current}`. Bad declarations are
refused with one line naming the model and the key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gtm.errors import GtmError

DESTINATIONS = {"hubspot", "salesforce"}
MODES = {"update_only", "upsert", "mirror"}
TYPES = {"string", "number", "date", "datetime"}
WRITE_POLICIES = {"owned", "fill_empty"}
MEMBERSHIPS = {("hubspot", "list_membership"), ("salesforce", "CampaignMember")}


class SyncConfigError(GtmError):
    """A sync declaration or setting is invalid (a usage error: exit status 2)."""

    exit_code = 2


@dataclass(frozen=True)
class FieldMap:
    """One destination field and where its value comes from."""

    name: str
    """The destination's field or property name."""
    column: str
    """The model column holding the value."""
    type: str = "string"
    write: str = "owned"
    """`owned`: the warehouse's value wins; `fill_empty`: written only when the CRM has none."""
    current: str | None = None
    """For `fill_empty`: the model column holding the CRM's current value (as last ingested)."""


@dataclass(frozen=True)
class SyncSpec:
    """One declared sync."""

    name: str
    model: str
    destination: str
    object: str
    match_key: str
    mode: str = "update_only"
    fields: tuple[FieldMap, ...] = ()
    id_property: str | None = None
    """Upsert: the unique field the match key holds (HubSpot `email`, a SF external id)."""
    list_name: str | None = None
    campaign_name: str | None = None
    record_type_column: str | None = None

    @property
    def is_membership(self) -> bool:
        """Whether the sync maintains memberships (a list, a campaign) rather than field values."""
        return (self.destination, self.object) in MEMBERSHIPS


@dataclass(frozen=True)
class SyncSettings:
    """The sync tunables (`[gtm.sync]` in `.dlt/config.toml` or `GTM__SYNC__...`)."""

    enabled: bool = False
    """Whether `gtm run` ends with a sync stage."""
    names: tuple[str, ...] = ()
    """The syncs `gtm run` runs (empty: all declared)."""
    max_attempts: int = 3
    """A record rejected this many times is retried only when its values change (or a resync)."""
    bulk_threshold: int = 10_000
    """Salesforce syncs with at least this many changed records use a Bulk API 2.0 ingest job."""
    daily_budget: float = 0.5
    """Stop a sync (cleanly, resuming next run) once the API's daily usage passes this fraction."""
    sample_size: int = 5
    """Changed records shown (old -> new) by a dry run, per sync."""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse settings out of range, naming the key."""
        if not (isinstance(self.max_attempts, int) and self.max_attempts >= 1):
            raise SyncConfigError(
                "setting gtm.sync.max_attempts must be a whole number >= 1, "
                f"got {self.max_attempts!r}"
            )
        if not (isinstance(self.bulk_threshold, int) and self.bulk_threshold >= 1):
            raise SyncConfigError(
                "setting gtm.sync.bulk_threshold must be a whole number >= 1, "
                f"got {self.bulk_threshold!r}"
            )
        if not (0 < self.daily_budget <= 1):
            raise SyncConfigError(
                "setting gtm.sync.daily_budget must be a fraction in (0, 1], "
                f"got {self.daily_budget!r}"
            )


def load_settings() -> SyncSettings:
    """Read the sync settings the dlt way (env vars over `.dlt/*.toml`)."""
    import dlt

    def value(key: str, kind: type, default: Any) -> Any:
        try:
            found = dlt.config.get(f"gtm.sync.{key}", kind)
        except Exception as exc:
            raise SyncConfigError(
                f"setting gtm.sync.{key} must be a {kind.__name__}: {exc}"
            ) from None
        return default if found is None else found

    return SyncSettings(
        enabled=value("enabled", bool, False),
        names=tuple(value("names", list, [])),
        max_attempts=value("max_attempts", int, 3),
        bulk_threshold=value("bulk_threshold", int, 10_000),
        daily_budget=value("daily_budget", float, 0.5),
        sample_size=value("sample_size", int, 5),
    )


def _require(ok: bool, model: str, message: str) -> None:
    if not ok:
        raise SyncConfigError(f"model {model}: sync declaration: {message}")


def parse_sync(model: str, raw: Any) -> SyncSpec:
    """Turn one `config.meta.syncs` entry of `model` into a `SyncSpec` (or refuse it)."""
    _require(isinstance(raw, dict), model, "each entry must be a mapping")
    name = raw.get("name")
    _require(isinstance(name, str) and name.isidentifier(), model, f"bad name {name!r}")
    where = f"{model}.{name}"
    destination = raw.get("destination")
    _require(
        destination in DESTINATIONS, where, f"destination must be one of {sorted(DESTINATIONS)}"
    )
    mode = raw.get("mode", "update_only")
    _require(mode in MODES, where, f"mode must be one of {sorted(MODES)}, got {mode!r}")
    _require(isinstance(raw.get("object"), str), where, "object is required")
    _require(isinstance(raw.get("match_key"), str), where, "match_key (a column) is required")
    fields = []
    for field_name, mapping in (raw.get("fields") or {}).items():
        mapping = mapping if isinstance(mapping, dict) else {"column": mapping}
        kind = mapping.get("type", "string")
        write = mapping.get("write", "owned")
        _require(
            isinstance(mapping.get("column"), str), where, f"field {field_name}: column required"
        )
        _require(kind in TYPES, where, f"field {field_name}: type must be one of {sorted(TYPES)}")
        _require(
            write in WRITE_POLICIES, where, f"field {field_name}: write must be owned|fill_empty"
        )
        _require(
            write == "owned" or isinstance(mapping.get("current"), str),
            where,
            f"field {field_name}: fill_empty needs `current` (the column with the CRM's value)",
        )
        fields.append(FieldMap(field_name, mapping["column"], kind, write, mapping.get("current")))
    spec = SyncSpec(
        name=name,
        model=model,
        destination=destination,
        object=raw["object"],
        match_key=raw["match_key"],
        mode=mode,
        fields=tuple(fields),
        id_property=raw.get("id_property"),
        list_name=raw.get("list_name"),
        campaign_name=raw.get("campaign_name"),
        record_type_column=raw.get("record_type_column"),
    )
    if spec.is_membership:
        _require(
            bool(spec.list_name or spec.campaign_name), where, "list_name or campaign_name required"
        )
    else:
        _require(mode != "mirror", where, "mirror is for memberships (it removes what left)")
        _require(bool(fields), where, "fields are required")
        _require(mode != "upsert" or bool(spec.id_property), where, "upsert needs id_property")
    return spec


def declared_syncs(root: Path) -> dict[str, SyncSpec]:
    """Every sync the dbt project declares (the `config.meta.syncs` of models' YAML), by name."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found: dict[str, SyncSpec] = {}
    for path in sorted((root / "models").rglob("*.yml")):
        text = path.read_text(encoding="utf-8")
        if "syncs:" not in text:
            continue
        document = yaml.load(text, Loader=loader) or {}
        for model in document.get("models") or []:
            meta = ((model.get("config") or {}).get("meta") or {}) | (model.get("meta") or {})
            for raw in meta.get("syncs") or []:
                spec = parse_sync(model["name"], raw)
                if spec.name in found:
                    raise SyncConfigError(f"sync {spec.name} is declared twice")
                found[spec.name] = spec
    return found


def select_syncs(declared: dict[str, SyncSpec], names: Sequence[str]) -> list[SyncSpec]:
    """Return the syncs named (all declared when `names` is empty); an unknown name is refused."""
    unknown = [name for name in names if name not in declared]
    if unknown:
        listed = ", ".join(sorted(declared)) or "none are declared"
        raise SyncConfigError(f"unknown sync {', '.join(map(repr, unknown))}; declared: {listed}")
    return [declared[name] for name in (names or sorted(declared))]
