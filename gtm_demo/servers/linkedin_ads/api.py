"""The LinkedIn Marketing API over the world files: ad accounts, campaigns, creatives, analytics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gtm_demo.servers.linkedin_ads.errors import LinkedInError, epoch_ms, money, param_error
from gtm_demo.servers.linkedin_ads.restli import (
    ACCOUNT_CRITERIA,
    CAMPAIGN_CRITERIA,
    GROUP_CRITERIA,
    _Criteria,
    _date_json,
    _decode_token,
    _encode_token,
    _integer,
    _list,
    _string,
    date_range,
    urn_ids,
)
from gtm_demo.servers.linkedin_ads.settings import (
    _DIGITS,
    _PERCENT,
    DEFAULT_FIELDS,
    FACETS,
    GRANULARITIES,
    MAX_FIELDS,
    METRICS,
    ORGANIZATION_URN,
    PAGE_SIZE_DEFAULT,
    PAGE_SIZE_MAX,
    PIVOTS,
)
from gtm_demo.serving import FaultPlan, WorldState


class LinkedInApi:
    """The endpoints over one `WorldState`; every handler runs in a worker thread."""

    def __init__(self, state: WorldState, plan: FaultPlan, max_elements: int) -> None:
        self.state = state
        self.plan = plan
        self.max_elements = max_elements

    # --- helpers ----------------------------------------------------------------------------

    def _created(self, table: str, ids: list[str]) -> dict[str, datetime]:
        """When each record of `table` first appeared (its first version up to the moment)."""
        if not ids:
            return {}
        path = self.state.world / f"{table}.parquet"
        rows = self.state.fetch(
            f"select id, min(_version_at) as created from read_parquet('{path}') "
            "where _version_at <= ? and list_contains(?, id) group by id",
            [self.state.moment, ids],
        )
        return {row["id"]: row["created"] for row in rows}

    def account_row(self, account_id: str) -> dict[str, Any] | None:
        """Return the ad account `account_id` at the moment, if it exists."""
        rows = self.state.fetch(
            f"select * from {self.state.table('linkedin_ads/ad_accounts')} where id = ?",
            [account_id],
        )
        return rows[0] if rows else None

    def require_account(self, request: Request) -> str:
        """Return the account of a nested route; an unknown one is not accessible (403)."""
        account_id = request.path_params["account_id"]
        if not _DIGITS.match(account_id) or self.account_row(account_id) is None:
            raise LinkedInError(
                403,
                "ACCESS_DENIED",
                f"Not enough permissions to access: urn:li:sponsoredAccount:{account_id}",
                100,
            )
        return account_id

    def search_filters(
        self, query: dict[str, Any], criteria: _Criteria
    ) -> tuple[list[str], list[Any]]:
        """Return SQL filters from `search=(field:(values:List(...)),test:false)`."""
        search = query.get("search")
        if search is None:
            return [], []
        if not isinstance(search, dict):
            raise param_error("search", "Invalid value for param; search is a record (...)")
        where: list[str] = []
        params: list[Any] = []
        for key, value in search.items():
            if key == "test":
                if value not in ("true", "false"):
                    raise param_error("search", "Invalid value for param; test is true or false")
                if value == "true":  # the world has no test entities
                    where.append("false")
                continue
            if key not in criteria:
                raise param_error("search", f"Invalid value for param; unknown criterion {key!r}")
            if not isinstance(value, dict) or set(value) != {"values"}:
                raise param_error("search", f"Invalid value for param; {key} is (values:List(...))")
            column, read = criteria[key]
            try:
                wanted = [read(item) for item in _list(value["values"], "search")]
            except ValueError as exc:
                raise param_error("search", f"Invalid value for param; {exc}") from exc
            where.append(f'list_contains(?, "{column}")')
            params.append(wanted)
        return where, params

    def page(
        self,
        request: Request,
        query: dict[str, Any],
        table: str,
        where: list[str],
        params: list[Any],
        shape: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    ) -> JSONResponse:
        """One page of a search finder, keyset-paged by numeric id, with `metadata`."""
        size_raw = query.get("pageSize")
        size = PAGE_SIZE_DEFAULT if size_raw is None else _integer(size_raw, "pageSize")
        if not 1 <= size <= PAGE_SIZE_MAX:
            raise param_error("pageSize", f"Invalid value for param; 1 to {PAGE_SIZE_MAX}")
        order = _string(query, "sortOrder", "ASCENDING")
        if order not in ("ASCENDING", "DESCENDING"):
            raise param_error("sortOrder", "Invalid value for param; ASCENDING or DESCENDING")
        descending = order == "DESCENDING"
        token = _string(query, "pageToken")
        clauses, args = list(where), list(params)
        take = size
        if token:
            cursor = _decode_token(token)
            repeat = self.plan.take(request.url.path, {"repeat_record"}) is not None
            op = ("<" if descending else ">") + ("=" if repeat else "")
            clauses.append(f"cast(id as bigint) {op} ?")
            args.append(cursor)
            take += 1 if repeat else 0
        sql = (
            f"select * from {self.state.table(table)} "
            + (f"where {' and '.join(clauses)} " if clauses else "")
            + f"order by cast(id as bigint) {'desc' if descending else 'asc'} limit {take + 1}"
        )
        rows = self.state.fetch(sql, args)
        page, more = rows[:take], len(rows) > take
        metadata: dict[str, Any] = {}
        if more and page:
            metadata["nextPageToken"] = _encode_token([int(page[-1]["id"])])
        return JSONResponse({"elements": shape(page), "metadata": metadata})

    def single(self, table: str, where: str, params: list[Any], urn: str) -> dict[str, Any]:
        """One record or 404."""
        rows = self.state.fetch(f"select * from {self.state.table(table)} where {where}", params)
        if not rows:
            raise LinkedInError(404, "NOT_FOUND", f"Not found: {urn}")
        return rows[0]

    @staticmethod
    def _finder(query: dict[str, Any], expected: str) -> None:
        q = _string(query, "q")
        if q != expected:
            raise param_error("q", f"Invalid value for param; the finder here is q={expected}")

    # --- shapes -----------------------------------------------------------------------------

    def accounts_json(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Ad accounts as the adAccounts API sends them."""
        created = self._created("linkedin_ads/ad_accounts", [row["id"] for row in rows])
        return [
            {
                "id": int(row["id"]),
                "name": row["name"],
                "currency": row["currency"],
                "type": row["type"],
                "status": row["status"],
                "reference": ORGANIZATION_URN,
                "test": False,
                "notifiedOnCampaignOptimization": False,
                "notifiedOnCreativeApproval": False,
                "notifiedOnCreativeRejection": False,
                "notifiedOnEndOfCampaign": False,
                "servingStatuses": ["RUNNABLE"] if row["status"] == "ACTIVE" else ["STOPPED"],
                "changeAuditStamps": {
                    "created": {"time": epoch_ms(created[row["id"]])},
                    "lastModified": {"time": epoch_ms(row["_version_at"])},
                },
            }
            for row in rows
        ]

    def groups_json(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Campaign groups as the adCampaignGroups API sends them."""
        created = self._created("linkedin_ads/campaign_groups", [row["id"] for row in rows])
        return [
            {
                "id": int(row["id"]),
                "account": f"urn:li:sponsoredAccount:{row['account_id']}",
                "name": row["name"],
                "status": row["status"],
                "test": False,
                "runSchedule": _schedule(row),
                "servingStatuses": ["RUNNABLE"] if row["status"] == "ACTIVE" else ["STOPPED"],
                "changeAuditStamps": {
                    "created": {"time": epoch_ms(created[row["id"]])},
                    "lastModified": {"time": epoch_ms(row["_version_at"])},
                },
            }
            for row in rows
        ]

    @staticmethod
    def campaigns_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Campaigns as the adCampaigns API sends them."""
        return [
            {
                "id": int(row["id"]),
                "account": f"urn:li:sponsoredAccount:{row['account_id']}",
                "campaignGroup": f"urn:li:sponsoredCampaignGroup:{row['campaign_group_id']}",
                "name": row["name"],
                "status": row["status"],
                "type": "SPONSORED_UPDATES",
                "objectiveType": "WEBSITE_VISIT",
                "costType": row["cost_type"],
                "dailyBudget": {
                    "amount": money(row["daily_budget_amount"]),
                    "currencyCode": row["daily_budget_currency"],
                },
                "runSchedule": _schedule(row),
                "test": False,
                "changeAuditStamps": {
                    "created": {"time": epoch_ms(row["created_at"])},
                    "lastModified": {"time": epoch_ms(row["last_modified_at"])},
                },
            }
            for row in rows
        ]

    @staticmethod
    def creatives_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Creatives as the Creatives API sends them (a text ad carrying its landing page)."""
        return [
            {
                "id": f"urn:li:sponsoredCreative:{row['id']}",
                "account": f"urn:li:sponsoredAccount:{row['account_id']}",
                "campaign": f"urn:li:sponsoredCampaign:{row['campaign_id']}",
                "intendedStatus": row["status"],
                "content": {"textAd": {"landingPage": row["click_uri"]}},
                "isTest": False,
                "createdAt": epoch_ms(row["created_at"]),
                "lastModifiedAt": epoch_ms(row["last_modified_at"]),
            }
            for row in rows
        ]

    # --- entity endpoints -------------------------------------------------------------------

    def search_accounts(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts?q=search."""
        self._finder(query, "search")
        where, params = self.search_filters(query, ACCOUNT_CRITERIA)
        return self.page(
            request, query, "linkedin_ads/ad_accounts", where, params, self.accounts_json
        )

    def get_account(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}."""
        account_id = request.path_params["account_id"]
        row = self.account_row(account_id) if _DIGITS.match(account_id) else None
        if row is None:
            raise LinkedInError(
                404, "NOT_FOUND", f"Not found: urn:li:sponsoredAccount:{account_id}"
            )
        return JSONResponse(self.accounts_json([row])[0])

    def search_groups(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}/adCampaignGroups?q=search."""
        account_id = self.require_account(request)
        self._finder(query, "search")
        where, params = self.search_filters(query, GROUP_CRITERIA)
        return self.page(
            request,
            query,
            "linkedin_ads/campaign_groups",
            ["account_id = ?", *where],
            [account_id, *params],
            self.groups_json,
        )

    def get_group(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}/adCampaignGroups/{group_id}."""
        account_id = self.require_account(request)
        group_id = request.path_params["entity_id"]
        row = self.single(
            "linkedin_ads/campaign_groups",
            "account_id = ? and id = ?",
            [account_id, group_id],
            f"urn:li:sponsoredCampaignGroup:{group_id}",
        )
        return JSONResponse(self.groups_json([row])[0])

    def search_campaigns(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}/adCampaigns?q=search."""
        account_id = self.require_account(request)
        self._finder(query, "search")
        where, params = self.search_filters(query, CAMPAIGN_CRITERIA)
        return self.page(
            request,
            query,
            "linkedin_ads/campaigns",
            ["account_id = ?", *where],
            [account_id, *params],
            self.campaigns_json,
        )

    def get_campaign(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}/adCampaigns/{campaign_id}."""
        account_id = self.require_account(request)
        campaign_id = request.path_params["entity_id"]
        row = self.single(
            "linkedin_ads/campaigns",
            "account_id = ? and id = ?",
            [account_id, campaign_id],
            f"urn:li:sponsoredCampaign:{campaign_id}",
        )
        return JSONResponse(self.campaigns_json([row])[0])

    def criteria_creatives(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}/creatives?q=criteria."""
        account_id = self.require_account(request)
        self._finder(query, "criteria")
        where, params = ["account_id = ?"], [account_id]
        if "campaigns" in query:
            where.append("list_contains(?, campaign_id)")
            params.append(urn_ids(query["campaigns"], "campaigns", "sponsoredCampaign"))
        if "creatives" in query:
            where.append("list_contains(?, id)")
            params.append(urn_ids(query["creatives"], "creatives", "sponsoredCreative"))
        if "intendedStatuses" in query:
            statuses = _list(query["intendedStatuses"], "intendedStatuses")
            if not all(isinstance(s, str) for s in statuses):
                raise param_error("intendedStatuses", "Invalid value for param; statuses")
            where.append("list_contains(?, status)")
            params.append(statuses)
        if _string(query, "isTestAccount") == "true":
            where.append("false")
        if self.plan.take(request.url.path, {"unreadable_creatives"}) is not None:
            # Creatives the token may not read (e.g. created by another member, or in a
            # format this version cannot show): the finder answers, but lists none.
            where.append("false")
        return self.page(
            request, query, "linkedin_ads/creatives", where, params, self.creatives_json
        )

    def get_creative(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}/creatives/{encoded creative URN}."""
        account_id = self.require_account(request)
        raw = request.path_params["entity_id"]
        if _PERCENT.search(raw):
            raise LinkedInError(
                400,
                "ILLEGAL_ARGUMENT",
                f"Syntax exception in path variables: {raw!r} is percent-encoded twice",
            )
        prefix = "urn:li:sponsoredCreative:"
        creative_id = raw[len(prefix) :] if raw.startswith(prefix) else ""
        if not _DIGITS.match(creative_id):
            raise LinkedInError(
                400,
                "ILLEGAL_ARGUMENT",
                f"Syntax exception in path variables: {raw!r} is not a sponsoredCreative URN",
            )
        row = self.single(
            "linkedin_ads/creatives", "account_id = ? and id = ?", [account_id, creative_id], raw
        )
        return JSONResponse(self.creatives_json([row])[0])

    # --- analytics --------------------------------------------------------------------------

    def analytics(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAnalytics?q=analytics: every element in one answer, no paging."""
        self._finder(query, "analytics")
        pivot = _string(query, "pivot")
        if pivot not in PIVOTS:
            raise param_error("pivot", f"Invalid value for param; pivot is one of {sorted(PIVOTS)}")
        granularity = _string(query, "timeGranularity")
        if granularity not in GRANULARITIES:
            raise param_error(
                "timeGranularity",
                f"Invalid value for param; timeGranularity is one of {sorted(GRANULARITIES)}",
            )
        if "dateRange" not in query:
            raise param_error("dateRange", "Missing required param: dateRange")
        start, end = date_range(query["dateRange"], self.state.moment.date())
        fields = self.fields(query)

        where, params = ["a.date >= ?", "a.date <= ?"], [start, end]
        facets = 0
        for name, (kind, column) in FACETS.items():
            if name in query:
                where.append(f"list_contains(?, {column})")
                params.append(urn_ids(query[name], name, kind))
                facets += 1
        if not facets:
            raise param_error(
                "accounts",
                "Missing required param: one of accounts, campaignGroups, campaigns, creatives",
            )
        pivot_column, urn_type = PIVOTS[pivot]
        unit = GRANULARITIES[granularity]
        period = "cast(null as date)" if unit is None else f"date_trunc('{unit}', a.date)::date"
        sums = ", ".join(f"sum(a.{column}) as {column}" for column in METRICS.values())
        sql = (
            f"select * from (select {pivot_column} as pivot_id, {period} as period, {sums} "
            f"from {self.state.table('linkedin_ads/analytics')} a "
            f"left join {self.state.table('linkedin_ads/campaigns')} c on c.id = a.campaign_id "
            f"where {' and '.join(where)} group by 1, 2) "
            "order by period, cast(pivot_id as bigint)"
        )
        rows = self.state.fetch(sql, params)
        if len(rows) > self.max_elements:
            raise LinkedInError(
                400,
                "ILLEGAL_ARGUMENT",
                f"Request would return {len(rows)} elements, more than the maximum of "
                f"{self.max_elements}; split the dateRange or narrow the facets",
            )
        elements = []
        for row in rows:
            element: dict[str, Any] = {}
            urn = f"urn:li:{urn_type}:{row['pivot_id']}"
            first, last = _period_bounds(row["period"], unit, start, end)
            for name in fields:
                if name == "pivotValues":
                    element[name] = [urn]
                elif name == "pivotValue":
                    element[name] = urn
                elif name == "dateRange":
                    element[name] = {"start": _date_json(first), "end": _date_json(last)}
                elif name.startswith("cost"):
                    element[name] = money(row[METRICS[name]])
                else:
                    element[name] = int(row[METRICS[name]])
            elements.append(element)
        return JSONResponse(
            {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements}
        )

    @staticmethod
    def fields(query: dict[str, Any]) -> list[str]:
        """Return the projected fields (impressions and clicks when none are asked)."""
        raw = _string(query, "fields")
        if raw is None:
            return list(DEFAULT_FIELDS)
        names = [name.strip() for name in raw.split(",") if name.strip()]
        if len(names) > MAX_FIELDS:
            raise param_error("fields", f"Invalid value for param; at most {MAX_FIELDS} fields")
        known = {*METRICS, "pivotValues", "pivotValue", "dateRange"}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise param_error(
                "fields",
                f"Invalid value for param; unknown fields {unknown}; this server answers "
                f"{sorted(known)}",
            )
        return list(dict.fromkeys(names))


def _schedule(row: dict[str, Any]) -> dict[str, int]:
    schedule = {"start": epoch_ms(row["run_start"])}
    if row["run_end"] is not None:
        schedule["end"] = epoch_ms(row["run_end"])
    return schedule


def _period_bounds(first: date, unit: str | None, start: date, end: date) -> tuple[date, date]:
    """Return the date range an element covers: its period clipped to the request's."""
    if unit is None:
        return start, end
    if unit == "day":
        return first, first
    if unit == "month":
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    else:
        following = date(first.year + 1, 1, 1)
    return max(first, start), min(following - timedelta(days=1), end)
