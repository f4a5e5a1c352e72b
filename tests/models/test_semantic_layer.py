"""The semantic layer as BI tools read it: the saved queries published as `metrics.*` tables.

The built scale-0.1 warehouse (session fixture) is published once with its semantic manifest; each
metric checked here equals hand-written SQL over the marts of the same warehouse, row by row and
exactly, and a notebook reads the published file as an analyst would (duckdb + pandas, read-only).
"""

import math
import subprocess
import sys
from decimal import Decimal

import duckdb
import pytest

from gtm.ops import publish, semantic

SAVED_QUERIES = {
    "attribution_by_model",
    "marketing_monthly",
    "marketing_roi_monthly",
    "opportunities_monthly",
}


@pytest.fixture(scope="module")
def published(built_warehouse, tmp_path_factory):
    manifest = built_warehouse.path.parent / "target" / "semantic_manifest.json"
    target = tmp_path_factory.mktemp("published") / "marts.duckdb"
    done = publish.publish_marts(built_warehouse.path, target, "semantic-test", manifest)
    return built_warehouse, target, done


def both(published, metric_sql, marts_sql):
    """Rows of `metric_sql` on the published file and of `marts_sql` on the warehouse."""
    built, target, _done = published
    with duckdb.connect(str(target), read_only=True) as con:
        metric_rows = con.execute(metric_sql).fetchall()
    return metric_rows, built.query(marts_sql)


def same(left, right):
    """Equal rows, with float ratios compared to the last bit (both sides divide the same sums)."""
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        for x, y in zip(a, b, strict=True):
            if isinstance(x, float) or isinstance(y, float):
                assert (x is None and y is None) or math.isclose(x, y, rel_tol=1e-12), (a, b)
            else:
                assert x == y, (a, b)


def test_every_saved_query_is_published_as_a_metrics_table(published):
    _built, target, done = published
    assert {name.split(".", 1)[1] for name in done.tables if name.startswith("metrics.")} == (
        SAVED_QUERIES
    )
    with duckdb.connect(str(target), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'metrics'"
        ).fetchall()
    assert {name for (name,) in tables} == SAVED_QUERIES
    assert all(done.tables[f"metrics.{name}"] > 0 for name in SAVED_QUERIES)


def test_spend_delivery_and_funnel_ratios_equal_sql_over_the_marts(published):
    metric_rows, mart_rows = both(
        published,
        "select cast(metric_time__month as date), channel, spend, impressions, clicks, leads, "
        "mqls, ctr, cpc, cost_per_lead, mql_to_sql_rate from metrics.marketing_monthly "
        "order by 1, 2",
        """
        select
            month_start_date, channel, sum(spend), sum(impressions), sum(clicks), sum(new_leads),
            sum(new_mqls),
            cast(sum(clicks) as double) / nullif(sum(impressions), 0),
            cast(sum(spend) as double) / nullif(sum(clicks), 0),
            cast(sum(spend) as double) / nullif(sum(new_leads), 0),
            cast(sum(new_sqls) as double) / nullif(sum(new_mqls), 0)
        from marts.fct_marketing_performance_monthly
        group by month_start_date, channel
        order by 1, 2
        """,
    )
    same(metric_rows, mart_rows)
    total = sum(row[2] for row in metric_rows)
    assert total == published[0].scalar(
        "select sum(spend_reporting) from marts.fct_ad_performance_daily"
    )
    assert isinstance(total, Decimal) and total > 0


def test_roas_cac_and_pipeline_roi_equal_sql_over_the_roi_report(published):
    metric_rows, mart_rows = both(
        published,
        "select cast(metric_time__month as date), channel, attribution_model, roi_spend, "
        "roi_won_revenue, roas, cac, pipeline_roi, cost_per_opportunity "
        "from metrics.marketing_roi_monthly order by 1, 2",
        """
        select
            month_start_date, channel, attribution_model, sum(spend), sum(won_revenue),
            cast(sum(won_revenue) as double) / nullif(sum(spend), 0),
            cast(sum(spend) as double) / nullif(sum(attributed_customers), 0),
            (sum(pipeline_amount) - sum(spend)) / nullif(sum(spend), 0),
            cast(sum(spend) as double) / nullif(sum(attributed_opportunities), 0)
        from marts.rpt_marketing_roi
        group by month_start_date, channel, attribution_model
        order by 1, 2
        """,
    )
    same(metric_rows, mart_rows)
    assert {row[2] for row in metric_rows} == {"data_driven"}


def test_every_model_credits_the_whole_pipeline_and_won_revenue_of_the_crm(published):
    metric_rows, mart_rows = both(
        published,
        "select attribution_model, sum(attributed_pipeline), sum(attributed_revenue) "
        "from metrics.attribution_by_model group by attribution_model order by 1",
        """
        select attribution_model, crm.pipeline, crm.won
        from (select distinct attribution_model from marts.fct_attribution) as models
        cross join (
            select
                sum(amount_reporting) as pipeline,
                sum(case when is_won then amount_reporting else 0 end) as won
            from marts.fct_opportunities
        ) as crm
        order by 1
        """,
    )
    assert metric_rows == mart_rows
    assert len(metric_rows) == 9


def test_win_rate_and_sales_cycle_equal_sql_over_opportunities(published):
    metric_rows, mart_rows = both(
        published,
        "select cast(metric_time__month as date), opportunities_won, opportunities_closed, "
        "win_rate, sales_cycle_days from metrics.opportunities_monthly "
        "where opportunities_closed > 0 order by 1",
        """
        select
            cast(date_trunc('month', close_date) as date),
            sum(case when is_won then 1 else 0 end),
            sum(case when is_closed then 1 else 0 end),
            cast(sum(case when is_won then 1 else 0 end) as double)
                / nullif(sum(case when is_closed then 1 else 0 end), 0),
            avg(case when is_won then days_in_pipeline end)
        from marts.fct_opportunities
        group by 1
        having sum(case when is_closed then 1 else 0 end) > 0
        order by 1
        """,
    )
    same(metric_rows, mart_rows)


def test_a_notebook_reads_a_metric_from_the_published_file(published):
    """The README's notebook path, in a fresh interpreter: duckdb + pandas, read-only."""
    built, target, _done = published
    code = (
        "import sys, duckdb\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        'df = con.sql("select channel, sum(roi_spend) as spend, '
        "sum(roi_won_revenue) as revenue from metrics.marketing_roi_monthly "
        "where channel = 'Paid Search' group by channel\").df()\n"
        "df['roas'] = df['revenue'].astype(float) / df['spend'].astype(float)\n"
        "print(f\"{df.loc[0, 'roas']:.6f}\")\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code, str(target)], capture_output=True, text=True, check=False
    )
    assert shown.returncode == 0, shown.stderr
    spend, revenue = built.query(
        "select sum(spend), sum(won_revenue) from marts.rpt_marketing_roi "
        "where channel = 'Paid Search'"
    )[0]
    assert shown.stdout.strip() == f"{float(revenue) / float(spend):.6f}"


def test_a_manifest_without_saved_queries_publishes_no_metrics(tmp_path):
    manifest = tmp_path / "semantic_manifest.json"
    manifest.write_text('{"semantic_models": [], "metrics": [], "saved_queries": []}')
    assert semantic.compile_saved_queries(manifest, "warehouse") == []
    with pytest.raises(semantic.SemanticLayerError, match="no semantic manifest at"):
        semantic.compile_saved_queries(tmp_path / "missing.json", "warehouse")


def test_superset_reads_a_metric_through_duckdb_engine(published):
    """The README's Superset path: URI `duckdb:///<file>`, read-only, as Superset connects."""
    from sqlalchemy import create_engine, text

    built, target, _done = published
    engine = create_engine(f"duckdb:///{target}", connect_args={"read_only": True})
    try:
        with engine.connect() as con:
            spend = con.execute(text("select sum(spend) from metrics.marketing_monthly")).scalar()
    finally:
        engine.dispose()
    assert spend == built.scalar("select sum(spend) from marts.fct_marketing_performance_monthly")
