"""Static reference data of the demo world: countries, names, industries, titles, channels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    """A country as the generator uses it: codes, names people type, and its phone numbering."""

    iso2: str
    iso3: str
    name: str
    aliases: tuple[str, ...]
    calling_code: str
    national_digits: int  # digits of a national number without the trunk prefix
    weight: float  # share of companies headquartered there
    tld: str
    timezone: str


COUNTRIES: tuple[Country, ...] = (
    Country(
        "US",
        "USA",
        "United States",
        ("U.S.", "United States of America"),
        "1",
        10,
        0.46,
        "com",
        "America/New_York",
    ),
    Country("CA", "CAN", "Canada", ("Kanada",), "1", 10, 0.05, "ca", "America/Toronto"),
    Country(
        "GB",
        "GBR",
        "United Kingdom",
        ("UK", "Great Britain", "England"),
        "44",
        10,
        0.11,
        "co.uk",
        "Europe/London",
    ),
    Country("DE", "DEU", "Germany", ("Deutschland",), "49", 10, 0.09, "de", "Europe/Berlin"),
    Country("FR", "FRA", "France", ("République française",), "33", 9, 0.06, "fr", "Europe/Paris"),
    Country(
        "NL",
        "NLD",
        "Netherlands",
        ("Holland", "The Netherlands"),
        "31",
        9,
        0.04,
        "nl",
        "Europe/Amsterdam",
    ),
    Country("SE", "SWE", "Sweden", ("Sverige",), "46", 9, 0.03, "se", "Europe/Stockholm"),
    Country("ES", "ESP", "Spain", ("España",), "34", 9, 0.03, "es", "Europe/Madrid"),
    Country("IE", "IRL", "Ireland", ("Éire",), "353", 9, 0.02, "ie", "Europe/Dublin"),
    Country("AU", "AUS", "Australia", ("Oz",), "61", 9, 0.04, "com.au", "Australia/Sydney"),
    Country("IN", "IND", "India", ("Bharat",), "91", 10, 0.04, "in", "Asia/Kolkata"),
    Country("BR", "BRA", "Brazil", ("Brasil",), "55", 11, 0.03, "com.br", "America/Sao_Paulo"),
)

# Domains of free e-mail providers: an address there does not identify a company.
FREE_MAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "proton.me",
    "gmx.de",
    "web.de",
)

FIRST_NAMES: tuple[str, ...] = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Steven",
    "Emily",
    "Paul",
    "Donna",
    "Andrew",
    "Michelle",
    "Joshua",
    "Carol",
    "Kenneth",
    "Amanda",
    "Kevin",
    "Melissa",
    "Brian",
    "Deborah",
    "George",
    "Stephanie",
    "Timothy",
    "Rebecca",
    "Lukas",
    "Anna",
    "Jonas",
    "Lea",
    "Noah",
    "Emma",
    "Oliver",
    "Sophie",
    "Liam",
    "Chloé",
    "Mateo",
    "Lucía",
    "Arjun",
    "Priya",
    "Kenji",
    "Aiko",
    "Seán",
    "Aoife",
    "Lars",
    "Ingrid",
    "Pedro",
    "Camila",
)
LAST_NAMES: tuple[str, ...] = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Dubois",
    "Lefebvre",
    "de Vries",
    "van Dijk",
    "Johansson",
    "Lindqvist",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Patel",
    "Sharma",
    "Tanaka",
    "Sato",
    "Silva",
    "Santos",
    "Costa",
)

COMPANY_WORDS_A: tuple[str, ...] = (
    "Blue",
    "Bright",
    "North",
    "Summit",
    "Apex",
    "Cedar",
    "Iron",
    "Silver",
    "Quantum",
    "Nova",
    "Harbor",
    "Granite",
    "Vertex",
    "Pioneer",
    "Atlas",
    "Beacon",
    "Crescent",
    "Evergreen",
    "Falcon",
    "Golden",
    "Horizon",
    "Keystone",
    "Lakeside",
    "Maple",
    "Orbit",
    "Pinnacle",
    "Redwood",
    "Sterling",
    "Trident",
    "Union",
    "Vantage",
    "Willow",
    "Zenith",
    "Cobalt",
    "Delta",
    "Ember",
)
COMPANY_WORDS_B: tuple[str, ...] = (
    "Logistics",
    "Health",
    "Capital",
    "Systems",
    "Foods",
    "Retail",
    "Labs",
    "Energy",
    "Media",
    "Networks",
    "Robotics",
    "Insurance",
    "Analytics",
    "Motors",
    "Pharma",
    "Software",
    "Bank",
    "Freight",
    "Telecom",
    "Foundry",
    "Works",
    "Dynamics",
    "Solutions",
    "Partners",
)
COMPANY_SUFFIXES: tuple[str, ...] = ("Inc.", "LLC", "Ltd", "GmbH", "Corp.", "Group", "Co.", "")


@dataclass(frozen=True)
class Industry:
    """An industry with the Salesforce picklist value, HubSpot's enum and its fit to the product."""

    salesforce: str
    hubspot: str
    fit: float
    weight: float


INDUSTRIES: tuple[Industry, ...] = (
    Industry("Technology", "COMPUTER_SOFTWARE", 0.9, 0.20),
    Industry("Financial Services", "FINANCIAL_SERVICES", 0.6, 0.12),
    Industry("Healthcare", "HOSPITAL_HEALTH_CARE", 0.2, 0.10),
    Industry("Retail", "RETAIL", 0.1, 0.10),
    Industry("Manufacturing", "MACHINERY", -0.3, 0.10),
    Industry("Media", "MEDIA_PRODUCTION", 0.3, 0.07),
    Industry("Telecommunications", "TELECOMMUNICATIONS", 0.4, 0.06),
    Industry("Education", "EDUCATION_MANAGEMENT", -0.5, 0.07),
    Industry("Transportation", "LOGISTICS_AND_SUPPLY_CHAIN", -0.1, 0.08),
    Industry("Energy", "OIL_ENERGY", -0.4, 0.05),
    Industry("Consulting", "MANAGEMENT_CONSULTING", 0.5, 0.05),
)

# (seniority, fit, weight, titles)
SENIORITIES: tuple[tuple[str, float, float, tuple[str, ...]], ...] = (
    (
        "c_level",
        0.6,
        0.06,
        ("CEO", "CFO", "CTO", "Chief Revenue Officer", "Chief Marketing Officer"),
    ),
    ("vp", 0.8, 0.10, ("VP Marketing", "VP Sales", "VP Revenue Operations", "VP Engineering")),
    (
        "director",
        0.7,
        0.18,
        (
            "Director of Marketing",
            "Director of Demand Generation",
            "Director of Sales Operations",
            "Director of Analytics",
        ),
    ),
    (
        "manager",
        0.3,
        0.30,
        (
            "Marketing Manager",
            "Revenue Operations Manager",
            "Marketing Operations Manager",
            "Sales Manager",
            "Analytics Manager",
        ),
    ),
    (
        "individual_contributor",
        -0.3,
        0.36,
        (
            "Marketing Specialist",
            "Data Analyst",
            "Sales Development Representative",
            "Account Executive",
            "Content Marketer",
            "Software Engineer",
        ),
    ),
)

# The company selling the product: its site is where every UTM-tagged link lands.
VENDOR_SITE = "https://www.lumenanalytics.io"
SITE_PAGES: tuple[tuple[str, str], ...] = (
    ("/", "Lumen Analytics | Revenue analytics for B2B teams"),
    ("/pricing", "Pricing | Lumen Analytics"),
    ("/product/attribution", "Multi-touch attribution | Lumen Analytics"),
    ("/product/forecasting", "Pipeline forecasting | Lumen Analytics"),
    ("/customers", "Customer stories | Lumen Analytics"),
    ("/blog/attribution-models-explained", "Attribution models explained"),
    ("/blog/pipeline-hygiene", "Pipeline hygiene in 5 steps"),
    ("/blog/revops-metrics", "The RevOps metrics that matter"),
    ("/resources/state-of-revops-2026", "State of RevOps 2026 report"),
    ("/demo", "Book a demo | Lumen Analytics"),
)

# Marketing channels as the generator knows them, with the true effect of one more touch on the
# log-odds of a person becoming an opportunity (applied to log1p(touches)).
CHANNELS: dict[str, dict[str, object]] = {
    "paid_search": {"platform": "google_ads", "true_effect": 0.55, "rate_per_30d": 0.07},
    "paid_social_meta": {"platform": "facebook_ads", "true_effect": 0.15, "rate_per_30d": 0.04},
    "paid_social_linkedin": {"platform": "linkedin_ads", "true_effect": 0.45, "rate_per_30d": 0.05},
    "organic_search": {"platform": None, "true_effect": 0.35, "rate_per_30d": 0.09},
    "direct": {"platform": None, "true_effect": 0.25, "rate_per_30d": 0.05},
    "referral": {"platform": None, "true_effect": 0.30, "rate_per_30d": 0.03},
    "email": {"platform": None, "true_effect": 0.20, "rate_per_30d": None},
    "events_webinars": {"platform": None, "true_effect": 0.70, "rate_per_30d": None},
    "content_syndication": {"platform": None, "true_effect": 0.10, "rate_per_30d": None},
}
WEB_CHANNELS: tuple[str, ...] = (
    "paid_search",
    "paid_social_meta",
    "paid_social_linkedin",
    "organic_search",
    "direct",
    "referral",
)
REFERRAL_SITES: tuple[str, ...] = (
    "https://www.g2.com/products/lumen-analytics/reviews",
    "https://www.capterra.com/p/lumen-analytics/",
    "https://revopscoop.com/tools",
    "https://news.ycombinator.com/item?id=41234567",
)
