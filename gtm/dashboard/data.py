"""The dashboard's data: checks on the published file, then one query per chart, all read-only.

Everything comes from the published file (`gtm.ops.publish`): the marts in its default schema,
`gtm_publish_info`, and the run's health in schema `ops` (`gtm.ops.health`). The file is checked
before anything is drawn: missing, empty, not a gtm publish, stale, or a mart without a column the
dashboard reads each raise `DashboardInputError` with one line saying which.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from gtm.errors import GtmError
from gtm.ops.health import OPS_SCHEMA
from gtm.ops.publish import INFO_TABLE

DATA_DRIVEN = "data_driven"

REQUIRED: dict[str, tuple[str, ...]] = {
    "rpt_marketing_roi": (
        "month_start_date",
        "channel",
        "campaign_key",
        "attribution_model",
        "spend",
        "reporting_currency",
        "impressions",
        "clicks",
        "new_leads",
        "attributed_opportunities",
        "pipeline_amount",
        "attributed_customers",
        "won_revenue",
    ),
    "fct_attributed_outcomes": (
        "month_start_date",
        "channel",
        "attribution_model",
        "conversion_type",
        "attributed_conversions",
        "attributed_amount",
    ),
    "fct_attribution": ("attribution_model", "conversion_type", "platform", "attributed_amount"),
    "fct_ad_performance_daily": ("report_date", "platform", "spend_reporting"),
    "fct_marketing_performance_monthly": (
        "month_start_date",
        "channel",
        "new_leads",
        "new_mqls",
        "new_sqls",
        "new_opportunities",
        "new_customers",
    ),
    "dim_campaigns": ("campaign_key", "platform", "campaign_display_name"),
    "dim_people": (
        "person_id",
        "is_deleted",
        "became_lead_at",
        "became_mql_at",
        "became_sql_at",
        "became_opportunity_at",
        "became_customer_at",
    ),
    "fct_opportunities": (
        "opportunity_id",
        "created_at",
        "closed_at",
        "is_won",
        "is_closed",
        "amount_reporting",
        "days_in_pipeline",
    ),
    "fct_lead_scores": (
        "person_id",
        "as_of_date",
        "is_open_lead",
        "lead_score",
        "lead_grade",
        "priority_tier",
        "predictive_probability",
        "call_priority_rank",
        "top_predictive_signal_1",
        "top_predictive_signal_2",
        "top_rule_signal_1",
        "seniority",
        "industry",
    ),
    "rpt_lead_score_evaluation": (
        "score_name",
        "segment",
        "decile",
        "cutoff_date",
        "horizon_days",
        "people",
        "observed_rate",
        "mean_predicted_probability",
        "lift",
        "roc_auc",
    ),
}
"""Every mart the dashboard reads, with the columns it reads."""


class DashboardInputError(GtmError):
    """The published file cannot feed the dashboard: missing, empty, stale or incomplete."""


@dataclass(frozen=True)
class Rows:
    """A query's result: column names and rows."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def __bool__(self) -> bool:
        """Whether there are rows."""
        return bool(self.rows)

    def column(self, name: str) -> list[Any]:
        """All values of one column."""
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def dicts(self) -> list[dict[str, Any]]:
        """Return the rows as dicts."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class PublishInfo:
    """Which run published the file, and when."""

    run_id: str
    published_at: datetime


class Published:
    """A read-only connection to the published file, with the queries the dashboard draws."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        """Wrap an open read-only connection to `path`."""
        self.con = con
        self.path = path

    def rows(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """Run `sql` and return its rows with their column names."""
        cursor = self.con.execute(sql, list(params))
        columns = tuple(d[0] for d in cursor.description or ())
        return Rows(columns, cursor.fetchall())

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Return the first value of the first row (None when there is no row)."""
        found = self.rows(sql, params).rows
        return found[0][0] if found else None

    def has_table(self, name: str, schema: str = "main") -> bool:
        """Whether the file holds table `schema.name`."""
        return bool(
            self.scalar(
                "select count(*) from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [schema, name],
            )
        )

    # ----------------------------------------------------------------------------------------------
    # checks

    def info(self) -> PublishInfo:
        """Return the publish's run and time; refuse a file that no gtm publish wrote."""
        if not self.has_table(INFO_TABLE):
            raise DashboardInputError(
                f"{self.path} is not a gtm publish (no table {INFO_TABLE}); "
                "publish the marts with `gtm run`"
            )
        found = self.rows(f"select run_id, published_at from {INFO_TABLE}").rows
        if not found:
            raise DashboardInputError(f"{self.path} is empty: {INFO_TABLE} has no row")
        run_id, published_at = found[0]
        return PublishInfo(str(run_id), published_at.astimezone(UTC))

    def check_columns(self) -> None:
        """Refuse a published file that lacks a mart or a column the dashboard reads."""
        found: dict[str, set[str]] = {}
        for table, column in self.rows(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'main'"
        ).rows:
            found.setdefault(table, set()).add(column)
        for table, columns in REQUIRED.items():
            if table not in found:
                raise DashboardInputError(
                    f"{self.path} has no mart {table}; rebuild and publish with `gtm run`"
                )
            missing = [c for c in columns if c not in found[table]]
            if missing:
                raise DashboardInputError(
                    f"mart {table} in {self.path} lacks column {', '.join(missing)} "
                    "that the dashboard reads; rebuild and publish with `gtm run`"
                )
        if not self.scalar("select count(*) from rpt_marketing_roi"):
            raise DashboardInputError(
                f"{self.path} is empty: rpt_marketing_roi has no rows to show"
            )

    # ----------------------------------------------------------------------------------------------
    # what the page says about the data

    def currency(self) -> str:
        """Return the reporting currency of the marts."""
        return str(self.scalar("select min(reporting_currency) from rpt_marketing_roi") or "USD")

    def roi_model(self) -> str:
        """Return the attribution model rpt_marketing_roi reports."""
        return str(self.scalar("select min(attribution_model) from rpt_marketing_roi"))

    def as_of(self) -> date | None:
        """Return the as-of date of the marts (fct_lead_scores.as_of_date)."""
        return self.scalar("select max(as_of_date) from fct_lead_scores")

    def month_range(self) -> tuple[date, date] | None:
        """First and last month of rpt_marketing_roi."""
        found = self.rows(
            "select min(month_start_date), max(month_start_date) from rpt_marketing_roi"
        ).rows[0]
        return None if found[0] is None else (found[0], found[1])

    # ----------------------------------------------------------------------------------------------
    # overview

    def monthly_totals(self) -> Rows:
        """Per month: spend, pipeline, won revenue, customers and leads (rpt_marketing_roi)."""
        return self.rows(
            """
            select month_start_date, sum(spend) as spend, sum(pipeline_amount) as pipeline,
                sum(won_revenue) as won_revenue, sum(attributed_customers) as customers,
                sum(attributed_opportunities) as opportunities, sum(new_leads) as leads
            from rpt_marketing_roi group by month_start_date order by month_start_date
            """
        )

    def totals(self) -> dict[str, Any]:
        """Spend, pipeline, won revenue, customers, leads, ROAS and CAC over every month."""
        row = self.rows(
            """
            select sum(spend) as spend, sum(pipeline_amount) as pipeline,
                sum(won_revenue) as won_revenue, sum(attributed_customers) as customers,
                sum(attributed_opportunities) as opportunities, sum(new_leads) as leads
            from rpt_marketing_roi
            """
        ).dicts()[0]
        spend = float(row["spend"] or 0)
        row["roas"] = float(row["won_revenue"]) / spend if spend else None
        row["cac"] = spend / float(row["customers"]) if row["customers"] else None
        return row

    def spend_by_platform_month(self) -> Rows:
        """Per month and ad platform: spend in the reporting currency."""
        return self.rows(
            """
            select cast(date_trunc('month', report_date) as date) as month_start_date, platform,
                sum(spend_reporting) as spend
            from fct_ad_performance_daily group by all order by month_start_date, platform
            """
        )

    # ----------------------------------------------------------------------------------------------
    # attribution

    def attribution_by_model(self, conversion_type: str) -> Rows:
        """Per channel and model: the amount credited for `conversion_type` (all months)."""
        return self.rows(
            """
            select channel, attribution_model, sum(attributed_amount) as amount,
                sum(attributed_conversions) as conversions
            from fct_attributed_outcomes where conversion_type = ?
            group by channel, attribution_model order by channel, attribution_model
            """,
            [conversion_type],
        )

    def attribution_months(self) -> tuple[date, date] | None:
        """First and last month of fct_attributed_outcomes."""
        found = self.rows(
            "select min(month_start_date), max(month_start_date) from fct_attributed_outcomes"
        ).rows[0]
        return None if found[0] is None else (found[0], found[1])

    def platform_split(self, model: str) -> Rows:
        """Per ad platform: spend, and the pipeline and revenue `model` credits to its touches."""
        return self.rows(
            """
            with spend as (
                select platform, sum(spend_reporting) as spend
                from fct_ad_performance_daily group by platform
            ),
            credited as (
                select platform,
                    sum(case when conversion_type = 'pipeline' then attributed_amount end)
                        as pipeline,
                    sum(case when conversion_type = 'revenue' then attributed_amount end)
                        as won_revenue
                from fct_attribution
                where attribution_model = ? and platform is not null
                group by platform
            )
            select spend.platform, spend.spend, coalesce(credited.pipeline, 0) as pipeline,
                coalesce(credited.won_revenue, 0) as won_revenue
            from spend left join credited on spend.platform = credited.platform
            order by spend.spend desc
            """,
            [model],
        )

    def spend_dates(self) -> tuple[date, date] | None:
        """First and last report date of the ad spend."""
        found = self.rows(
            "select min(report_date), max(report_date) from fct_ad_performance_daily"
        ).rows[0]
        return None if found[0] is None else (found[0], found[1])

    # ----------------------------------------------------------------------------------------------
    # campaigns

    def campaigns(self) -> Rows:
        """Per campaign (all months): spend, leads, opportunities, customers, revenue, ratios."""
        return self.rows(
            """
            with per_campaign as (
                select campaign_key, min(channel) as channel, sum(spend) as spend,
                    sum(new_leads) as leads, sum(attributed_opportunities) as opportunities,
                    sum(pipeline_amount) as pipeline, sum(attributed_customers) as customers,
                    sum(won_revenue) as won_revenue
                from rpt_marketing_roi where campaign_key is not null group by campaign_key
            )
            select per_campaign.campaign_key, dim_campaigns.campaign_display_name as campaign,
                dim_campaigns.platform, per_campaign.channel, per_campaign.spend,
                per_campaign.leads, per_campaign.opportunities, per_campaign.pipeline,
                per_campaign.customers, per_campaign.won_revenue,
                case when per_campaign.spend > 0
                    then per_campaign.spend / nullif(per_campaign.leads, 0) end as cpl,
                case when per_campaign.spend > 0 and per_campaign.customers >= 1
                    then per_campaign.spend / per_campaign.customers end as cac,
                per_campaign.won_revenue / nullif(per_campaign.spend, 0) as roas
            from per_campaign
            left join dim_campaigns on per_campaign.campaign_key = dim_campaigns.campaign_key
            order by per_campaign.spend desc, per_campaign.won_revenue desc,
                per_campaign.campaign_key
            """
        )

    # ----------------------------------------------------------------------------------------------
    # funnel

    def funnel_by_channel(self) -> Rows:
        """Per channel: people reaching each lifecycle stage, credited first-touch (all months)."""
        return self.rows(
            """
            select channel, sum(new_leads) as leads, sum(new_mqls) as mqls,
                sum(new_sqls) as sqls, sum(new_opportunities) as opportunities,
                sum(new_customers) as customers
            from fct_marketing_performance_monthly
            group by channel order by sum(new_leads) desc, channel
            """
        )

    def cohorts(self, min_leads: int = 20) -> Rows:
        """Per quarter people became leads (at least `min_leads`): stages reached, days between."""
        return self.rows(
            """
            with people as (
                select date_trunc('quarter', became_lead_at) as cohort, became_lead_at,
                    became_mql_at, became_sql_at, became_opportunity_at, became_customer_at
                from dim_people where not is_deleted and became_lead_at is not null
            )
            select cast(cohort as date) as cohort, count(*) as leads,
                count(became_mql_at) as mqls, count(became_sql_at) as sqls,
                count(became_opportunity_at) as opportunities,
                count(became_customer_at) as customers,
                quantile_cont(date_diff('day', became_lead_at, became_mql_at), 0.5)
                    as days_lead_to_mql,
                quantile_cont(date_diff('day', became_mql_at, became_sql_at), 0.5)
                    as days_mql_to_sql,
                quantile_cont(date_diff('day', became_sql_at, became_opportunity_at), 0.5)
                    as days_sql_to_opportunity,
                quantile_cont(date_diff('day', became_opportunity_at, became_customer_at), 0.5)
                    as days_opportunity_to_customer
            from people group by cohort having count(*) >= ? order by cohort
            """,
            [min_leads],
        )

    def sales_cycle_by_channel(self) -> Rows:
        """Per first-touch channel: won opportunities and their median days from creation to won."""
        return self.rows(
            """
            with first_touch as (
                select opportunity_id, min(channel) as channel from fct_attribution
                where attribution_model = 'first_touch' and conversion_type = 'pipeline'
                group by opportunity_id
            )
            select coalesce(first_touch.channel, 'Unattributed') as channel,
                count(*) as won, quantile_cont(fct_opportunities.days_in_pipeline, 0.5)
                    as median_days,
                min(cast(fct_opportunities.closed_at as date)) as first_close,
                max(cast(fct_opportunities.closed_at as date)) as last_close
            from fct_opportunities
            left join first_touch on fct_opportunities.opportunity_id = first_touch.opportunity_id
            where fct_opportunities.is_won
            group by all order by won desc, channel
            """
        )

    # ----------------------------------------------------------------------------------------------
    # lead scoring

    def call_list(self, limit: int = 15) -> Rows:
        """Return the open leads to call first (call_priority_rank), with why."""
        return self.rows(
            """
            select fct_lead_scores.call_priority_rank as rank,
                trim(
                    coalesce(dim_people.first_name, '') || ' '
                    || coalesce(dim_people.last_name, '')
                ) as person,
                dim_people.title, dim_people.company_name as company,
                fct_lead_scores.predictive_probability as probability,
                fct_lead_scores.lead_score, fct_lead_scores.lead_grade,
                fct_lead_scores.priority_tier,
                fct_lead_scores.top_predictive_signal_1 as why_1,
                fct_lead_scores.top_predictive_signal_2 as why_2,
                fct_lead_scores.top_rule_signal_1 as rule_1
            from fct_lead_scores
            left join dim_people on fct_lead_scores.person_id = dim_people.person_id
            where fct_lead_scores.call_priority_rank is not null
            order by fct_lead_scores.call_priority_rank limit ?
            """,
            [limit],
        )

    def open_leads(self) -> int:
        """How many open leads are ranked."""
        return int(
            self.scalar("select count(*) from fct_lead_scores where call_priority_rank is not null")
            or 0
        )

    def score_deciles(self) -> Rows:
        """Per score and decile of the hold-out: lift, predicted and observed rates."""
        return self.rows(
            """
            select score_name, decile, people, observed_rate, mean_predicted_probability, lift
            from rpt_lead_score_evaluation where segment = 'decile'
            order by score_name, decile
            """
        )

    def score_summary(self) -> Rows:
        """Per score: ROC AUC, the hold-out's size, cutoff and horizon."""
        return self.rows(
            """
            select score_name, roc_auc, people, observed_rate, cutoff_date, horizon_days
            from rpt_lead_score_evaluation where segment = 'all' order by roc_auc desc
            """
        )

    # ----------------------------------------------------------------------------------------------
    # data health

    def has_health(self) -> bool:
        """Whether the publish carried the run's health (schema `ops`)."""
        return self.has_table("run_history", OPS_SCHEMA)

    def quarantine(self) -> Rows:
        """Quarantined records per reason and object."""
        return self.rows(
            f"""
            select reason, source_system || '.' || source_table as object, sum(records) as records
            from {OPS_SCHEMA}.quarantined_records group by all order by records desc, reason
            """
        )

    def tests(self) -> Rows:
        """Test results of the publishing build, counted per status."""
        return self.rows(
            f"select status, count(*) as tests from {OPS_SCHEMA}.test_results "
            "group by status order by tests desc"
        )

    def tests_not_passing(self) -> Rows:
        """The tests of the publishing build that did not pass, with their message."""
        return self.rows(
            f"select test_name, status, failures, message from {OPS_SCHEMA}.test_results "
            "where status <> 'pass' order by status, test_name"
        )

    def run_history(self) -> Rows:
        """Return the 20 latest recorded runs, newest first."""
        return self.rows(
            f"""
            select run_id, started_at, status, rows_loaded, tests_failed, published, seconds
            from {OPS_SCHEMA}.run_history order by started_at desc limit 20
            """
        )

    def freshness(self) -> Rows:
        """Per source: the last successful load and the newest record it brought (from marts)."""
        return self.rows(
            f"""
            with loads as (
                select source, max(finished_at) as last_loaded,
                    max_by(rows_in_raw, finished_at) as rows_in_raw
                from {OPS_SCHEMA}.source_loads where status = 'loaded' group by source
            ),
            newest as (
                select platform as source, max(report_date) as newest_record
                from fct_ad_performance_daily group by platform
                union all
                select 'salesforce', cast(max(greatest(created_at, coalesce(closed_at, created_at)))
                    as date) from fct_opportunities
                union all
                select 'hubspot', cast(max(became_lead_at) as date) from dim_people
            )
            select loads.source, loads.last_loaded, loads.rows_in_raw, newest.newest_record,
                date_diff('day', newest.newest_record, (
                    select max(as_of_date) from fct_lead_scores
                )) as days_behind
            from loads left join newest on loads.source = newest.source
            order by loads.source
            """
        )

    def anomalies(self) -> Rows:
        """Row-count anomalies each run found."""
        return self.rows(
            f"""
            select anomalies.run_id, anomalies.source, anomalies.table_name, anomalies.new_rows,
                anomalies.baseline, anomalies.deviation
            from {OPS_SCHEMA}.anomalies order by anomalies.run_id desc, anomalies.source
            """
        )


@contextmanager
def open_published(path: Path) -> Iterator[Published]:
    """Open the published file read-only; one clear error if it is missing, empty or not DuckDB."""
    if not path.exists():
        raise DashboardInputError(
            f"no published marts at {path}: run `gtm run` first (it publishes after a tested build)"
        )
    if path.stat().st_size == 0:
        raise DashboardInputError(f"the published file {path} is empty (0 bytes)")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DashboardInputError(f"cannot open the published file {path}: {first}") from None
    try:
        yield Published(con, path)
    finally:
        con.close()


def check_fresh(info: PublishInfo, path: Path, max_age: timedelta | None, now: datetime) -> None:
    """Refuse a publish older than `max_age` (None: any age is accepted)."""
    if max_age is None:
        return
    age = now - info.published_at
    if age > max_age:
        raise DashboardInputError(
            f"the published file {path} is stale: run {info.run_id} published it "
            f"{info.published_at:%Y-%m-%d %H:%M} UTC, {age.days} day(s) ago, more than the "
            f"{max_age.days} day(s) allowed (--max-age-days); run `gtm run` to refresh it"
        )
