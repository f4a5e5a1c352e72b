"""The dashboard in a real browser: headless Chromium (Debian's) loads the file from disk, offline.

Every page: no console error, no request leaves the file, every chart drawn (an SVG with marks).
The figures the page shows, read from the DOM, equal SQL on the published file (and, for the
quarantine and the tests, on the warehouse and dbt's own results). Screenshots of every page go
to target/dashboard/screenshots/ for a person to look at.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import duckdb
import pytest
from dashboard_support import chromium_path

from gtm.dashboard.pages import PAGES

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "target" / "dashboard" / "screenshots"

DRAWN = """(key) => {
  const page = document.getElementById('page-' + key);
  return Array.from(page.querySelectorAll('[data-chart]')).map((chart) => {
    const svg = chart.querySelector('svg.main-svg');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    const marks = chart.querySelectorAll(
      '.main-svg .trace path, .main-svg .point, .main-svg .hm image, .main-svg .bars path'
    ).length;
    return {id: chart.dataset.chart, width: box.width, height: box.height, marks: marks};
  });
}"""

UNITS = {"K": 1e3, "M": 1e6, "B": 1e9}


def money_value(text: str) -> float:
    """`$1.2M` back to 1200000 (to the shown precision)."""
    found = re.fullmatch(r"\$(-?[\d,]+(?:\.\d)?)([KMB]?)", text)
    assert found, f"{text!r} is not money as `$1.2M`, `$45.3K` or `$950`"
    return float(found[1].replace(",", "")) * UNITS.get(found[2], 1)


def sql(path: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(query).fetchall()


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    assert executable, "chromium is not installed: run `make browser` (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def loaded(browser, dashboard):
    """The dashboard open in an offline context, with what the console said and what it fetched."""
    context = browser.new_context(offline=True, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def route(handler_route):
        url = handler_route.request.url
        if url.startswith("file:"):
            handler_route.continue_()
        else:
            outside.append(url)
            handler_route.abort()

    page.route("**/*", route)
    started = time.perf_counter()
    page.goto(dashboard.path.as_uri(), wait_until="load")
    page.wait_for_selector("#page-overview[data-drawn]", state="attached")
    seconds = time.perf_counter() - started
    print(f"dashboard: {dashboard.bytes / 1e6:.1f} MB, loaded and drawn in {seconds:.2f} s")
    yield page, errors, outside
    context.close()


def test_every_page_draws_offline_without_errors(loaded):
    page, errors, outside = loaded
    SHOTS.mkdir(parents=True, exist_ok=True)
    for key in PAGES:
        page.evaluate(f"location.hash = '#{key}'")
        page.wait_for_selector(f"#page-{key}[data-drawn]", state="attached")
        charts = page.evaluate(DRAWN, key)
        for chart in charts:
            assert chart["width"] > 200 and chart["height"] > 150, (key, chart)
            assert chart["marks"] > 0, f"{key}: chart {chart['id']} has no drawn marks"
        page.screenshot(path=str(SHOTS / f"{key}.png"), full_page=True)
        assert (SHOTS / f"{key}.png").stat().st_size > 20_000
    counted = {key: len(page.evaluate(DRAWN, key)) for key in PAGES}
    # Every page but the campaign table's draws charts; none of this demo's charts lacks data.
    assert counted == {
        "overview": 4,
        "attribution": 3,
        "campaigns": 1,
        "funnel": 5,
        "lead-scoring": 2,
        "data-health": 2,
    }
    assert page.locator(".no-data").count() == 2  # no failing test, no anomaly: said in words
    assert errors == []
    assert outside == []


def test_headline_figures_equal_sql(loaded, published_marts):
    page, _errors, _outside = loaded
    path = published_marts.path
    spend, revenue, pipeline, customers = sql(
        path,
        "select sum(spend), sum(won_revenue), sum(pipeline_amount), sum(attributed_customers) "
        "from rpt_marketing_roi",
    )[0]

    def kpi(kpi_id: str) -> tuple[float, str]:
        tile = page.locator(f"#{kpi_id}")
        return float(tile.get_attribute("data-value")), tile.locator(".kpi-value").inner_text()

    for kpi_id, expected in (
        ("kpi-spend", spend),
        ("kpi-revenue", revenue),
        ("kpi-pipeline", pipeline),
    ):
        value, text = kpi(kpi_id)
        assert value == pytest.approx(float(expected), abs=0.005), kpi_id
        shown = money_value(text)
        unit = 1e6 if text.endswith("M") else 1e3 if text.endswith("K") else 1
        assert abs(shown - float(expected)) <= 0.05 * unit, (kpi_id, text, expected)
    roas, text = kpi("kpi-roas")
    assert roas == pytest.approx(float(revenue) / float(spend), rel=1e-9)
    assert text == f"{float(revenue) / float(spend):.1f}x"
    cac, text = kpi("kpi-cac")
    assert cac == pytest.approx(float(spend) / float(customers), rel=1e-9)


def test_campaign_table_and_call_list_equal_sql(loaded, published_marts):
    page, _errors, _outside = loaded
    path = published_marts.path
    page.evaluate("location.hash = '#campaigns'")
    campaign, spend, won, leads = sql(
        path,
        """
        select dim_campaigns.campaign_display_name, sum(roi.spend), sum(roi.won_revenue),
            sum(roi.new_leads)
        from rpt_marketing_roi as roi
        join dim_campaigns on roi.campaign_key = dim_campaigns.campaign_key
        group by dim_campaigns.campaign_display_name
        order by sum(roi.spend) desc limit 1
        """,
    )[0]
    first = page.locator("#campaign-table tbody tr").first
    assert first.locator("td[data-key='campaign']").inner_text() == campaign
    assert float(first.locator("td[data-key='spend']").get_attribute("data-value")) == (
        pytest.approx(float(spend), abs=0.005)
    )
    assert float(first.locator("td[data-key='won_revenue']").get_attribute("data-value")) == (
        pytest.approx(float(won), abs=0.005)
    )
    assert first.locator("td[data-key='leads']").inner_text() == f"{leads:,}"
    rows = page.locator("#campaign-table tbody tr").count()
    assert rows == sql(path, "select count(distinct campaign_key) from rpt_marketing_roi")[0][0]
    # Sorting by ROAS (click twice: descending, then ascending) orders the rows by their value.
    page.locator("#campaign-table th", has_text="ROAS").click()
    shown = [
        float(v) if v is not None else float("-inf")
        for v in page.locator("#campaign-table td[data-key='roas']").evaluate_all(
            "cells => cells.map(c => c.dataset.value ?? null)"
        )
    ]
    assert shown == sorted(shown, reverse=True)

    page.evaluate("location.hash = '#lead-scoring'")
    first_call = sql(
        path,
        """
        select trim(dim_people.first_name || ' ' || dim_people.last_name)
        from fct_lead_scores join dim_people on fct_lead_scores.person_id = dim_people.person_id
        where fct_lead_scores.call_priority_rank = 1
        """,
    )[0][0]
    assert (
        page.locator("#call-list tbody tr").first.locator("td[data-key='person']").inner_text()
        == first_call
    )
    auc = sql(
        path,
        "select roc_auc from rpt_lead_score_evaluation "
        "where score_name = 'predictive' and segment = 'all'",
    )[0][0]
    assert float(page.locator("#kpi-auc-predictive").get_attribute("data-value")) == (
        pytest.approx(auc, rel=1e-12)
    )


def test_data_health_equals_the_warehouse_and_dbt(loaded, published_marts):
    page, _errors, _outside = loaded
    page.evaluate("location.hash = '#data-health'")
    quarantined = sql(
        published_marts.warehouse,
        "select count(*) from information_schema.tables where table_name = "
        "'int_records_quarantined'",
    )[0][0]
    assert quarantined == 1
    records = sql(
        published_marts.warehouse,
        "select count(*) from int_records_quarantined",
    )[0][0]
    assert records > 0
    assert float(page.locator("#kpi-quarantined").get_attribute("data-value")) == records
    statuses = [
        result["status"]
        for result in json.loads(published_marts.results_file.read_text())["results"]
        if result["unique_id"].startswith(("test.", "unit_test."))
    ]
    assert float(page.locator("#kpi-tests-pass").get_attribute("data-value")) == (
        statuses.count("pass")
    )
    assert float(page.locator("#kpi-tests-warn").get_attribute("data-value")) == (
        statuses.count("warn")
    )
    sources = page.locator("#freshness td[data-key='source']").all_inner_texts()
    assert sources == sorted(published_marts.report["ingest"])
