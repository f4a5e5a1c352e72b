"""How numbers, dates and labels read on the dashboard: money as a marketing leader writes it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}

MODEL_LABELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "position_based": "Position-based",
    "w_shaped": "W-shaped",
    "time_decay": "Time decay",
    "markov": "Markov",
    "shapley": "Shapley",
    "data_driven": "Data-driven",
}

PLATFORM_LABELS = {
    "google_ads": "Google Ads",
    "facebook_ads": "Meta Ads",
    "linkedin_ads": "LinkedIn Ads",
    "salesforce": "Salesforce",
}

SCORE_LABELS = {
    "predictive": "Predictive",
    "lead_score": "Lead score",
    "fit_score": "Fit score",
    "engagement_score": "Engagement score",
}


def symbol(currency: str) -> str:
    """Return the symbol written before amounts in `currency` (else its code)."""
    return SYMBOLS.get(currency, f"{currency} ")


def number(value: Any) -> float | None:
    """Return a float, or None for a missing value."""
    if value is None:
        return None
    return float(value) if isinstance(value, int | float | Decimal) else None


def money(value: Any, currency: str = "USD") -> str:
    """Money as `$1.2M`, `$45.3K`, `$950`; `–` when missing."""
    amount = number(value)
    if amount is None:
        return "–"
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if round(amount / threshold, 1) >= 1:
            return f"{sign}{symbol(currency)}{amount / threshold:.1f}{suffix}"
    return f"{sign}{symbol(currency)}{amount:,.0f}"


def count(value: Any) -> str:
    """Format a count with thousands separators: `12,345`; `–` when missing."""
    amount = number(value)
    return "–" if amount is None else f"{amount:,.0f}"


def ratio(value: Any) -> str:
    """Format a multiple such as ROAS: `3.4x`; `–` when missing."""
    amount = number(value)
    return "–" if amount is None else f"{amount:.1f}x"


def percent(value: Any, digits: int = 1) -> str:
    """Format a fraction as a percentage: `12.3%`; `–` when missing."""
    amount = number(value)
    return "–" if amount is None else f"{amount * 100:.{digits}f}%"


def days(value: Any) -> str:
    """Format a number of days: `42 days`; `–` when missing."""
    amount = number(value)
    return "–" if amount is None else f"{amount:.0f} days"


def month(value: date) -> str:
    """Format a month as `Jan 2025`."""
    return f"{value:%b %Y}"


def month_span(first: date, last: date) -> str:
    """Format a span of months: `Jan 2025 – Jun 2026` (one month: `Jan 2025`)."""
    return (
        month(first)
        if (first.year, first.month) == (last.year, last.month)
        else (f"{month(first)} – {month(last)}")
    )


def day_span(first: date, last: date) -> str:
    """Format a span of days: `1 Jan 2025 – 30 Jun 2026`."""
    return f"{first:%-d %b %Y} – {last:%-d %b %Y}"


def quarter(value: date) -> str:
    """Format a quarter as `Q1 2025`."""
    return f"Q{(value.month - 1) // 3 + 1} {value.year}"


def model_label(name: str) -> str:
    """Name an attribution model as people say it."""
    return MODEL_LABELS.get(name, name.replace("_", " ").capitalize())


def platform_label(name: str | None) -> str:
    """Name an ad platform as people say it."""
    return "–" if name is None else PLATFORM_LABELS.get(name, name)


def signal_label(name: str | None) -> str:
    """Put a scoring signal (`paid_search_visit_count`, `seniority: vp`) in words."""
    if not name:
        return ""
    words = name.replace("has_reached_", "reached_").replace("_visit_count", "_visits")
    words = words.replace("_", " ").strip()
    for short in ("mql", "sql"):
        words = words.replace(f"reached {short}", f"reached {short.upper()}")
    return words
