"""GAQL to SQL over the world files, and rendering of result rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from gtm_demo.servers.google_ads.catalog import (
    _DATE_SEGMENTS,
    _OTHER_RESOURCES,
    CONVERSION_METRICS,
    CONVERSION_SEGMENTS,
    FIELDS,
    RESOURCES,
    FieldDef,
    ResourceDef,
    camel,
)
from gtm_demo.servers.google_ads.errors import _query_error
from gtm_demo.servers.google_ads.gaql import _DURING, Condition, Gaql


@dataclass
class Compiled:
    """A GAQL query resolved against the catalog and translated to DuckDB SQL.

    `sql` selects every matching row numbered `__rn` in query order (no LIMIT), with the selected
    fields as `c0..`, resource names as `_rn_<resource>` and, for metric queries, the additive
    metrics as `_m_<name>`.
    """

    resource: ResourceDef
    fields: list[FieldDef]
    named: list[str]  # resources whose resourceName each row carries
    sql: str
    params: dict[str, Any]
    limit: int | None
    metrics: bool

    @property
    def field_mask(self) -> str:
        """The `fieldMask` of the response: the selected fields in camelCase."""
        return ",".join(".".join(f.path) for f in self.fields)


_ADDITIVE = ("impressions", "clicks", "cost_micros", "conversions", "conversions_value")


def _resolve(name: str, resource: ResourceDef, clause: str) -> FieldDef:
    spec = FIELDS.get(name)
    allowed = {resource.name, *resource.attributed, "metrics", "segments"}
    if spec is None:
        raise _query_error(
            "UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.", name
        )
    if spec.resource not in allowed:
        where = {"SELECT": "SELECT", "WHERE": "WHERE", "ORDER BY": "WHERE"}[clause]
        raise _query_error(
            f"PROHIBITED_RESOURCE_TYPE_IN_{where}_CLAUSE",
            f"Cannot {'select' if clause == 'SELECT' else 'use'} '{name}': fields from the "
            f"resource '{spec.resource}' are incompatible with the resource in FROM clause "
            f"('{resource.name}').",
            name,
        )
    return spec


def _typed(spec: FieldDef, literal: tuple[str, str]) -> Any:
    kind, text = literal
    bad = _query_error(
        "BAD_VALUE", f"Error in query: invalid value {text!r} for field '{spec.name}'.", text
    )
    if spec.kind in ("int64", "int32"):
        if kind in ("number", "string") and re.fullmatch(r"-?\d+", text):
            return int(text)
        raise bad
    if spec.kind == "double":
        if kind == "number" or (kind == "string" and re.fullmatch(r"-?\d+(\.\d+)?", text)):
            return float(text)
        raise bad
    if spec.kind == "enum":
        if kind in ("string", "literal") and text in spec.enum:
            return text
        raise _query_error(
            "BAD_ENUM_CONSTANT",
            f"Error in query: invalid enum constant '{text}' for field '{spec.name}'.",
            text,
        )
    if spec.kind == "date":
        try:
            if kind != "string" or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError:
            raise _query_error(
                "BAD_VALUE",
                f"Error in query: invalid date '{text}' for field '{spec.name}'; "
                "expected 'YYYY-MM-DD'.",
                text,
            ) from None
    if spec.kind == "bool":
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise bad
    if kind != "string":
        raise bad
    return text


def _like_pattern(text: str) -> str:
    """GAQL LIKE (`[x]` escapes x) -> DuckDB LIKE with escape character backslash."""
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "[" and i + 2 < len(text) and text[i + 2] == "]":
            literal = text[i + 1]
            out.append("\\" + literal if literal in "%_\\" else literal)
            i += 3
            continue
        out.append("\\\\" if char == "\\" else char)
        i += 1
    return "".join(out)


def during_range(function: str, today: date) -> tuple[date, date]:
    """Return the inclusive date range of a DURING function, relative to `today`."""
    monday = today - timedelta(days=today.weekday())
    sunday_start = today - timedelta(days=(today.weekday() + 1) % 7)
    first = today.replace(day=1)
    ranges = {
        "TODAY": (today, today),
        "YESTERDAY": (today - timedelta(1), today - timedelta(1)),
        "LAST_7_DAYS": (today - timedelta(7), today - timedelta(1)),
        "LAST_14_DAYS": (today - timedelta(14), today - timedelta(1)),
        "LAST_30_DAYS": (today - timedelta(30), today - timedelta(1)),
        "LAST_BUSINESS_WEEK": (monday - timedelta(7), monday - timedelta(3)),
        "LAST_MONTH": ((first - timedelta(1)).replace(day=1), first - timedelta(1)),
        "LAST_WEEK_MON_SUN": (monday - timedelta(7), monday - timedelta(1)),
        "LAST_WEEK_SUN_SAT": (sunday_start - timedelta(7), sunday_start - timedelta(1)),
        "THIS_MONTH": (first, today),
        "THIS_WEEK_MON_TODAY": (monday, today),
        "THIS_WEEK_SUN_TODAY": (sunday_start, today),
    }
    return ranges[function]


class _Sql:
    """Collects named parameters while SQL is written."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"


def _condition_sql(cond: Condition, spec: FieldDef, expr: str, sql: _Sql, today: date) -> str:
    op = cond.op
    if spec.kind in ("strings", "params"):
        if op in ("IS NULL", "IS NOT NULL"):
            empty = f"({expr} is null or len({expr}) = 0)"
            return empty if op == "IS NULL" else f"(not {empty})"
        if not op.startswith("CONTAINS") or spec.kind == "params":
            raise _query_error(
                "PROHIBITED_FIELD_IN_WHERE_CLAUSE",
                f"Error in query: field '{spec.name}' cannot be filtered with {op}.",
                spec.name,
            )
        values = [_typed(FieldDef(spec.name, spec.resource, "", "string"), v) for v in cond.values]
        listed = "[" + ", ".join(sql.param(v) for v in values) + "]"
        if op == "CONTAINS ANY":
            return f"coalesce(list_has_any({expr}, {listed}), false)"
        if op == "CONTAINS ALL":
            return f"coalesce(list_has_all({expr}, {listed}), false)"
        return f"(not coalesce(list_has_any({expr}, {listed}), false))"
    if op.startswith("CONTAINS"):
        raise _query_error(
            "OPERATOR_FIELD_MISMATCH",
            f"Error in query: {op} can only be used with repeated fields, not '{spec.name}'.",
            spec.name,
        )
    if op == "IS NULL":
        return f"({expr} is null)"
    if op == "IS NOT NULL":
        return f"({expr} is not null)"
    if op == "DURING":
        if spec.kind != "date":
            raise _query_error(
                "OPERATOR_FIELD_MISMATCH",
                f"Error in query: DURING can only be used with date fields, not '{spec.name}'.",
                spec.name,
            )
        function = cond.values[0][1].upper()
        if cond.values[0][0] != "literal" or function not in _DURING:
            raise _query_error(
                "INVALID_VALUE_WITH_DURING_OPERATOR",
                f"Error in query: invalid value '{cond.values[0][1]}' with DURING.",
                cond.values[0][1],
            )
        low, high = during_range(function, today)
        return f"({expr} between {sql.param(low)} and {sql.param(high)})"
    if op in ("LIKE", "NOT LIKE", "REGEXP_MATCH", "NOT REGEXP_MATCH"):
        if spec.kind not in ("string", "resource"):
            raise _query_error(
                "OPERATOR_FIELD_MISMATCH",
                f"Error in query: {op} can only be used with string fields, not '{spec.name}'.",
                spec.name,
            )
        text = _typed(spec, cond.values[0])
        if "LIKE" in op:
            test = f"({expr} like {sql.param(_like_pattern(text))} escape '\\')"
        else:
            test = f"regexp_full_match({expr}, {sql.param(text)})"
        return (
            f"(not coalesce({test}, false))" if op.startswith("NOT") else f"coalesce({test}, false)"
        )
    if op in ("IN", "NOT IN"):
        values = [_typed(spec, v) for v in cond.values]
        listed = ", ".join(sql.param(v) for v in values)
        if op == "IN":
            return f"({expr} in ({listed}))"
        return f"(not coalesce({expr} in ({listed}), false))"
    if op == "BETWEEN":
        low, high = (_typed(spec, v) for v in cond.values)
        if spec.kind == "date" and low > high:
            raise _query_error(
                "DATE_RANGE_TOO_NARROW",
                "Filters on date/week/month/quarter have a start date after end date.",
                spec.name,
            )
        return f"({expr} between {sql.param(low)} and {sql.param(high)})"
    value = _typed(spec, cond.values[0])
    if op == "!=":
        return f"({expr} is distinct from {sql.param(value)})"
    return f"({expr} {op} {sql.param(value)})"


def _bounded(conditions: list[tuple[Condition, FieldDef]]) -> bool:
    """Whether date-segment conditions restrict the dates to a finite range."""
    low = high = False
    for cond, spec in conditions:
        if spec.name not in _DATE_SEGMENTS:
            continue
        if cond.op in ("=", "IN", "BETWEEN", "DURING"):
            low = high = True
        elif cond.op in (">", ">="):
            low = True
        elif cond.op in ("<", "<="):
            high = True
    return low and high


def compile_query(
    query: Gaql, tables: Callable[[str], str], customer_id: str, today: date
) -> Compiled:
    """Resolve `query`'s names and write its SQL over the world tables named by `tables`."""
    resource = RESOURCES.get(query.resource)
    if resource is None:
        code = (
            "PROHIBITED_RESOURCE_TYPE_IN_FROM_CLAUSE"
            if query.resource in _OTHER_RESOURCES
            else "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"
        )
        raise _query_error(
            code,
            f"Error in query: invalid resource '{query.resource}' in FROM clause.",
            query.resource,
        )
    selected: list[FieldDef] = []
    for name in query.select:
        spec = _resolve(name, resource, "SELECT")
        if spec not in selected:
            selected.append(spec)
    where = [(cond, _resolve(cond.field, resource, "WHERE")) for cond in query.where]
    order = [(_resolve(name, resource, "ORDER BY"), desc) for name, desc in query.order]
    for spec, _ in order:
        if spec.kind in ("strings", "params"):
            raise _query_error(
                "PROHIBITED_FIELD_IN_ORDER_BY_CLAUSE",
                f"Error in query: field '{spec.name}' cannot be used in ORDER BY.",
                spec.name,
            )
        if spec.resource == "segments" and spec not in selected:
            raise _query_error(
                "EXPECTED_REFERENCED_FIELD_IN_SELECT_CLAUSE",
                f"Error in query: segment '{spec.name}' in ORDER BY must be selected.",
                spec.name,
            )
    segments = [spec for spec in selected if spec.resource == "segments"]
    referenced = [*selected, *(spec for _, spec in where), *(spec for spec, _ in order)]
    uses_metrics = any(spec.resource in ("metrics", "segments") for spec in referenced)
    if segments and not _bounded(where):
        raise _query_error(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Error in query: a finite date range is required on segments.date (or another date "
            f"segment) in WHERE when '{segments[0].name}' is selected.",
            segments[0].name,
        )

    by_action = [spec for spec in referenced if spec.name in CONVERSION_SEGMENTS]
    if uses_metrics and not resource.metrics_key:
        raise _query_error(
            "PROHIBITED_METRIC_IN_SELECT_OR_WHERE_CLAUSE",
            f"Error in query: metrics cannot be requested for the resource '{resource.name}'.",
            resource.name,
        )
    if by_action:
        other = [
            spec.name
            for spec in referenced
            if spec.resource == "metrics" and spec.name not in CONVERSION_METRICS
        ]
        if other or resource.metrics_table != "google_ads/ad_metrics":
            raise _query_error(
                "PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE",
                f"Error in query: '{by_action[0].name}' cannot be used with "
                f"'{other[0] if other else resource.name}'.",
                by_action[0].name,
            )
        metric_rows = (
            "(select cm.*, ca.name as conversion_action_name, ca.category as "
            "conversion_action_category, 0 as impressions, 0 as clicks, 0 as cost_micros "
            f"from {tables('google_ads/conversion_metrics')} cm "
            f"join {tables('google_ads/conversion_actions')} ca "
            "on ca.id = cm.conversion_action_id)"
        )
    else:
        metric_rows = tables(resource.metrics_table) if resource.metrics_key else ""

    sql = _Sql()
    alias = resource.alias
    joins = [f"{tables(resource.table)} {alias}"]
    for table, join_alias, on in resource.joins:
        joins.append(f"join {tables(table)} {join_alias} on {on}")
    outer = [f"c.id = {sql.param(customer_id)}"]
    if uses_metrics:
        inner = [f"customer_id = {sql.param(customer_id)}"]
        for cond, spec in where:
            if spec.resource == "segments":
                inner.append(_condition_sql(cond, spec, spec.sql, sql, today))
        seg_columns = "".join(f", {spec.sql} as {spec.column}" for spec in segments)
        sums = ", ".join(f"sum({name}) as {name}" for name in _ADDITIVE)
        joins.append(
            f"join (select {resource.metrics_key} as _mk{seg_columns}, {sums} "
            f"from {metric_rows} where {' and '.join(inner)} "
            f"group by all) m on m._mk = {alias}.{resource.key}"
        )
    for cond, spec in where:
        if spec.resource != "segments":
            outer.append(_condition_sql(cond, spec, _expr(spec), sql, today))

    named = [resource.name]
    for spec in selected:
        if spec.resource in RESOURCES and spec.resource not in named:
            named.append(spec.resource)
    if query.parameters.get("omit_unselected_resource_names"):
        named = [name for name in named if any(f.name == f"{name}.resource_name" for f in selected)]
    ordering = [f"{_expr(spec)} {'desc' if desc else 'asc'}" for spec, desc in order]
    ordering += [f"{alias}.{resource.key} asc"] + [f"m.{spec.column} asc" for spec in segments]
    columns = [f"row_number() over (order by {', '.join(ordering)}) as __rn"]
    columns += [f"{RESOURCES[name].resource_name} as _rn_{name}" for name in named]
    columns += [f"{_expr(spec)} as c{i}" for i, spec in enumerate(selected)]
    if uses_metrics:
        columns += [f"m.{name} as _m_{name}" for name in _ADDITIVE]
    text = f"select {', '.join(columns)} from {' '.join(joins)} where {' and '.join(outer)}"
    return Compiled(resource, selected, named, text, sql.params, query.limit, uses_metrics)


def _expr(spec: FieldDef) -> str:
    if spec.resource == "metrics":
        return spec.sql.format(m="m")
    if spec.resource == "segments":
        return f"m.{spec.column}"
    return spec.sql


def render_value(spec: FieldDef, value: Any) -> Any:
    """Render a value as the REST API's JSON has it; None for what proto3 JSON leaves out."""
    if value is None:
        return None
    kind = spec.kind
    if kind == "int64":
        return str(int(value))
    if kind == "int32":
        return int(value)
    if kind == "double":
        return float(value)
    if kind == "bool":
        return bool(value)
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)[:10]
    if kind == "strings":
        return list(value) or None
    if kind == "params":
        params = [
            {k: v for k, v in (("key", p["key"]), ("value", p["value"])) if v is not None}
            for p in value
        ]
        return params or None
    return str(value)


def _put(row: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = row
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def render_row(compiled: Compiled, raw: dict[str, Any]) -> dict[str, Any]:
    """One GoogleAdsRow: resource names of the named resources, then the selected fields."""
    row: dict[str, Any] = {}
    for name in compiled.named:
        row[camel(name)] = {"resourceName": raw[f"_rn_{name}"]}
    for i, spec in enumerate(compiled.fields):
        value = render_value(spec, raw[f"c{i}"])
        if value is not None:
            _put(row, spec.path, value)
    return row
