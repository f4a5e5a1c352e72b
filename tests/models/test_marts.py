"""Marts without traps, on the scale-0.1 warehouse (`built_warehouse`, ingested and built once).

- spend and funnel counts live once per month x channel x campaign
  (fct_marketing_performance_monthly), so the plain sum of any column is the total, and
  rpt_marketing_roi reports ONE model, so its plain sums are the totals too;
- CAC counts customers with the same model as revenue;
- fct_attribution carries each conversion's date;
- dim_campaigns names the platform in the display name;
- industry has one spelling across both CRMs;
- fct_lead_scores says the order to call in, and no e-mail delivery is a reason to call.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from warehouse_support import BuiltWarehouse

MODELS = (
    "fct_marketing_performance_monthly",
    "fct_attributed_outcomes",
    "rpt_marketing_roi",
    "int_campaign_channels_assigned",
    "fct_attribution",
    "dim_campaigns",
    "industry_mapping",
    "fct_lead_scores",
    "assert_marketing_spend_equals_ad_spend",
    "assert_marketing_lifecycle_counts_equal_people",
    "assert_attributed_outcomes_equal_attribution",
)


@pytest.fixture(scope="module")
def wh(built_warehouse: BuiltWarehouse) -> BuiltWarehouse:
    """The built scale-0.1 warehouse."""
    return built_warehouse


def test_dbt_nodes_of_the_marts_pass(wh: BuiltWarehouse) -> None:
    """Every model, data test and reconciliation test of these marts ran and passed."""
    ran = {r["unique_id"] for r in wh.results if any(m in r["unique_id"] for m in MODELS)}
    assert ran == wh.planned(MODELS)  # every node of these marts ran
    assert [f for f in wh.failures() if any(m in f for m in MODELS)] == []


def test_plain_sums_of_the_performance_mart_are_the_totals(wh: BuiltWarehouse) -> None:
    """Summing every row gives the ad spend to the cent and each person once per stage reached."""
    ad_spend = wh.scalar("select sum(spend_reporting) from marts.fct_ad_performance_daily")
    spend = wh.scalar("select sum(spend) from marts.fct_marketing_performance_monthly")
    assert ad_spend > 0
    assert spend == ad_spend.quantize(Decimal("0.01"))
    leads = wh.scalar("select sum(new_leads) from marts.fct_marketing_performance_monthly")
    people = wh.scalar(
        """
        select count(lifecycles.became_lead_at)
        from main.int_people_lifecycle_dated as lifecycles
        inner join main.int_people_resolved as people on lifecycles.person_id = people.person_id
        where not people.is_deleted
        """
    )
    assert leads == people > 0
    duplicates = wh.scalar(
        """
        select count(*) from (
            select month_start_date, channel, campaign_key
            from marts.fct_marketing_performance_monthly
            group by all having count(*) > 1
        )
        """
    )
    assert duplicates == 0


def test_the_roi_report_holds_one_model_and_adds_up(wh: BuiltWarehouse) -> None:
    """One model (the var's first present: markov until data_driven exists); its plain sums equal
    the ad spend, every pipeline and revenue conversion's amount and count."""
    models = wh.query("select distinct attribution_model from marts.rpt_marketing_roi")
    present = {
        row[0] for row in wh.query("select distinct attribution_model from marts.fct_attribution")
    }
    expected = "data_driven" if "data_driven" in present else "markov"
    assert models == [(expected,)]
    roi = wh.query(
        """
        select sum(spend), sum(pipeline_amount), sum(attributed_opportunities),
            sum(won_revenue), sum(attributed_customers)
        from marts.rpt_marketing_roi
        """
    )[0]
    conversions = dict(
        (row[0], row[1:])
        for row in wh.query(
            """
            select conversion_type, sum(amount), count(*)
            from main.int_attribution_conversions_listed group by conversion_type
            """
        )
    )
    ad_spend = wh.scalar("select sum(spend_reporting) from marts.fct_ad_performance_daily")
    assert roi[0] == ad_spend.quantize(Decimal("0.01"))
    assert roi[1] == conversions["pipeline"][0]
    assert roi[2] == pytest.approx(conversions["pipeline"][1], abs=1e-6)
    assert roi[3] == conversions["revenue"][0]
    assert roi[4] == pytest.approx(conversions["revenue"][1], abs=1e-6)


def test_cac_counts_customers_with_the_model_of_revenue(wh: BuiltWarehouse) -> None:
    """Each row's CAC is its spend over the customers the chosen model credits, which are the
    model's own revenue conversions in fct_attributed_outcomes (not first-touch people)."""
    rows = wh.query(
        """
        select roi.spend, roi.attributed_customers, roi.cac, outcomes.attributed_conversions
        from marts.rpt_marketing_roi as roi
        left join marts.fct_attributed_outcomes as outcomes
            on outcomes.month_start_date = roi.month_start_date
            and outcomes.channel = roi.channel
            and outcomes.campaign_key is not distinct from roi.campaign_key
            and outcomes.attribution_model = roi.attribution_model
            and outcomes.conversion_type = 'revenue'
        """
    )
    with_cac = [row for row in rows if row[2] is not None]
    assert with_cac, "no row has both spend and customers"
    for spend, customers, cac, credited in rows:
        assert customers == pytest.approx(credited or 0.0, abs=1e-9)
        if cac is not None:
            assert float(cac) == pytest.approx(float(spend) / customers, abs=0.005)


def test_attribution_carries_the_conversion_date(wh: BuiltWarehouse) -> None:
    """Every credit row's conversion date and time are its conversion's."""
    mismatched = wh.scalar(
        """
        select count(*)
        from marts.fct_attribution as attribution
        inner join main.int_attribution_conversions_listed as conversions
            on attribution.conversion_id = conversions.conversion_id
        where attribution.converted_at <> conversions.converted_at
            or attribution.conversion_date <> cast(conversions.converted_at as date)
        """
    )
    assert (
        wh.scalar("select count(*) from marts.fct_attribution where conversion_date is null") == 0
    )
    assert mismatched == 0


def test_campaign_display_names_name_the_platform(wh: BuiltWarehouse) -> None:
    """Names that repeat across platforms get distinct display names, each led by its platform."""
    repeated = wh.query(
        """
        select campaign_name, count(distinct platform), count(distinct campaign_display_name)
        from marts.dim_campaigns
        group by campaign_name
        having count(distinct platform) > 1
        """
    )
    assert repeated, "the demo world repeats campaign names across platforms"
    assert all(platforms == names for _, platforms, names in repeated)
    labels = dict(
        wh.query(
            """
            select platform, min(split_part(campaign_display_name, ': ', 1))
            from marts.dim_campaigns group by platform
            having count(distinct split_part(campaign_display_name, ': ', 1)) = 1
            """
        )
    )
    assert labels == {
        "google_ads": "Google Ads",
        "facebook_ads": "Meta Ads",
        "linkedin_ads": "LinkedIn Ads",
        "salesforce": "Salesforce",
    }


def test_industry_has_one_spelling_across_both_crms(wh: BuiltWarehouse) -> None:
    """Both CRMs' staging and the resolved accounts use only the seed's canonical industries."""
    canonical = {row[0] for row in wh.query("select distinct industry from main.industry_mapping")}
    for table in ("stg_hubspot__companies", "stg_salesforce__accounts", "int_accounts_resolved"):
        values = {
            row[0] for row in wh.query(f"select distinct industry from main.{table}") if row[0]
        }
        assert values, table
        assert values <= canonical, (table, values - canonical)
    hubspot = {r[0] for r in wh.query("select distinct industry from main.stg_hubspot__companies")}
    salesforce = {
        r[0] for r in wh.query("select distinct industry from main.stg_salesforce__accounts")
    }
    assert {"technology", "financial_services"} <= hubspot & salesforce


def test_lead_scores_say_whom_to_call_first_and_never_for_a_delivery(wh: BuiltWarehouse) -> None:
    """`call_priority_rank` runs 1..n over open leads in descending predictive probability; no
    reason of either score is an e-mail delivery, and no signal is one."""
    rows = wh.query(
        """
        select call_priority_rank, predictive_probability
        from marts.fct_lead_scores where is_open_lead order by call_priority_rank
        """
    )
    assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
    probabilities = [row[1] for row in rows]
    assert probabilities == sorted(probabilities, reverse=True)
    assert (
        wh.scalar(
            "select count(*) from marts.fct_lead_scores where not is_open_lead "
            "and call_priority_rank is not null"
        )
        == 0
    )
    reasons = " ".join(
        str(value)
        for row in wh.query(
            """
            select top_rule_signal_1, top_rule_signal_2, top_rule_signal_3,
                top_predictive_signal_1, top_predictive_signal_2, top_predictive_signal_3
            from marts.fct_lead_scores
            """
        )
        for value in row
    )
    assert "deliver" not in reasons
    deliveries = wh.scalar(
        "select count(*) from main.int_lead_score_signals_listed where signal_type like '%deliver%'"
    )
    assert deliveries == 0
