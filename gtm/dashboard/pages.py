"""The dashboard's pages: which figures, tables and headline numbers each tab shows.

Each function takes the open published file and returns a `Page`; the queries are in `data`, the
charts in `figures`, the HTML in `render`.
"""

from __future__ import annotations

from typing import Any

from gtm.dashboard import figures
from gtm.dashboard import formatting as fmt
from gtm.dashboard.data import DATA_DRIVEN, Published
from gtm.dashboard.render import Column, Kpi, Page, Table

PAGES = ("overview", "attribution", "campaigns", "funnel", "lead-scoring", "data-health")
"""The pages, in tab order; each is `#<key>` in the file's URL."""


def _span(published: Published) -> str:
    months = published.month_range()
    return fmt.month_span(*months) if months else "no months"


def overview(published: Published, currency: str) -> Page:
    """Spend, pipeline, won revenue, ROAS and CAC over every month, and their trends."""
    totals = published.totals()
    monthly = published.monthly_totals()
    model = published.roi_model()
    span = _span(published)
    money = lambda v: fmt.money(v, currency)  # noqa: E731
    spend_dates = published.spend_dates()
    ad_data = f"ad data {fmt.day_span(*spend_dates)}" if spend_dates else "no ad data"
    kpis = [
        Kpi("kpi-spend", "Ad spend", fmt.number(totals["spend"]), money(totals["spend"]), ad_data),
        Kpi(
            "kpi-pipeline",
            "Pipeline created",
            fmt.number(totals["pipeline"]),
            money(totals["pipeline"]),
            f"{fmt.count(totals['opportunities'])} opportunities",
        ),
        Kpi(
            "kpi-revenue",
            "Won revenue",
            fmt.number(totals["won_revenue"]),
            money(totals["won_revenue"]),
            f"{fmt.count(totals['customers'])} new customers",
        ),
        Kpi(
            "kpi-roas",
            "Blended ROAS",
            totals["roas"],
            fmt.ratio(totals["roas"]),
            "all won revenue / ad spend",
        ),
        Kpi(
            "kpi-cac",
            "Blended CAC",
            totals["cac"],
            money(totals["cac"]),
            "ad spend / all new customers",
        ),
        Kpi(
            "kpi-leads", "New leads", fmt.number(totals["leads"]), fmt.count(totals["leads"]), span
        ),
    ]
    return Page(
        "overview",
        "Overview",
        f"Marketing spend and what it returned, {span}, in {currency}. Pipeline, revenue and "
        f"customers are credited by the {fmt.model_label(model)} attribution model "
        "(rpt_marketing_roi); every month counts once.",
        kpis,
        [
            figures.returns_by_month(monthly, currency),
            figures.spend_by_platform(published.spend_by_platform_month(), currency),
            *figures.roas_and_cac(monthly, currency, model),
        ],
    )


def attribution(published: Published, currency: str) -> Page:
    """Channels x models side by side, data-driven highlighted, and the platform split."""
    months = published.attribution_months()
    span = fmt.month_span(*months) if months else "no months"
    spend_dates = published.spend_dates()
    spend_span = fmt.month_span(*spend_dates) if spend_dates else span
    return Page(
        "attribution",
        "Attribution",
        "What each channel gets credit for under every attribution model. Models that agree "
        "make a channel's value clear; where they disagree, trust the data-driven model (★), "
        "which the demo world's truth checks. Unattributed: conversions with no touch in the "
        "lookback window.",
        (),
        [
            figures.channels_by_model(
                published.attribution_by_model("revenue"),
                currency,
                "Won revenue",
                span,
                "attribution-revenue",
            ),
            figures.channels_by_model(
                published.attribution_by_model("pipeline"),
                currency,
                "Pipeline",
                span,
                "attribution-pipeline",
            ),
            figures.platform_split(
                published.platform_split(DATA_DRIVEN),
                currency,
                DATA_DRIVEN,
                f"spend {spend_span}; pipeline and revenue {span}",
            ),
        ],
    )


def campaigns(published: Published, currency: str) -> Page:
    """Show a sortable table of every campaign's spend and returns."""
    rows = published.campaigns()
    span = _span(published)
    money = lambda v: fmt.money(v, currency)  # noqa: E731
    table = Table(
        "campaign-table",
        "Campaigns: spend and returns",
        f"{span} · {currency} · {len(rows.rows)} campaigns · click a heading to sort",
        [
            Column("Campaign", "campaign"),
            Column("Platform", "platform", fmt.platform_label),
            Column("Channel", "channel"),
            Column("Spend", "spend", money, True),
            Column("Leads", "leads", fmt.count, True),
            Column(
                "Opportunities",
                "opportunities",
                lambda v: f"{float(v):,.1f}" if v is not None else "–",
                True,
            ),
            Column("Pipeline", "pipeline", money, True),
            Column("Won revenue", "won_revenue", money, True),
            Column("CPL", "cpl", money, True),
            Column("CAC", "cac", money, True),
            Column("ROAS", "roas", fmt.ratio, True),
        ],
        rows.dicts(),
        note=(
            "Opportunities, customers, pipeline and revenue as the "
            f"{fmt.model_label(published.roi_model())} model credits them (fractions of a deal "
            "add up across campaigns); leads by first touch. Salesforce campaigns have no spend."
        ),
    )
    return Page(
        "campaigns",
        "Campaigns",
        "Every campaign with spend or credited outcomes, sorted by spend.",
        (),
        [figures.top_campaigns(rows, currency, span), table],
    )


def funnel(published: Published) -> Page:
    """Stage conversion and velocity by channel and cohort."""
    span = _span(published)
    return Page(
        "funnel",
        "Funnel",
        "How people move from lead to customer: conversion between stages by channel and by "
        "the quarter they became leads, and how long each step takes.",
        (),
        [
            figures.funnel_totals(published.funnel_by_channel(), span),
            figures.conversion_by_channel(published.funnel_by_channel(), span),
            figures.cohort_conversion(published.cohorts()),
            figures.velocity_by_cohort(published.cohorts()),
            figures.sales_cycle(published.sales_cycle_by_channel()),
        ],
    )


def _why(row: dict[str, Any]) -> str:
    parts = [fmt.signal_label(row.get(key)) for key in ("why_1", "why_2", "rule_1")]
    return ", ".join(dict.fromkeys(p for p in parts if p))


def lead_scoring(published: Published) -> Page:
    """Who to call first and why; lift and calibration of each score."""
    summary = published.score_summary().dicts()
    deciles = published.score_deciles()
    as_of = published.as_of()
    cutoff = (
        f"hold-out: open leads at {summary[0]['cutoff_date']:%-d %b %Y}, converted within "
        f"{summary[0]['horizon_days']} days · {summary[0]['people']:,} people"
        if summary
        else ""
    )
    kpis = [
        Kpi(
            f"kpi-auc-{row['score_name'].replace('_', '-')}",
            f"ROC AUC · {fmt.SCORE_LABELS.get(row['score_name'], row['score_name'])}",
            fmt.number(row["roc_auc"]),
            f"{float(row['roc_auc']):.3f}" if row["roc_auc"] is not None else "–",
            "0.5 = chance, 1 = perfect",
        )
        for row in summary
    ]
    calls = published.call_list().dicts()
    for row in calls:
        row["why"] = _why(row)
    table = Table(
        "call-list",
        "Who to call first",
        f"open leads as of {as_of:%-d %b %Y} · top {len(calls)} of {published.open_leads():,} · "
        "ranked by the predictive score"
        if as_of
        else "",
        [
            Column("#", "rank", fmt.count, True),
            Column("Title", "title"),
            Column("Company", "company"),
            Column("P(opportunity)", "probability", fmt.percent, True),
            Column(
                "Lead score",
                "lead_score",
                lambda v: f"{float(v):.0f}" if v is not None else "–",
                True,
            ),
            Column("Grade", "lead_grade"),
            Column("Why", "why"),
        ],
        calls,
        note=(
            "Names stay in the CRM (the published file carries none; `gtm sync` writes the "
            "same rank there). "
            "Why: the signals that add most to the predictive score, then the largest "
            "rule-based points."
        ),
    )
    return Page(
        "lead-scoring",
        "Lead scoring",
        "Who sales should call first, and how far each score can be trusted: measured on leads "
        "the models never saw (a time-based hold-out).",
        kpis,
        [table, figures.lift_by_decile(deciles, cutoff), figures.calibration(deciles, cutoff)],
    )


def data_health(published: Published) -> Page:
    """Quarantined records, test results, freshness, run history and anomalies."""
    if not published.has_health():
        note = "This publish carries no run health (schema ops): publish with `gtm run`."
        return Page("data-health", "Data health", note, (), [])
    tests = published.tests()
    counts = dict(zip(tests.column("status"), tests.column("tests"), strict=True)) if tests else {}
    quarantine = published.quarantine()
    runs = published.run_history()
    anomalies = published.anomalies()
    kpis = [
        Kpi(
            "kpi-tests-pass",
            "Tests passing",
            float(counts.get("pass", 0)),
            fmt.count(counts.get("pass", 0)),
            f"of {sum(counts.values()):,}",
        ),
        Kpi(
            "kpi-tests-warn",
            "Tests warning",
            float(counts.get("warn", 0)),
            fmt.count(counts.get("warn", 0)),
            "see the list below",
        ),
        Kpi(
            "kpi-quarantined",
            "Quarantined records",
            float(sum(quarantine.column("records"))) if quarantine else 0.0,
            fmt.count(sum(quarantine.column("records")) if quarantine else 0),
            "rows kept out or repaired",
        ),
        Kpi(
            "kpi-anomalies",
            "Row-count anomalies",
            float(len(anomalies.rows)),
            fmt.count(len(anomalies.rows)),
            f"over {len(runs.rows)} run(s)",
        ),
    ]
    freshness = Table(
        "freshness",
        "Freshness per source",
        "last successful load (UTC) and the newest record the marts hold from it",
        [
            Column("Source", "source"),
            Column("Last loaded", "last_loaded", lambda v: f"{v:%Y-%m-%d %H:%M}" if v else "–"),
            Column("Rows in raw", "rows_in_raw", fmt.count, True),
            Column("Newest record", "newest_record", lambda v: f"{v:%-d %b %Y}" if v else "–"),
            Column("Days behind as-of", "days_behind", fmt.count, True),
        ],
        published.freshness().dicts(),
        wide=False,
    )
    not_passing = Table(
        "tests-not-passing",
        "Tests that warn or fail",
        "in the build that published this file",
        [
            Column("Test", "test_name"),
            Column("Status", "status"),
            Column("Rows", "failures", fmt.count, True),
            Column("Message", "message"),
        ],
        published.tests_not_passing().dicts(),
        wide=False,
        empty="Every test passed",
    )
    anomaly_table = Table(
        "anomalies",
        "Row-count anomalies",
        "tables whose new rows differ from their recent loads by more than the threshold",
        [
            Column("Run", "run_id"),
            Column("Source", "source"),
            Column("Table", "table_name"),
            Column("New rows", "new_rows", fmt.count, True),
            Column("Baseline", "baseline", fmt.count, True),
            Column("Deviation", "deviation", fmt.percent, True),
        ],
        anomalies.dicts(),
        empty="No row-count anomaly in the recorded runs",
    )
    return Page(
        "data-health",
        "Data health",
        "Can these numbers be trusted? What the run kept out, what its tests said, how fresh "
        "each source is, and how the runs went.",
        kpis,
        [
            figures.quarantine(quarantine),
            figures.tests(tests),
            not_passing,
            freshness,
            anomaly_table,
            Table(
                "run-history",
                "Recent runs",
                "newest first; 'published' is the run that published this file",
                [
                    Column("Run", "run_id"),
                    Column("Started (UTC)", "started_at", lambda v: f"{v:%Y-%m-%d %H:%M}"),
                    Column("Status", "status"),
                    Column("Rows loaded", "rows_loaded", fmt.count, True),
                    Column("Failing tests", "tests_failed", fmt.count, True),
                    Column("Duration", "seconds", lambda v: f"{float(v or 0) / 60:.1f} min", True),
                ],
                runs.dicts(),
            ),
        ],
    )
