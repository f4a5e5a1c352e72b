"""The dashboard's charts: plotly figures from the published file's rows, one function per chart.

Every chart is a `Chart`: a title saying what it shows, a subtitle saying over which dates and in
which currency (taken from the data, never from today's date), and a figure, or None when the data
has no rows for it (the page then says "no data for this period").
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from gtm.dashboard import formatting as fmt
from gtm.dashboard.data import DATA_DRIVEN, Rows

INK = "#1f2933"
MUTED = "#9aa5b1"
GRID = "#e4e7eb"
ACCENT = "#0b6bcb"
SPEND = "#8e9aaf"
PIPELINE = "#f4a259"
REVENUE = "#2a9d8f"
BAD = "#d64545"
WARN = "#e9b949"
GOOD = "#2a9d8f"
SERIES = ["#0b6bcb", "#2a9d8f", "#f4a259", "#8e6c8a", "#d64545", "#5c7cfa", "#9aa5b1"]
MODEL_COLORS = [
    "#c6dbef",
    "#fdd0a2",
    "#c7e9c0",
    "#dadaeb",
    "#fcbba1",
    "#d9d9d9",
    "#f2e6a7",
    "#a6cee3",
]
MODEL_GREYS = [
    "#cbd2d9",
    "#bcccdc",
    "#9fb3c8",
    "#d9e2ec",
    "#a7b6c2",
    "#c1cfe0",
    "#b3c2d1",
    "#8da2b5",
]


@dataclass(frozen=True)
class Chart:
    """One chart of a page: what it shows, over which dates, and the figure (None: no data)."""

    chart_id: str
    title: str
    subtitle: str
    figure: go.Figure | None
    wide: bool = False


def _layout(fig: go.Figure, currency: str | None = None, height: int = 340, **extra: Any) -> None:
    fig.update_layout(
        # No named template: loading and validating one costs more than drawing every chart.
        template="none",
        paper_bgcolor="white",
        plot_bgcolor="white",
        height=height,
        margin={"l": 60, "r": 20, "t": 16, "b": 48},
        font={"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 12, "color": INK},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0},
        hoverlabel={"font_size": 12},
        bargap=0.25,
        **extra,
    )
    fig.update_xaxes(gridcolor=GRID, linecolor=GRID, showgrid=True, zeroline=False, automargin=True)
    fig.update_yaxes(gridcolor=GRID, zerolinecolor=GRID, showgrid=True, automargin=True)
    if currency is not None:
        fig.update_yaxes(tickprefix=fmt.symbol(currency), tickformat="~s")


def _floats(values: Sequence[Any]) -> list[float | None]:
    return [fmt.number(v) for v in values]


def _money_text(values: Sequence[Any], currency: str) -> list[str]:
    return [fmt.money(v, currency) for v in values]


def _span(rows: Rows, column: str) -> str:
    values = [v for v in rows.column(column) if v is not None]
    return fmt.month_span(min(values), max(values)) if values else "no dates"


# --------------------------------------------------------------------------------------------------
# overview


def returns_by_month(monthly: Rows, currency: str) -> Chart:
    """Lines: pipeline created and revenue won per month."""
    title = "Pipeline created and revenue won by month"
    if not monthly or not any(monthly.column("pipeline")):
        return Chart("overview-trend", title, "", None, wide=True)
    months = monthly.column("month_start_date")
    fig = go.Figure()
    for name, column, color in (
        ("Pipeline", "pipeline", PIPELINE),
        ("Won revenue", "won_revenue", REVENUE),
    ):
        values = monthly.column(column)
        fig.add_trace(
            go.Scatter(
                x=months,
                y=_floats(values),
                name=name,
                mode="lines+markers",
                line={"color": color, "width": 2.5},
                customdata=_money_text(values, currency),
                hovertemplate=f"{name}: %{{customdata}}<extra>%{{x|%b %Y}}</extra>",
            )
        )
    _layout(fig, currency)
    fig.update_xaxes(dtick="M1", tickformat="%b<br>%Y")
    span = _span(monthly, "month_start_date")
    subtitle = f"{span} · {currency} · by the month the opportunity was created or won"
    return Chart("overview-trend", title, subtitle, fig, wide=True)


def spend_by_platform(rows: Rows, currency: str) -> Chart:
    """Stacked bars: ad spend per month and platform."""
    title = "Ad spend by month and platform"
    if not rows:
        return Chart("overview-spend", title, "", None)
    fig = go.Figure()
    platforms = list(dict.fromkeys(rows.column("platform")))
    for platform, color in zip(platforms, SERIES, strict=False):
        these = [row for row in rows.dicts() if row["platform"] == platform]
        values = [row["spend"] for row in these]
        fig.add_trace(
            go.Bar(
                x=[row["month_start_date"] for row in these],
                y=_floats(values),
                name=fmt.platform_label(platform),
                marker_color=color,
                customdata=_money_text(values, currency),
                hovertemplate=f"{fmt.platform_label(platform)}: %{{customdata}}"
                "<extra>%{x|%b %Y}</extra>",
            )
        )
    _layout(fig, currency, height=300, barmode="stack")
    fig.update_xaxes(dtick="M2", tickformat="%b<br>%Y")
    note = f"{_span(rows, 'month_start_date')} · {currency} · months with ad data"
    return Chart("overview-spend", title, note, fig, wide=True)


def roas_and_cac(monthly: Rows, currency: str, model: str) -> list[Chart]:
    """ROAS and CAC by month, each its own chart."""
    charts = []
    months = monthly.column("month_start_date") if monthly else []
    spend = _floats(monthly.column("spend")) if monthly else []
    revenue = _floats(monthly.column("won_revenue")) if monthly else []
    customers = _floats(monthly.column("customers")) if monthly else []
    roas = [r / s if s else None for r, s in zip(revenue, spend, strict=True)]
    cac = [s / c if c and s else None for s, c in zip(spend, customers, strict=True)]
    span = _span(monthly, "month_start_date") if monthly else ""
    label = fmt.model_label(model)
    for chart_id, title, values, color, text, is_money in (
        ("overview-roas", "ROAS by month (won revenue / spend)", roas, ACCENT, fmt.ratio, False),
        ("overview-cac", "CAC by month (spend / new customers)", cac, PIPELINE, None, True),
    ):
        if not any(v is not None for v in values):
            charts.append(Chart(chart_id, title, "", None))
            continue
        labels = [fmt.money(v, currency) if is_money else text(v) for v in values]  # type: ignore[misc]
        fig = go.Figure(
            go.Scatter(
                x=months,
                y=values,
                mode="lines+markers",
                line={"color": color, "width": 2.5},
                customdata=labels,
                hovertemplate="%{customdata}<extra>%{x|%b %Y}</extra>",
                connectgaps=False,
            )
        )
        _layout(fig, currency if is_money else None, height=280, showlegend=False)
        if not is_money:
            fig.update_yaxes(ticksuffix="x", rangemode="tozero")
        fig.update_xaxes(dtick="M2", tickformat="%b<br>%Y")
        unit = currency if is_money else f"{currency} / {currency}"
        charts.append(
            Chart(
                chart_id,
                title,
                f"{span} · {unit} · {label} model; gaps: no spend or no customers",
                fig,
            )
        )
    return charts


# --------------------------------------------------------------------------------------------------
# attribution


def channels_by_model(rows: Rows, currency: str, what: str, span: str, chart_id: str) -> Chart:
    """Draw grouped bars: what each channel is credited under every model, data-driven marked."""
    title = f"{what} credited to each channel, by attribution model"
    if not rows:
        return Chart(chart_id, title, "", None, wide=True)
    data = rows.dicts()
    totals: dict[str, float] = {}
    for row in data:
        if row["attribution_model"] == DATA_DRIVEN:
            totals[row["channel"]] = float(row["amount"] or 0)
    for row in data:
        totals.setdefault(row["channel"], 0.0)
    channels = sorted(totals, key=lambda c: (c == "Unattributed", -totals[c]))
    models = sorted(
        {row["attribution_model"] for row in data},
        key=lambda m: list(fmt.MODEL_LABELS).index(m) if m in fmt.MODEL_LABELS else 99,
    )
    by_key = {(row["channel"], row["attribution_model"]): row["amount"] for row in data}
    fig = go.Figure()
    greys = iter(MODEL_COLORS * 2)
    for model in models:
        highlighted = model == DATA_DRIVEN
        values = [by_key.get((channel, model)) for channel in channels]
        fig.add_trace(
            go.Bar(
                x=channels,
                y=_floats(values),
                name=fmt.model_label(model) + (" ★" if highlighted else ""),
                marker_color=ACCENT if highlighted else next(greys),
                marker_line={"color": INK if highlighted else "rgba(0,0,0,0)", "width": 1},
                customdata=_money_text(values, currency),
                hovertemplate=f"{fmt.model_label(model)}: %{{customdata}}<extra>%{{x}}</extra>",
            )
        )
    _layout(fig, currency, height=380, barmode="group", bargroupgap=0.05)
    subtitle = (
        f"{span} · {currency} · by month of conversion · ★ data-driven (the model ROI reports use)"
    )
    return Chart(chart_id, title, subtitle, fig, wide=True)


def platform_split(rows: Rows, currency: str, model: str, span: str) -> Chart:
    """Per ad platform: spend beside the pipeline and won revenue the model credits to it."""
    title = f"Ad platforms: spend against credited pipeline and revenue ({fmt.model_label(model)})"
    if not rows:
        return Chart("attribution-platforms", title, "", None, wide=True)
    platforms = [
        f"{fmt.platform_label(row['platform'])}<br>ROAS "
        + (fmt.ratio(float(row["won_revenue"]) / float(row["spend"])) if row["spend"] else "–")
        for row in rows.dicts()
    ]
    fig = go.Figure()
    for name, column, color in (
        ("Spend", "spend", SPEND),
        ("Pipeline", "pipeline", PIPELINE),
        ("Won revenue", "won_revenue", REVENUE),
    ):
        values = rows.column(column)
        fig.add_trace(
            go.Bar(
                x=platforms,
                y=_floats(values),
                name=name,
                marker_color=color,
                text=_money_text(values, currency),
                textposition="outside",
                cliponaxis=False,
                hovertemplate=f"{name}: %{{text}}<extra>%{{x}}</extra>",
            )
        )
    _layout(fig, currency, height=340, barmode="group")
    return Chart("attribution-platforms", title, f"{span} · {currency}", fig, wide=True)


# --------------------------------------------------------------------------------------------------
# campaigns


def top_campaigns(rows: Rows, currency: str, span: str, limit: int = 12) -> Chart:
    """Horizontal bars: spend and won revenue of the campaigns that spent most."""
    paid = [row for row in rows.dicts() if fmt.number(row["spend"])] if rows else []
    top = paid[:limit][::-1]
    title = f"The {len(top)} campaigns that spent most: spend and won revenue"
    if not paid:
        return Chart("campaigns-top", title, "", None, wide=True)
    names = [row["campaign"] or row["campaign_key"] for row in top]
    fig = go.Figure()
    for name, column, color in (("Spend", "spend", SPEND), ("Won revenue", "won_revenue", REVENUE)):
        values = [row[column] for row in top]
        fig.add_trace(
            go.Bar(
                y=names,
                x=_floats(values),
                name=name,
                orientation="h",
                marker_color=color,
                customdata=_money_text(values, currency),
                hovertemplate=f"{name}: %{{customdata}}<extra>%{{y}}</extra>",
            )
        )
    _layout(fig, None, height=90 + 34 * len(top), barmode="group")
    fig.update_xaxes(tickprefix=fmt.symbol(currency), tickformat="~s")
    return Chart("campaigns-top", title, f"{span} · {currency}", fig, wide=True)


# --------------------------------------------------------------------------------------------------
# funnel

STAGES = (
    ("leads", "Leads"),
    ("mqls", "MQLs"),
    ("sqls", "SQLs"),
    ("opportunities", "Opportunities"),
    ("customers", "Customers"),
)


def funnel_totals(rows: Rows, span: str) -> Chart:
    """Draw the lifecycle funnel over every channel: people reaching each stage."""
    title = "Lifecycle funnel: people reaching each stage"
    if not rows:
        return Chart("funnel-stages", title, "", None)
    totals = [sum(int(v or 0) for v in rows.column(column)) for column, _label in STAGES]
    if not totals[0]:
        return Chart("funnel-stages", title, "", None)
    fig = go.Figure(
        go.Funnel(
            y=[label for _c, label in STAGES],
            x=totals,
            texttemplate="%{value:,} (%{percentInitial:.0%})",
            marker={"color": [ACCENT, "#3a86d6", "#5c9ee0", PIPELINE, REVENUE]},
        )
    )
    _layout(fig, None, height=320, showlegend=False)
    return Chart(
        "funnel-stages", title, f"{span} · people counted in the month they reached the stage", fig
    )


def conversion_by_channel(rows: Rows, span: str) -> Chart:
    """Heatmap: each channel's conversion from one stage to the next."""
    title = "Stage conversion by first-touch channel"
    steps = list(itertools.pairwise(STAGES))
    data = [row for row in rows.dicts() if row["leads"]] if rows else []
    if not data:
        return Chart("funnel-channels", title, "", None)
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for row in data:
        line = []
        for (before, _b), (after, _a) in steps:
            line.append(float(row[after]) / float(row[before]) if row[before] else None)
        z.append(line)
        text.append([fmt.percent(v, 0) for v in line])
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"{b} →<br>{a}" for (_x, b), (_y, a) in steps],
            y=[row["channel"] for row in data],
            text=text,
            texttemplate="%{text}",
            colorscale=[[0, "#f0f4f8"], [1, ACCENT]],
            showscale=False,
            hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
        )
    )
    _layout(fig, None, height=60 + 30 * len(data))
    fig.update_yaxes(autorange="reversed")
    return Chart(
        "funnel-channels", title, f"{span} · stage counts credited to the person's first touch", fig
    )


def cohort_conversion(rows: Rows) -> Chart:
    """Lines: the share of each quarter's new leads that reached each later stage."""
    title = "Lead cohorts: share reaching each stage"
    if not rows:
        return Chart("funnel-cohorts", title, "", None)
    cohorts = [fmt.quarter(c) for c in rows.column("cohort")]
    leads = _floats(rows.column("leads"))
    fig = go.Figure()
    for (column, label), color in zip(STAGES[1:], SERIES, strict=False):
        shares = [
            float(v) / n if n else None
            for v, n in zip(_floats(rows.column(column)), leads, strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=cohorts,
                y=shares,
                name=label,
                mode="lines+markers",
                line={"color": color, "width": 2.5},
                hovertemplate=f"{label}: %{{y:.1%}}<extra>%{{x}} cohort</extra>",
            )
        )
    _layout(fig, None, height=320)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    first, last = rows.column("cohort")[0], rows.column("cohort")[-1]
    subtitle = (
        f"{fmt.quarter(first)} – {fmt.quarter(last)} cohorts by the quarter people became leads;"
        " recent cohorts are still maturing"
    )
    return Chart("funnel-cohorts", title, subtitle, fig)


def velocity_by_cohort(rows: Rows) -> Chart:
    """Draw grouped bars: median days between stages, per lead cohort."""
    title = "Funnel velocity: median days between stages"
    if not rows:
        return Chart("funnel-velocity", title, "", None)
    cohorts = [fmt.quarter(c) for c in rows.column("cohort")]
    fig = go.Figure()
    for (column, label), color in zip(
        (
            ("days_lead_to_mql", "Lead → MQL"),
            ("days_mql_to_sql", "MQL → SQL"),
            ("days_sql_to_opportunity", "SQL → Opportunity"),
            ("days_opportunity_to_customer", "Opportunity → Customer"),
        ),
        SERIES,
        strict=False,
    ):
        fig.add_trace(
            go.Bar(
                x=cohorts,
                y=_floats(rows.column(column)),
                name=label,
                marker_color=color,
                hovertemplate=f"{label}: %{{y:.0f}} days<extra>%{{x}} cohort</extra>",
            )
        )
    _layout(fig, None, height=320, barmode="group")
    fig.update_yaxes(ticksuffix=" d")
    first, last = rows.column("cohort")[0], rows.column("cohort")[-1]
    return Chart(
        "funnel-velocity", title, f"{fmt.quarter(first)} – {fmt.quarter(last)} lead cohorts", fig
    )


def sales_cycle(rows: Rows) -> Chart:
    """Bars: median days from opportunity to won deal, by the first touch's channel."""
    title = "Sales cycle of won deals by first-touch channel"
    if not rows:
        return Chart("funnel-cycle", title, "", None)
    data = rows.dicts()
    fig = go.Figure(
        go.Bar(
            y=[row["channel"] for row in data],
            x=_floats([row["median_days"] for row in data]),
            orientation="h",
            marker_color=ACCENT,
            text=[f"{float(row['median_days']):.0f} days · {int(row['won'])} won" for row in data],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    _layout(fig, None, height=80 + 32 * len(data), showlegend=False)
    longest = max((fmt.number(row["median_days"]) or 0) for row in data)
    fig.update_xaxes(ticksuffix=" d", range=[0, longest * 1.45 or 1])
    fig.update_yaxes(autorange="reversed")
    firsts = [row["first_close"] for row in data if row["first_close"]]
    lasts = [row["last_close"] for row in data if row["last_close"]]
    span = fmt.month_span(min(firsts), max(lasts)) if firsts else ""
    return Chart(
        "funnel-cycle", title, f"deals won {span} · median days from creation to close", fig
    )


# --------------------------------------------------------------------------------------------------
# lead scoring


def lift_by_decile(rows: Rows, cutoff: str) -> Chart:
    """Lines: each score's lift per decile of the hold-out (decile 1 = highest scores)."""
    title = "Lift by decile: how much likelier the top-scored leads convert"
    if not rows:
        return Chart("scoring-lift", title, "", None)
    fig = go.Figure()
    names = list(dict.fromkeys(rows.column("score_name")))
    for name, color in zip(names, SERIES, strict=False):
        data = [row for row in rows.dicts() if row["score_name"] == name]
        fig.add_trace(
            go.Scatter(
                x=[row["decile"] for row in data],
                y=[row["lift"] for row in data],
                name=fmt.SCORE_LABELS.get(name, name),
                mode="lines+markers",
                line={"color": color, "width": 3 if name == "predictive" else 1.8},
                hovertemplate=f"{fmt.SCORE_LABELS.get(name, name)}: lift %{{y:.2f}}x"
                "<extra>decile %{x}</extra>",
            )
        )
    fig.add_hline(y=1, line={"color": MUTED, "dash": "dot"})
    _layout(fig, None, height=320)
    fig.update_xaxes(title="decile (1 = highest scores)", dtick=1)
    fig.update_yaxes(ticksuffix="x", rangemode="tozero")
    return Chart("scoring-lift", title, cutoff, fig)


def calibration(rows: Rows, cutoff: str) -> Chart:
    """Scatter: predicted against observed conversion per decile; the diagonal is perfect."""
    title = "Calibration: predicted against observed conversion per decile"
    if not rows:
        return Chart("scoring-calibration", title, "", None)
    fig = go.Figure()
    names = list(dict.fromkeys(rows.column("score_name")))
    top = 0.0
    for name, color in zip(names, SERIES, strict=False):
        data = [row for row in rows.dicts() if row["score_name"] == name]
        predicted = [float(row["mean_predicted_probability"]) for row in data]
        observed = [float(row["observed_rate"]) for row in data]
        top = max(top, *predicted, *observed)
        fig.add_trace(
            go.Scatter(
                x=predicted,
                y=observed,
                name=fmt.SCORE_LABELS.get(name, name),
                mode="lines+markers",
                line={"color": color, "width": 3 if name == "predictive" else 1.5},
                hovertemplate="predicted %{x:.1%}, observed %{y:.1%}<extra></extra>",
            )
        )
    edge = top * 1.05 or 1.0
    fig.add_trace(
        go.Scatter(
            x=[0, edge],
            y=[0, edge],
            mode="lines",
            name="perfect",
            line={"color": MUTED, "dash": "dot"},
            hoverinfo="skip",
        )
    )
    _layout(fig, None, height=320)
    fig.update_xaxes(title="predicted probability", tickformat=".0%", range=[0, edge])
    fig.update_yaxes(title="observed rate", tickformat=".0%", range=[0, edge])
    return Chart("scoring-calibration", title, cutoff, fig)


# --------------------------------------------------------------------------------------------------
# data health


def quarantine(rows: Rows) -> Chart:
    """Stacked bars: quarantined records per reason, split by object."""
    title = "Quarantined records by reason"
    if not rows:
        return Chart("health-quarantine", title, "", None)
    data = rows.dicts()
    reasons = list(dict.fromkeys(row["reason"] for row in data))
    objects = list(dict.fromkeys(row["object"] for row in data))
    fig = go.Figure()
    palette = SERIES + MODEL_GREYS
    for obj, color in zip(objects, palette * 3, strict=False):
        by_reason = {row["reason"]: row["records"] for row in data if row["object"] == obj}
        fig.add_trace(
            go.Bar(
                y=[r.replace("_", " ") for r in reasons],
                x=[by_reason.get(r, 0) for r in reasons],
                name=obj,
                orientation="h",
                marker_color=color,
                hovertemplate=f"{obj}: %{{x:,}} records<extra>%{{y}}</extra>",
            )
        )
    totals = {r: sum(row["records"] for row in data if row["reason"] == r) for r in reasons}
    fig.add_trace(
        go.Scatter(
            y=[r.replace("_", " ") for r in reasons],
            x=[totals[r] for r in reasons],
            mode="text",
            text=[f"  {totals[r]:,}" for r in reasons],
            textposition="middle right",
            showlegend=False,
            hoverinfo="skip",
        )
    )
    _layout(fig, None, height=100 + 36 * len(reasons), barmode="stack")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, max(totals.values()) * 1.15])
    fig.update_layout(legend={"y": -0.25, "yanchor": "top"}, margin={"b": 110})
    return Chart(
        "health-quarantine",
        title,
        "records of the published build, by the object they belong to",
        fig,
    )


def tests(rows: Rows) -> Chart:
    """Bars: the publishing build's tests per status."""
    title = "Tests of the published build"
    if not rows:
        return Chart("health-tests", title, "", None)
    colors = {"pass": GOOD, "warn": WARN, "fail": BAD, "error": BAD, "skipped": MUTED}
    fig = go.Figure()
    for status, tests_ in zip(rows.column("status"), rows.column("tests"), strict=True):
        fig.add_trace(
            go.Bar(
                y=["tests"],
                x=[tests_],
                name=f"{status} ({tests_:,})",
                orientation="h",
                marker_color=colors.get(status, MUTED),
                text=[f"{status}: {tests_:,}"],
                textposition="inside",
                hovertemplate=f"{status}: {tests_:,} tests<extra></extra>",
            )
        )
    _layout(fig, None, height=170, barmode="stack")
    fig.update_yaxes(showticklabels=False)
    return Chart("health-tests", title, "dbt data and unit tests, by status", fig)
