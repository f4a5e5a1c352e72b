"""Google Ads beyond ads: keywords and conversion actions, and their share of each ad's day.

Every search ad's day is split over its ad group's keywords (impressions and clicks by keyword
weight, cost and conversions by the keyword's clicks) and its conversions over the account's
conversion actions, so that keyword and conversion-action figures add up exactly to the ad's,
at every moment (a restated day restates its splits at the same moment).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from gtm_demo.world.model import DAY

KEYWORDS = {
    "brand": ("lumen analytics", "lumen attribution", "lumenanalytics", "lumen revops"),
    "competitor": (
        "attribution software alternatives",
        "marketing attribution vs",
        "best attribution tool",
        "revenue attribution platform",
    ),
    "attribution": (
        "b2b marketing attribution",
        "multi touch attribution",
        "attribution model software",
        "pipeline attribution",
    ),
    "forecasting": (
        "revenue forecasting software",
        "sales forecast tool",
        "pipeline forecasting",
        "b2b revenue forecast",
    ),
    "retargeting": (
        "revenue analytics demo",
        "marketing roi dashboard",
        "revops analytics",
        "go to market analytics",
    ),
    "report": (
        "state of revops report",
        "revops benchmarks",
        "b2b marketing benchmarks 2026",
        "pipeline benchmark report",
    ),
}
"""Four keywords per ad group, by campaign theme."""
MATCH_TYPES = ("EXACT", "PHRASE", "BROAD", "PHRASE")
KEYWORD_WEIGHTS = (0.4, 0.3, 0.2, 0.1)
"""Each keyword's share of its ad group's traffic, before the group's own noise."""
CONVERSION_ACTIONS = (
    # name, category, value (account currency), share of conversions
    ("Demo request", "BOOK_APPOINTMENT", 250.0, 0.5),
    ("Contact sales form", "CONTACT", 150.0, 0.3),
    ("Free trial signup", "SIGNUP", 100.0, 0.2),
)
"""The primary conversion actions of each account (all counted in `metrics.conversions`)."""


class GoogleAdsDetailRenderer:
    """Part of `World` (the generation run): its methods below."""

    def _google_ads_details_structure(self, groups: list[dict], accounts: list[tuple]) -> None:
        """Write each ad group's keywords and each account's conversion actions."""
        rng = self.rng("google_ads_keywords")
        self.gads_keywords: dict[str, list[str]] = {}
        self.gads_keyword_weights: dict[str, np.ndarray] = {}
        self.gads_kw_cols: dict[str, list] = defaultdict(list)
        self.gads_cv_cols: dict[str, list] = defaultdict(list)
        keyword_rows = []
        for group in groups:
            campaign = group["campaign"]
            texts = KEYWORDS[campaign["theme"]]
            ids = [str(int(group["id"]) * 10 + k + 1) for k in range(len(texts))]
            weights = np.array(KEYWORD_WEIGHTS) * rng.lognormal(0, 0.3, len(texts))
            self.gads_keywords[group["id"]] = ids
            self.gads_keyword_weights[group["id"]] = weights / weights.sum()
            for criterion_id, text, match in zip(ids, texts, MATCH_TYPES, strict=True):
                keyword_rows.append(
                    {
                        "ad_group_id": group["id"],
                        "criterion_id": criterion_id,
                        "customer_id": campaign["account"][0],
                        "campaign_id": campaign["id"],
                        "text": text,
                        "match_type": match,
                        "status": "ENABLED",
                        "_version_at": self._day_ts(campaign["first_day"]) - DAY,
                    }
                )
        self.out.rows_of("google_ads/keywords", keyword_rows)
        self.gads_actions: dict[str, list[str]] = {}
        action_rows = []
        for number, account in enumerate(accounts):
            ids = [str(700_000_000 + 1000 * number + a + 1) for a in range(len(CONVERSION_ACTIONS))]
            self.gads_actions[account[0]] = ids
            for action_id, (name, category, value, _) in zip(ids, CONVERSION_ACTIONS, strict=True):
                action_rows.append(
                    {
                        "id": action_id,
                        "customer_id": account[0],
                        "name": name,
                        "category": category,
                        "type": "WEBPAGE",
                        "status": "ENABLED",
                        "default_value": value,
                        "_version_at": self.start - 10 * DAY,
                    }
                )
        self.out.rows_of("google_ads/conversion_actions", action_rows)

    def _google_ads_traffic_split(
        self, ad: dict, impressions: np.ndarray, clicks: np.ndarray, cost_cents: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Split an ad's daily impressions, clicks and cost over its ad group's keywords."""
        rng = self.rng("google_ads_keyword_split", ad["id"])
        weights = self.gads_keyword_weights[ad["group"]["id"]]
        kw_clicks = rng.multinomial(clicks, weights)
        kw_impressions = kw_clicks + rng.multinomial(impressions - clicks, weights)
        shares = np.where(
            clicks[:, None] > 0, kw_clicks / np.maximum(clicks, 1)[:, None], weights[None, :]
        )
        kw_cost = rng.multinomial(cost_cents, shares)
        return kw_impressions, kw_clicks, kw_cost

    def _google_ads_detail_rows(
        self,
        ad: dict,
        version: int,
        days: np.ndarray,
        split: tuple[np.ndarray, np.ndarray, np.ndarray],
        conversions: np.ndarray,
        when: np.ndarray,
    ) -> np.ndarray:
        """Append one version of an ad's keyword and conversion-action rows; return its value.

        Conversions go to keywords by their clicks and to conversion actions by the actions'
        shares; the ad's conversion value is the sum of its conversions at each action's value.
        """
        n = len(days)
        rng = self.rng("google_ads_conversion_split", ad["id"], version)
        kw_impressions, kw_clicks, kw_cost = split
        campaign, account = ad["campaign"], ad["campaign"]["account"]
        weights = self.gads_keyword_weights[ad["group"]["id"]]
        clicks = kw_clicks.sum(axis=1)
        shares = np.where(
            clicks[:, None] > 0, kw_clicks / np.maximum(clicks, 1)[:, None], weights[None, :]
        )
        kw_conversions = rng.multinomial(conversions, shares)
        action_shares = np.array([a[3] for a in CONVERSION_ACTIONS])
        values = np.array([a[2] for a in CONVERSION_ACTIONS])
        by_action = rng.multinomial(conversions, action_shares)
        action_value = by_action * values[None, :]
        # Each keyword's conversions are worth the ad's average value per conversion that day;
        # the keyword values are cents rounded so that they add up to the ad's exactly.
        value_cents = np.round(action_value.sum(axis=1) * 100).astype(np.int64)
        kw_value_cents = rng.multinomial(
            value_cents,
            np.where(
                conversions[:, None] > 0,
                kw_conversions / np.maximum(conversions, 1)[:, None],
                weights[None, :],
            ),
        )
        kw = self.gads_kw_cols
        for k, criterion_id in enumerate(self.gads_keywords[ad["group"]["id"]]):
            seen = kw_impressions[:, k] > 0
            m = int(seen.sum())
            kw["customer_id"] += [account[0]] * m
            kw["campaign_id"] += [campaign["id"]] * m
            kw["ad_group_id"] += [ad["group"]["id"]] * m
            kw["criterion_id"] += [criterion_id] * m
            kw["ad_id"] += [ad["id"]] * m
            kw["date"] += days[seen].tolist()
            kw["impressions"] += kw_impressions[seen, k].tolist()
            kw["clicks"] += kw_clicks[seen, k].tolist()
            kw["cost_micros"] += (kw_cost[seen, k] * 10_000).tolist()
            kw["conversions"] += kw_conversions[seen, k].astype(float).tolist()
            kw["conversions_value"] += (kw_value_cents[seen, k] / 100).tolist()
            kw["_version_at"] += when[seen].tolist()
        cv = self.gads_cv_cols
        for a, action_id in enumerate(self.gads_actions[account[0]]):
            # A restated day restates every action of it (a zero included); first versions
            # list the actions that converted.
            listed = by_action[:, a] > 0 if version == 1 else np.ones(n, bool)
            m = int(listed.sum())
            cv["customer_id"] += [account[0]] * m
            cv["campaign_id"] += [campaign["id"]] * m
            cv["ad_group_id"] += [ad["group"]["id"]] * m
            cv["ad_id"] += [ad["id"]] * m
            cv["conversion_action_id"] += [action_id] * m
            cv["date"] += days[listed].tolist()
            cv["conversions"] += by_action[listed, a].astype(float).tolist()
            cv["conversions_value"] += action_value[listed, a].tolist()
            cv["_version_at"] += when[listed].tolist()
        return action_value.sum(axis=1)

    def _write_google_ads_details(self) -> None:
        """Write the keyword and conversion-action rows gathered while ads were written."""
        self.out.columns("google_ads/keyword_metrics", self.gads_kw_cols)
        self.out.columns("google_ads/conversion_metrics", self.gads_cv_cols)
