"""The business model of the demo world: accounts, channels, funnel and economics constants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

DEFAULT_AS_OF = date(2026, 6, 30)

DEFAULT_SEED = 42

DEFAULT_SCALE = 0.1

HISTORY_MONTHS = 24

GENERATOR_VERSION = "7"

COMPANIES_PER_CHUNK = 200

DAY = 86_400

HOUR = 3_600

WORLD_META = "world.json"

Progress = Callable[[str, int, int], None]

# Tables whose size is fixed by design rather than proportional to scale.
FIXED_SIZE_TABLES = frozenset(
    {
        "google_ads/customers",
        "google_ads/conversion_actions",
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
PLATFORM_CPC = {"google_ads": 4.2, "facebook_ads": 1.3, "linkedin_ads": 6.8}

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

# A person researches for a while after becoming known, then goes quiet: the active period is
# log-normal (median ACTIVE_MEDIAN_DAYS, at least ACTIVE_MIN_DAYS); their web sessions, later forms
# and events fall in it, at ACTIVE_RATE_BOOST times the channels' base rates. Without it every
# person stayed active until the as-of date, and all opportunities opened in the last two quarters.
ACTIVE_MEDIAN_DAYS = 120

ACTIVE_SIGMA = 0.6

ACTIVE_MIN_DAYS = 7

ACTIVE_RATE_BOOST = 2.0

# A person's visits start at least this many seconds apart (closer ones are one web session).
VISIT_GAP = 2 * 3_600

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


FACEBOOK_LEAD_VALUE_CENTS = 4_500
"""What a Meta pixel values each lead at (`action_values`), in cents of the account currency."""
