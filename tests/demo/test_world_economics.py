"""The demo company's money: each figure, computed from the generated world files, in its range.

The ranges are public B2B SaaS benchmarks cited in docs/demo-world.md ("The economics"). Every
figure is computed here with DuckDB over the world's Parquet files and truth (never the
warehouse), on the state as of the as-of date (the last version of each record), at two seeds.
Ad spend is in US dollars at the fixed rates the world's LinkedIn reports use (EUR 1.08, GBP 1.27).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from gtm_demo.generator import generate

SEEDS = (42, 12345)
SCALE = 0.3
AS_OF = date(2026, 6, 30)
USD_PER = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27}
PAID = {
    "paid_search": "google_ads",
    "paid_social_meta": "facebook_ads",
    "paid_social_linkedin": "linkedin_ads",
}

# Company-size segments by employees, and each figure's cited range (docs/demo-world.md).
SEGMENTS = (
    "case when employee_count < 100 then 'smb' when employee_count < 1000 then 'mid' else 'ent' end"
)
DEAL_SIZE = {"smb": (5_000, 15_000), "mid": (15_000, 50_000), "ent": (50_000, 150_000)}
WIN_RATE = (0.15, 0.30)
CYCLE_DAYS = {"smb": (14, 60), "mid": (45, 120), "ent": (90, 365)}
FUNNEL = {"lead_to_mql": (0.15, 0.30), "mql_to_sql": (0.30, 0.50), "sql_to_opp": (0.50, 0.75)}
CPL = {
    "paid_search": (50, 300),
    "paid_social_meta": (10, 120),
    "paid_social_linkedin": (80, 400),
}
ROAS = (2.0, 5.0)
# Once the first two quarters of CRM history have ramped up, each quarter opens between half and
# 1.6 times the mean quarter's opportunities: a steady business, not a hockey stick at the as-of.
QUARTER_SHARE = (0.5, 1.6)
RAMP_QUARTERS = 2
PIPELINE_TO_SPEND_MIN = 5.0
CAC_PAYBACK_MONTHS_MAX = 12.0


def _views(world: Path) -> duckdb.DuckDBPyConnection:
    """Views over the world's current state: opportunities with their person and company."""
    con = duckdb.connect()

    def current(name: str, path: str, key: str) -> None:
        con.sql(
            f"create view {name} as select * exclude (rn) from (select *, row_number() over "
            f"(partition by {key} order by _version_at desc) as rn from '{world}/{path}') "
            "where rn = 1"
        )

    current("opportunity", "salesforce/Opportunity.parquet", "Id")
    current("contact_role", "salesforce/OpportunityContactRole.parquet", "Id")
    current("account", "salesforce/Account.parquet", "Id")
    con.sql(f"create view records as select * from '{world}/truth/records.parquet'")
    con.sql(f"create view companies as select * from '{world}/truth/companies.parquet'")
    con.sql(f"create view people as select * from '{world}/truth/people.parquet'")
    con.sql(f"create view touches as select * from '{world}/truth/touches.parquet'")
    con.sql(
        f"""
        create view opps as
        select
            opportunity.Id as opportunity_id,
            cast(opportunity.Amount as double) as amount,
            opportunity.IsClosed as is_closed,
            opportunity.IsWon as is_won,
            opportunity.CreatedDate as created_at,
            opportunity.CloseDate as close_date,
            person.person_id,
            {SEGMENTS} as segment
        from opportunity
        inner join records as company_record
            on company_record.system = 'salesforce' and company_record.object = 'Account'
            and company_record.record_id = opportunity.AccountId
        inner join companies on companies.company_id = company_record.company_id
        inner join contact_role
            on contact_role.OpportunityId = opportunity.Id and contact_role.IsPrimary
        inner join records as person
            on person.system = 'salesforce' and person.object = 'Contact'
            and person.record_id = contact_role.ContactId
        where not opportunity.IsDeleted
        """
    )
    spend = []
    for path, account_path, account_key, currency, cost, account in (
        (
            "google_ads/ad_metrics",
            "google_ads/customers",
            "id",
            "currency_code",
            "cost_micros / 1e6",
            "customer_id",
        ),
        (
            "facebook_ads/insights",
            "facebook_ads/ad_accounts",
            "account_id",
            "currency",
            "cast(spend as double)",
            "account_id",
        ),
        (
            "linkedin_ads/analytics",
            "linkedin_ads/ad_accounts",
            "id",
            "currency",
            "cast(cost_in_local_currency as double)",
            "account_id",
        ),
    ):
        platform = path.split("/")[0]
        key = {"google_ads": "ad_id, date", "facebook_ads": "ad_id, date_start"}.get(
            platform, "creative_id, date"
        )
        rates = " ".join(f"when '{k}' then {v}" for k, v in USD_PER.items())
        day = key.split(", ")[1]
        spend.append(
            f"select '{platform}' as platform, cast(daily.{day} as date) as day, "
            f"sum({cost} * case accounts.{currency} {rates} end) "
            f"as usd from (select *, row_number() over (partition by {key} order by _version_at "
            f"desc) as rn from '{world}/{path}.parquet') as daily inner join "
            f"'{world}/{account_path}.parquet' as accounts on accounts.{account_key} = "
            f"daily.{account} where rn = 1 group by all"
        )
    con.sql("create view spend_daily as " + " union all ".join(spend))
    con.sql("create view spend as select platform, sum(usd) as usd from spend_daily group by 1")
    con.sql(
        "create view months as select unnest(generate_series(date_trunc('month', "
        f"date '{AS_OF}' - interval 23 month), date_trunc('month', date '{AS_OF}'), "
        "interval 1 month)) as month"
    )
    # Linear multi-touch credit of each opportunity over its person's touches before it opened.
    con.sql(
        """
        create view credit as
        with touched as (
            select opps.opportunity_id, opps.amount, opps.is_won, touches.channel,
                count(*) over (partition by opps.opportunity_id) as n
            from opps
            inner join touches on touches.person_id = opps.person_id
                and touches.touched_at < opps.created_at
        )
        select channel,
            sum(amount / n) as pipeline,
            sum(case when is_won then amount / n else 0 end) as revenue,
            sum(case when is_won then 1.0 / n else 0 end) as customers
        from touched
        group by channel
        """
    )
    return con


def figures(world: Path) -> dict[str, object]:
    """Every economic figure of a world, computed from its files."""
    con = _views(world)
    deal = dict(
        con.sql(
            "select segment, median(amount) from opps where amount is not null group by 1"
        ).fetchall()
    )
    won, closed = con.sql(
        "select count(*) filter (where is_won), count(*) filter (where is_closed) from opps"
    ).fetchall()[0]
    cycle = dict(
        con.sql(
            "select segment, median(close_date - cast(created_at as date)) from opps "
            "where is_won group by 1"
        ).fetchall()
    )
    people, mql, sql_, opp = con.sql(
        "select count(*), count(mql_at), count(sql_at), count(*) filter (where became_opportunity) "
        "from people"
    ).fetchall()[0]
    spend = dict(con.sql("select platform, usd from spend").fetchall())
    first_touch = dict(
        con.sql(
            "select channel, count(*) from (select person_id, channel, row_number() over "
            "(partition by person_id order by touched_at) as rn from touches) where rn = 1 "
            "group by 1"
        ).fetchall()
    )
    credit = {row[0]: row[1:] for row in con.sql("select * from credit").fetchall()}
    acv = con.sql("select avg(amount) from opps where is_won").fetchall()[0][0]
    # Full calendar quarters and months of history (the history starts HISTORY_MONTHS before).
    history_start = date(AS_OF.year - 2, AS_OF.month, AS_OF.day)
    quarters = con.sql(
        "select date_trunc('quarter', created_at) as quarter, count(*) from opps "
        "where created_at >= date_trunc('quarter', ?::date) + interval 3 month "
        "and created_at < date_trunc('quarter', ?::date) group by 1 order by 1",
        params=[history_start, AS_OF + timedelta(days=1)],
    ).fetchall()
    months_without_spend = con.sql(
        "select platform, count(*) from (select distinct platform, month from months "
        "cross join (select distinct platform from spend_daily) as platforms) as expected "
        "anti join (select platform, date_trunc('month', day) as month from spend_daily "
        "where usd > 0) as paid using (platform, month) group by 1",
    ).fetchall()
    paid = {}
    for channel, platform in PAID.items():
        pipeline, revenue, customers = credit[channel]
        cac = spend[platform] / customers
        paid[channel] = {
            "spend": spend[platform],
            "cpl": spend[platform] / first_touch[channel],
            "roas": revenue / spend[platform],
            "pipeline_to_spend": pipeline / spend[platform],
            "cac": cac,
            "cac_payback_months": cac / (acv / 12),
        }
    return {
        "deal_size": deal,
        "win_rate": won / closed,
        "cycle_days": cycle,
        "funnel": {"lead_to_mql": mql / people, "mql_to_sql": sql_ / mql, "sql_to_opp": opp / sql_},
        "acv": acv,
        "paid": paid,
        "opportunities_by_quarter": [count for _, count in quarters[RAMP_QUARTERS:]],
        "months_without_spend": dict(months_without_spend),
    }


@pytest.fixture(scope="module", params=SEEDS, ids=lambda seed: f"seed{seed}")
def world_figures(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp(f"economics_{request.param}") / "world"
    generate(out, scale=SCALE, seed=request.param, as_of=AS_OF)
    return figures(out)


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def test_deal_size_by_company_size(world_figures: dict) -> None:
    deal = world_figures["deal_size"]
    assert {k: _within(deal[k], DEAL_SIZE[k]) for k in DEAL_SIZE} == dict.fromkeys(
        DEAL_SIZE, True
    ), deal
    assert deal["smb"] < deal["mid"] < deal["ent"]


def test_win_rate(world_figures: dict) -> None:
    assert _within(world_figures["win_rate"], WIN_RATE), world_figures["win_rate"]


def test_sales_cycle_grows_with_deal_size(world_figures: dict) -> None:
    cycle = world_figures["cycle_days"]
    assert {k: _within(cycle[k], CYCLE_DAYS[k]) for k in CYCLE_DAYS} == dict.fromkeys(
        CYCLE_DAYS, True
    ), cycle
    assert cycle["smb"] < cycle["mid"] < cycle["ent"]


def test_funnel_conversion_rates(world_figures: dict) -> None:
    funnel = world_figures["funnel"]
    assert {k: _within(funnel[k], FUNNEL[k]) for k in FUNNEL} == dict.fromkeys(FUNNEL, True), funnel


def test_cost_per_lead_by_channel(world_figures: dict) -> None:
    cpl = {k: v["cpl"] for k, v in world_figures["paid"].items()}
    assert {k: _within(cpl[k], CPL[k]) for k in CPL} == dict.fromkeys(CPL, True), cpl


def test_roas_pipeline_and_cac_by_channel(world_figures: dict) -> None:
    paid = world_figures["paid"]
    assert {k: _within(v["roas"], ROAS) for k, v in paid.items()} == dict.fromkeys(PAID, True), paid
    assert {
        k: v["pipeline_to_spend"] >= PIPELINE_TO_SPEND_MIN for k, v in paid.items()
    } == dict.fromkeys(PAID, True), paid
    assert {
        k: 0 < v["cac_payback_months"] <= CAC_PAYBACK_MONTHS_MAX for k, v in paid.items()
    } == dict.fromkeys(PAID, True), paid


def test_opportunities_open_steadily_over_history(world_figures: dict) -> None:
    counts = world_figures["opportunities_by_quarter"]
    mean = sum(counts) / len(counts)
    assert len(counts) >= 5, counts
    assert all(_within(count / mean, QUARTER_SHARE) for count in counts), counts


def test_every_platform_spends_every_month(world_figures: dict) -> None:
    assert world_figures["months_without_spend"] == {}
