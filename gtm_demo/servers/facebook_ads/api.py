"""The Marketing API over the world files: nodes, edges, insights and async report runs."""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gtm_demo.servers.facebook_ads.errors import GraphError, _no_object, _param_error
from gtm_demo.servers.facebook_ads.objects import (
    _DEFAULT_INSIGHT_FIELDS,
    _NAMES,
    ACCOUNT_FIELDS,
    EDGES,
    INSIGHT_FIELDS,
    LEVEL_COLUMNS,
    InsightsQuery,
    ReportRun,
    _Edge,
)
from gtm_demo.servers.facebook_ads.params import (
    _decode_cursor,
    _encode_cursor,
    _json_param,
    _limit,
    _list_param,
    _parse_day,
    compile_filtering,
    graph_time,
    money,
    parse_fields,
    ratio,
)
from gtm_demo.servers.facebook_ads.settings import (
    ATTRIBUTION_WINDOWS,
    DEFAULT_REPORT_SCHEDULE,
    EFFECTIVE_STATUSES,
    MAX_RUNS,
)
from gtm_demo.serving import FaultPlan, WorldState


class FacebookAdsApi:
    """The endpoints over one `WorldState`; every method runs in a worker thread."""

    def __init__(
        self,
        state: WorldState,
        plan: FaultPlan,
        report_schedule: Sequence[tuple[str, int]] = DEFAULT_REPORT_SCHEDULE,
        sync_max_days: int | None = 90,
    ) -> None:
        self.state = state
        self.plan = plan
        self.report_schedule = tuple((str(s), int(p)) for s, p in report_schedule)
        if not self.report_schedule:
            raise ValueError("the report schedule needs at least one step")
        self.sync_max_days = sync_max_days
        self.runs: OrderedDict[str, ReportRun] = OrderedDict()
        self._runs_lock = threading.Lock()
        self._run_ids = itertools.count(1)

    # --- lookups ------------------------------------------------------------------------------

    def accounts(self) -> dict[str, dict[str, Any]]:
        """Return the ad accounts as of the moment, by account id."""
        table = self.state.table("facebook_ads/ad_accounts")
        rows = self.state.fetch(f"select * from {table} order by account_id")
        return {row["account_id"]: row for row in rows}

    def account(self, account_id: str) -> dict[str, Any]:
        """One ad account, or the Graph API's error for an unknown one."""
        row = self.accounts().get(account_id)
        if row is None:
            raise _no_object(f"act_{account_id}")
        return row

    def account_of(self, node_id: str) -> str | None:
        """Return the account a node (report run, campaign, ad set, ad, creative) belongs to."""
        if node_id.startswith("act_"):
            return node_id[4:]
        with self._runs_lock:
            run = self.runs.get(node_id)
        if run is not None:
            return run.account_id
        found = self._find_node(node_id)
        return found[1]["account_id"] if found else None

    def _find_node(self, node_id: str) -> tuple[_Edge, dict[str, Any]] | None:
        if not node_id.isdigit():
            return None
        for edge in EDGES.values():
            rows = self.state.fetch(
                f"select * from ({self._edge_source(edge)}) where id = ?", [node_id]
            )
            if rows:
                return edge, rows[0]
        return None

    def _run(self, run_id: str) -> ReportRun:
        with self._runs_lock:
            run = self.runs.get(run_id)
        if run is None:
            raise _no_object(run_id)
        return run

    # --- objects ------------------------------------------------------------------------------

    def _edge_source(self, edge: _Edge) -> str:
        t = self.state.table
        if edge.name == "campaigns":
            return f"select *, status as effective_status from {t('facebook_ads/campaigns')}"
        if edge.name == "adsets":
            return (
                "select s.*, case when s.status = 'ACTIVE' and coalesce(c.status, 'ACTIVE') "
                "<> 'ACTIVE' then 'CAMPAIGN_PAUSED' else s.status end as effective_status "
                f"from {t('facebook_ads/ad_sets')} s "
                f"left join {t('facebook_ads/campaigns')} c on c.id = s.campaign_id"
            )
        if edge.name == "ads":
            return (
                "select a.*, case when a.status <> 'ACTIVE' then a.status "
                "when coalesce(c.status, 'ACTIVE') <> 'ACTIVE' then 'CAMPAIGN_PAUSED' "
                "when coalesce(s.status, 'ACTIVE') <> 'ACTIVE' then 'ADSET_PAUSED' "
                "else 'ACTIVE' end as effective_status "
                f"from {t('facebook_ads/ads')} a "
                f"left join {t('facebook_ads/ad_sets')} s on s.id = a.adset_id "
                f"left join {t('facebook_ads/campaigns')} c on c.id = a.campaign_id"
            )
        return f"select * from {t('facebook_ads/ad_creatives')}"

    @staticmethod
    def _chosen(fields: list[str], known: Sequence[str], node_type: str) -> list[str]:
        for name in fields:
            if name not in known:
                raise _param_error(
                    f"Tried accessing nonexisting field ({name}) on node type ({node_type})"
                )
        return list(dict.fromkeys(["id", *fields]))

    @staticmethod
    def _render(edge: _Edge, row: dict[str, Any], chosen: list[str], zone: ZoneInfo) -> dict:
        record: dict[str, Any] = {}
        for name in chosen:
            kind, column = edge.fields[name]
            if kind == "const":
                record[name] = column
            elif kind == "time":
                record[name] = graph_time(row[column], zone)
            elif kind == "ref":
                record[name] = {"id": row[column]}
            elif kind == "story":
                record[name] = {"link_data": {"link": row[column]}}
            else:
                record[name] = row[column]
        return {key: value for key, value in record.items() if value is not None}

    def _render_account(self, row: dict[str, Any], chosen: list[str]) -> dict[str, Any]:
        zone = ZoneInfo(row["timezone_name"])
        values: dict[str, Any] = {
            "id": f"act_{row['account_id']}",
            "account_id": row["account_id"],
            "name": row["name"],
            "currency": row["currency"],
            "timezone_name": row["timezone_name"],
            "account_status": 1,
            "business_country_code": {"USD": "US", "GBP": "GB", "EUR": "DE"}.get(
                row["currency"], "US"
            ),
            "created_time": graph_time(row["_version_at"], zone),
        }
        if "timezone_offset_hours_utc" in chosen:
            offset = self.state.moment.astimezone(zone).utcoffset() or timedelta(0)
            values["timezone_offset_hours_utc"] = offset.total_seconds() / 3600
        if "amount_spent" in chosen:
            table = self.state.table("facebook_ads/insights")
            spent = self.state.fetch(
                f"select coalesce(sum(spend), 0) as spent from {table} where account_id = ?",
                [row["account_id"]],
            )[0]["spent"]
            values["amount_spent"] = str(int(Decimal(spent) * 100))
        return {name: values[name] for name in chosen}

    def node(self, request: Request, params: dict[str, str]) -> Response:
        """GET /<node id>: an ad account, a report run, or a campaign / ad set / ad / creative."""
        node_id = request.path_params["node_id"]
        fields = parse_fields(params.get("fields"))
        if node_id.startswith("act_"):
            row = self.account(node_id[4:])
            chosen = self._chosen(fields, ACCOUNT_FIELDS, "AdAccount")
            if not fields:
                chosen = ["id", "account_id"]
            return JSONResponse(self._render_account(row, chosen))
        with self._runs_lock:
            run = self.runs.get(node_id)
        if run is not None:
            return JSONResponse(self._report_status(run, fields))
        found = self._find_node(node_id)
        if found is None:
            raise _no_object(node_id)
        edge, row = found
        zone = ZoneInfo(self.account(row["account_id"])["timezone_name"])
        chosen = self._chosen(fields, list(edge.fields), edge.node_type)
        return JSONResponse(self._render(edge, row, chosen, zone))

    def me_adaccounts(self, request: Request, params: dict[str, str]) -> Response:
        """GET /me/adaccounts."""
        fields = parse_fields(params.get("fields"))
        chosen = self._chosen(fields, ACCOUNT_FIELDS, "AdAccount")
        if not fields:
            chosen = ["account_id", "id"]
        table = self.state.table("facebook_ads/ad_accounts")
        rows, more = self._keyset(
            f"select *, lpad(account_id, 20, '0') as _k from {table}",
            [],
            [],
            params,
            self._take_repeat(request, params),
        )
        data = [self._render_account(row, chosen) for row in rows]
        return JSONResponse(self._paged(request, data, rows, more))

    def edge(self, request: Request, params: dict[str, str]) -> Response:
        """GET /act_<id>/campaigns|adsets|ads|adcreatives."""
        edge = EDGES.get(request.path_params["edge"])
        if edge is None:
            raise GraphError(
                f"(#100) Tried accessing nonexisting field ({request.path_params['edge']}) "
                "on node type (AdAccount)",
                100,
            )
        account = self.account(request.path_params["account_id"])
        zone = ZoneInfo(account["timezone_name"])
        chosen = self._chosen(parse_fields(params.get("fields")), list(edge.fields), edge.node_type)
        where, args = ["account_id = ?"], [account["account_id"]]
        clauses, values = compile_filtering(
            _json_param(params.get("filtering"), "filtering"), edge.filters
        )
        where += clauses
        args += values
        statuses = _list_param(params.get("effective_status"), "effective_status")
        if statuses:
            unknown = [s for s in statuses if s not in EFFECTIVE_STATUSES]
            if unknown:
                choices = ", ".join(sorted(EFFECTIVE_STATUSES))
                raise _param_error(f"Param effective_status[0] must be one of {{{choices}}}")
            column = "effective_status" if edge.has_effective_status else "'ACTIVE'"
            where.append(f"{column} in ({', '.join('?' for _ in statuses)})")
            args += statuses
        source = f"select *, lpad(id, 20, '0') as _k from ({self._edge_source(edge)})"
        rows, more = self._keyset(source, where, args, params, self._take_repeat(request, params))
        data = [self._render(edge, row, chosen, zone) for row in rows]
        answer = self._paged(request, data, rows, more)
        if params.get("summary") in ("true", "1", "total_count", '["total_count"]'):
            total = self.state.fetch(
                f"select count(*) as n from ({source}) where {' and '.join(where)}", args
            )[0]["n"]
            answer["summary"] = {"total_count": total}
        return JSONResponse(answer)

    # --- paging -------------------------------------------------------------------------------

    def _take_repeat(self, request: Request, params: dict[str, str]) -> bool:
        return bool(params.get("after")) and (
            self.plan.take(request.url.path, {"repeat_record"}) is not None
        )

    def _keyset(
        self,
        source: str,
        where: list[str],
        args: list[Any],
        params: dict[str, str],
        repeat: bool,
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of `source` (which has a sortable string key `_k`) after the cursor."""
        limit = _limit(params)
        clauses, values = list(where), list(args)
        after = params.get("after")
        if after:
            clauses.append(f"_k {'>=' if repeat else '>'} ?")
            values.append(_decode_cursor(after))
        take = limit + (1 if repeat and after else 0)
        sql = (
            f"select * from ({source}) "
            + (f"where {' and '.join(clauses)} " if clauses else "")
            + f"order by _k limit {take + 1}"
        )
        rows = self.state.fetch(sql, values)
        return rows[:take], len(rows) > take

    @staticmethod
    def _paged(
        request: Request, data: list[dict], rows: list[dict[str, Any]], more: bool
    ) -> dict[str, Any]:
        answer: dict[str, Any] = {"data": data}
        if rows:
            after = _encode_cursor(rows[-1]["_k"])
            answer["paging"] = {
                "cursors": {"before": _encode_cursor(rows[0]["_k"]), "after": after}
            }
            if more:
                url = request.url.remove_query_params("before")
                answer["paging"]["next"] = str(url.include_query_params(after=after))
        return answer

    # --- insights -----------------------------------------------------------------------------

    def parse_insights(self, account: dict[str, Any], params: dict[str, str]) -> InsightsQuery:
        """Validate an insights request's parameters."""
        level = params.get("level") or "account"
        if level not in LEVEL_COLUMNS:
            raise _param_error("Param level must be one of {ad, adset, campaign, account}")
        fields = parse_fields(params.get("fields")) or list(_DEFAULT_INSIGHT_FIELDS)
        for name in fields:
            if name not in INSIGHT_FIELDS:
                raise _param_error(
                    f"{name} is not valid for fields param. please check "
                    "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ "
                    "for all valid values"
                )
        increment = str(params.get("time_increment") or "all_days")
        if increment not in ("monthly", "all_days") and not (
            increment.isdigit() and 1 <= int(increment) <= 90
        ):
            raise _param_error("Param time_increment must be all_days, monthly or 1 to 90")
        windows = None
        if params.get("action_attribution_windows"):
            windows = _list_param(
                params["action_attribution_windows"], "action_attribution_windows"
            )
            bad = [w for w in windows if w not in ATTRIBUTION_WINDOWS]
            if bad:
                raise _param_error(
                    f"Param action_attribution_windows[0] must be one of "
                    f"{{{', '.join(sorted(ATTRIBUTION_WINDOWS))}}}"
                )
        since, until = self._range(account, params)
        return InsightsQuery(
            level,
            since,
            until,
            increment,
            fields,
            windows,
            _json_param(params.get("filtering"), "filtering"),
        )

    def _range(self, account: dict[str, Any], params: dict[str, str]) -> tuple[date, date]:
        raw = params.get("time_range")
        if raw:
            value = _json_param(raw, "time_range")
            if not isinstance(value, dict) or not {"since", "until"} <= set(value):
                raise _param_error("Param time_range must be a JSON object with since and until")
            since, until = _parse_day(value["since"], "since"), _parse_day(value["until"], "until")
            if since > until:
                raise _param_error("Param time_range: since must not be after until")
            return since, until
        today = self.state.moment.astimezone(ZoneInfo(account["timezone_name"])).date()
        preset = params.get("date_preset") or "last_30d"
        if preset == "today":
            return today, today
        if preset == "yesterday":
            return today - timedelta(days=1), today - timedelta(days=1)
        if preset == "this_month":
            return today.replace(day=1), today
        if preset == "last_month":
            end = today.replace(day=1) - timedelta(days=1)
            return end.replace(day=1), end
        if preset == "maximum":
            start = date.fromisoformat(self.state.meta["history_start"])
            return start, today
        match = re.fullmatch(r"last_(\d+)d", preset)
        if match and int(match.group(1)) in (3, 7, 14, 28, 30, 90):
            return today - timedelta(days=int(match.group(1))), today - timedelta(days=1)
        raise _param_error(f"Param date_preset is not a supported preset: {preset}")

    def insights_sql(self, account_id: str, query: InsightsQuery) -> tuple[str, list[Any]]:
        """Build the SQL of an insights report: a row per object and period, keyed by `_k`."""
        t = self.state.table
        level_cols = LEVEL_COLUMNS[query.level]
        since, until = f"date '{query.since.isoformat()}'", f"date '{query.until.isoformat()}'"
        if query.increment == "all_days":
            start, stop = since, until
        elif query.increment == "monthly":
            start = f"greatest(cast(date_trunc('month', date_start) as date), {since})"
            stop = f"least(last_day(date_start), {until})"
        else:
            n = int(query.increment)
            start = f"({since} + cast(datediff('day', {since}, date_start) // {n} * {n} as int))"
            stop = f"least({start} + {n - 1}, {until})"
        row_filters = {
            "ad.id": ("i.ad_id", "str"),
            "adset.id": ("i.adset_id", "str"),
            "campaign.id": ("i.campaign_id", "str"),
            "ad.name": ("a.name", "str"),
            "adset.name": ("s.name", "str"),
            "campaign.name": ("c.name", "str"),
            "campaign.objective": ("c.objective", "str"),
            "ad.effective_status": (
                "case when a.status <> 'ACTIVE' then a.status when c.status <> 'ACTIVE' "
                "then 'CAMPAIGN_PAUSED' when s.status <> 'ACTIVE' then 'ADSET_PAUSED' "
                "else 'ACTIVE' end",
                "str",
            ),
            "adset.effective_status": (
                "case when s.status = 'ACTIVE' and c.status <> 'ACTIVE' "
                "then 'CAMPAIGN_PAUSED' else s.status end",
                "str",
            ),
            "campaign.effective_status": ("c.status", "str"),
        }
        metric_filters = {name: (name, "num") for name in ("impressions", "clicks", "spend")} | {
            f"ad.{name}": (name, "num") for name in ("impressions", "clicks", "spend")
        }
        rules = query.filtering or []
        if not isinstance(rules, list):
            raise _param_error("Param filtering must be an array")
        row_rules = [r for r in rules if isinstance(r, dict) and r.get("field") in row_filters]
        metric_rules = [r for r in rules if r not in row_rules]
        row_clauses, row_args = compile_filtering(row_rules, row_filters)
        metric_clauses, metric_args = compile_filtering(metric_rules or None, metric_filters)
        names = [f"any_value({_NAMES[c]}) as {_NAMES[c]}" for c in level_cols if c in _NAMES]
        key_id = level_cols[-1]
        sql = f"""
            select * from (
            select {", ".join(level_cols)}, {", ".join([*names, ""])}
                b_start as date_start, b_stop as date_stop,
                sum(impressions) as impressions, sum(clicks) as clicks, sum(spend) as spend,
                sum(leads_7d_click) as leads_7d_click, sum(leads_1d_view) as leads_1d_view,
                sum(link_clicks) as link_clicks, sum(landing_page_views) as landing_page_views,
                sum(video_views) as video_views, sum(lead_value) as lead_value,
                any_value(objective) as objective,
                strftime(b_start, '%Y-%m-%d') || '|' || lpad({key_id}, 20, '0') as _k
            from (
                select i.*, a.name as ad_name, s.name as adset_name, c.name as campaign_name,
                    c.objective as objective, {start} as b_start, {stop} as b_stop
                from {t("facebook_ads/insights")} i
                left join {t("facebook_ads/ads")} a on a.id = i.ad_id
                left join {t("facebook_ads/ad_sets")} s on s.id = i.adset_id
                left join {t("facebook_ads/campaigns")} c on c.id = i.campaign_id
                where i.account_id = ? and i.date_start between {since} and {until}
                    and (i.impressions <> 0 or i.clicks <> 0 or i.spend <> 0
                        or i.leads_7d_click <> 0 or i.leads_1d_view <> 0)
                    {"".join(f" and {c}" for c in row_clauses)}
            )
            group by {", ".join(level_cols)}, b_start, b_stop
            ) {("where " + " and ".join(metric_clauses)) if metric_clauses else ""}
        """
        return sql, [account_id, *row_args, *metric_args]

    @staticmethod
    def action_stats(row: dict[str, Any], windows: Sequence[str]) -> list[dict[str, Any]]:
        """Return the ad-day's actions as Meta's Ads Action Stats: type, count, value, windows.

        Each entry: (`action_type`, total, 7-day-click part, 1-day-view part, value in cents or
        None, conversion type?). Only conversion types carry attribution windows past one day.
        """
        click_leads, view_leads = int(row["leads_7d_click"]), int(row["leads_1d_view"])
        leads = click_leads + view_leads
        value = Decimal(row["lead_value"] or 0)
        link_clicks = int(row["link_clicks"] or 0)
        stats = [
            ("landing_page_view", int(row["landing_page_views"] or 0), None, None, None, False),
            ("lead", leads, click_leads, view_leads, value, True),
            ("link_click", link_clicks, None, None, None, False),
            ("offsite_conversion.fb_pixel_lead", leads, click_leads, view_leads, value, True),
            ("video_view", int(row["video_views"] or 0), None, None, None, False),
        ]
        out = []
        for kind, total, click, view, money_value, conversion in stats:
            if total == 0:
                continue
            entry: dict[str, Any] = {"action_type": kind, "total": total, "value": money_value}
            windows_: dict[str, int] = {}
            for window in windows:
                if window == "default" or (window == "1d_click" and not conversion):
                    windows_[window] = total
                elif conversion and window in ("1d_click", "7d_click", "28d_click"):
                    windows_[window] = int(click or 0)
                elif conversion and window == "1d_view":
                    windows_[window] = int(view or 0)
            entry["windows"] = windows_
            out.append(entry)
        return out

    @staticmethod
    def insight_row(
        row: dict[str, Any], query: InsightsQuery, account: dict[str, Any]
    ) -> dict[str, Any]:
        """One insights row as Meta sends it: numbers as strings, actions only when any.

        `actions`, `action_values` and `cost_per_action_type` are lists of Ads Action Stats
        (`{"action_type", "value", "<window>": ...}`, every number a string), each left out of
        a row with nothing to list.
        """
        impressions, clicks = int(row["impressions"]), int(row["clicks"])
        spend = Decimal(row["spend"])
        stats = FacebookAdsApi.action_stats(row, query.windows or [])
        out: dict[str, Any] = {}
        for name in query.fields:
            if name in ("account_name", "account_currency"):
                out[name] = account["name" if name == "account_name" else "currency"]
            elif name in ("date_start", "date_stop"):
                continue
            elif name.endswith(("_id", "_name")) or name == "objective":
                if row.get(name) is not None:
                    out[name] = row[name]
            elif name in ("impressions", "clicks"):
                out[name] = str(impressions if name == "impressions" else clicks)
            elif name == "spend":
                out[name] = money(spend)
            elif name == "cpc" and clicks:
                out[name] = ratio(float(spend) / clicks)
            elif name == "cpm" and impressions:
                out[name] = ratio(float(spend) * 1000 / impressions)
            elif name == "ctr" and impressions:
                out[name] = ratio(clicks * 100 / impressions)
            elif name == "actions" and stats:
                out[name] = [
                    {
                        "action_type": s["action_type"],
                        "value": str(s["total"]),
                        **{w: str(n) for w, n in s["windows"].items()},
                    }
                    for s in stats
                ]
            elif name == "action_values" and any(s["value"] for s in stats):
                out[name] = [
                    {
                        "action_type": s["action_type"],
                        "value": money(s["value"]),
                        **{w: money(s["value"] * n / s["total"]) for w, n in s["windows"].items()},
                    }
                    for s in stats
                    if s["value"]
                ]
            elif name == "cost_per_action_type" and stats:
                out[name] = [
                    {"action_type": s["action_type"], "value": ratio(float(spend) / s["total"])}
                    for s in stats
                ]
        out["date_start"] = row["date_start"].isoformat()
        out["date_stop"] = row["date_stop"].isoformat()
        return out

    def insights(self, request: Request, params: dict[str, str]) -> Response:
        """GET /act_<id>/insights (synchronous) or POST (creates an async report run)."""
        account = self.account(request.path_params["account_id"])
        query = self.parse_insights(account, params)
        if request.method == "POST":
            return JSONResponse({"report_run_id": self.create_run(request, account, query)})
        sql, args = self.insights_sql(account["account_id"], query)
        if self.sync_max_days is not None and query.days > self.sync_max_days:
            raise GraphError(
                "Please reduce the amount of data you're asking for, then retry your request",
                1,
                status=500,
            )
        rows, more = self._keyset(sql, [], args, params, self._take_repeat(request, params))
        data = [self.insight_row(row, query, account) for row in rows]
        return JSONResponse(self._paged(request, data, rows, more))

    # --- async report runs --------------------------------------------------------------------

    def create_run(self, request: Request, account: dict[str, Any], query: InsightsQuery) -> str:
        """Compute the report's rows now and register a run that completes over a few polls."""
        sql, args = self.insights_sql(account["account_id"], query)
        rows = self.state.fetch(f"select * from ({sql}) order by _k", args)
        schedule = self.report_schedule
        fault = self.plan.take(request.url.path, {"stuck_report", "failed_report"})
        if fault is not None and fault.kind == "stuck_report":
            polls = fault.options.get("polls")
            stuck = (("Job Running", 100),) * int(polls or 1)
            schedule = (*stuck, ("Job Completed", 100)) if polls else stuck
        elif fault is not None:
            steps = [s for s in schedule if s[0] != "Job Completed"] or [("Job Running", 0)]
            schedule = (*steps, ("Job Failed", steps[-1][1]))
        run_id = str(6_120_000_000_000 + next(self._run_ids))
        run = ReportRun(
            run_id,
            account["account_id"],
            query,
            [self.insight_row(row, query, account) for row in rows],
            schedule,
            datetime.now(UTC),
        )
        with self._runs_lock:
            self.runs[run_id] = run
            while len(self.runs) > MAX_RUNS:
                self.runs.popitem(last=False)
        return run_id

    def _report_status(self, run: ReportRun, fields: list[str]) -> dict[str, Any]:
        status, percent = run.advance()
        values: dict[str, Any] = {
            "id": run.id,
            "account_id": run.account_id,
            "time_ref": int(run.created.timestamp()),
            "time_completed": int(run.completed_at.timestamp()) if run.completed_at else 0,
            "async_status": status,
            "async_percent_completion": percent,
            "date_start": run.query.since.isoformat(),
            "date_stop": run.query.until.isoformat(),
            "emails": [],
            "friendly_name": "",
            "is_bookmarked": False,
            "is_running": status in ("Job Not Started", "Job Started", "Job Running"),
            "schedule_id": "0",
        }
        if status == "Job Failed":
            values["error_code"] = 2601
            values["error_message"] = "Error accessing adreport job."
        chosen = self._chosen(fields, list(values), "AdReportRun")
        if not fields:
            chosen = [
                "id",
                "account_id",
                "time_ref",
                "time_completed",
                "async_status",
                "async_percent_completion",
                "date_start",
                "date_stop",
            ]
            chosen += [k for k in ("error_code", "error_message") if k in values]
        return {name: values[name] for name in chosen}

    def run_insights(self, request: Request, params: dict[str, str]) -> Response:
        """GET /<report run id>/insights: the rows of a completed run, paged."""
        run = self._run(request.path_params["node_id"])
        status, _ = run.current()
        if status == "Job Failed":
            raise GraphError("(#2601) Error accessing adreport job.", 2601)
        if status != "Job Completed":
            raise _param_error(
                f"The report run {run.id} is not complete yet (async_status: {status}); poll "
                "it until Job Completed"
            )
        limit = _limit(params)
        after = params.get("after")
        start = 0
        if after:
            raw = _decode_cursor(after)
            if not raw.isdigit():
                raise _param_error(f"Invalid cursor: {after}")
            start = int(raw) + 1
            if self._take_repeat(request, params):
                start -= 1
                limit += 1
        page = run.rows[start : start + limit]
        answer: dict[str, Any] = {"data": page}
        if page:
            last = start + len(page) - 1
            answer["paging"] = {
                "cursors": {
                    "before": _encode_cursor(str(start)),
                    "after": _encode_cursor(str(last)),
                }
            }
            if last + 1 < len(run.rows):
                answer["paging"]["next"] = str(
                    request.url.include_query_params(after=_encode_cursor(str(last)))
                )
        return JSONResponse(answer)
