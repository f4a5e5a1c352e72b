from datetime import date
from decimal import Decimal

import pytest

from gtm.dashboard import formatting as fmt


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        (1_234_567, "USD", "$1.2M"),
        (Decimal("45321.50"), "USD", "$45.3K"),
        (950, "USD", "$950"),
        (999_960, "USD", "$1.0M"),
        (999.6, "USD", "$1.0K"),
        (2_500_000_000, "USD", "$2.5B"),
        (-1_500, "USD", "-$1.5K"),
        (0, "USD", "$0"),
        (1_200_000, "EUR", "€1.2M"),
        (1_200_000, "CHF", "CHF 1.2M"),
        (None, "USD", "–"),
    ],
)
def test_money_reads_as_a_marketing_leader_writes_it(value, currency, shown):
    assert fmt.money(value, currency) == shown


def test_other_figures():
    assert fmt.ratio(8.4567) == "8.5x"
    assert fmt.percent(0.1234) == "12.3%"
    assert fmt.count(1976) == "1,976"
    assert fmt.month_span(date(2024, 6, 1), date(2026, 6, 1)) == "Jun 2024 – Jun 2026"
    assert fmt.month_span(date(2024, 6, 1), date(2024, 6, 30)) == "Jun 2024"
    assert fmt.quarter(date(2025, 11, 1)) == "Q4 2025"
    assert fmt.signal_label("has_reached_sql") == "reached SQL"
    assert fmt.signal_label("google_ads_visit_count") == "google ads visits"
    assert fmt.signal_label("industry: consulting") == "industry: consulting"
