"""The semantic layer for BI: each MetricFlow saved query materialised as a table `metrics.<name>`.

Open-source MetricFlow serves no BI tool by itself (its JDBC/GraphQL APIs and saved-query exports
are dbt platform features), so the publish step writes the result of every saved query declared in
`models/semantic/_semantic__models.yml` into the `metrics` schema of the published file: Metabase,
Superset, a notebook and the dashboard then read the same numbers.

The SQL comes from MetricFlow's own engine, compiled from the `semantic_manifest.json` that the
run's `dbt build` wrote. The relations it names are re-pointed at the catalog the publish attaches
the warehouse under, so the warehouse file's name does not matter. metricflow's engine API is used
directly (pinned in pyproject.toml); nothing here opens a dbt adapter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

METRICS_SCHEMA = "metrics"
"""The schema of the published file that holds one table per saved query."""


class SemanticLayerError(ValueError):
    """The semantic manifest could not be read or a saved query could not be compiled."""


@dataclass(frozen=True)
class SavedQuerySql:
    """One saved query and the DuckDB SQL that answers it."""

    name: str
    description: str
    sql: str


def _repoint(node: Any, catalog: str) -> None:
    """Point every relation of a semantic manifest (as JSON) at `catalog`, in place."""
    if isinstance(node, dict):
        if {"alias", "schema_name", "database"} <= node.keys():
            node["database"] = catalog
            node["relation_name"] = f'"{catalog}"."{node["schema_name"]}"."{node["alias"]}"'
        for value in node.values():
            _repoint(value, catalog)
    elif isinstance(node, list):
        for value in node:
            _repoint(value, catalog)


class _CompileOnlyDuckDbClient:
    """The part of metricflow's `SqlClient` protocol that compiling SQL needs, for DuckDB.

    The engine asks its client for the dialect and renderer; `explain` never runs a query, so the
    methods that would are refused.
    """

    def __init__(self) -> None:
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        self.sql_engine_type = SqlEngine.DUCKDB
        self.sql_plan_renderer = DuckDbSqlPlanRenderer()

    def _refuse(self, *_args: Any, **_kwargs: Any) -> Any:
        raise SemanticLayerError("the semantic layer only compiles SQL here; it runs none")

    query = execute = dry_run = _refuse

    def close(self) -> None:
        """Nothing to close."""

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        """DuckDB's bind parameter syntax."""
        return f"${bind_parameter_key}"


def compile_saved_queries(manifest_path: Path, catalog: str) -> list[SavedQuerySql]:
    """Compile every saved query of the semantic manifest at `manifest_path` to DuckDB SQL.

    The SQL reads the marts from catalog `catalog`. Raises `SemanticLayerError` (one line naming
    the file or the saved query) when the manifest is missing or unreadable or a query fails.
    """
    if not manifest_path.is_file():
        raise SemanticLayerError(f"no semantic manifest at {manifest_path}: run `dbt parse` first")
    try:
        raw = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        message = f"cannot read the semantic manifest {manifest_path}: {exc}"
        raise SemanticLayerError(message) from None
    if not raw.get("saved_queries"):
        return []
    _repoint(raw, catalog)

    from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
    from metricflow_semantics.model.dbt_manifest_parser import (
        parse_manifest_from_dbt_generated_manifest,
    )
    from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

    try:
        manifest = parse_manifest_from_dbt_generated_manifest(manifest_json_string=json.dumps(raw))
        engine = MetricFlowEngine(SemanticManifestLookup(manifest), _CompileOnlyDuckDbClient())  # type: ignore[arg-type]
    except Exception as exc:
        message = " ".join(str(exc).split())
        raise SemanticLayerError(f"the semantic manifest is not valid: {message}") from None
    compiled = []
    for saved in sorted(manifest.saved_queries, key=lambda query: query.name):
        request = MetricFlowQueryRequest.create(saved_query_name=saved.name)
        try:
            explained = engine.explain(request)
        except Exception as exc:
            message = " ".join(str(exc).split())
            message = f"saved query {saved.name!r} does not compile: {message}"
            raise SemanticLayerError(message) from None
        sql = explained.sql_statement.without_descriptions.sql
        compiled.append(SavedQuerySql(saved.name, saved.description or "", sql))
    return compiled
