"""The three ad platforms: accounts, campaigns, ad groups and ads, and daily performance."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from gtm_demo import reference as ref
from gtm_demo.world.model import (
    AD_ACCOUNTS,
    AD_LANDING,
    AD_THEMES,
    DAY,
    FACEBOOK_LEAD_VALUE_CENTS,
    HOUR,
    PLATFORM_ANONYMOUS_CLICKS,
    PLATFORM_CPC,
    PLATFORM_UTM,
)


class AdsRenderer:
    """Part of `World` (the generation run): its methods below."""

    def _ads_structure(self) -> None:
        """Accounts, campaigns, ad groups and ads of the three platforms, and who runs when."""
        self.ads: dict[str, dict] = {}
        days = self.days
        for platform, accounts in AD_ACCOUNTS.items():
            rng = self.prng("ads", platform)
            n_campaigns = self.count(20, minimum=2)
            code = {"google_ads": "gads", "facebook_ads": "meta", "linkedin_ads": "li"}[platform]
            source, medium, _ = PLATFORM_UTM[platform]
            campaigns, groups, ads = [], [], []
            base_id = {
                "google_ads": 18_000_000_000,
                "facebook_ads": 23_850_000_000_000,
                "linkedin_ads": 612_000_000,
            }[platform]
            for c in range(n_campaigns):
                account = accounts[c % len(accounts)]
                theme = AD_THEMES[c % len(AD_THEMES)]
                region = {"USD": "na", "EUR": "emea", "GBP": "uk"}[account[2]]
                slug = f"{code}_{theme}_{region}_{c + 1:03d}"
                # One campaign in ten (the first is brand) is always on, as a real account's
                # are; the others are flights with low-discrepancy starts and lengths, so total
                # active days grow with the count and every day has an ad to click at any scale.
                always_on = c % 10 == 0
                first_day = 0 if always_on else int(((c + 1) * 0.6180339887) % 1 * (days - 45))
                length = days if always_on else 45 + int(((c + 1) * 0.4142135624) % 1 * 355)
                last_day = min(days - 1, first_day + length)
                campaign_id = str(base_id + 1000 * (c + 1))
                campaigns.append(
                    {
                        "id": campaign_id,
                        "account": account,
                        "slug": slug,
                        "theme": theme,
                        "name": f"{region.upper()} | {theme.title()} | {c + 1:03d}",
                        "first_day": first_day,
                        "last_day": last_day,
                        "cpc": PLATFORM_CPC[platform] * rng.uniform(0.8, 1.25),
                        "ctr": rng.uniform(0.006, 0.03),
                        "cvr": rng.uniform(0.03, 0.10),
                    }
                )
                for g in range(3):
                    group_id = str(base_id + 1000 * (c + 1) + 10 * (g + 1))
                    groups.append(
                        {
                            "id": group_id,
                            "campaign": campaigns[-1],
                            "name": f"{theme} - audience {g + 1}",
                        }
                    )
                    for a in range(2):
                        ad_id = str(base_id + 1000 * (c + 1) + 10 * (g + 1) + a + 1)
                        landing = ref.VENDOR_SITE + AD_LANDING[theme]
                        utm = (
                            f"utm_source={source}&utm_medium={medium}&utm_campaign={slug}"
                            f"&utm_content={ad_id}"
                        )
                        placement = (
                            rng.choices(
                                ("final_url", "final_url_suffix", "tracking_template"), (5, 3, 2)
                            )[0]
                            if platform == "google_ads"
                            else "url"
                        )
                        ads.append(
                            {
                                "id": ad_id,
                                "group": groups[-1],
                                "campaign": campaigns[-1],
                                "landing": landing,
                                "utm": utm,
                                "placement": placement,
                                "weight": rng.lognormvariate(0, 0.5),
                            }
                        )
            self.ads[platform] = {"campaigns": campaigns, "groups": groups, "ads": ads}
            # Active ads per day, as compressed rows: ads_by_day[offsets[d]:offsets[d+1]].
            per_day: list[list[int]] = [[] for _ in range(days)]
            for index, ad in enumerate(ads):
                for d in range(ad["campaign"]["first_day"], ad["campaign"]["last_day"] + 1):
                    per_day[d].append(index)
            lengths = np.array([len(x) for x in per_day])
            self.ads[platform]["offsets"] = np.concatenate([[0], np.cumsum(lengths)])
            self.ads[platform]["by_day"] = np.array([i for x in per_day for i in x], dtype=np.int64)
            self.ads[platform]["identified_clicks"] = np.zeros((len(ads), days + 2), np.int64)
            covered = np.nonzero(lengths > 0)[0]
            nearest = np.searchsorted(covered, np.arange(days)).clip(0, len(covered) - 1)
            before = (nearest - 1).clip(0)
            closer_before = np.abs(covered[before] - np.arange(days)) < np.abs(
                covered[nearest] - np.arange(days)
            )
            self.ads[platform]["nearest_covered_day"] = np.where(
                closer_before, covered[before], covered[nearest]
            )
            self._write_ad_entities(platform)

    def _write_ad_entities(self, platform: str) -> None:
        """Write one platform's accounts, campaigns, ad groups (ad sets) and ads."""
        {
            "google_ads": self._write_google_ads_entities,
            "facebook_ads": self._write_facebook_ads_entities,
            "linkedin_ads": self._write_linkedin_ads_entities,
        }[platform]()

    def _day_ts(self, d: int) -> int:
        return self.start + d * DAY

    def _campaign_status(self, c: dict) -> str:
        return "ENABLED" if c["last_day"] >= self.days - 1 else "PAUSED"

    def _write_google_ads_entities(self) -> None:
        platform = "google_ads"
        spec = self.ads[platform]
        t0 = self.start - 10 * DAY
        accounts = AD_ACCOUNTS[platform]
        camps, groups, ads = spec["campaigns"], spec["groups"], spec["ads"]
        self.out.rows_of(
            "google_ads/customers",
            [
                {
                    "id": a[0],
                    "descriptive_name": a[1],
                    "currency_code": a[2],
                    "time_zone": a[3],
                    "manager": False,
                    "_version_at": t0,
                }
                for a in accounts
            ],
        )
        self.out.rows_of(
            "google_ads/campaigns",
            [
                {
                    "id": c["id"],
                    "customer_id": c["account"][0],
                    "name": c["name"],
                    "status": self._campaign_status(c),
                    "advertising_channel_type": "SEARCH",
                    "start_date": self.start // DAY + c["first_day"],
                    "end_date": self.start // DAY + c["last_day"],
                    "_version_at": self._day_ts(c["first_day"]) - DAY,
                }
                for c in camps
            ],
        )
        self.out.rows_of(
            "google_ads/ad_groups",
            [
                {
                    "id": g["id"],
                    "customer_id": g["campaign"]["account"][0],
                    "campaign_id": g["campaign"]["id"],
                    "name": g["name"],
                    "status": "ENABLED",
                    "_version_at": self._day_ts(g["campaign"]["first_day"]) - DAY,
                }
                for g in groups
            ],
        )
        rows = []
        for ad in ads:
            c = ad["campaign"]
            row = {
                "id": ad["id"],
                "customer_id": c["account"][0],
                "campaign_id": c["id"],
                "ad_group_id": ad["group"]["id"],
                "name": f"{c['theme']} ad {ad['id'][-2:]}",
                "type": "RESPONSIVE_SEARCH_AD",
                "status": "ENABLED",
                "_version_at": self._day_ts(c["first_day"]) - DAY,
            }
            if ad["placement"] == "final_url":
                row["final_urls"] = [f"{ad['landing']}?{ad['utm']}"]
            elif ad["placement"] == "final_url_suffix":
                row["final_urls"] = [ad["landing"]]
                row["final_url_suffix"] = ad["utm"]
            else:
                row["final_urls"] = [ad["landing"]]
                src, med, _ = PLATFORM_UTM[platform]
                row["tracking_url_template"] = (
                    f"{{lpurl}}?utm_source={src}&utm_medium={med}&utm_campaign={{_campaign}}"
                    "&utm_content={creative}"
                )
                row["url_custom_parameters"] = [{"key": "campaign", "value": c["slug"]}]
            rows.append(row)
        self.out.rows_of("google_ads/ads", rows)
        self._google_ads_details_structure(groups, accounts)

    def _write_facebook_ads_entities(self) -> None:
        platform = "facebook_ads"
        spec = self.ads[platform]
        t0 = self.start - 10 * DAY
        accounts = AD_ACCOUNTS[platform]
        camps, groups, ads = spec["campaigns"], spec["groups"], spec["ads"]
        self.out.rows_of(
            "facebook_ads/ad_accounts",
            [
                {
                    "account_id": a[0],
                    "name": a[1],
                    "currency": a[2],
                    "timezone_name": a[3],
                    "_version_at": t0,
                }
                for a in accounts
            ],
        )
        self.out.rows_of(
            "facebook_ads/campaigns",
            [
                {
                    "id": c["id"],
                    "account_id": c["account"][0],
                    "name": c["name"],
                    "objective": "OUTCOME_LEADS",
                    "status": "ACTIVE" if self._campaign_status(c) == "ENABLED" else "PAUSED",
                    "start_time": self._day_ts(c["first_day"]),
                    "stop_time": self._day_ts(c["last_day"] + 1),
                    "created_time": self._day_ts(c["first_day"]) - DAY,
                    "updated_time": self._day_ts(c["first_day"]) - DAY,
                    "_version_at": self._day_ts(c["first_day"]) - DAY,
                }
                for c in camps
            ],
        )
        self.out.rows_of(
            "facebook_ads/ad_sets",
            [
                {
                    "id": g["id"],
                    "account_id": g["campaign"]["account"][0],
                    "campaign_id": g["campaign"]["id"],
                    "name": g["name"],
                    "status": "ACTIVE",
                    "created_time": self._day_ts(g["campaign"]["first_day"]) - DAY,
                    "updated_time": self._day_ts(g["campaign"]["first_day"]) - DAY,
                    "_version_at": self._day_ts(g["campaign"]["first_day"]) - DAY,
                }
                for g in groups
            ],
        )
        self.out.rows_of(
            "facebook_ads/ad_creatives",
            [
                {
                    "id": str(int(ad["id"]) + 500_000),
                    "account_id": ad["campaign"]["account"][0],
                    "name": f"creative {ad['id']}",
                    "link_url": ad["landing"],
                    "url_tags": ad["utm"],
                    "_version_at": self._day_ts(ad["campaign"]["first_day"]) - DAY,
                }
                for ad in ads
            ],
        )
        self.out.rows_of(
            "facebook_ads/ads",
            [
                {
                    "id": ad["id"],
                    "account_id": ad["campaign"]["account"][0],
                    "campaign_id": ad["campaign"]["id"],
                    "adset_id": ad["group"]["id"],
                    "creative_id": str(int(ad["id"]) + 500_000),
                    "name": f"{ad['campaign']['theme']} ad {ad['id'][-2:]}",
                    "status": "ACTIVE",
                    "created_time": self._day_ts(ad["campaign"]["first_day"]) - DAY,
                    "updated_time": self._day_ts(ad["campaign"]["first_day"]) - DAY,
                    "_version_at": self._day_ts(ad["campaign"]["first_day"]) - DAY,
                }
                for ad in ads
            ],
        )

    def _write_linkedin_ads_entities(self) -> None:
        platform = "linkedin_ads"
        spec = self.ads[platform]
        t0 = self.start - 10 * DAY
        accounts = AD_ACCOUNTS[platform]
        camps, groups, ads = spec["campaigns"], spec["groups"], spec["ads"]
        self.out.rows_of(
            "linkedin_ads/ad_accounts",
            [
                {
                    "id": a[0],
                    "name": a[1],
                    "currency": a[2],
                    "type": "BUSINESS",
                    "status": "ACTIVE",
                    "_version_at": t0,
                }
                for a in accounts
            ],
        )
        self.out.rows_of(
            "linkedin_ads/campaign_groups",
            [
                {
                    "id": c["id"],
                    "account_id": c["account"][0],
                    "name": c["name"],
                    "status": "ACTIVE" if self._campaign_status(c) == "ENABLED" else "PAUSED",
                    "run_start": self._day_ts(c["first_day"]),
                    "run_end": self._day_ts(c["last_day"] + 1),
                    "_version_at": self._day_ts(c["first_day"]) - DAY,
                }
                for c in camps
            ],
        )
        self.out.rows_of(
            "linkedin_ads/campaigns",
            [
                {
                    "id": g["id"],
                    "account_id": g["campaign"]["account"][0],
                    "campaign_group_id": g["campaign"]["id"],
                    "name": g["name"],
                    "status": "ACTIVE",
                    "cost_type": "CPC",
                    "daily_budget_amount": 25_000,
                    "daily_budget_currency": g["campaign"]["account"][2],
                    "run_start": self._day_ts(g["campaign"]["first_day"]),
                    "run_end": self._day_ts(g["campaign"]["last_day"] + 1),
                    "created_at": self._day_ts(g["campaign"]["first_day"]) - DAY,
                    "last_modified_at": self._day_ts(g["campaign"]["first_day"]) - DAY,
                    "_version_at": self._day_ts(g["campaign"]["first_day"]) - DAY,
                }
                for g in groups
            ],
        )
        self.out.rows_of(
            "linkedin_ads/creatives",
            [
                {
                    "id": ad["id"],
                    "account_id": ad["campaign"]["account"][0],
                    "campaign_id": ad["group"]["id"],
                    "click_uri": f"{ad['landing']}?{ad['utm']}",
                    "status": "ACTIVE",
                    "created_at": self._day_ts(ad["campaign"]["first_day"]) - DAY,
                    "last_modified_at": self._day_ts(ad["campaign"]["first_day"]) - DAY,
                    "_version_at": self._day_ts(ad["campaign"]["first_day"]) - DAY,
                }
                for ad in ads
            ],
        )

    def _ad_metrics(self) -> None:
        """Write daily rows per ad: people's clicks plus anonymous ones, on local dates."""
        for step, (platform, spec) in enumerate(self.ads.items()):
            rng = self.rng("ad_metrics", platform)
            ads = spec["ads"]
            clicks_known = spec["identified_clicks"]
            cols: dict[str, list] = defaultdict(list)
            for index, ad in enumerate(ads):
                c = ad["campaign"]
                days = np.arange(c["first_day"], c["last_day"] + 1)
                extra = np.nonzero(clicks_known[index])[0] - 1
                days = np.union1d(days, extra[(extra >= 0) & (extra < self.days)])
                n = len(days)
                anon = rng.poisson(PLATFORM_ANONYMOUS_CLICKS[platform] * ad["weight"], n)
                clicks = anon + clicks_known[index, days + 1]
                # Ads are seen on days nobody clicks them too: impressions follow the clicks
                # expected, not only the clicks drawn.
                expected = np.maximum(clicks, PLATFORM_ANONYMOUS_CLICKS[platform] * ad["weight"])
                impressions = clicks + rng.poisson(expected / c["ctr"])
                cost_cents = np.round(clicks * c["cpc"] * rng.uniform(0.8, 1.2, n) * 100).astype(
                    np.int64
                )
                conv = rng.binomial(clicks, c["cvr"])
                late = rng.binomial(np.maximum(clicks - conv, 0), c["cvr"] / 3)
                restated = (late > 0) & (rng.random(n) < 0.5)
                report_day = self.start // DAY + days
                first_seen = (report_day + 1) * DAY + 6 * HOUR
                restate_at = first_seen + rng.integers(1, 28, n) * DAY
                restated &= restate_at < self.end
                visible = first_seen < self.end
                split = (
                    self._google_ads_traffic_split(ad, impressions, clicks, cost_cents)
                    if platform == "google_ads"
                    else None
                )
                for version, mask, convs, when in (
                    (1, visible, conv, first_seen),
                    (2, visible & restated, conv + late, restate_at),
                ):
                    idx = np.nonzero(mask)[0]
                    if version == 2:
                        self.defects["restated_ad_conversions"][platform] += len(idx)
                    value = None
                    if split is not None:
                        value = self._google_ads_detail_rows(
                            ad,
                            version,
                            report_day[idx],
                            tuple(part[idx] for part in split),
                            convs[idx],
                            when[idx],
                        )
                    self._ad_metric_rows(
                        platform,
                        ad,
                        cols,
                        report_day[idx],
                        impressions[idx],
                        clicks[idx],
                        cost_cents[idx],
                        convs[idx],
                        when[idx],
                        value,
                    )
            table = {
                "google_ads": "google_ads/ad_metrics",
                "facebook_ads": "facebook_ads/insights",
                "linkedin_ads": "linkedin_ads/analytics",
            }[platform]
            self.out.columns(table, cols)
            if platform == "google_ads":
                self._write_google_ads_details()
            self.progress("ad performance", step + 1, len(self.ads))

    def _ad_metric_rows(
        self,
        platform: str,
        ad: dict,
        cols: dict,
        days: np.ndarray,
        impressions: np.ndarray,
        clicks: np.ndarray,
        cost_cents: np.ndarray,
        conversions: np.ndarray,
        when: np.ndarray,
        conversions_value: np.ndarray | None = None,
    ) -> None:
        n = len(days)
        c, account = ad["campaign"], ad["campaign"]["account"]
        if platform == "google_ads":
            cols["customer_id"] += [account[0]] * n
            cols["campaign_id"] += [c["id"]] * n
            cols["ad_group_id"] += [ad["group"]["id"]] * n
            cols["ad_id"] += [ad["id"]] * n
            cols["date"] += days.tolist()
            cols["cost_micros"] += (cost_cents * 10_000).tolist()
            cols["conversions"] += conversions.astype(float).tolist()
            # The sum over the account's conversion actions, each at its own value.
            cols["conversions_value"] += conversions_value.tolist()
        elif platform == "facebook_ads":
            cols["account_id"] += [account[0]] * n
            cols["campaign_id"] += [c["id"]] * n
            cols["adset_id"] += [ad["group"]["id"]] * n
            cols["ad_id"] += [ad["id"]] * n
            cols["date_start"] += days.tolist()
            cols["spend"] += cost_cents.tolist()
            view = conversions // 4
            cols["leads_7d_click"] += (conversions - view).tolist()
            cols["leads_1d_view"] += view.tolist()
            # The other actions Meta reports per ad-day, derived without new random draws (so
            # every other table stays as it was): most clicks are link clicks, three in four of
            # those load the landing page, and about one impression in nine is a 3-second view.
            link_clicks = clicks - clicks // 6
            cols["link_clicks"] += link_clicks.tolist()
            cols["landing_page_views"] += (link_clicks - link_clicks // 4).tolist()
            cols["video_views"] += (impressions // 9).tolist()
            cols["lead_value"] += (conversions * FACEBOOK_LEAD_VALUE_CENTS).tolist()
        else:
            usd_rate = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27}[account[2]]
            cols["account_id"] += [account[0]] * n
            cols["campaign_id"] += [ad["group"]["id"]] * n
            cols["creative_id"] += [ad["id"]] * n
            cols["date"] += days.tolist()
            cols["cost_in_local_currency"] += cost_cents.tolist()
            cols["cost_in_usd"] += np.round(cost_cents * usd_rate).astype(np.int64).tolist()
            cols["external_website_conversions"] += conversions.tolist()
        cols["impressions"] += impressions.tolist()
        cols["clicks"] += clicks.tolist()
        cols["_version_at"] += when.tolist()
