"""The field catalog: the resources and fields this server serves, with their SQL and types."""

from __future__ import annotations

from dataclasses import dataclass


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STATUS = frozenset({"ENABLED", "PAUSED", "REMOVED", "UNKNOWN", "UNSPECIFIED"})


_CUSTOMER_STATUS = frozenset(
    {"ENABLED", "CANCELED", "SUSPENDED", "CLOSED", "UNKNOWN", "UNSPECIFIED"}
)


_CHANNEL_TYPES = _words(
    "SEARCH DISPLAY SHOPPING HOTEL VIDEO MULTI_CHANNEL LOCAL SMART PERFORMANCE_MAX "
    "LOCAL_SERVICES TRAVEL DEMAND_GEN UNKNOWN UNSPECIFIED"
)


_AD_GROUP_TYPES = _words(
    "SEARCH_STANDARD DISPLAY_STANDARD SHOPPING_PRODUCT_ADS VIDEO_TRUE_VIEW_IN_STREAM "
    "SEARCH_DYNAMIC_ADS UNKNOWN UNSPECIFIED"
)


_AD_TYPES = _words(
    "TEXT_AD EXPANDED_TEXT_AD RESPONSIVE_SEARCH_AD RESPONSIVE_DISPLAY_AD "
    "EXPANDED_DYNAMIC_SEARCH_AD IMAGE_AD VIDEO_AD VIDEO_RESPONSIVE_AD APP_AD CALL_AD "
    "SHOPPING_PRODUCT_AD DEMAND_GEN_MULTI_ASSET_AD UNKNOWN UNSPECIFIED"
)


_MATCH_TYPES = _words("EXACT PHRASE BROAD UNKNOWN UNSPECIFIED")


_CONVERSION_CATEGORIES = _words(
    "DEFAULT PAGE_VIEW PURCHASE SIGNUP DOWNLOAD ADD_TO_CART BEGIN_CHECKOUT SUBSCRIBE_PAID "
    "PHONE_CALL_LEAD IMPORTED_LEAD SUBMIT_LEAD_FORM BOOK_APPOINTMENT REQUEST_QUOTE GET_DIRECTIONS "
    "OUTBOUND_CLICK CONTACT ENGAGEMENT STORE_VISIT STORE_SALE QUALIFIED_LEAD CONVERTED_LEAD "
    "UNKNOWN UNSPECIFIED"
)


_DAYS = frozenset(
    {"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"}
    | {"UNKNOWN", "UNSPECIFIED"}
)


_NULL_TEXT = "cast(null as varchar)"


_NULL_PARAMS = 'cast(null as struct("key" varchar, "value" varchar)[])'


_DATE_SEGMENTS = frozenset(
    {"segments.date", "segments.week", "segments.month", "segments.quarter", "segments.year"}
)


def camel(name: str) -> str:
    """`cost_micros` -> `costMicros` (the JSON name of a proto field)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class FieldDef:
    """One selectable GAQL field: where its value comes from and how it is rendered.

    `sql` is a DuckDB expression over the aliases of the query (c, cp, ag, ad, kw, agc, ca; `m`
    for metrics, where `{m}` stands for the metrics relation); for segments it is an expression
    over the world's metrics rows (column `date`). `kind` is one of int64, int32, double, string,
    enum, date, bool, resource, strings, params.
    """

    name: str
    resource: str
    sql: str
    kind: str
    enum: frozenset[str] = frozenset()

    @property
    def path(self) -> tuple[str, ...]:
        """The nested JSON keys of the value in a result row."""
        return tuple(camel(part) for part in self.name.split("."))

    @property
    def column(self) -> str:
        """The column a segment gets in the metrics sub-query."""
        return "seg_" + self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class ResourceDef:
    """A resource that can be named in FROM."""

    name: str
    table: str
    alias: str
    metrics_key: str  # the column of the world's metrics rows that points at this resource
    joins: tuple[tuple[str, str, str], ...]  # (table, alias, condition) of attributed resources
    resource_name: str  # SQL of the resource name
    metrics_table: str = "google_ads/ad_metrics"  # the world's daily rows of its metrics
    key: str = "id"  # the column of `table` that `metrics_key` points at

    @property
    def attributed(self) -> tuple[str, ...]:
        """Resources whose fields may be selected along with this one."""
        return tuple(_ALIAS_RESOURCE[alias] for _, alias, _ in self.joins)


def _fields() -> dict[str, FieldDef]:
    specs: list[FieldDef] = []

    def add(name: str, sql: str, kind: str, enum: frozenset[str] = frozenset()) -> None:
        specs.append(FieldDef(name, name.split(".")[0], sql, kind, enum))

    add("customer.resource_name", "'customers/' || c.id", "resource")
    add("customer.id", "c.id", "int64")
    add("customer.descriptive_name", "c.descriptive_name", "string")
    add("customer.currency_code", "c.currency_code", "string")
    add("customer.time_zone", "c.time_zone", "string")
    add("customer.manager", "c.manager", "bool")
    add("customer.status", "'ENABLED'", "enum", _CUSTOMER_STATUS)
    add("customer.tracking_url_template", _NULL_TEXT, "string")
    add("customer.final_url_suffix", _NULL_TEXT, "string")

    add(
        "campaign.resource_name",
        "'customers/' || cp.customer_id || '/campaigns/' || cp.id",
        "resource",
    )
    add("campaign.id", "cp.id", "int64")
    add("campaign.name", "cp.name", "string")
    add("campaign.status", "cp.status", "enum", _STATUS)
    add("campaign.advertising_channel_type", "cp.advertising_channel_type", "enum", _CHANNEL_TYPES)
    add("campaign.start_date", "cp.start_date", "date")
    add("campaign.end_date", "cp.end_date", "date")
    add("campaign.tracking_url_template", "cp.tracking_url_template", "string")
    add("campaign.final_url_suffix", "cp.final_url_suffix", "string")
    add("campaign.url_custom_parameters", _NULL_PARAMS, "params")

    add(
        "ad_group.resource_name",
        "'customers/' || ag.customer_id || '/adGroups/' || ag.id",
        "resource",
    )
    add("ad_group.id", "ag.id", "int64")
    add("ad_group.name", "ag.name", "string")
    add("ad_group.status", "ag.status", "enum", _STATUS)
    add("ad_group.type", "'SEARCH_STANDARD'", "enum", _AD_GROUP_TYPES)
    add(
        "ad_group.campaign",
        "'customers/' || ag.customer_id || '/campaigns/' || ag.campaign_id",
        "resource",
    )
    add("ad_group.tracking_url_template", _NULL_TEXT, "string")
    add("ad_group.final_url_suffix", _NULL_TEXT, "string")
    add("ad_group.url_custom_parameters", _NULL_PARAMS, "params")

    add(
        "ad_group_ad.resource_name",
        "'customers/' || ad.customer_id || '/adGroupAds/' || ad.ad_group_id || '~' || ad.id",
        "resource",
    )
    add("ad_group_ad.status", "ad.status", "enum", _STATUS)
    add(
        "ad_group_ad.ad_group",
        "'customers/' || ad.customer_id || '/adGroups/' || ad.ad_group_id",
        "resource",
    )
    add(
        "ad_group_ad.ad.resource_name",
        "'customers/' || ad.customer_id || '/ads/' || ad.id",
        "resource",
    )
    add("ad_group_ad.ad.id", "ad.id", "int64")
    add("ad_group_ad.ad.name", "ad.name", "string")
    add("ad_group_ad.ad.type", "ad.type", "enum", _AD_TYPES)
    add("ad_group_ad.ad.final_urls", "ad.final_urls", "strings")
    add("ad_group_ad.ad.tracking_url_template", "ad.tracking_url_template", "string")
    add("ad_group_ad.ad.final_url_suffix", "ad.final_url_suffix", "string")
    add("ad_group_ad.ad.url_custom_parameters", "ad.url_custom_parameters", "params")

    add(
        "keyword_view.resource_name",
        "'customers/' || kw.customer_id || '/keywordViews/' || kw.ad_group_id || '~' "
        "|| kw.criterion_id",
        "resource",
    )
    add(
        "ad_group_criterion.resource_name",
        "'customers/' || agc.customer_id || '/adGroupCriteria/' || agc.ad_group_id || '~' "
        "|| agc.criterion_id",
        "resource",
    )
    add("ad_group_criterion.criterion_id", "agc.criterion_id", "int64")
    add(
        "ad_group_criterion.ad_group",
        "'customers/' || agc.customer_id || '/adGroups/' || agc.ad_group_id",
        "resource",
    )
    add("ad_group_criterion.type", "'KEYWORD'", "enum", _words("KEYWORD UNKNOWN UNSPECIFIED"))
    add("ad_group_criterion.status", "agc.status", "enum", _STATUS)
    add("ad_group_criterion.keyword.text", "agc.text", "string")
    add("ad_group_criterion.keyword.match_type", "agc.match_type", "enum", _MATCH_TYPES)

    add(
        "conversion_action.resource_name",
        "'customers/' || ca.customer_id || '/conversionActions/' || ca.id",
        "resource",
    )
    add("conversion_action.id", "ca.id", "int64")
    add("conversion_action.name", "ca.name", "string")
    add("conversion_action.category", "ca.category", "enum", _CONVERSION_CATEGORIES)
    add("conversion_action.type", "ca.type", "enum", _words("WEBPAGE UPLOAD_CLICKS UNKNOWN"))
    add("conversion_action.status", "ca.status", "enum", _STATUS)
    add("conversion_action.value_settings.default_value", "ca.default_value", "double")
    add("conversion_action.include_in_conversions_metric", "true", "bool")

    add("metrics.impressions", "{m}.impressions", "int64")
    add("metrics.clicks", "{m}.clicks", "int64")
    add("metrics.cost_micros", "{m}.cost_micros", "int64")
    add("metrics.conversions", "{m}.conversions", "double")
    add("metrics.conversions_value", "{m}.conversions_value", "double")
    add("metrics.ctr", "{m}.clicks / nullif({m}.impressions, 0)", "double")
    add("metrics.average_cpc", "{m}.cost_micros / nullif({m}.clicks, 0)", "double")
    add("metrics.cost_per_conversion", "{m}.cost_micros / nullif({m}.conversions, 0)", "double")

    add("segments.date", "date", "date")
    add("segments.week", "cast(date_trunc('week', date) as date)", "date")
    add("segments.month", "cast(date_trunc('month', date) as date)", "date")
    add("segments.quarter", "cast(date_trunc('quarter', date) as date)", "date")
    add("segments.year", "cast(year(date) as integer)", "int32")
    add("segments.day_of_week", "upper(dayname(date))", "enum", _DAYS)
    add(
        "segments.conversion_action",
        "'customers/' || customer_id || '/conversionActions/' || conversion_action_id",
        "resource",
    )
    add("segments.conversion_action_name", "conversion_action_name", "string")
    add(
        "segments.conversion_action_category",
        "conversion_action_category",
        "enum",
        _CONVERSION_CATEGORIES,
    )
    return {spec.name: spec for spec in specs}


_ALIAS_RESOURCE = {
    "c": "customer",
    "cp": "campaign",
    "ag": "ad_group",
    "ad": "ad_group_ad",
    "agc": "ad_group_criterion",
}


RESOURCES = {
    "customer": ResourceDef(
        "customer", "google_ads/customers", "c", "customer_id", (), "'customers/' || c.id"
    ),
    "campaign": ResourceDef(
        "campaign",
        "google_ads/campaigns",
        "cp",
        "campaign_id",
        (("google_ads/customers", "c", "c.id = cp.customer_id"),),
        "'customers/' || cp.customer_id || '/campaigns/' || cp.id",
    ),
    "ad_group": ResourceDef(
        "ad_group",
        "google_ads/ad_groups",
        "ag",
        "ad_group_id",
        (
            ("google_ads/campaigns", "cp", "cp.id = ag.campaign_id"),
            ("google_ads/customers", "c", "c.id = ag.customer_id"),
        ),
        "'customers/' || ag.customer_id || '/adGroups/' || ag.id",
    ),
    "ad_group_ad": ResourceDef(
        "ad_group_ad",
        "google_ads/ads",
        "ad",
        "ad_id",
        (
            ("google_ads/ad_groups", "ag", "ag.id = ad.ad_group_id"),
            ("google_ads/campaigns", "cp", "cp.id = ad.campaign_id"),
            ("google_ads/customers", "c", "c.id = ad.customer_id"),
        ),
        "'customers/' || ad.customer_id || '/adGroupAds/' || ad.ad_group_id || '~' || ad.id",
    ),
    "keyword_view": ResourceDef(
        "keyword_view",
        "google_ads/keywords",
        "kw",
        "criterion_id",
        (
            (
                "google_ads/keywords",
                "agc",
                "agc.ad_group_id = kw.ad_group_id and agc.criterion_id = kw.criterion_id",
            ),
            ("google_ads/ad_groups", "ag", "ag.id = kw.ad_group_id"),
            ("google_ads/campaigns", "cp", "cp.id = kw.campaign_id"),
            ("google_ads/customers", "c", "c.id = kw.customer_id"),
        ),
        "'customers/' || kw.customer_id || '/keywordViews/' || kw.ad_group_id || '~' "
        "|| kw.criterion_id",
        "google_ads/keyword_metrics",
        "criterion_id",
    ),
    "conversion_action": ResourceDef(
        "conversion_action",
        "google_ads/conversion_actions",
        "ca",
        "",
        (("google_ads/customers", "c", "c.id = ca.customer_id"),),
        "'customers/' || ca.customer_id || '/conversionActions/' || ca.id",
    ),
}

CONVERSION_SEGMENTS = frozenset(
    {
        "segments.conversion_action",
        "segments.conversion_action_name",
        "segments.conversion_action_category",
    }
)
"""Segments that split conversions by action: only conversion metrics go with them."""
CONVERSION_METRICS = frozenset({"metrics.conversions", "metrics.conversions_value"})


FIELDS = _fields()


# Resource names Google knows but this server does not serve (FROM them is prohibited here).
_OTHER_RESOURCES = _words(
    "ad_group_criterion asset bidding_strategy campaign_budget campaign_criterion click_view "
    "customer_client search_term_view user_list"
)
