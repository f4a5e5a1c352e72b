"""Parity of the marts across engines: the same tiny world on DuckDB, PostgreSQL and Spark.

One module-scoped build per engine, shared by every assertion: a scale-0.02 world is generated and
loaded by `gtm ingest` (dlt) into a DuckDB file, into a throwaway PostgreSQL server that
scripts/pg_up.sh installs and starts on 127.0.0.1 (stopped and deleted afterwards), and as Parquet
files registered as tables in a local Spark (dbt-spark's session method; warehouse, Derby metastore
and raw files in a temporary folder). Each engine builds seeds and models in the two phases of
`gtm build` spelled out (the data tests run on DuckDB elsewhere in the suite): `dbt build
--resource-type seed --resource-type model --exclude source:model_parameters+`, `gtm train` (each
engine trains on its own inputs, through its own client), then `dbt build ... --select
source:model_parameters+`. Every mart and sync payload PostgreSQL or Spark builds must equal
DuckDB's row for row: keys and counts exact, money to the cent, floats to 1e-9, the algorithmic
attribution and the predictive lead score included (docs/engines.md).

Spark runs the first phase only (TRAINED_TARGETS): its training client (gtm/training/warehouse.py)
has not run yet, so what reads the trained parameters is not built there, and the test asserts that
Spark holds exactly DuckDB's tables minus those (read from dbt's manifest).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import pickle
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SUPPORT = REPO / "tests" / "support"
PG_PORT = "54339"
"""Not the default 54329, so a developer's own throwaway server is left alone."""
PG_DBNAME = "gtm_parity"
COMPARED_TARGETS = ("postgres", "spark")
"""Targets whose marts are compared with DuckDB's (the `dev` target)."""
TRAINED_TARGETS = ("dev", "postgres")
"""Targets built in both phases around `gtm train`; the others build the first phase only."""
SCHEMAS = ("marts", "sync")
"""The schemas compared: BI's marts and the reverse-ETL payloads."""
SCORING = "source:model_parameters+"
"""What reads the trained parameters: built after `gtm train` (gtm/ops/phases.py)."""

Marts = dict[str, tuple[list[str], list[tuple]]]
"""Mart name -> (column names, rows) as an engine returns them."""


def _env(work: Path, target: str) -> dict[str, str]:
    env = os.environ | {
        "GTM_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "DBT_TARGET": target,
        "GTM_PG_PORT": PG_PORT,
        "GTM_PG_DBNAME": PG_DBNAME,
        "GTM_SPARK_STATE_DIR": str(work / "spark"),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TZ": "UTC",
    }
    env.pop("DLT_PROJECT_DIR", None)
    return env


def _ingest(work: Path, world: Path, target: str) -> None:
    result = subprocess.run(
        [str(BIN / "gtm"), "ingest", "--world", str(world)],
        cwd=REPO,
        env=_env(work, target),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"gtm ingest on {target} failed:\n{result.stderr[-4000:]}"


def _run(work: Path, target: str, command: list[str]) -> None:
    result = subprocess.run(
        command,
        cwd=REPO,
        env=_env(work, target) | {"DBT_TARGET_PATH": str(work / f"target_{target}")},
        capture_output=True,
        text=True,
    )
    shown = " ".join(command[:3])
    assert result.returncode == 0, (
        f"{shown} on {target} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    )


def _build(work: Path, target: str) -> float:
    """Build seeds and models on `target` in two phases around `gtm train`; return the seconds."""
    started = time.monotonic()
    dbt_build = [
        str(BIN / "dbt"),
        "build",
        "--resource-type",
        "seed",
        "--resource-type",
        "model",
        "--target",
        target,
        "--project-dir",
        str(REPO),
        "--profiles-dir",
        str(REPO),
        "--target-path",
        str(work / f"target_{target}"),
        "--log-path",
        str(work / f"logs_{target}"),
    ]
    _run(work, target, [*dbt_build, "--exclude", SCORING])
    if target in TRAINED_TARGETS:
        _run(work, target, [str(BIN / "gtm"), "train"])
        _run(work, target, [*dbt_build, "--select", SCORING])
    return time.monotonic() - started


@pytest.fixture(scope="module")
def postgres_server():
    """A throwaway PostgreSQL server on 127.0.0.1:54339 (scripts/pg_up.sh), stopped afterwards."""
    env = os.environ | {"GTM_PG_PORT": PG_PORT, "GTM_PG_DBNAME": PG_DBNAME}
    state = subprocess.run(
        ["bash", str(REPO / "scripts" / "pg_up.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    yield state
    subprocess.run(["bash", str(REPO / "scripts" / "pg_down.sh"), state], check=True)


@pytest.fixture(scope="module")
def engines_built(postgres_server: str, tmp_path_factory: pytest.TempPathFactory):
    """The tiny world loaded and built on DuckDB, PostgreSQL and Spark; each build's seconds."""
    from gtm_demo.generator import generate

    work = tmp_path_factory.mktemp("parity")
    world = work / "world"
    generate(world, scale=0.02, seed=42, as_of=dt.date(2026, 6, 30))
    targets = ("dev", *COMPARED_TARGETS)
    for target in targets:
        _ingest(work, world, target)
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        seconds = dict(zip(targets, pool.map(lambda t: _build(work, t), targets), strict=True))
    print(f"\nbuild seconds on the scale-0.02 world: {seconds}")
    return work, seconds


TABLES_SQL = (
    "select table_schema || '.' || table_name from information_schema.tables "
    f"where table_schema in ({', '.join(repr(schema) for schema in SCHEMAS)}) order by 1"
)


def _duckdb_rows(work: Path, sql: str) -> tuple[list[str], list[tuple]]:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(sql)
        return [column[0] for column in cursor.description], cursor.fetchall()


def _duckdb_marts(work: Path) -> tuple[list[str], Marts]:
    _, rows = _duckdb_rows(work, TABLES_SQL)
    tables = [name for (name,) in rows]
    return tables, {name: _duckdb_rows(work, f"select * from {name}") for name in tables}


def _postgres_rows(sql: str) -> tuple[list[str], list[tuple]]:
    import psycopg2

    with (
        psycopg2.connect(
            host="127.0.0.1", port=int(PG_PORT), user="postgres", dbname=PG_DBNAME
        ) as con,
        con.cursor() as cursor,
    ):
        cursor.execute("set time zone 'UTC'")
        cursor.execute(sql)
        return [column[0] for column in cursor.description], cursor.fetchall()


def _postgres_marts() -> tuple[list[str], Marts]:
    _, rows = _postgres_rows(TABLES_SQL)
    tables = [name for (name,) in rows]
    return tables, {name: _postgres_rows(f"select * from {name}") for name in tables}


def _spark_marts(work: Path, expected: list[str]) -> tuple[list[str], Marts]:
    """Read the marts from Spark's metastore in a child process (spark_rows_child.py)."""
    queries = {name: f"select * from {name}" for name in expected}
    request, answer = work / "spark_queries.json", work / "spark_rows.pickle"
    request.write_text(json.dumps({"schemas": SCHEMAS, "queries": queries}), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(SUPPORT / "spark_rows_child.py"), str(request), str(answer)],
        cwd=REPO,
        env=_env(work, "spark") | {"PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"reading the Spark marts failed:\n{result.stderr[-4000:]}"
    read = pickle.loads(answer.read_bytes())
    return read["tables"], read["rows"]


def _scoring_tables(work: Path) -> set[str]:
    """`schema.table` of every model that reads the trained parameters (dbt's manifest)."""
    manifest = json.loads((work / "target_dev" / "manifest.json").read_text(encoding="utf-8"))
    children = manifest["child_map"]
    found: set[str] = set()
    todo = [key for key in children if key.startswith("source.gtm_warehouse.model_parameters.")]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    nodes = manifest["nodes"]
    return {
        f"{nodes[key]['schema']}.{nodes[key]['alias']}"
        for key in found
        if key in nodes and nodes[key]["resource_type"] == "model"
    }


def _expected_tables(work: Path, target: str, duck_tables: list[str]) -> list[str]:
    """The tables `target` must hold: DuckDB's, minus the scoring ones where it is not trained."""
    if target in TRAINED_TARGETS:
        return duck_tables
    scoring = _scoring_tables(work)
    return [name for name in duck_tables if name not in scoring]


@pytest.fixture(scope="module")
def engine_marts(engines_built) -> dict[str, tuple[list[str], Marts]]:
    """Every engine's marts (the tables it built, and their rows): read once."""
    work, _ = engines_built
    duck_tables, duck = _duckdb_marts(work)
    return {
        "dev": (duck_tables, duck),
        "postgres": _postgres_marts(),
        "spark": _spark_marts(work, _expected_tables(work, "spark", duck_tables)),
    }


def _normal(value: object) -> object:
    """A value as compared across engines: money to the cent, floats kept for a 1e-9 check."""
    if isinstance(value, Decimal):
        return (
            value.quantize(Decimal("0.01"))
            if value == value.quantize(Decimal("0.01"))
            else (float(value))
        )
    if isinstance(value, dt.datetime):
        return (
            value.replace(tzinfo=None)
            if value.tzinfo is None
            else value.astimezone(dt.UTC).replace(tzinfo=None)
        )
    return value


def _sort_key(row: tuple) -> tuple:
    return tuple((value is None, str(value) if value is not None else "") for value in row)


def _mismatches(table: str, target: str, duck: tuple, other: tuple) -> list[str]:
    """How `other`'s rows of `table` differ from DuckDB's (`duck`); asserts the shape first."""
    duck_columns, duck_rows = duck
    columns, rows = other
    assert columns == duck_columns, f"{table} on {target}: columns {columns} != {duck_columns}"
    assert len(rows) == len(duck_rows), f"{table} on {target}: {len(rows)} != {len(duck_rows)}"
    assert duck_rows, f"{table} is empty: nothing compared"
    duck_sorted = sorted((tuple(map(_normal, row)) for row in duck_rows), key=_sort_key)
    other_sorted = sorted((tuple(map(_normal, row)) for row in rows), key=_sort_key)
    found = []
    for duck_row, other_row in zip(duck_sorted, other_sorted, strict=True):
        for column, left, right in zip(duck_columns, duck_row, other_row, strict=True):
            if isinstance(left, float) or isinstance(right, float):
                same = (left is None and right is None) or (
                    left is not None
                    and right is not None
                    and math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-9)
                )
            else:
                same = left == right
            if not same:
                found.append(f"{table}.{column}: duckdb {left!r} != {target} {right!r}")
    return found


@pytest.mark.parametrize("target", COMPARED_TARGETS)
def test_builds_every_mart(engines_built, engine_marts, target: str) -> None:
    """PostgreSQL builds every mart and sync payload DuckDB builds; Spark all but the scoring."""
    work, _ = engines_built
    duck_tables, _ = engine_marts["dev"]
    tables, _ = engine_marts[target]
    assert tables == _expected_tables(work, target, duck_tables)
    if target in TRAINED_TARGETS:
        assert "marts.fct_lead_scores" in tables
        assert "sync.sync_people" in tables
    assert "marts.fct_opportunities" in tables


@pytest.mark.parametrize("target", COMPARED_TARGETS)
def test_marts_equal_row_for_row(engine_marts, target: str) -> None:
    """Every mart on `target` equals DuckDB's: same columns, rows, keys; cents; floats to 1e-9."""
    _, duck = engine_marts["dev"]
    tables, marts = engine_marts[target]
    assert sorted(marts) == sorted(tables)
    mismatches: list[str] = []
    for table in sorted(marts):
        mismatches += _mismatches(table, target, duck[table], marts[table])
    assert not mismatches, "\n".join(mismatches[:20])
    # Spark builds the first phase only: the 8 marts that read no trained parameters (at 8cb419c).
    assert len(marts) >= (10 if target in TRAINED_TARGETS else 8)
