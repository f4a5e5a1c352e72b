"""Deterministic generator of a coherent B2B SaaS go-to-market world.

Same seed, scale and as-of date give byte-identical files. People are generated in fixed chunks of
companies, so memory stays flat as the scale grows; each chunk's random streams are derived from
the seed and the chunk number alone. See docs/demo-world.md for the files and the model.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from statistics import NormalDist
from zoneinfo import ZoneInfo

import numpy as np

from gtm_demo import reference as ref
from gtm_demo.ids import Sequence
from gtm_demo.writer import WorldWriter

DEFAULT_AS_OF = date(2026, 6, 30)
DEFAULT_SEED = 42
DEFAULT_SCALE = 0.1
HISTORY_MONTHS = 24
GENERATOR_VERSION = "2"
COMPANIES_PER_CHUNK = 200
DAY = 86_400
HOUR = 3_600
WORLD_META = "world.json"

Progress = Callable[[str, int, int], None]

# Tables whose size is fixed by design rather than proportional to scale.
FIXED_SIZE_TABLES = frozenset(
    {
        "google_ads/customers",
        "facebook_ads/ad_accounts",
        "linkedin_ads/ad_accounts",
        "hubspot/forms",
        "hubspot/email_campaigns",
        "salesforce/Campaign",
    }
)

AD_ACCOUNTS = {
    "google_ads": (
        ("1234567890", "Lumen Analytics - North America", "USD", "America/New_York"),
        ("2345678901", "Lumen Analytics - EMEA", "EUR", "Europe/Berlin"),
    ),
    "facebook_ads": (
        ("101234567890123", "Lumen Analytics US", "USD", "America/Los_Angeles"),
        ("109876543210987", "Lumen Analytics UK", "GBP", "Europe/London"),
    ),
    "linkedin_ads": (
        ("507123456", "Lumen Analytics", "USD", "UTC"),
        ("507654321", "Lumen Analytics DACH", "EUR", "UTC"),
    ),
}
PLATFORM_CHANNEL = {
    "google_ads": "paid_search",
    "facebook_ads": "paid_social_meta",
    "linkedin_ads": "paid_social_linkedin",
}
PLATFORM_UTM = {
    "google_ads": ("google", "cpc", "gclid"),
    "facebook_ads": ("facebook", "paid_social", "fbclid"),
    "linkedin_ads": ("linkedin", "paid_social", "li_fat_id"),
}
# Mean cost per click in the account's currency.
PLATFORM_CPC = {"google_ads": 4.2, "facebook_ads": 1.3, "linkedin_ads": 5.5}
# Mean clicks a day on each running ad from people who never become known (besides people's own).
PLATFORM_ANONYMOUS_CLICKS = {"google_ads": 2.4, "facebook_ads": 2.8, "linkedin_ads": 0.8}
AD_THEMES = ("brand", "competitor", "attribution", "forecasting", "retargeting", "report")
AD_LANDING = {
    "brand": "/",
    "competitor": "/product/attribution",
    "attribution": "/product/attribution",
    "forecasting": "/product/forecasting",
    "retargeting": "/demo",
    "report": "/resources/state-of-revops-2026",
}
FORMS = (
    ("demo_request", "Demo request", "/demo"),
    ("contact_us", "Contact us", "/pricing"),
    ("ebook_download", "State of RevOps report download", "/resources/state-of-revops-2026"),
    ("newsletter", "Newsletter sign-up", "/blog/revops-metrics"),
    ("webinar_registration", "Webinar registration", "/customers"),
)
KNOWN_VIA = ("form", "import", "event", "syndication", "sales")
KNOWN_VIA_P = (0.50, 0.15, 0.12, 0.08, 0.15)
LEAD_SOURCE = {
    "form": "Web",
    "import": "Purchased List",
    "event": "Event",
    "syndication": "Content Syndication",
    "sales": "Outbound",
}
HS_SOURCE = {
    "paid_search": "PAID_SEARCH",
    "paid_social_meta": "PAID_SOCIAL",
    "paid_social_linkedin": "PAID_SOCIAL",
    "organic_search": "ORGANIC_SEARCH",
    "direct": "DIRECT_TRAFFIC",
    "referral": "REFERRALS",
    "email": "EMAIL_MARKETING",
    "events_webinars": "OFFLINE",
    "content_syndication": "OFFLINE",
    None: "OFFLINE",
}
OPP_STAGES = (  # name, probability, forecast category, HubSpot stage
    ("Prospecting", 10, "Pipeline", "appointmentscheduled"),
    ("Qualification", 20, "Pipeline", "qualifiedtobuy"),
    ("Needs Analysis", 40, "Pipeline", "presentationscheduled"),
    ("Proposal/Price Quote", 60, "BestCase", "decisionmakerboughtin"),
    ("Negotiation/Review", 80, "Commit", "contractsent"),
)
OPP_WON = ("Closed Won", 100, "Closed", "closedwon")
OPP_LOST = ("Closed Lost", 0, "Omitted", "closedlost")
PRODUCT_INTEREST = ("Attribution", "Forecasting", "Attribution;Forecasting")
PHONE_FORMATS = (
    "e164",
    "international",
    "national",
    "dotted",
    "digits",
    "intl_00",
    "with_ext",
    "missing",
)
PHONE_FORMAT_P = (0.25, 0.20, 0.20, 0.08, 0.05, 0.09, 0.05, 0.08)
COUNTRY_FORMATS = ("iso2", "name", "iso3", "alias", "missing")
COUNTRY_FORMAT_P = (0.35, 0.35, 0.10, 0.10, 0.10)
INVALID_EMAIL_KINDS = ("no_tld", "missing_at", "double_at", "double_dot")


def _stable(label: object) -> int:
    return zlib.crc32(str(label).encode())


def _slug(text: str) -> str:
    keep = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in keep.split("-") if part)


def _sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-x))


def _stratified_uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return n uniforms in (0, 1), one in each of n equal strata, in random order."""
    return (rng.permutation(n) + rng.random(n)) / n


def _stratified_choice(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Return n indices drawn with the given weights by stratified sampling."""
    edges = np.cumsum(weights) / weights.sum()
    return np.searchsorted(edges, _stratified_uniform(rng, n), side="right").clip(
        0, len(weights) - 1
    )


def _looks_valid(email: str) -> bool:
    local, _, domain = email.strip().partition("@")
    return bool(local) and "@" not in domain and "." in domain and ".." not in domain


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
        meta = _World(staging, float(scale), seed, as_of, progress or (lambda *_: None)).build()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return meta


class _World:
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

    # --- randomness ---------------------------------------------------------------------------
    def rng(self, *labels: object) -> np.random.Generator:
        """Numpy stream for `labels`, independent of every other stream."""
        return np.random.default_rng([self.seed, *(_stable(label) for label in labels)])

    def prng(self, *labels: object) -> random.Random:
        """Python stream for `labels`, for per-record decisions."""
        return random.Random(
            int.from_bytes(hashlib.sha256(repr((self.seed, *labels)).encode()).digest()[:8], "big")
        )

    def count(self, base: float, minimum: int = 1) -> int:
        """Scale a scale-1 count, keeping at least `minimum`."""
        return max(minimum, round(base * self.scale))

    # --- orchestration ------------------------------------------------------------------------
    def build(self) -> dict:
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

    # --- dimensions ---------------------------------------------------------------------------
    def _users(self) -> None:
        rng = self.prng("users")
        n = self.count(40, minimum=8)
        self.users: list[dict] = []
        rows, owners = [], []
        for i in range(n):
            first, last = rng.choice(ref.FIRST_NAMES), rng.choice(ref.LAST_NAMES)
            role = ("Marketing", "SDR", "AE", "AE")[i % 4]
            created = self.start - rng.randrange(30, 400) * DAY
            user_id = self.ids.salesforce("User")
            email = f"{_slug(first)}.{_slug(last)}{i}@lumenanalytics.io"
            user = {"id": user_id, "role": role, "email": email, "owner_id": str(70_000_000 + i)}
            self.users.append(user)
            rows.append(
                {
                    "Id": user_id,
                    "FirstName": first,
                    "LastName": last,
                    "Name": f"{first} {last}",
                    "Email": email,
                    "Title": {
                        "Marketing": "Marketing Manager",
                        "SDR": "Sales Development Representative",
                        "AE": "Account Executive",
                    }[role],
                    "Department": "Marketing" if role == "Marketing" else "Sales",
                    "IsActive": True,
                    "ManagerId": None,
                    "CreatedDate": created,
                    "LastModifiedDate": created,
                    "SystemModstamp": created,
                    "_version_at": created,
                }
            )
            owners.append(
                {
                    "id": user["owner_id"],
                    "email": email,
                    "firstName": first,
                    "lastName": last,
                    "userId": 9_000_000 + i,
                    "createdAt": created,
                    "updatedAt": created,
                    "archived": False,
                    "_version_at": created,
                }
            )
        self.out.rows_of("salesforce/User", rows)
        self.out.rows_of("hubspot/owners", owners)
        self.aes = [u for u in self.users if u["role"] == "AE"]
        self.sdrs = [u for u in self.users if u["role"] == "SDR"]
        self.marketers = [u for u in self.users if u["role"] == "Marketing"]

    def _companies(self) -> None:
        rng = self.rng("companies")
        n = self.count(2000)
        countries = ref.COUNTRIES
        c_weights = np.array([c.weight for c in countries])
        i_weights = np.array([i.weight for i in ref.INDUSTRIES])
        # Stratified draws keep a small world's mix of countries, industries and sizes the same
        # as a large one's, so per-capita outcomes do not drift with scale.
        country_idx = _stratified_choice(rng, c_weights, n)
        industry_idx = _stratified_choice(rng, i_weights, n)
        normal = NormalDist()
        size_z = np.array([normal.inv_cdf(u) for u in _stratified_uniform(rng, n)])
        employees = np.clip(np.round(np.exp(5.0 + 1.4 * size_z)), 5, 250_000).astype(np.int64)
        rev_per_employee = rng.uniform(80_000, 320_000, n)
        size_fit = np.clip((np.log(employees) - 5.0) / 2.0, -1.0, 1.2)
        industry_fit = np.array([ref.INDUSTRIES[i].fit for i in industry_idx])
        self.company_fit = industry_fit + 0.6 * size_fit + rng.normal(0, 0.3, n)
        self.company_country = country_idx
        self.company_industry = industry_idx
        self.company_employees = employees
        names, domains, seen = [], [], set()
        word_a, word_b = ref.COMPANY_WORDS_A, ref.COMPANY_WORDS_B
        for i in range(n):
            a, b = word_a[rng.integers(len(word_a))], word_b[rng.integers(len(word_b))]
            stem = f"{a} {b}"
            base = _slug(stem).replace("-", "")
            domain_stem, k = base, 1
            while domain_stem in seen:
                k += 1
                domain_stem = f"{base}{k}"
            seen.add(domain_stem)
            suffix = ref.COMPANY_SUFFIXES[rng.integers(len(ref.COMPANY_SUFFIXES))]
            label = stem if k == 1 else f"{stem} {k}"
            names.append(f"{label} {suffix}".strip())
            domains.append(f"{domain_stem}.{countries[country_idx[i]].tld}")
        self.company_name, self.company_domain = names, domains
        revenue = np.round(employees * rev_per_employee / 1000) * 1000
        self.company_revenue_cents = (revenue * 100).astype(np.int64)
        self.out.columns(
            "truth/companies",
            {
                "company_id": np.arange(n, dtype=np.int64),
                "name": names,
                "domain": domains,
                "industry": [ref.INDUSTRIES[i].salesforce for i in industry_idx],
                "employee_count": employees,
                "country_code": [countries[i].iso2 for i in country_idx],
                "annual_revenue": self.company_revenue_cents.tolist(),
                "fit": self.company_fit,
            },
        )

    def _ads_structure(self) -> None:
        """Accounts, campaigns, ad groups and ads of the three platforms, and who runs when."""
        self.ads: dict[str, dict] = {}
        days = self.days
        for platform, accounts in AD_ACCOUNTS.items():
            rng = self.prng("ads", platform)
            n_campaigns = self.count(20, minimum=2)
            code = {"google_ads": "gads", "facebook_ads": "meta", "linkedin_ads": "li"}[platform]
            source, medium, _ = PLATFORM_UTM[platform]
            campaigns, groups, ads = [], [], []
            base_id = {
                "google_ads": 18_000_000_000,
                "facebook_ads": 23_850_000_000_000,
                "linkedin_ads": 612_000_000,
            }[platform]
            for c in range(n_campaigns):
                account = accounts[c % len(accounts)]
                theme = AD_THEMES[c % len(AD_THEMES)]
                region = {"USD": "na", "EUR": "emea", "GBP": "uk"}[account[2]]
                slug = f"{code}_{theme}_{region}_{c + 1:03d}"
                # Low-discrepancy starts and lengths: total active days grow with the count.
                first_day = int(((c + 1) * 0.6180339887) % 1 * (days - 45))
                length = 45 + int(((c + 1) * 0.4142135624) % 1 * 355)
                last_day = min(days - 1, first_day + length)
                campaign_id = str(base_id + 1000 * (c + 1))
                campaigns.append(
                    {
                        "id": campaign_id,
                        "account": account,
                        "slug": slug,
                        "theme": theme,
                        "name": f"{region.upper()} | {theme.title()} | {c + 1:03d}",
                        "first_day": first_day,
                        "last_day": last_day,
                        "cpc": PLATFORM_CPC[platform] * rng.uniform(0.8, 1.25),
                        "ctr": rng.uniform(0.006, 0.03),
                        "cvr": rng.uniform(0.01, 0.06),
                    }
                )
                for g in range(3):
                    group_id = str(base_id + 1000 * (c + 1) + 10 * (g + 1))
                    groups.append(
                        {
                            "id": group_id,
                            "campaign": campaigns[-1],
                            "name": f"{theme} - audience {g + 1}",
                        }
                    )
                    for a in range(2):
                        ad_id = str(base_id + 1000 * (c + 1) + 10 * (g + 1) + a + 1)
                        landing = ref.VENDOR_SITE + AD_LANDING[theme]
                        utm = (
                            f"utm_source={source}&utm_medium={medium}&utm_campaign={slug}"
                            f"&utm_content={ad_id}"
                        )
                        placement = (
                            rng.choices(
                                ("final_url", "final_url_suffix", "tracking_template"), (5, 3, 2)
                            )[0]
                            if platform == "google_ads"
                            else "url"
                        )
                        ads.append(
                            {
                                "id": ad_id,
                                "group": groups[-1],
                                "campaign": campaigns[-1],
                                "landing": landing,
                                "utm": utm,
                                "placement": placement,
                                "weight": rng.lognormvariate(0, 0.5),
                            }
                        )
            self.ads[platform] = {"campaigns": campaigns, "groups": groups, "ads": ads}
            # Active ads per day, as compressed rows: ads_by_day[offsets[d]:offsets[d+1]].
            per_day: list[list[int]] = [[] for _ in range(days)]
            for index, ad in enumerate(ads):
                for d in range(ad["campaign"]["first_day"], ad["campaign"]["last_day"] + 1):
                    per_day[d].append(index)
            lengths = np.array([len(x) for x in per_day])
            self.ads[platform]["offsets"] = np.concatenate([[0], np.cumsum(lengths)])
            self.ads[platform]["by_day"] = np.array([i for x in per_day for i in x], dtype=np.int64)
            self.ads[platform]["identified_clicks"] = np.zeros((len(ads), days + 2), np.int64)
            covered = np.nonzero(lengths > 0)[0]
            nearest = np.searchsorted(covered, np.arange(days)).clip(0, len(covered) - 1)
            before = (nearest - 1).clip(0)
            closer_before = np.abs(covered[before] - np.arange(days)) < np.abs(
                covered[nearest] - np.arange(days)
            )
            self.ads[platform]["nearest_covered_day"] = np.where(
                closer_before, covered[before], covered[nearest]
            )
            self._write_ad_entities(platform)

    def _write_ad_entities(self, platform: str) -> None:
        spec = self.ads[platform]
        t0 = self.start - 10 * DAY
        accounts = AD_ACCOUNTS[platform]

        def day_ts(d: int) -> int:
            return self.start + d * DAY

        def status(c: dict) -> str:
            return "ENABLED" if c["last_day"] >= self.days - 1 else "PAUSED"

        camps, groups, ads = spec["campaigns"], spec["groups"], spec["ads"]
        if platform == "google_ads":
            self.out.rows_of(
                "google_ads/customers",
                [
                    {
                        "id": a[0],
                        "descriptive_name": a[1],
                        "currency_code": a[2],
                        "time_zone": a[3],
                        "manager": False,
                        "_version_at": t0,
                    }
                    for a in accounts
                ],
            )
            self.out.rows_of(
                "google_ads/campaigns",
                [
                    {
                        "id": c["id"],
                        "customer_id": c["account"][0],
                        "name": c["name"],
                        "status": status(c),
                        "advertising_channel_type": "SEARCH",
                        "start_date": self.start // DAY + c["first_day"],
                        "end_date": self.start // DAY + c["last_day"],
                        "_version_at": day_ts(c["first_day"]) - DAY,
                    }
                    for c in camps
                ],
            )
            self.out.rows_of(
                "google_ads/ad_groups",
                [
                    {
                        "id": g["id"],
                        "customer_id": g["campaign"]["account"][0],
                        "campaign_id": g["campaign"]["id"],
                        "name": g["name"],
                        "status": "ENABLED",
                        "_version_at": day_ts(g["campaign"]["first_day"]) - DAY,
                    }
                    for g in groups
                ],
            )
            rows = []
            for ad in ads:
                c = ad["campaign"]
                row = {
                    "id": ad["id"],
                    "customer_id": c["account"][0],
                    "campaign_id": c["id"],
                    "ad_group_id": ad["group"]["id"],
                    "name": f"{c['theme']} ad {ad['id'][-2:]}",
                    "type": "RESPONSIVE_SEARCH_AD",
                    "status": "ENABLED",
                    "_version_at": day_ts(c["first_day"]) - DAY,
                }
                if ad["placement"] == "final_url":
                    row["final_urls"] = [f"{ad['landing']}?{ad['utm']}"]
                elif ad["placement"] == "final_url_suffix":
                    row["final_urls"] = [ad["landing"]]
                    row["final_url_suffix"] = ad["utm"]
                else:
                    row["final_urls"] = [ad["landing"]]
                    src, med, _ = PLATFORM_UTM[platform]
                    row["tracking_url_template"] = (
                        f"{{lpurl}}?utm_source={src}&utm_medium={med}&utm_campaign={{_campaign}}"
                        "&utm_content={creative}"
                    )
                    row["url_custom_parameters"] = [{"key": "campaign", "value": c["slug"]}]
                rows.append(row)
            self.out.rows_of("google_ads/ads", rows)
        elif platform == "facebook_ads":
            self.out.rows_of(
                "facebook_ads/ad_accounts",
                [
                    {
                        "account_id": a[0],
                        "name": a[1],
                        "currency": a[2],
                        "timezone_name": a[3],
                        "_version_at": t0,
                    }
                    for a in accounts
                ],
            )
            self.out.rows_of(
                "facebook_ads/campaigns",
                [
                    {
                        "id": c["id"],
                        "account_id": c["account"][0],
                        "name": c["name"],
                        "objective": "OUTCOME_LEADS",
                        "status": "ACTIVE" if status(c) == "ENABLED" else "PAUSED",
                        "start_time": day_ts(c["first_day"]),
                        "stop_time": day_ts(c["last_day"] + 1),
                        "created_time": day_ts(c["first_day"]) - DAY,
                        "updated_time": day_ts(c["first_day"]) - DAY,
                        "_version_at": day_ts(c["first_day"]) - DAY,
                    }
                    for c in camps
                ],
            )
            self.out.rows_of(
                "facebook_ads/ad_sets",
                [
                    {
                        "id": g["id"],
                        "account_id": g["campaign"]["account"][0],
                        "campaign_id": g["campaign"]["id"],
                        "name": g["name"],
                        "status": "ACTIVE",
                        "created_time": day_ts(g["campaign"]["first_day"]) - DAY,
                        "updated_time": day_ts(g["campaign"]["first_day"]) - DAY,
                        "_version_at": day_ts(g["campaign"]["first_day"]) - DAY,
                    }
                    for g in groups
                ],
            )
            self.out.rows_of(
                "facebook_ads/ad_creatives",
                [
                    {
                        "id": str(int(ad["id"]) + 500_000),
                        "account_id": ad["campaign"]["account"][0],
                        "name": f"creative {ad['id']}",
                        "link_url": ad["landing"],
                        "url_tags": ad["utm"],
                        "_version_at": day_ts(ad["campaign"]["first_day"]) - DAY,
                    }
                    for ad in ads
                ],
            )
            self.out.rows_of(
                "facebook_ads/ads",
                [
                    {
                        "id": ad["id"],
                        "account_id": ad["campaign"]["account"][0],
                        "campaign_id": ad["campaign"]["id"],
                        "adset_id": ad["group"]["id"],
                        "creative_id": str(int(ad["id"]) + 500_000),
                        "name": f"{ad['campaign']['theme']} ad {ad['id'][-2:]}",
                        "status": "ACTIVE",
                        "created_time": day_ts(ad["campaign"]["first_day"]) - DAY,
                        "updated_time": day_ts(ad["campaign"]["first_day"]) - DAY,
                        "_version_at": day_ts(ad["campaign"]["first_day"]) - DAY,
                    }
                    for ad in ads
                ],
            )
        else:
            self.out.rows_of(
                "linkedin_ads/ad_accounts",
                [
                    {
                        "id": a[0],
                        "name": a[1],
                        "currency": a[2],
                        "type": "BUSINESS",
                        "status": "ACTIVE",
                        "_version_at": t0,
                    }
                    for a in accounts
                ],
            )
            self.out.rows_of(
                "linkedin_ads/campaign_groups",
                [
                    {
                        "id": c["id"],
                        "account_id": c["account"][0],
                        "name": c["name"],
                        "status": "ACTIVE" if status(c) == "ENABLED" else "PAUSED",
                        "run_start": day_ts(c["first_day"]),
                        "run_end": day_ts(c["last_day"] + 1),
                        "_version_at": day_ts(c["first_day"]) - DAY,
                    }
                    for c in camps
                ],
            )
            self.out.rows_of(
                "linkedin_ads/campaigns",
                [
                    {
                        "id": g["id"],
                        "account_id": g["campaign"]["account"][0],
                        "campaign_group_id": g["campaign"]["id"],
                        "name": g["name"],
                        "status": "ACTIVE",
                        "cost_type": "CPC",
                        "daily_budget_amount": 25_000,
                        "daily_budget_currency": g["campaign"]["account"][2],
                        "run_start": day_ts(g["campaign"]["first_day"]),
                        "run_end": day_ts(g["campaign"]["last_day"] + 1),
                        "created_at": day_ts(g["campaign"]["first_day"]) - DAY,
                        "last_modified_at": day_ts(g["campaign"]["first_day"]) - DAY,
                        "_version_at": day_ts(g["campaign"]["first_day"]) - DAY,
                    }
                    for g in groups
                ],
            )
            self.out.rows_of(
                "linkedin_ads/creatives",
                [
                    {
                        "id": ad["id"],
                        "account_id": ad["campaign"]["account"][0],
                        "campaign_id": ad["group"]["id"],
                        "click_uri": f"{ad['landing']}?{ad['utm']}",
                        "status": "ACTIVE",
                        "created_at": day_ts(ad["campaign"]["first_day"]) - DAY,
                        "last_modified_at": day_ts(ad["campaign"]["first_day"]) - DAY,
                        "_version_at": day_ts(ad["campaign"]["first_day"]) - DAY,
                    }
                    for ad in ads
                ],
            )

    def _email_campaigns(self) -> None:
        """Two marketing e-mails a month, at fixed times; their size follows the contact base."""
        rows, self.email_campaigns = [], []
        for k in range(48):
            sent = self.start + 7 * DAY + k * 15 * DAY + 14 * HOUR
            kind = ("Newsletter", "Product update", "Webinar invite", "Report promotion")[k % 4]
            day = datetime.fromtimestamp(sent, UTC).date()
            name = f"{kind} {day.isoformat()}"
            campaign = {
                "id": 310_000_000 + k,
                "sent": sent,
                "name": name,
                "slug": _slug(name).replace("-", "_"),
                "path": ref.SITE_PAGES[5 + k % 5][0],
            }
            self.email_campaigns.append(campaign)
            rows.append(
                {
                    "id": campaign["id"],
                    "app_id": 113,
                    "app_name": "Batch",
                    "name": name,
                    "subject": f"{kind}: what revenue teams measure in {day:%B %Y}",
                    "type": "BATCH_EMAIL",
                    "sent_at": sent,
                    "_version_at": sent,
                }
            )
        self.out.rows_of("hubspot/email_campaigns", rows)
        self.email_sent = np.array([c["sent"] for c in self.email_campaigns], np.int64)

    def _forms_and_campaigns(self) -> None:
        rng = self.prng("forms")
        self.forms = []
        rows = []
        for key, name, path in FORMS:
            guid = "-".join(f"{rng.getrandbits(b):0{b // 4}x}" for b in (32, 16, 16, 16, 48))
            self.forms.append({"key": key, "guid": guid, "name": name, "path": path})
            created = self.start - 60 * DAY
            rows.append(
                {
                    "guid": guid,
                    "name": name,
                    "form_type": "hubspot",
                    "created_at": created,
                    "_version_at": created,
                }
            )
        self.out.rows_of("hubspot/forms", rows)
        # Salesforce campaigns: webinars, events and content syndication, evenly over history.
        n = 36  # the event calendar does not grow with the contact base
        rng = self.prng("sf_campaigns")
        self.sf_campaigns, rows = [], []
        for k in range(n):
            kind = ("Webinar", "Content Syndication", "Event", "Webinar", "Webinar")[k % 5]
            start_day = int((k + 0.5) * (self.days - 20) / n)
            length = 90 if kind == "Content Syndication" else (2 if kind == "Event" else 1)
            campaign_id = self.ids.salesforce("Campaign")
            start_ts = self.start + start_day * DAY
            camp = {
                "id": campaign_id,
                "kind": kind,
                "start": start_ts + 16 * HOUR,
                "end_day": start_day + length - 1,
            }
            self.sf_campaigns.append(camp)
            created = start_ts - 30 * DAY
            budget = rng.randrange(5, 60) * 100_000
            base = {
                "Id": campaign_id,
                "Type": kind,
                "Status": "Planned",
                "Name": f"{kind} {k + 1:03d}: "
                + rng.choice(
                    (
                        "Attribution in practice",
                        "RevOps summit",
                        "Forecasting deep dive",
                        "Pipeline council",
                        "Analyst briefing",
                    )
                ),
                "StartDate": start_ts // DAY,
                "EndDate": start_ts // DAY + length - 1,
                "BudgetedCost": budget,
                "ActualCost": None,
                "IsActive": True,
                "OwnerId": self.marketers[k % len(self.marketers)]["id"],
                "IsDeleted": False,
                "CreatedDate": created,
            }
            changes = [
                (start_ts, {"Status": "In Progress"}),
                (
                    start_ts + length * DAY,
                    {
                        "Status": "Completed",
                        "IsActive": False,
                        "ActualCost": budget * rng.randrange(70, 115) // 100,
                    },
                ),
            ]
            self._sf_versions("Campaign", base, changes)
        self.campaign_start = np.array([c["start"] for c in self.sf_campaigns], np.int64)
        self.event_campaigns = np.array(
            [i for i, c in enumerate(self.sf_campaigns) if c["kind"] != "Content Syndication"]
        )
        self.syndication_campaigns = np.array(
            [i for i, c in enumerate(self.sf_campaigns) if c["kind"] == "Content Syndication"]
        )

    # --- versioned records ----------------------------------------------------------------------
    def _versions(
        self,
        base: dict,
        changes: list[tuple[int, dict]],
        stamp: tuple[str, ...],
        custom: tuple[str, str, object] | None = None,
        until: int | None = None,
    ) -> list[dict]:
        """Expand a record and its dated changes into version rows visible before `until`."""
        until = self.end if until is None else until
        rows, state = [], dict(base)
        created = base[stamp[0]]
        for when, update in sorted([(created, {}), *changes], key=lambda change: change[0]):
            if when >= until:
                break
            state.update(update)
            if custom and when >= custom[1]:
                state[custom[0]] = custom[2]
            for field in stamp[1:]:
                state[field] = when
            state["_version_at"] = when
            rows.append(dict(state))
        return rows

    def _sf_versions(
        self,
        sobject: str,
        base: dict,
        changes: list[tuple[int, dict]],
        deleted_at: int | None = None,
    ) -> list[dict]:
        custom = None
        if sobject == "Lead":
            custom = (
                "Product_Interest__c",
                self.custom_fields[("salesforce", "Lead", "Product_Interest__c")],
                base.pop("_interest"),
            )
        base.setdefault("IsDeleted", False)
        stamp = ("CreatedDate", "LastModifiedDate", "SystemModstamp")
        if sobject == "OpportunityHistory":
            stamp = ("CreatedDate", "SystemModstamp")
        if deleted_at is not None and deleted_at < self.end:
            changes = [c for c in changes if c[0] < deleted_at] + [
                (deleted_at, {"IsDeleted": True})
            ]
            self.defects["deleted_records"][f"salesforce.{sobject}"] += 1
        rows = self._versions(base, changes, stamp, custom)
        self._pending[f"salesforce/{sobject}"].extend(rows)
        return rows

    # --- people ---------------------------------------------------------------------------------
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
            _Chunk(self, chunk, np.repeat(np.arange(lo, hi), per_company[lo:hi])).run()
            self._flush()
            self.progress("people and their journeys", chunk + 1, chunks)

    # --- ad performance -----------------------------------------------------------------------
    def _ad_metrics(self) -> None:
        """Write daily rows per ad: people's clicks plus anonymous ones, on local dates."""
        for step, (platform, spec) in enumerate(self.ads.items()):
            rng = self.rng("ad_metrics", platform)
            ads = spec["ads"]
            clicks_known = spec["identified_clicks"]
            cols: dict[str, list] = defaultdict(list)
            for index, ad in enumerate(ads):
                c = ad["campaign"]
                days = np.arange(c["first_day"], c["last_day"] + 1)
                extra = np.nonzero(clicks_known[index])[0] - 1
                days = np.union1d(days, extra[(extra >= 0) & (extra < self.days)])
                n = len(days)
                anon = rng.poisson(PLATFORM_ANONYMOUS_CLICKS[platform] * ad["weight"], n)
                clicks = anon + clicks_known[index, days + 1]
                impressions = clicks + rng.poisson(clicks / c["ctr"])
                cost_cents = np.round(clicks * c["cpc"] * rng.uniform(0.8, 1.2, n) * 100).astype(
                    np.int64
                )
                conv = rng.binomial(clicks, c["cvr"])
                late = rng.binomial(np.maximum(clicks - conv, 0), c["cvr"] / 3)
                restated = (late > 0) & (rng.random(n) < 0.5)
                report_day = self.start // DAY + days
                first_seen = (report_day + 1) * DAY + 6 * HOUR
                restate_at = first_seen + rng.integers(1, 28, n) * DAY
                restated &= restate_at < self.end
                visible = first_seen < self.end
                for version, mask, convs, when in (
                    (1, visible, conv, first_seen),
                    (2, visible & restated, conv + late, restate_at),
                ):
                    idx = np.nonzero(mask)[0]
                    if version == 2:
                        self.defects["restated_ad_conversions"][platform] += len(idx)
                    self._ad_metric_rows(
                        platform,
                        ad,
                        cols,
                        report_day[idx],
                        impressions[idx],
                        clicks[idx],
                        cost_cents[idx],
                        convs[idx],
                        when[idx],
                    )
            table = {
                "google_ads": "google_ads/ad_metrics",
                "facebook_ads": "facebook_ads/insights",
                "linkedin_ads": "linkedin_ads/analytics",
            }[platform]
            self.out.columns(table, cols)
            self.progress("ad performance", step + 1, len(self.ads))

    def _ad_metric_rows(
        self,
        platform: str,
        ad: dict,
        cols: dict,
        days: np.ndarray,
        impressions: np.ndarray,
        clicks: np.ndarray,
        cost_cents: np.ndarray,
        conversions: np.ndarray,
        when: np.ndarray,
    ) -> None:
        n = len(days)
        c, account = ad["campaign"], ad["campaign"]["account"]
        if platform == "google_ads":
            cols["customer_id"] += [account[0]] * n
            cols["campaign_id"] += [c["id"]] * n
            cols["ad_group_id"] += [ad["group"]["id"]] * n
            cols["ad_id"] += [ad["id"]] * n
            cols["date"] += days.tolist()
            cols["cost_micros"] += (cost_cents * 10_000).tolist()
            cols["conversions"] += conversions.astype(float).tolist()
            cols["conversions_value"] += (conversions * 250.0).tolist()
        elif platform == "facebook_ads":
            cols["account_id"] += [account[0]] * n
            cols["campaign_id"] += [c["id"]] * n
            cols["adset_id"] += [ad["group"]["id"]] * n
            cols["ad_id"] += [ad["id"]] * n
            cols["date_start"] += days.tolist()
            cols["spend"] += cost_cents.tolist()
            view = conversions // 4
            cols["leads_7d_click"] += (conversions - view).tolist()
            cols["leads_1d_view"] += view.tolist()
        else:
            usd_rate = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27}[account[2]]
            cols["account_id"] += [account[0]] * n
            cols["campaign_id"] += [ad["group"]["id"]] * n
            cols["creative_id"] += [ad["id"]] * n
            cols["date"] += days.tolist()
            cols["cost_in_local_currency"] += cost_cents.tolist()
            cols["cost_in_usd"] += np.round(cost_cents * usd_rate).astype(np.int64).tolist()
            cols["external_website_conversions"] += conversions.tolist()
        cols["impressions"] += impressions.tolist()
        cols["clicks"] += clicks.tolist()
        cols["_version_at"] += when.tolist()

    # --- test records ---------------------------------------------------------------------------
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

    def _truth_record(
        self,
        system: str,
        obj: str,
        record_id: str,
        person: int | None,
        company: int | None,
        is_test: bool = False,
    ) -> None:
        self._pending["truth/records"].append(
            {
                "system": system,
                "object": obj,
                "record_id": record_id,
                "person_id": person,
                "company_id": company,
                "is_test": is_test,
            }
        )

    # --- metadata -------------------------------------------------------------------------------
    def _write_meta(self, rows: dict[str, int]) -> dict:
        truth = self.root / "truth"
        defects = {
            kind: dict(sorted(counts.items())) for kind, counts in sorted(self.defects.items())
        }
        defects["ad_accounts_by_currency"] = dict(
            sorted(Counter(a[2] for accounts in AD_ACCOUNTS.values() for a in accounts).items())
        )
        defects["ad_accounts_non_utc"] = sorted(
            f"{platform}:{a[0]}"
            for platform, accounts in AD_ACCOUNTS.items()
            for a in accounts
            if a[3] != "UTC"
        )
        defects["custom_fields"] = [
            {
                "system": system,
                "object": obj,
                "field": field,
                "introduced_at": datetime.fromtimestamp(when, UTC).isoformat(),
            }
            for (system, obj, field), when in self.custom_fields.items()
        ]
        (truth / "defects.json").write_text(json.dumps(defects, indent=2, sort_keys=True) + "\n")
        (truth / "channels.json").write_text(
            json.dumps(
                {
                    "intercept": INTERCEPT,
                    "fit_coefficient": FIT_COEF,
                    "intent_coefficient": INTENT_COEF,
                    "formula": "propensity = sigmoid(intercept + fit_coefficient*fit + "
                    "intent_coefficient*intent + sum_c true_effect[c]*log1p(touches[c]))",
                    "channels": {
                        name: {"platform": spec["platform"], "true_effect": spec["true_effect"]}
                        for name, spec in ref.CHANNELS.items()
                    },
                },
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )
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

    def _write_api_metadata(self) -> None:
        """Write what the APIs describe about themselves: fields, properties, pipelines."""
        from gtm_demo.schema import SCHEMAS

        sf_types = {
            "string": "string",
            "timestamp[ms, tz=UTC]": "datetime",
            "date32[day]": "date",
            "bool": "boolean",
            "int64": "int",
            "double": "percent",
            "decimal128(18, 2)": "currency",
        }
        describe = {}
        for table, schema in SCHEMAS.items():
            if not table.startswith("salesforce/"):
                continue
            sobject = table.split("/")[1]
            fields = []
            for field in schema:
                if field.name.startswith("_"):
                    continue
                kind = (
                    "id"
                    if field.name == "Id"
                    else ("reference" if field.name.endswith("Id") else sf_types[str(field.type)])
                )
                entry = {
                    "name": field.name,
                    "type": kind,
                    "custom": field.name.endswith("__c"),
                    "nillable": field.name not in ("Id", "IsDeleted", "CreatedDate"),
                }
                key = ("salesforce", sobject, field.name)
                if key in self.custom_fields:
                    entry["introduced_at"] = datetime.fromtimestamp(
                        self.custom_fields[key], UTC
                    ).isoformat()
                fields.append(entry)
            describe[sobject] = {"name": sobject, "fields": fields}
        (self.root / "salesforce" / "_describe.json").write_text(
            json.dumps(describe, indent=2) + "\n"
        )
        properties = {}
        for obj in ("contacts", "companies", "deals"):
            props = []
            for field in SCHEMAS[f"hubspot/{obj}"]:
                if field.name.startswith("_") or field.name in ("id", "archived", "archived_at"):
                    continue
                kind = {"string": "string", "bool": "bool"}.get(str(field.type), "number")
                if str(field.type).startswith("timestamp"):
                    kind = "datetime"
                entry = {"name": field.name, "type": kind}
                key = ("hubspot", obj, field.name)
                if key in self.custom_fields:
                    entry["introduced_at"] = datetime.fromtimestamp(
                        self.custom_fields[key], UTC
                    ).isoformat()
                props.append(entry)
            properties[obj] = props
        (self.root / "hubspot" / "_properties.json").write_text(
            json.dumps(properties, indent=2) + "\n"
        )
        stages = [
            {
                "id": s[3],
                "label": s[0],
                "displayOrder": i,
                "metadata": {"isClosed": "false", "probability": str(s[1] / 100)},
            }
            for i, s in enumerate(OPP_STAGES)
        ]
        stages += [
            {
                "id": s[3],
                "label": s[0],
                "displayOrder": len(OPP_STAGES) + i,
                "metadata": {"isClosed": "true", "probability": str(s[1] / 100)},
            }
            for i, s in enumerate((OPP_WON, OPP_LOST))
        ]
        pipelines = [
            {
                "id": "default",
                "label": "Sales Pipeline",
                "displayOrder": 0,
                "archived": False,
                "stages": stages,
            }
        ]
        (self.root / "hubspot" / "_pipelines.json").write_text(
            json.dumps(pipelines, indent=2) + "\n"
        )


# Propensity model: log-odds of becoming an opportunity.
INTERCEPT = -5.5
FIT_COEF = 1.0
INTENT_COEF = 0.9
# Economics (ranges and sources in docs/demo-world.md): deal size in dollars is
# DEAL_BASE * (employees / 100) ** DEAL_SIZE_EXPONENT with log-normal noise, capped; the sales
# cycle in days is CYCLE_BASE_DAYS * (deal / $10k) ** CYCLE_EXPONENT with noise.
DEAL_BASE = 11_000
DEAL_SIZE_EXPONENT = 0.6
DEAL_CAP = 400_000
CYCLE_BASE_DAYS = 38
CYCLE_EXPONENT = 0.8
# Log-odds of winning an opportunity: fit helps, larger (enterprise) buyers are harder to win.
WIN_INTERCEPT = -1.9
WIN_FIT_COEF = 0.8
WIN_SIZE_COEF = -0.3
# Log-odds that a person who never becomes an opportunity still reaches MQL.
MQL_INTERCEPT = -1.7
# Share of those MQLs that sales accepts (SQL) without an opportunity following.
MQL_TO_SQL = 0.22


class _Chunk:
    """People of one chunk of companies: their journeys, CRM records and events."""

    def __init__(self, world: _World, index: int, company_of: np.ndarray) -> None:
        self.w = world
        self.index = index
        self.company_of = company_of
        self.n = len(company_of)
        self.first_person = world.person_offset
        world.person_offset += self.n
        self.rng = world.rng("people", index)
        self.prng = world.prng("people", index)
        self.opp_close: dict[int, tuple[int, bool]] = {}
        self.hs_email: dict[int, tuple[str, str, str, str]] = {}

    def run(self) -> None:
        if self.n == 0:
            return
        self._attributes()
        self._touches()
        self._emails()
        self._outcomes()
        self._records()
        self._web_events()
        self._email_events()

    # --- who they are -------------------------------------------------------------------------
    def _attributes(self) -> None:
        w, rng, n = self.w, self.rng, self.n
        sen_weights = np.array([s[2] for s in ref.SENIORITIES])
        self.seniority = rng.choice(len(ref.SENIORITIES), n, p=sen_weights / sen_weights.sum())
        sen_fit = np.array([ref.SENIORITIES[s][1] for s in self.seniority])
        self.fit = w.company_fit[self.company_of] + sen_fit + rng.normal(0, 0.4, n)
        self.intent = rng.normal(0, 1, n)
        self.known_via = rng.choice(len(KNOWN_VIA), n, p=KNOWN_VIA_P)
        self.known_at = rng.integers(w.start, w.end - 3 * DAY, n)
        self.known_campaign = np.full(n, -1)
        # Event-sourced people become known at the event they attend.
        for via, pool in ((2, w.event_campaigns), (3, w.syndication_campaigns)):
            mask = self.known_via == via
            if mask.any() and len(pool):
                starts = w.campaign_start[pool]
                pos = np.clip(np.searchsorted(starts, self.known_at[mask]), 0, len(pool) - 1)
                self.known_at[mask] = np.minimum(
                    starts[pos] + rng.integers(0, HOUR, mask.sum()), w.end - DAY
                )
                self.known_campaign[np.nonzero(mask)[0]] = pool[pos]
        self.has_hubspot = self.known_via != 4
        self.free_mail = rng.random(n) < 0.10
        self.first = rng.integers(0, len(ref.FIRST_NAMES), n)
        self.last = rng.integers(0, len(ref.LAST_NAMES), n)
        self.title = [self.prng.choice(ref.SENIORITIES[s][3]) for s in self.seniority]
        self.person_id = np.arange(self.first_person, self.first_person + n, dtype=np.int64)
        self.interest = rng.integers(0, len(PRODUCT_INTEREST), n)

    # --- touches --------------------------------------------------------------------------------
    def _touches(self) -> None:
        """Web sessions by channel, form sessions, and event attendance, all before the as-of."""
        w, rng, n = self.w, self.rng, self.n
        window_start = np.maximum(self.known_at - 45 * DAY, w.start)
        span_days = (w.end - window_start) / DAY
        boost = np.exp(0.5 * self.intent)
        person, when, channel, form = [], [], [], []
        for c, name in enumerate(ref.WEB_CHANNELS):
            k = rng.poisson(ref.CHANNELS[name]["rate_per_30d"] * span_days / 30 * boost)
            who = np.repeat(np.arange(n), k)
            person.append(who)
            when.append(rng.integers(window_start[who], w.end))
            channel.append(np.full(len(who), c))
            form.append(np.full(len(who), -1))
        web_p = np.array([ref.CHANNELS[name]["rate_per_30d"] for name in ref.WEB_CHANNELS])
        # The form that made a person known, and later forms.
        first_form = np.nonzero(self.known_via == 0)[0]
        later = rng.poisson(0.018 * span_days / 30 * boost * self.has_hubspot)
        later_who = np.repeat(np.arange(n), later)
        later_when = rng.integers(self.known_at[later_who] + HOUR, w.end)
        form_who = np.concatenate([first_form, later_who])
        person.append(form_who)
        when.append(np.concatenate([self.known_at[first_form], later_when]))
        channel.append(rng.choice(len(web_p), len(form_who), p=web_p / web_p.sum()))
        form.append(
            np.concatenate(
                [
                    rng.choice([0, 1, 2], len(first_form), p=[0.35, 0.2, 0.45]),
                    rng.choice(len(FORMS), len(later_who), p=[0.15, 0.1, 0.3, 0.15, 0.3]),
                ]
            )
        )
        self.s_person = np.concatenate(person)
        self.s_time = np.concatenate(when)
        self.s_channel = np.concatenate(channel)
        self.s_form = np.concatenate(form)
        self._assign_ads()
        # Event and webinar attendance after becoming known (and the one that made them known).
        pool = w.event_campaigns
        k = rng.poisson(0.02 * span_days / 30 * boost)
        who = np.repeat(np.arange(n), k)
        if len(pool):
            first_ok = np.searchsorted(w.campaign_start[pool], self.known_at[who])
            keep = first_ok < len(pool)
            who, first_ok = who[keep], first_ok[keep]
            pick = pool[first_ok + (rng.random(len(who)) * (len(pool) - first_ok)).astype(int)]
        else:
            who, pick = who[:0], who[:0]
        known = np.nonzero(self.known_campaign >= 0)[0]
        self.e_person = np.concatenate([known, who])
        self.e_campaign = np.concatenate([self.known_campaign[known], pick]).astype(np.int64)
        self.e_time = np.concatenate(
            [self.known_at[known], w.campaign_start[pick] + rng.integers(0, HOUR, len(pick))]
        )
        self.e_attended = np.concatenate([np.ones(len(known), bool), rng.random(len(pick)) < 0.55])
        order = np.lexsort((self.e_time, self.e_person))
        for name in ("e_person", "e_campaign", "e_time", "e_attended"):
            setattr(self, name, getattr(self, name)[order])

    def _assign_ads(self) -> None:
        """Give each paid session an ad running that day.

        A paid session on a day no campaign of its platform runs moves to the nearest day one
        does, so paid touches per person do not depend on how many campaigns there are (and so on
        scale); a platform with no campaign at all has no paid sessions.
        """
        w, rng = self.w, self.rng
        self.s_ad = np.full(len(self.s_person), -1)
        for c, name in enumerate(ref.WEB_CHANNELS):
            platform = ref.CHANNELS[name]["platform"]
            if platform is None:
                continue
            spec = w.ads[platform]
            idx = np.nonzero(self.s_channel == c)[0]
            day = (self.s_time[idx] - w.start) // DAY
            target = spec["nearest_covered_day"][day]
            self.s_time[idx] += (target - day) * DAY
            lo, hi = spec["offsets"][target], spec["offsets"][target + 1]
            pick = lo + (rng.random(len(idx)) * (hi - lo)).astype(np.int64)
            self.s_ad[idx] = spec["by_day"][pick]

    # --- e-mail ---------------------------------------------------------------------------------
    def _emails(self) -> None:
        """Marketing e-mail sends to subscribed HubSpot contacts, and what each recipient did."""
        w, rng, n = self.w, self.rng, self.n
        sent = w.email_sent
        m = len(sent)
        hs_created = self.known_at + np.where(self.known_via >= 2, HOUR, 0)
        subscribed = self.has_hubspot & (rng.random(n) < 0.92)
        eligible = (
            subscribed[:, None]
            & (sent[None, :] > hs_created[:, None])
            & (rng.random((n, m)) < 0.55)
        )
        bounce = rng.random((n, m)) < 0.03
        p_open = _sigmoid(-0.9 + 0.5 * self.intent)[:, None]
        opened = ~bounce & (rng.random((n, m)) < p_open)
        clicked = opened & (rng.random((n, m)) < _sigmoid(-1.7 + 0.5 * self.intent)[:, None])
        unsub = opened & ~clicked & (rng.random((n, m)) < 0.012)
        # Nothing is sent after an unsubscribe.
        stopped = np.cumsum(eligible & unsub, axis=1) - (eligible & unsub)
        sends = eligible & (stopped == 0)
        person, camp = np.nonzero(sends)
        self.m_person, self.m_campaign = person, camp
        self.m_bounce = bounce[person, camp]
        self.m_open = opened[person, camp]
        self.m_click = clicked[person, camp]
        self.m_unsub = unsub[person, camp]
        k = len(person)
        self.m_sent_at = sent[camp] + rng.integers(0, 1800, k)
        self.m_open_at = self.m_sent_at + rng.integers(300, 3 * DAY, k)
        self.m_click_at = self.m_open_at + rng.integers(5, 600, k)
        # Clicks open a web session on the e-mail's landing page.
        clicks = np.nonzero(self.m_click & (self.m_click_at < w.end))[0]
        email_channel = len(ref.WEB_CHANNELS)
        self.s_person = np.concatenate([self.s_person, person[clicks]])
        self.s_time = np.concatenate([self.s_time, self.m_click_at[clicks] + 2])
        self.s_channel = np.concatenate([self.s_channel, np.full(len(clicks), email_channel)])
        self.s_form = np.concatenate([self.s_form, np.full(len(clicks), -1)])
        self.s_ad = np.concatenate([self.s_ad, np.full(len(clicks), -1)])
        self.s_email = np.concatenate([np.full(len(self.s_person) - len(clicks), -1), camp[clicks]])
        order = np.lexsort((self.s_time, self.s_person))
        for name in ("s_person", "s_time", "s_channel", "s_form", "s_ad", "s_email"):
            setattr(self, name, getattr(self, name)[order])
        self._count_ad_clicks()

    def _count_ad_clicks(self) -> None:
        """Every paid session is a click the ad platform counts, on the account's local date."""
        w = self.w
        for c, name in enumerate(ref.WEB_CHANNELS):
            platform = ref.CHANNELS[name]["platform"]
            if platform is None:
                continue
            idx = np.nonzero((self.s_channel == c) & (self.s_ad >= 0) & (self.s_time < w.end))[0]
            ads = w.ads[platform]["ads"]
            zones = np.array([ads[a]["campaign"]["account"][3] for a in self.s_ad[idx]], object)
            for zone in sorted(set(zones.tolist())):
                sel = idx[zones == zone]
                day = w.local_day(zone, self.s_time[sel])
                np.add.at(w.ads[platform]["identified_clicks"], (self.s_ad[sel], day + 1), 1)

    # --- outcomes -------------------------------------------------------------------------------
    def _outcomes(self) -> None:
        """Draw true propensity from fit, intent and touches; then outcome and funnel dates."""
        w, rng, n = self.w, self.rng, self.n
        channels = [*list(ref.WEB_CHANNELS), "email"]
        logit = INTERCEPT + FIT_COEF * self.fit + INTENT_COEF * self.intent
        for c, name in enumerate(channels):
            touches = np.bincount(self.s_person[self.s_channel == c], minlength=n)
            logit = logit + ref.CHANNELS[name]["true_effect"] * np.log1p(touches)
        attended = self.e_attended
        syndicated = np.isin(self.e_campaign, w.syndication_campaigns)
        for name, mask in (
            ("events_webinars", attended & ~syndicated),
            ("content_syndication", syndicated),
        ):
            touches = np.bincount(self.e_person[mask], minlength=n)
            logit = logit + ref.CHANNELS[name]["true_effect"] * np.log1p(touches)
        self.propensity = _sigmoid(logit)
        converts = rng.random(n) < self.propensity
        # Conversion follows most of the person's touches.
        self.opp_at = np.full(n, -1, np.int64)
        starts = np.searchsorted(self.s_person, np.arange(n))
        ends = np.searchsorted(self.s_person, np.arange(n), side="right")
        delay = rng.integers(DAY, 14 * DAY, n)
        for i in np.nonzero(converts)[0]:
            times = self.s_time[starts[i] : ends[i]]
            times = times[times > self.known_at[i]]
            anchor = (
                times[math.ceil(0.75 * len(times)) - 1]
                if len(times)
                else (self.known_at[i] + 30 * DAY)
            )
            at = max(anchor, self.known_at[i] + 2 * DAY) + delay[i]
            if at < w.end - DAY:
                self.opp_at[i] = at
        converted = self.opp_at >= 0
        self.mql_at = np.full(n, -1, np.int64)
        self.sql_at = np.full(n, -1, np.int64)
        span = np.maximum(self.opp_at - self.known_at, 2 * DAY)
        self.mql_at[converted] = (self.known_at + span * rng.uniform(0.2, 0.6, n))[converted]
        self.sql_at[converted] = (self.known_at + span * rng.uniform(0.7, 0.95, n))[converted]
        mql = ~converted & (
            rng.random(n) < _sigmoid(MQL_INTERCEPT + 0.8 * self.intent + 0.4 * self.fit)
        )
        mql_at = self.known_at + rng.exponential(40 * DAY, n).astype(np.int64) + HOUR
        mql &= mql_at < w.end
        self.mql_at[mql] = mql_at[mql]
        sql = mql & (rng.random(n) < MQL_TO_SQL)
        sql_at = self.mql_at + rng.exponential(20 * DAY, n).astype(np.int64) + HOUR
        sql &= sql_at < w.end
        self.sql_at[sql] = sql_at[sql]
        size = np.log10(w.company_employees[self.company_of] / 100)
        win_logit = WIN_INTERCEPT + WIN_FIT_COEF * self.fit + WIN_SIZE_COEF * size
        self.won = converted & (rng.random(n) < _sigmoid(win_logit))

    # --- CRM records ----------------------------------------------------------------------------
    def _records(self) -> None:
        """Salesforce and HubSpot records of every person, company and opportunity."""
        w, _p = self.w, self.prng
        n = self.n
        self.hs_contact = [None] * n
        self.sf_contact: list[tuple[str, int] | None] = [None] * n
        lead_of: list[tuple[str, int] | None] = [None] * n
        people = []
        for i in range(n):
            people.append(self._person_identity(i))
        # Salesforce lead: created at MQL (synced from HubSpot) or at the event; sales-sourced
        # people get a contact straight away.
        plans = []
        for i in range(n):
            via = KNOWN_VIA[self.known_via[i]]
            lead_at = None
            if via in ("event", "syndication"):
                lead_at = int(self.known_at[i])
            elif via != "sales" and self.mql_at[i] >= 0:
                lead_at = int(self.mql_at[i]) + 600
            convert_at = None
            if lead_at is not None:
                if self.opp_at[i] >= 0:
                    convert_at = max(int(self.opp_at[i]), lead_at + HOUR)
                elif self.sql_at[i] >= 0:
                    convert_at = max(int(self.sql_at[i]), lead_at + HOUR)
            contact_at = int(self.known_at[i]) if via == "sales" else convert_at
            if convert_at is not None and convert_at >= w.end:
                convert_at = contact_at = None
            plans.append((lead_at, convert_at, contact_at))
        # Accounts and companies exist from their first contact.
        account_at: dict[int, int] = {}
        hs_company_at: dict[int, int] = {}
        for i in range(n):
            company = int(self.company_of[i])
            if plans[i][2] is not None:
                account_at[company] = min(account_at.get(company, w.end), plans[i][2] - 60)
            if self.has_hubspot[i] and not self.free_mail[i]:
                hs_company_at[company] = min(
                    hs_company_at.get(company, w.end), int(self.known_at[i]) + HOUR - 60
                )
        self.account_id = {c: w.ids.salesforce("Account") for c in sorted(account_at)}
        self.hs_company_id = {
            c: w.ids.hubspot("company", 5_000_000_000) for c in sorted(hs_company_at)
        }
        self.customer_at: dict[int, int] = {}
        # Opportunities (with ids now, so converted leads can name them).
        self.opp_id = {
            i: w.ids.salesforce("Opportunity")
            for i in range(n)
            if self.opp_at[i] >= 0 and plans[i][2] is not None
        }
        for i in range(n):
            lead_at, convert_at, contact_at = plans[i]
            company = int(self.company_of[i])
            if contact_at is not None:
                self.sf_contact[i] = (w.ids.salesforce("Contact"), contact_at)
            if lead_at is not None and lead_at < w.end:
                lead_of[i] = (w.ids.salesforce("Lead"), lead_at)
            if self.has_hubspot[i]:
                self.hs_contact[i] = w.ids.hubspot("contact", 100)
        self.opportunities: list[dict] = []
        for i in sorted(self.opp_id):
            self.opportunities.append(self._opportunity(i))
        for i in range(n):
            self._emit_person(i, people[i], plans[i], lead_of[i])
        self._emit_companies(account_at, hs_company_at)
        for opp in self.opportunities:
            self._emit_opportunity(opp)
        self._campaign_members(lead_of)
        self._truth_people(people)

    def _person_identity(self, i: int) -> dict:
        """Name, e-mail, phone and country of person i, and how each record spells them."""
        w, p = self.w, self.prng
        first, last = ref.FIRST_NAMES[self.first[i]], ref.LAST_NAMES[self.last[i]]
        company = int(self.company_of[i])
        country = ref.COUNTRIES[w.company_country[company]]
        local = f"{_slug(first)}.{_slug(last).replace('-', '')}{self.person_id[i]}"
        domain = p.choice(ref.FREE_MAIL_DOMAINS) if self.free_mail[i] else w.company_domain[company]
        number = "".join(str(p.randrange(10)) for _ in range(country.national_digits - 1))
        national = str(p.randrange(2, 10)) + number
        return {
            "first": first,
            "last": last,
            "email": f"{local}@{domain}",
            "country": country,
            "national": national,
            "e164": f"+{country.calling_code}{national}",
            "company": company,
        }

    def _spell(self, person: dict, record: str, no_email: bool = False) -> dict:
        """Spell a person as one record does: e-mail, phone and country, with real CRM defects."""
        p, d = self.prng, self.w.defects
        email = None if no_email else person["email"]
        if email and p.random() < 0.01:
            kind = p.choice(INVALID_EMAIL_KINDS)
            local, domain = email.split("@")
            email = {
                "no_tld": f"{local}@{domain.split('.')[0]}",
                "missing_at": f"{local}.{domain}",
                "double_at": f"{local}@@{domain}",
                "double_dot": f"{local}@{domain.replace('.', '..', 1)}",
            }[kind]
            d["invalid_emails"][record] += 1
            d["invalid_email_kinds"][kind] += 1
        phone_format = p.choices(PHONE_FORMATS, PHONE_FORMAT_P)[0]
        c, nat = person["country"], person["national"]
        nanp = c.calling_code == "1"
        if phone_format in ("national", "dotted") and not nanp:
            phone_format = "national"
        phone = {
            "e164": person["e164"],
            "international": f"+{c.calling_code} {nat[:3]} {nat[3:6]} {nat[6:]}",
            "national": f"({nat[:3]}) {nat[3:6]}-{nat[6:]}" if nanp else f"0{nat[:3]} {nat[3:]}",
            "dotted": f"{nat[:3]}.{nat[3:6]}.{nat[6:]}",
            "digits": nat if nanp else f"{c.calling_code}{nat}",
            "intl_00": f"00{c.calling_code}{nat}",
            "with_ext": f"+{c.calling_code} {nat[:3]}-{nat[3:6]}-{nat[6:]} ext. "
            f"{p.randrange(10, 99)}",
            "missing": None,
        }[phone_format]
        d["phone_formats"][phone_format] += 1
        country_format = p.choices(COUNTRY_FORMATS, COUNTRY_FORMAT_P)[0]
        country = {
            "iso2": c.iso2,
            "name": c.name,
            "iso3": c.iso3,
            "alias": p.choice(c.aliases),
            "missing": None,
        }[country_format]
        d["country_formats"][country_format] += 1
        return {
            "email": email,
            "phone": phone,
            "country": country,
            "formats": (phone_format, country_format),
        }

    def _emit_person(self, i: int, person: dict, plan: tuple, lead: tuple | None) -> None:
        w, p, d = self.w, self.prng, self.w.defects
        _lead_at, convert_at, _contact_at = plan
        company = person["company"]
        pid = int(self.person_id[i])
        title = self.title[i]
        via = KNOWN_VIA[self.known_via[i]]
        interest = PRODUCT_INTEREST[self.interest[i]]
        owner_sdr = w.sdrs[(pid // 7) % len(w.sdrs)]["id"]
        owner_ae = w.aes[company % len(w.aes)]["id"]
        opp = self.opp_id.get(i)
        # --- HubSpot contact(s) ---
        if self.hs_contact[i] is not None:
            self._hubspot_contact(i, person, interest)
        # --- Salesforce lead ---
        if lead is not None:
            lead_id, created = lead
            spelled = self._spell(person, "salesforce.Lead")
            company_name = w.company_name[company]
            if p.random() < 0.015:
                company_name = None
                d["null_required_fields"]["salesforce.Lead.Company"] += 1
            changes = [(created + p.randrange(DAY, 5 * DAY), {"Status": "Working - Contacted"})]
            converted_by = None
            if convert_at is not None:
                converted_by = convert_at
                changes.append(
                    (
                        convert_at,
                        {
                            "Status": "Closed - Converted",
                            "IsConverted": True,
                            "ConvertedDate": convert_at // DAY,
                            "ConvertedAccountId": self.account_id[company],
                            "ConvertedContactId": self.sf_contact[i][0],
                            "ConvertedOpportunityId": opp if self.opp_at[i] >= 0 else None,
                        },
                    )
                )
            elif p.random() < 0.5:
                changes.append(
                    (created + p.randrange(60, 180) * DAY, {"Status": "Closed - Not Converted"})
                )
            deleted = None
            if converted_by is None and p.random() < 0.01:
                deleted = created + p.randrange(1, 120) * DAY
            w._sf_versions(
                "Lead",
                {
                    "Id": lead_id,
                    "FirstName": person["first"],
                    "LastName": person["last"],
                    "Email": spelled["email"],
                    "Company": company_name,
                    "Title": title,
                    "Phone": spelled["phone"],
                    "Country": spelled["country"],
                    "Status": "Open - Not Contacted",
                    "LeadSource": LEAD_SOURCE[via],
                    "IsConverted": False,
                    "OwnerId": owner_sdr,
                    "CreatedDate": created,
                    "_interest": interest,
                },
                changes,
                deleted,
            )
            w._truth_record("salesforce", "Lead", lead_id, pid, company)
            self._tasks(lead_id, None, created, owner_sdr, p.randrange(0, 4))
        # --- Salesforce contact ---
        if self.sf_contact[i] is not None:
            contact_id, created = self.sf_contact[i]
            spelled = self._spell(person, "salesforce.Contact")
            last = person["last"]
            if p.random() < 0.005:
                last = None
                d["null_required_fields"]["salesforce.Contact.LastName"] += 1
            on_opportunity = any(contact_id in o["contacts"] for o in self.opportunities)
            deleted = None
            if not on_opportunity and p.random() < 0.005:
                deleted = created + p.randrange(1, 120) * DAY
            w._sf_versions(
                "Contact",
                {
                    "Id": contact_id,
                    "AccountId": self.account_id[company],
                    "FirstName": person["first"],
                    "LastName": last,
                    "Email": spelled["email"],
                    "Title": title,
                    "Phone": spelled["phone"],
                    "MailingCountry": spelled["country"],
                    "LeadSource": LEAD_SOURCE[via],
                    "OwnerId": owner_ae,
                    "CreatedDate": created,
                },
                [],
                deleted,
            )
            w._truth_record("salesforce", "Contact", contact_id, pid, company)

    def _hubspot_contact(self, i: int, person: dict, interest: str) -> None:
        w, p, d = self.w, self.prng, self.w.defects
        contact_id = self.hs_contact[i]
        pid = int(self.person_id[i])
        company = person["company"]
        via = KNOWN_VIA[self.known_via[i]]
        created = int(self.known_at[i]) + (HOUR if via in ("event", "syndication") else 0)
        no_email = p.random() < 0.005
        if no_email:
            d["null_required_fields"]["hubspot.contacts.email"] += 1
        spelled = self._spell(person, "hubspot.contacts", no_email)
        email = spelled["email"]
        first_channel = None
        mine = np.nonzero(self.s_person == i)[0]
        if len(mine):
            first_channel = ([*list(ref.WEB_CHANNELS), "email"])[self.s_channel[mine[0]]]
        stage = "subscriber" if via == "import" else "lead"
        base = {
            "id": contact_id,
            "email": email,
            "firstname": person["first"],
            "lastname": person["last"],
            "jobtitle": self.title[i],
            "phone": spelled["phone"],
            "country": spelled["country"],
            "company": w.company_name[company],
            "lifecyclestage": stage,
            "hs_lifecyclestage_lead_date": created,
            "hs_analytics_source": HS_SOURCE[first_channel]
            if via in ("form", "import")
            else "OFFLINE",
            "hubspot_owner_id": None,
            "associatedcompanyid": None if self.free_mail[i] else self.hs_company_id[company],
            "archived": False,
            "createdate": created,
        }
        changes: list[tuple[int, dict]] = []
        for at, stage_name, field in (
            (
                self.mql_at[i],
                "marketingqualifiedlead",
                "hs_lifecyclestage_marketingqualifiedlead_date",
            ),
            (self.sql_at[i], "salesqualifiedlead", "hs_lifecyclestage_salesqualifiedlead_date"),
            (self.opp_at[i], "opportunity", "hs_lifecyclestage_opportunity_date"),
        ):
            if at >= 0:
                changes.append((int(at), {"lifecyclestage": stage_name, field: int(at)}))
        if self.opp_at[i] >= 0:
            changes.append(
                (
                    int(self.opp_at[i]) + 60,
                    {"hubspot_owner_id": w.aes[company % len(w.aes)]["owner_id"]},
                )
            )
        if self.opp_close.get(i, (0, False))[1]:
            at = self.opp_close[i][0]
            changes.append(
                (at, {"lifecyclestage": "customer", "hs_lifecyclestage_customer_date": at})
            )
        custom = (
            "product_interest",
            w.custom_fields[("hubspot", "contacts", "product_interest")],
            interest,
        )
        stamp = ("createdate", "lastmodifieddate")
        # Duplicates: a second contact whose e-mail differs only in case or white space.
        duplicate = None
        if email and _looks_valid(email) and p.random() < 0.02:
            dup_created = created + p.randrange(1, 200) * DAY
            if dup_created < w.end:
                kind = p.choice(("case", "whitespace"))
                dup_email = email.title() if kind == "case" else f" {email} "
                if dup_email == email:
                    dup_email = email.upper()
                duplicate = (w.ids.hubspot("contact", 100), dup_created, dup_email, kind)
        merged_at = None
        if duplicate and p.random() < 0.5:
            merged_at = duplicate[1] + p.randrange(1, 60) * DAY
            if merged_at >= w.end:
                merged_at = None
            else:
                changes.append((merged_at, {"hs_merged_object_ids": duplicate[0]}))
        archived_at = None
        if self.opp_at[i] < 0 and duplicate is None and p.random() < 0.01:
            archived_at = created + p.randrange(1, 200) * DAY
            if archived_at < w.end:
                changes = [c for c in changes if c[0] < archived_at]
                changes.append((archived_at, {"archived": True, "archived_at": archived_at}))
                d["deleted_records"]["hubspot.contacts"] += 1
        if email and _looks_valid(email):
            self.hs_email[i] = (
                email.strip().lower(),
                person["first"],
                person["last"],
                w.company_name[company],
            )
        rows = w._versions(base, changes, stamp, custom)
        w._pending["hubspot/contacts"].extend(rows)
        w._truth_record("hubspot", "contacts", contact_id, pid, company)
        if not self.free_mail[i]:
            w._pending["hubspot/associations"].append(
                {
                    "from_object_type": "contacts",
                    "from_id": contact_id,
                    "to_object_type": "companies",
                    "to_id": self.hs_company_id[company],
                    "association_type_id": 1,
                    "association_category": "HUBSPOT_DEFINED",
                    "label": "Primary",
                    "_version_at": created,
                }
            )
        if duplicate:
            dup_id, dup_created, dup_email, kind = duplicate
            d["duplicate_contacts"][kind] += 1
            # The duplicate carries the same phone and country spellings as its original.
            d["phone_formats"][spelled["formats"][0]] += 1
            d["country_formats"][spelled["formats"][1]] += 1
            dup_base = dict(
                base,
                id=dup_id,
                email=dup_email,
                createdate=dup_created,
                hs_lifecyclestage_lead_date=dup_created,
                lifecyclestage="lead",
                hs_analytics_source="OFFLINE",
                associatedcompanyid=None,
                hs_lifecyclestage_marketingqualifiedlead_date=None,
                hs_lifecyclestage_salesqualifiedlead_date=None,
                hs_lifecyclestage_opportunity_date=None,
                hubspot_owner_id=None,
            )
            dup_changes = []
            if merged_at is not None:
                dup_changes.append((merged_at, {"_merged_into": contact_id}))
                d["merged_contacts"]["hubspot.contacts"] += 1
            w._pending["hubspot/contacts"].extend(w._versions(dup_base, dup_changes, stamp, custom))
            w._truth_record("hubspot", "contacts", dup_id, pid, company)

    def _emit_companies(self, account_at: dict[int, int], hs_company_at: dict[int, int]) -> None:
        w, p = self.w, self.prng
        for company, created in sorted(account_at.items()):
            website = w.company_domain[company]
            website = p.choice(
                (f"https://www.{website}/", f"http://{website}", website, f"www.{website}")
            )
            changes = []
            if company in self.customer_at:
                changes.append((self.customer_at[company], {"Type": "Customer"}))
            name = w.company_name[company]
            w._sf_versions(
                "Account",
                {
                    "Id": self.account_id[company],
                    "Name": name,
                    "Website": website,
                    "Industry": ref.INDUSTRIES[w.company_industry[company]].salesforce,
                    "NumberOfEmployees": int(w.company_employees[company]),
                    "AnnualRevenue": int(w.company_revenue_cents[company]),
                    "BillingCountry": p.choice(
                        (
                            ref.COUNTRIES[w.company_country[company]].name,
                            ref.COUNTRIES[w.company_country[company]].iso2,
                        )
                    ),
                    "Type": "Prospect",
                    "OwnerId": w.aes[company % len(w.aes)]["id"],
                    "CreatedDate": created,
                },
                changes,
            )
            w._truth_record("salesforce", "Account", self.account_id[company], None, company)
        for company, created in sorted(hs_company_at.items()):
            changes = []
            if company in self.customer_at:
                changes.append((self.customer_at[company] + 120, {"lifecyclestage": "customer"}))
            archived_at = None
            if company not in self.customer_at and p.random() < 0.005:
                archived_at = created + p.randrange(30, 300) * DAY
                if archived_at < w.end:
                    changes.append((archived_at, {"archived": True, "archived_at": archived_at}))
                    w.defects["deleted_records"]["hubspot.companies"] += 1
            w._pending["hubspot/companies"].extend(
                w._versions(
                    {
                        "id": self.hs_company_id[company],
                        "name": w.company_name[company],
                        "domain": w.company_domain[company],
                        "industry": ref.INDUSTRIES[w.company_industry[company]].hubspot,
                        "numberofemployees": int(w.company_employees[company]),
                        "annualrevenue": int(w.company_revenue_cents[company]),
                        "country": ref.COUNTRIES[w.company_country[company]].iso2,
                        "lifecyclestage": "lead",
                        "archived": False,
                        "createdate": created,
                    },
                    changes,
                    ("createdate", "hs_lastmodifieddate"),
                )
            )
            w._truth_record("hubspot", "companies", self.hs_company_id[company], None, company)

    # --- opportunities --------------------------------------------------------------------------
    def _opportunity(self, i: int) -> dict:
        """Plan one opportunity: stages over time, amount, contacts on it."""
        w, p = self.w, self.prng
        company = int(self.company_of[i])
        created = int(self.opp_at[i])
        employees = int(w.company_employees[company])
        # Annual contract value in cents, whole hundreds of dollars, growing with company size.
        dollars = DEAL_BASE * (employees / 100) ** DEAL_SIZE_EXPONENT * p.lognormvariate(0, 0.35)
        amount = int(round(min(dollars, DEAL_CAP), -2)) * 100
        # The sales cycle lengthens with the deal; its stages share it in random proportions.
        cycle = CYCLE_BASE_DAYS * (amount / 1_000_000) ** CYCLE_EXPONENT * p.lognormvariate(0, 0.3)
        shares = [p.uniform(0.5, 1.5) for _ in range(len(OPP_STAGES))]
        gaps = [max(1, round(cycle * share / sum(shares))) * DAY for share in shares]
        stages, at = [], created
        lost_at_stage = None if self.won[i] else p.randrange(1, len(OPP_STAGES) + 1)
        for k, stage in enumerate(OPP_STAGES):
            if k > 0:
                at += gaps[k - 1]
            stages.append((at, stage, amount))
            if k == 3 and p.random() < 0.3:
                amount = int(round(amount * p.uniform(0.8, 1.2), -4))
                stages.append((at + HOUR, stage, amount))
            if lost_at_stage == k + 1:
                break
        at += gaps[-1]
        final = OPP_WON if self.won[i] else OPP_LOST
        stages.append((at, final, amount))
        closed = at < w.end
        self.opp_close[i] = (at, bool(self.won[i]) and closed)
        if self.won[i] and closed:
            self.customer_at[company] = min(self.customer_at.get(company, w.end), at)
        contacts = [(self.sf_contact[i][0], "Decision Maker", True, created)]
        colleagues = [
            j
            for j in range(self.n)
            if j != i
            and self.company_of[j] == company
            and self.sf_contact[j] is not None
            and self.sf_contact[j][1] < created
        ]
        for j in colleagues[: p.randrange(0, 3)]:
            contacts.append(
                (
                    self.sf_contact[j][0],
                    p.choice(("Influencer", "Evaluator", "Economic Buyer")),
                    False,
                    created + p.randrange(1, 10) * DAY,
                )
            )
        campaign = None
        mine = self.e_campaign[(self.e_person == i) & (self.e_time < created) & self.e_attended]
        if len(mine):
            campaign = w.sf_campaigns[int(mine[-1])]["id"]
        return {
            "person": i,
            "id": self.opp_id[i],
            "company": company,
            "created": created,
            "stages": stages,
            "contacts": {c[0]: c for c in contacts},
            "campaign": campaign,
            "deleted": (created + p.randrange(2, 40) * DAY)
            if not self.won[i] and p.random() < 0.005
            else None,
            "expected_close": created + 90 * DAY,
            "name": w.company_name[company],
        }

    def _emit_opportunity(self, opp: dict) -> None:
        w, p = self.w, self.prng
        i = opp["person"]
        owner = w.aes[opp["company"] % len(w.aes)]["id"]
        deleted = opp["deleted"] if opp["deleted"] and opp["deleted"] < w.end else None
        first_at, first_stage, first_amount = opp["stages"][0]
        base = {
            "Id": opp["id"],
            "AccountId": self.account_id[opp["company"]],
            "Name": f"{opp['name']} - New Business",
            "StageName": first_stage[0],
            "Amount": first_amount,
            "CloseDate": opp["expected_close"] // DAY,
            "Probability": float(first_stage[1]),
            "IsClosed": False,
            "IsWon": False,
            "ForecastCategory": first_stage[2],
            "LeadSource": LEAD_SOURCE[KNOWN_VIA[self.known_via[i]]],
            "CampaignId": opp["campaign"],
            "Type": "New Business",
            "OwnerId": owner,
            "CreatedDate": first_at,
        }
        if p.random() < 0.01:
            base["Amount"] = None
            w.defects["null_required_fields"]["salesforce.Opportunity.Amount"] += 1
        null_amount = base["Amount"] is None
        changes, history = [], []
        for at, stage, amount in opp["stages"]:
            closed = stage in (OPP_WON, OPP_LOST)
            update = {
                "StageName": stage[0],
                "Probability": float(stage[1]),
                "ForecastCategory": stage[2],
                "IsClosed": closed,
                "IsWon": stage is OPP_WON,
            }
            if not null_amount:
                update["Amount"] = amount
            if closed:
                update["CloseDate"] = at // DAY
            changes.append((at, update))
            if at < w.end and (deleted is None or at < deleted):
                history.append(
                    (
                        at,
                        stage,
                        None if null_amount else amount,
                        (at // DAY) if closed else opp["expected_close"] // DAY,
                    )
                )
        w._sf_versions("Opportunity", base, changes[1:], deleted)
        for at, stage, amount, close_day in history:
            w._sf_versions(
                "OpportunityHistory",
                {
                    "Id": w.ids.salesforce("OpportunityHistory"),
                    "OpportunityId": opp["id"],
                    "StageName": stage[0],
                    "Amount": amount,
                    "CloseDate": close_day,
                    "Probability": float(stage[1]),
                    "ForecastCategory": stage[2],
                    "ExpectedRevenue": None if amount is None else amount * stage[1] // 100,
                    "CreatedById": owner,
                    "CreatedDate": at,
                },
                [],
                deleted,
            )
        for contact_id, role, primary, at in opp["contacts"].values():
            w._sf_versions(
                "OpportunityContactRole",
                {
                    "Id": w.ids.salesforce("OpportunityContactRole"),
                    "OpportunityId": opp["id"],
                    "ContactId": contact_id,
                    "Role": role,
                    "IsPrimary": primary,
                    "CreatedDate": at,
                },
                [],
                deleted,
            )
        self._tasks(self.sf_contact[i][0], opp["id"], first_at, owner, p.randrange(1, 6))
        # Meetings follow the deal: a discovery call when it opens, a demo at needs analysis.
        meetings = [("Discovery call", first_at)]
        meetings += [
            ("Product demo", at) for at, stage, _ in opp["stages"] if stage is OPP_STAGES[2]
        ]
        for subject, after in meetings:
            start = (after // DAY + p.randrange(1, 6)) * DAY + 15 * HOUR
            if start >= w.end or (deleted is not None and start >= deleted):
                continue
            w._sf_versions(
                "Event",
                {
                    "Id": w.ids.salesforce("Event"),
                    "WhoId": self.sf_contact[i][0],
                    "WhatId": opp["id"],
                    "Subject": subject,
                    "Type": "Meeting",
                    "StartDateTime": start,
                    "EndDateTime": start + 45 * 60,
                    "ActivityDate": start // DAY,
                    "OwnerId": owner,
                    "IsArchived": False,
                    "CreatedDate": start - 2 * DAY,
                },
                [],
            )
        # HubSpot mirrors the opportunity as a deal through the CRM sync.
        contact = self.hs_contact[i]
        if contact is None:
            return
        deal_id = w.ids.hubspot("deal", 9_000_000_000)
        deal_base = {
            "id": deal_id,
            "dealname": base["Name"],
            "amount": base["Amount"],
            "dealstage": first_stage[3],
            "pipeline": "default",
            "closedate": opp["expected_close"],
            "hubspot_owner_id": None,
            "salesforce_opportunity_id": opp["id"],
            "archived": False,
            "createdate": first_at + 300,
        }
        deal_changes = []
        for at, stage, amount in opp["stages"][1:]:
            update = {"dealstage": stage[3]}
            if not null_amount:
                update["amount"] = amount
            if stage in (OPP_WON, OPP_LOST):
                update["closedate"] = at
            deal_changes.append((at + 300, update))
        if deleted:
            deal_changes = [c for c in deal_changes if c[0] < deleted + 300]
            deal_changes.append((deleted + 300, {"archived": True, "archived_at": deleted + 300}))
            w.defects["deleted_records"]["hubspot.deals"] += 1
        w._pending["hubspot/deals"].extend(
            w._versions(deal_base, deal_changes, ("createdate", "hs_lastmodifieddate"))
        )
        assoc = w._pending["hubspot/associations"]
        assoc.append(
            {
                "from_object_type": "deals",
                "from_id": deal_id,
                "to_object_type": "contacts",
                "to_id": contact,
                "association_type_id": 3,
                "association_category": "HUBSPOT_DEFINED",
                "label": None,
                "_version_at": first_at + 300,
            }
        )
        company = opp["company"]
        if company in self.hs_company_id:
            assoc.append(
                {
                    "from_object_type": "deals",
                    "from_id": deal_id,
                    "to_object_type": "companies",
                    "to_id": self.hs_company_id[company],
                    "association_type_id": 5,
                    "association_category": "HUBSPOT_DEFINED",
                    "label": "Primary",
                    "_version_at": first_at + 300,
                }
            )
            others = [c for c in sorted(self.hs_company_id) if c != company]
            if others and p.random() < 0.04:
                assoc.append(
                    {
                        "from_object_type": "deals",
                        "from_id": deal_id,
                        "to_object_type": "companies",
                        "to_id": self.hs_company_id[p.choice(others)],
                        "association_type_id": 341,
                        "association_category": "HUBSPOT_DEFINED",
                        "label": None,
                        "_version_at": first_at + 86_400,
                    }
                )
                w.defects["deals_with_several_companies"]["hubspot.deals"] += 1

    def _tasks(self, who: str, what: str | None, after: int, owner: str, count: int) -> None:
        w, p = self.w, self.prng
        for _ in range(count):
            created = after + p.randrange(HOUR, 20 * DAY)
            if created >= w.end:
                continue
            due = created + p.randrange(0, 5) * DAY
            changes = []
            if due < w.end:
                changes.append((due + 2 * HOUR, {"Status": "Completed"}))
            deleted = created + p.randrange(1, 30) * DAY if p.random() < 0.01 else None
            w._sf_versions(
                "Task",
                {
                    "Id": w.ids.salesforce("Task"),
                    "WhoId": who,
                    "WhatId": what,
                    "Subject": p.choice(("Call", "Follow-up email", "Send proposal", "Intro call")),
                    "Type": p.choice(("Call", "Email")),
                    "Status": "Not Started",
                    "ActivityDate": due // DAY,
                    "OwnerId": owner,
                    "IsArchived": False,
                    "CreatedDate": created,
                },
                changes,
                deleted,
            )

    def _campaign_members(self, lead_of: list) -> None:
        """Campaign membership of people with a Salesforce lead or contact at the time.

        A person who registers twice for one campaign gets two members (a defect Salesforce's
        own uniqueness rule would refuse, but sync tools and imports create): the manifest counts
        every member beyond the first of a campaign and lead or contact.
        """
        w, _p = self.w, self.prng
        members: set[tuple[str, str]] = set()
        for k in range(len(self.e_person)):
            i = int(self.e_person[k])
            at = int(self.e_time[k])
            lead, contact = lead_of[i], self.sf_contact[i]
            who_contact = contact is not None and contact[1] <= at
            who_lead = lead is not None and lead[1] <= at + HOUR
            if not (who_contact or who_lead):
                continue
            campaign = w.sf_campaigns[int(self.e_campaign[k])]
            responded = bool(self.e_attended[k])
            status = (
                ("Responded" if campaign["kind"] == "Content Syndication" else "Attended")
                if responded
                else "Registered"
            )
            lead_id = None if who_contact else lead[0]
            contact_id = contact[0] if who_contact else None
            record_created = contact[1] if who_contact else lead[1]
            created = max(at - 7 * DAY, record_created) if responded else at
            member = (campaign["id"], lead_id or contact_id)
            if member in members:
                w.defects["duplicate_campaign_members"]["salesforce.CampaignMember"] += 1
            members.add(member)
            w._sf_versions(
                "CampaignMember",
                {
                    "Id": w.ids.salesforce("CampaignMember"),
                    "CampaignId": campaign["id"],
                    "LeadId": lead_id,
                    "ContactId": contact_id,
                    "LeadOrContactId": lead_id or contact_id,
                    "Status": status,
                    "HasResponded": responded,
                    "FirstRespondedDate": at // DAY if responded else None,
                    "CreatedDate": created,
                },
                [],
            )

    def _truth_people(self, people: list[dict]) -> None:
        w = self.w
        opp = self.opp_at >= 0
        w._pending["truth/people"].extend(
            {
                "person_id": int(self.person_id[i]),
                "company_id": people[i]["company"],
                "first_name": people[i]["first"],
                "last_name": people[i]["last"],
                "email": people[i]["email"],
                "phone_e164": people[i]["e164"],
                "country_code": people[i]["country"].iso2,
                "title": self.title[i],
                "seniority": ref.SENIORITIES[self.seniority[i]][0],
                "fit": float(self.fit[i]),
                "intent": float(self.intent[i]),
                "propensity": float(self.propensity[i]),
                "known_at": int(self.known_at[i]),
                "known_via": KNOWN_VIA[self.known_via[i]],
                "mql_at": int(self.mql_at[i]) if self.mql_at[i] >= 0 else None,
                "sql_at": int(self.sql_at[i]) if self.sql_at[i] >= 0 else None,
                "became_opportunity": bool(opp[i] and i in self.opp_id),
                "opportunity_created_at": int(self.opp_at[i]) if i in self.opp_id else None,
                "is_won": bool(self.opp_close.get(i, (0, False))[1]),
            }
            for i in range(self.n)
        )
        channels = [*list(ref.WEB_CHANNELS), "email"]
        ads_flat = {pl: spec["ads"] for pl, spec in w.ads.items()}
        w._pending["truth/touches"].extend(
            {
                "person_id": int(self.person_id[self.s_person[k]]),
                "touched_at": int(self.s_time[k]),
                "channel": channels[self.s_channel[k]],
                "ad_id": None
                if self.s_ad[k] < 0
                else ads_flat[ref.CHANNELS[channels[self.s_channel[k]]]["platform"]][self.s_ad[k]][
                    "id"
                ],
            }
            for k in range(len(self.s_person))
            if self.s_time[k] < w.end
        )
        syndicated = np.isin(self.e_campaign, w.syndication_campaigns)
        w._pending["truth/touches"].extend(
            {
                "person_id": int(self.person_id[self.e_person[k]]),
                "touched_at": int(self.e_time[k]),
                "channel": "content_syndication" if syndicated[k] else "events_webinars",
                "ad_id": None,
            }
            for k in range(len(self.e_person))
            if self.e_attended[k] and self.e_time[k] < w.end
        )

    # --- web and e-mail events ------------------------------------------------------------------
    def _web_events(self) -> None:
        """Page views of identified contacts: sessions of one to several pages, UTMs on landing."""
        w, rng, p = self.w, self.rng, self.prng
        visible = (
            np.array([self.hs_contact[i] is not None for i in self.s_person], bool)
            if len(self.s_person)
            else np.zeros(0, bool)
        )
        visible &= self.s_time < w.end
        sessions = np.nonzero(visible)[0]
        pages = 1 + rng.poisson(1.8, len(sessions))
        total = int(pages.sum())
        session_of = np.repeat(sessions, pages)
        position = np.arange(total) - np.repeat(np.cumsum(pages) - pages, pages)
        gaps = rng.integers(20, 240, total)
        gaps[position == 0] = 0
        # Times inside a session add up the gaps from its start.
        csum = np.cumsum(gaps)
        start_of = np.repeat(csum[np.cumsum(pages) - pages], pages)
        when = self.s_time[session_of] + (csum - start_of)
        site = rng.integers(0, len(ref.SITE_PAGES), total)
        channels = [*list(ref.WEB_CHANNELS), "email"]
        page_titles = dict(ref.SITE_PAGES)
        urls, referrers, titles, ids = [], [], [], []
        last_page_of_session = np.cumsum(pages) - 1
        is_last = np.zeros(total, bool)
        is_last[last_page_of_session] = True
        form_rows = []
        for k in range(total):
            s = session_of[k]
            i = int(self.s_person[s])
            channel = channels[self.s_channel[s]]
            if position[k] == 0:
                url, referrer = self._landing(s, channel)
                path = url.split("?")[0][len(ref.VENDOR_SITE) :] or "/"
                title = page_titles.get(path, ref.SITE_PAGES[0][1])
            else:
                referrer = urls[-1]
                if is_last[k] and self.s_form[s] >= 0:
                    path = FORMS[self.s_form[s]][2]
                else:
                    path = ref.SITE_PAGES[site[k]][0]
                url = ref.VENDOR_SITE + path
                title = page_titles[path]
            urls.append(url)
            referrers.append(referrer)
            titles.append(title)
            ids.append(f"{p.getrandbits(64):016x}-{p.getrandbits(64):016x}")
            if is_last[k] and self.s_form[s] >= 0 and when[k] < w.end:
                form_rows.append((s, i, int(when[k]) + 30, url))
        contact_ids = [self.hs_contact[int(self.s_person[s])] for s in session_of]
        known = self.known_at + np.where(self.known_via >= 2, HOUR, 0)
        visible_at = np.maximum(when, known[self.s_person[session_of]])
        keep = when < w.end
        w.out.columns(
            "hubspot/web_events",
            {
                "id": [x for x, ok in zip(ids, keep, strict=True) if ok],
                "object_type": ["contact"] * int(keep.sum()),
                "object_id": [x for x, ok in zip(contact_ids, keep, strict=True) if ok],
                "event_type": ["e_visited_page"] * int(keep.sum()),
                "occurred_at": when[keep],
                "url": [x for x, ok in zip(urls, keep, strict=True) if ok],
                "referrer": [x for x, ok in zip(referrers, keep, strict=True) if ok],
                "page_title": [x for x, ok in zip(titles, keep, strict=True) if ok],
                "_version_at": visible_at[keep],
            },
        )
        self._form_submissions(form_rows)

    def _landing(self, s: int, channel: str) -> tuple[str, str | None]:
        """Landing URL and referrer of session s, with the UTM defects real traffic carries."""
        w, p, d = self.w, self.prng, self.w.defects
        if channel == "email":
            camp = w.email_campaigns[int(self.s_email[s])]
            return (
                f"{ref.VENDOR_SITE}{camp['path']}?utm_source=hubspot&utm_medium=email"
                f"&utm_campaign={camp['slug']}&_hsmi={camp['id']}"
            ), None
        if channel == "organic_search":
            page = p.choice(ref.SITE_PAGES[:9])[0]
            return ref.VENDOR_SITE + page, p.choice(
                ("https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/")
            )
        if channel == "direct":
            return ref.VENDOR_SITE + p.choice(("/", "/pricing", "/demo")), None
        if channel == "referral":
            return ref.VENDOR_SITE + p.choice(("/", "/customers", "/pricing")), p.choice(
                ref.REFERRAL_SITES
            )
        platform = ref.CHANNELS[channel]["platform"]
        ad = w.ads[platform]["ads"][int(self.s_ad[s])]
        click_param = PLATFORM_UTM[platform][2]
        click = f"{click_param}={p.getrandbits(80):020x}"
        utm = ad["utm"]
        roll = p.random()
        if roll < 0.03:
            d["utm_defects"]["missing"] += 1
            query = click
        elif roll < 0.05:
            kind = p.choice(("double_question_mark", "encoded_equals", "empty_campaign"))
            d["utm_defects"]["malformed"] += 1
            d["utm_malformed_kinds"][kind] += 1
            if kind == "double_question_mark":
                bad = utm.replace("&", "?", 1)
            elif kind == "encoded_equals":
                bad = utm.replace("utm_medium=", "utm_medium%3D", 1)
            else:
                bad = utm.replace(f"utm_campaign={ad['campaign']['slug']}", "utm_campaign=", 1)
            query = f"{bad}&{click}"
        elif roll < 0.09:
            d["utm_defects"]["mixed_case"] += 1
            source, medium, _ = PLATFORM_UTM[platform]
            query = (
                utm.replace(f"utm_source={source}", f"utm_source={source.title()}", 1).replace(
                    f"utm_medium={medium}", f"utm_medium={medium.upper()}", 1
                )
                + f"&{click}"
            )
        else:
            query = f"{utm}&{click}"
        referrer = {
            "google_ads": "https://www.google.com/",
            "facebook_ads": "https://l.facebook.com/",
            "linkedin_ads": "https://www.linkedin.com/",
        }[platform]
        return f"{ad['landing']}?{query}", referrer

    def _form_submissions(self, rows: list[tuple[int, int, int, str]]) -> None:
        w, p = self.w, self.prng
        out = []
        for s, i, when, url in rows:
            person = self.hs_email.get(i)
            if person is None:
                continue
            form = w.forms[int(self.s_form[s])]
            values = [
                {"name": "email", "value": person[0]},
                {"name": "firstname", "value": person[1]},
                {"name": "lastname", "value": person[2]},
                {"name": "company", "value": person[3]},
            ]
            out.append(
                {
                    "conversion_id": f"{p.getrandbits(128):032x}",
                    "form_guid": form["guid"],
                    "submitted_at": when,
                    "page_url": url,
                    "values": values,
                    "_version_at": when,
                }
            )
        w.out.rows_of("hubspot/form_submissions", out)

    def _email_events(self) -> None:
        """SENT, DELIVERED or BOUNCE, OPEN, CLICK and UNSUBSCRIBE events of every send."""
        w, p = self.w, self.prng
        end = w.end
        person = self.m_person
        visible = self.m_sent_at < end
        parts = []
        specs = (
            ("SENT", visible, self.m_sent_at),
            ("DELIVERED", visible & ~self.m_bounce, self.m_sent_at + 20),
            ("BOUNCE", visible & self.m_bounce, self.m_sent_at + 20),
            ("OPEN", visible & self.m_open, self.m_open_at),
            ("CLICK", visible & self.m_click, self.m_click_at),
            ("UNSUBSCRIBE", visible & self.m_unsub, self.m_open_at + 30),
        )
        for kind, mask, when in specs:
            idx = np.nonzero(mask & (when < end))[0]
            parts.append((kind, idx, when[idx]))
        rows: dict[str, list] = defaultdict(list)
        for kind, idx, when in parts:
            for k, at in zip(idx.tolist(), when.tolist(), strict=True):
                i = int(person[k])
                camp = w.email_campaigns[int(self.m_campaign[k])]
                rows["id"].append(f"{p.getrandbits(64):016x}-{p.getrandbits(32):08x}")
                rows["created"].append(at)
                rows["type"].append(kind)
                rows["recipient"].append(self.hs_email[i][0] if i in self.hs_email else None)
                rows["email_campaign_id"].append(camp["id"])
                rows["sent_by_id"].append(f"{camp['id']:x}-sent")
                rows["sent_by_created"].append(int(self.m_sent_at[k]))
                rows["url"].append(
                    f"{ref.VENDOR_SITE}{camp['path']}?utm_source=hubspot&utm_medium=email"
                    f"&utm_campaign={camp['slug']}"
                    if kind == "CLICK"
                    else None
                )
                rows["_version_at"].append(at)
        count = len(rows["id"])
        rows["portal_id"] = [4_471_337] * count
        rows["app_id"] = [113] * count
        rows["app_name"] = ["Batch"] * count
        w.out.columns("hubspot/email_events", rows)
