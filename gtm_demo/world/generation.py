"""One generation run: `generate` writes a world; `World` orchestrates its steps."""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from gtm_demo.ids import Sequence
from gtm_demo.world.campaigns import MarketingCalendar
from gtm_demo.world.chunk import Chunk
from gtm_demo.world.dimensions import Dimensions
from gtm_demo.world.metadata import ApiMetadata
from gtm_demo.world.model import (
    AD_ACCOUNTS,
    COMPANIES_PER_CHUNK,
    DAY,
    DEFAULT_AS_OF,
    DEFAULT_SCALE,
    DEFAULT_SEED,
    FIXED_SIZE_TABLES,
    GENERATOR_VERSION,
    HISTORY_MONTHS,
    HOUR,
    WORLD_META,
    Progress,
)
from gtm_demo.world.render_ads import AdsRenderer
from gtm_demo.world.render_google_ads import GoogleAdsDetailRenderer
from gtm_demo.world.sampling import stable_hash
from gtm_demo.world.truth import WorldTruth
from gtm_demo.world.versions import VersionWriter
from gtm_demo.writer import WorldWriter


def read_world_meta(out: Path) -> dict | None:
    """Return the metadata of the world in `out`, or None when there is none."""
    path = Path(out) / WORLD_META
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def world_digest(out: Path) -> str:
    """Return one SHA-256 over every file of a world (names and bytes), for determinism checks."""
    digest = hashlib.sha256()
    root = Path(out)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def generate(
    out: Path,
    scale: float = DEFAULT_SCALE,
    seed: int = DEFAULT_SEED,
    as_of: date = DEFAULT_AS_OF,
    progress: Progress | None = None,
) -> dict:
    """Write a demo world into `out` and return its metadata (the content of world.json).

    The world is written beside `out` first and moved into place when complete, so `out` never
    holds half a world. An existing world in `out` is replaced; another non-empty `out` is refused.
    """
    out = Path(out)
    if not (isinstance(scale, int | float) and 0 < scale <= 100):
        raise ValueError(f"scale must be a number in (0, 100], got {scale!r}")
    if not (isinstance(seed, int) and seed >= 0):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if out.exists() and any(out.iterdir()) and read_world_meta(out) is None:
        raise ValueError(f"{out} is not empty and holds no demo world; refusing to overwrite it")
    staging = out.with_name(f".{out.name}.partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        meta = World(staging, float(scale), seed, as_of, progress or (lambda *_: None)).build()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return meta


class World(
    Dimensions,
    AdsRenderer,
    GoogleAdsDetailRenderer,
    MarketingCalendar,
    VersionWriter,
    WorldTruth,
    ApiMetadata,
):
    """One generation run: holds the small dimensions in memory and streams everything else."""

    def __init__(self, root: Path, scale: float, seed: int, as_of: date, progress: Progress):
        self.root = root
        self.scale = scale
        self.seed = seed
        self.as_of = as_of
        self.progress = progress
        self.end = int(datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC).timestamp())
        years = HISTORY_MONTHS // 12
        first = (
            as_of.replace(year=as_of.year - years)
            if (as_of.month, as_of.day) != (2, 29)
            else date(as_of.year - years, 2, 28)
        )
        self.start = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp())
        self.days = (self.end - self.start) // DAY
        self.out = WorldWriter(root)
        self.ids = Sequence()
        self.defects: dict[str, Counter] = defaultdict(Counter)
        self._pending: dict[str, list[dict]] = defaultdict(list)
        zones = {a[3] for accounts in AD_ACCOUNTS.values() for a in accounts}
        hours = np.arange(self.start - 2 * DAY, self.end + 2 * DAY, HOUR)
        self.tz_hours_from = int(hours[0])
        self.tz_offsets = {
            zone: np.array(
                [
                    int(datetime.fromtimestamp(int(h), ZoneInfo(zone)).utcoffset().total_seconds())
                    for h in hours
                ],
                np.int64,
            )
            for zone in sorted(zones)
        }
        self.custom_fields = {
            ("hubspot", "contacts", "product_interest"): self.end - 200 * DAY,
            ("salesforce", "Lead", "Product_Interest__c"): self.end - 150 * DAY,
        }

    def rng(self, *labels: object) -> np.random.Generator:
        """Numpy stream for `labels`, independent of every other stream."""
        return np.random.default_rng([self.seed, *(stable_hash(label) for label in labels)])

    def prng(self, *labels: object) -> random.Random:
        """Python stream for `labels`, for per-record decisions."""
        return random.Random(
            int.from_bytes(hashlib.sha256(repr((self.seed, *labels)).encode()).digest()[:8], "big")
        )

    def count(self, base: float, minimum: int = 1) -> int:
        """Scale a scale-1 count, keeping at least `minimum`."""
        return max(minimum, round(base * self.scale))

    def build(self) -> dict:
        """Run every step in order and return the world's metadata."""
        self.progress("reference data", 0, 1)
        self._users()
        self._companies()
        self._ads_structure()
        self._email_campaigns()
        self._forms_and_campaigns()
        self._flush()
        self.progress("reference data", 1, 1)
        self._people()
        self._ad_metrics()
        self._test_records()
        rows = self.out.close()
        return self._write_meta(rows)

    def _flush(self) -> None:
        """Write the rows collected for versioned tables since the last flush."""
        for table, rows in sorted(self._pending.items()):
            self.out.rows_of(table, rows)
        self._pending.clear()

    def local_day(self, zone: str, when: np.ndarray) -> np.ndarray:
        """Day index (0 = first day of history) of UTC times `when` in time zone `zone`."""
        offset = self.tz_offsets[zone][(when - self.tz_hours_from) // HOUR]
        return (when + offset) // DAY - self.start // DAY

    def _people(self) -> None:
        n_people = self.count(20_000)
        n_companies = len(self.company_name)
        rng = self.rng("people", "assignment")
        weights = np.log(self.company_employees + 1.0)
        per_company = rng.multinomial(n_people, weights / weights.sum())
        self.person_offset = 0
        chunks = math.ceil(n_companies / COMPANIES_PER_CHUNK)
        for chunk in range(chunks):
            lo = chunk * COMPANIES_PER_CHUNK
            hi = min(n_companies, lo + COMPANIES_PER_CHUNK)
            Chunk(self, chunk, np.repeat(np.arange(lo, hi), per_company[lo:hi])).run()
            self._flush()
            self.progress("people and their journeys", chunk + 1, chunks)

    def _test_records(self) -> None:
        """Write the records QA and sales staff create by hand: in the CRMs, never real people."""
        rng = self.prng("test_records")
        n = self.count(30, minimum=2)
        contacts = []
        for k in range(n):
            created = self.start + rng.randrange(self.days - 1) * DAY + rng.randrange(DAY)
            if k % 2 == 0:
                contact_id = self.ids.hubspot("contact", 100)
                contacts.extend(
                    self._versions(
                        {
                            "id": contact_id,
                            "email": f"test+{k}@example.com",
                            "firstname": "Test",
                            "lastname": rng.choice(("User", "Contact", "Account")),
                            "lifecyclestage": "lead",
                            "hs_lifecyclestage_lead_date": created,
                            "hs_analytics_source": "OFFLINE",
                            "archived": False,
                            "createdate": created,
                        },
                        [],
                        ("createdate", "lastmodifieddate"),
                    )
                )
                self._truth_record("hubspot", "contacts", contact_id, None, None, True)
                self.defects["test_records"]["hubspot.contacts"] += 1
            else:
                lead_id = self.ids.salesforce("Lead")
                self._sf_versions(
                    "Lead",
                    {
                        "Id": lead_id,
                        "FirstName": rng.choice(("QA", "Test", "Demo")),
                        "LastName": "Test",
                        "Email": f"qa{k}@test.com",
                        "Company": "Test Company",
                        "Status": "Open - Not Contacted",
                        "LeadSource": "Other",
                        "IsConverted": False,
                        "OwnerId": self.sdrs[0]["id"],
                        "CreatedDate": created,
                        "_interest": None,
                    },
                    [],
                )
                self._truth_record("salesforce", "Lead", lead_id, None, None, True)
                self.defects["test_records"]["salesforce.Lead"] += 1
        self.out.rows_of("hubspot/contacts", contacts)
        self._flush()

    def _write_meta(self, rows: dict[str, int]) -> dict:
        self._write_truth()
        self._write_api_metadata()
        meta = {
            "generator_version": GENERATOR_VERSION,
            "seed": self.seed,
            "scale": self.scale,
            "as_of": self.as_of.isoformat(),
            "history_start": datetime.fromtimestamp(self.start, UTC).date().isoformat(),
            "tables": rows,
            "rows_total": sum(rows.values()),
            "fixed_size_tables": sorted(FIXED_SIZE_TABLES),
        }
        (self.root / WORLD_META).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        return meta
