"""Keyword and conversion-action marts on the scale-0.1 warehouse (`built_warehouse`).

fct_keyword_performance_daily and fct_conversion_action_performance_daily report Google Ads at
their own grain; both add up exactly to the ad-level rows of fct_ad_performance_daily.
"""

from __future__ import annotations

import pytest
from warehouse_support import BuiltWarehouse

MODELS = (
    "fct_keyword_performance_daily",
    "fct_conversion_action_performance_daily",
    "stg_google_ads__keyword_daily_metrics",
    "stg_google_ads__conversion_action_daily_metrics",
    "stg_google_ads__conversion_actions",
    "assert_google_keywords_add_up_to_ads",
    "assert_google_conversion_actions_add_up_to_ads",
)
ADS = "marts.fct_ad_performance_daily where platform = 'google_ads' and not is_campaign_level"


@pytest.fixture(scope="module")
def wh(built_warehouse: BuiltWarehouse) -> BuiltWarehouse:
    """The built scale-0.1 warehouse."""
    return built_warehouse


def test_dbt_nodes_of_the_keyword_and_conversion_action_marts_pass(wh: BuiltWarehouse) -> None:
    ran = {r["unique_id"] for r in wh.results if any(m in r["unique_id"] for m in MODELS)}
    assert ran == wh.planned(MODELS)  # every node of these marts ran
    assert [f for f in wh.failures() if any(m in f for m in MODELS)] == []


def test_keywords_add_up_to_the_ads_per_ad_group_and_day(wh: BuiltWarehouse) -> None:
    differing = wh.scalar(
        f"""
        with keywords as (
            select ad_group_id, report_date, sum(spend) as spend, sum(clicks) as clicks,
                sum(impressions) as impressions, sum(platform_conversions) as conversions
            from marts.fct_keyword_performance_daily group by all
        ), ads as (
            select ad_group_id, report_date, sum(spend) as spend, sum(clicks) as clicks,
                sum(impressions) as impressions, sum(platform_conversions) as conversions
            from {ADS} group by all
        )
        select count(*) from keywords full join ads using (ad_group_id, report_date)
        where keywords.spend is distinct from ads.spend
            or keywords.clicks is distinct from ads.clicks
            or keywords.impressions is distinct from ads.impressions
            or keywords.conversions is distinct from ads.conversions
        """
    )
    assert differing == 0
    spend = wh.query(
        f"select (select sum(spend) from marts.fct_keyword_performance_daily), "
        f"(select sum(spend) from {ADS})"
    )[0]
    assert spend[0] == spend[1] > 0
    assert (
        wh.scalar(
            "select count(*) from marts.fct_keyword_performance_daily where campaign_key is null"
        )
        == 0
    )


def test_conversion_actions_add_up_to_the_ads_conversions(wh: BuiltWarehouse) -> None:
    totals = wh.query(
        f"select (select sum(platform_conversions) from "
        f"marts.fct_conversion_action_performance_daily), "
        f"(select sum(platform_conversions) from {ADS})"
    )[0]
    assert totals[0] == totals[1] > 0
    actions = wh.query(
        "select conversion_action_name, conversion_action_category from "
        "marts.fct_conversion_action_performance_daily group by all order by 1"
    )
    assert actions == [
        ("Contact sales form", "CONTACT"),
        ("Demo request", "BOOK_APPOINTMENT"),
        ("Free trial signup", "SIGNUP"),
    ]
