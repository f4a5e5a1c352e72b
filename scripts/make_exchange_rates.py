#!/usr/bin/env python3
"""Write seeds/exchange_rates.csv: illustrative daily demo exchange rates, 2024-01-01 to 2026-12-31.

Usage: scripts/make_exchange_rates.py [OUTPUT]   (default: seeds/exchange_rates.csv)

These are NOT market rates. Each currency's US dollars per unit follows a fixed formula around a
plausible 2024 level (a slow drift plus a yearly and a short wave), so the seed is deterministic,
byte-identical on every run, and plausible enough for the demo world. Replace the CSV with your
treasury's or your finance system's daily rates (same three columns, one row per currency and day,
USD = 1) before reporting real money; `to_reporting_currency` returns null, never a guessed rate,
for a day or currency the seed does not cover.
"""

from __future__ import annotations

import csv
import math
import sys
from datetime import date, timedelta
from pathlib import Path

FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2026, 12, 31)
DECIMALS = 8

# ISO 4217 code -> (US dollars per unit on FIRST_DAY, drift per year, yearly amplitude, phase).
# Levels are rounded early-2024 figures; EUR 1.08 and GBP 1.27 are the demo world's own rates.
CURRENCIES: dict[str, tuple[float, float, float, float]] = {
    "USD": (1.0, 0.0, 0.0, 0.0),
    "EUR": (1.08, 0.010, 0.020, 0.3),
    "GBP": (1.27, 0.008, 0.018, 1.1),
    "CAD": (0.74, -0.006, 0.015, 2.0),
    "AUD": (0.66, -0.004, 0.025, 2.7),
    "NZD": (0.61, -0.005, 0.025, 3.1),
    "CHF": (1.13, 0.012, 0.020, 0.9),
    "JPY": (0.0067, -0.015, 0.030, 1.7),
    "SEK": (0.095, 0.006, 0.025, 0.5),
    "NOK": (0.093, 0.004, 0.025, 0.6),
    "DKK": (0.145, 0.010, 0.020, 0.3),
    "PLN": (0.25, 0.008, 0.025, 1.4),
    "INR": (0.012, -0.012, 0.010, 2.2),
    "BRL": (0.19, -0.030, 0.040, 4.0),
    "MXN": (0.055, -0.020, 0.035, 3.5),
    "SGD": (0.74, 0.003, 0.012, 5.0),
    "HKD": (0.128, 0.0, 0.002, 0.0),
    "CNY": (0.139, -0.004, 0.010, 4.4),
    "ZAR": (0.053, -0.010, 0.040, 1.9),
}


def usd_per_unit(currency: str, day: date) -> float:
    """US dollars per one unit of `currency` on `day` (the fixed illustrative formula)."""
    level, drift, amplitude, phase = CURRENCIES[currency]
    if currency == "USD":
        return 1.0
    years = (day - FIRST_DAY).days / 365.25
    wave = amplitude * math.sin(2 * math.pi * years + phase)
    ripple = amplitude / 4 * math.sin(2 * math.pi * years * 9 + 2 * phase)
    return level * math.exp(drift * years + wave + ripple)


def rows() -> list[tuple[str, str, str]]:
    """Every (rate_date, currency_code, usd_per_unit) row, by date then currency."""
    out = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        for currency in sorted(CURRENCIES):
            rate = round(usd_per_unit(currency, day), DECIMALS)
            out.append((day.isoformat(), currency, f"{rate:.{DECIMALS}f}"))
        day += timedelta(days=1)
    return out


def main(argv: list[str] | None = None) -> int:
    """Write the CSV to the path given (default: seeds/exchange_rates.csv); return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    path = (
        Path(args[0])
        if args
        else Path(__file__).resolve().parent.parent / "seeds" / "exchange_rates.csv"
    )
    data = rows()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("rate_date", "currency_code", "usd_per_unit"))
        writer.writerows(data)
    print(f"wrote {len(data)} rows to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
