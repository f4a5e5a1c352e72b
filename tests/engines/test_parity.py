"""Parity of the marts across engines: the same tiny world on DuckDB, PostgreSQL and Spark.

One module-scoped build per engine, shared by every assertion: a scale-0.02 world is generated and
loaded by `gtm ingest` (dlt) into a DuckDB file, into a throwaway PostgreSQL server that
scripts/pg_up.sh installs and starts on 127.0.0.1 (stopped and deleted afterwards), and as Parquet
files registered as tables in a local Spark (dbt-spark's session method; warehouse, Derby metastore
and raw files in a temporary folder). Then the seeds and models are built on each (`dbt build
--resource-type seed --resource-type model`; the data tests run on DuckDB elsewhere in the suite).
Every mart PostgreSQL or Spark builds must equal DuckDB's row for row: keys and counts exact, money
to the cent, floats to 1e-9.

What differs by engine on purpose (docs/engines.md): the dbt Python models run only on engines
that run Python, so PostgreSQL and Spark have no `markov`, `shapley` or `data_driven` attribution
and no predictive lead-score marts; those rows and marts are left out of the comparison here (the
constants below, the one place to change when the models run everywhere).
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
PYTHON_ONLY_ATTRIBUTION = ("markov", "shapley", "data_driven")
MARTS_WITH_PYTHON_ROWS = {"fct_attribution", "fct_attributed_outcomes"}
"""Marts with an `attribution_model` column whose data-driven rows only Python engines have."""
PYTHON_MARTS = {"fct_lead_scores", "fct_lead_score_holdout_outcomes", "rpt_lead_score_evaluation"}
"""Marts that read the predictive lead score (a dbt Python model): off where dbt runs no Python."""
ROI_MART = "rpt_marketing_roi"
"""Reports the first of var('marketing_roi_attribution_models') the build holds: engine-specific."""

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


def _build(work: Path, target: str) -> float:
    """Build seeds and models on `target`; return the seconds it took."""
    started = time.monotonic()
    result = subprocess.run(
        [
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
        ],
        cwd=REPO,
        env=_env(work, target),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"dbt build on {target} failed:\n{result.stdout[-4000:]}"
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


def _mart_sql(table: str) -> str | None:
    """The query that reads `table` for the comparison; None for a mart left out of it."""
    if table == ROI_MART:
        return None
    where = ""
    if table in MARTS_WITH_PYTHON_ROWS:
        excluded = ", ".join(f"'{name}'" for name in PYTHON_ONLY_ATTRIBUTION)
        where = f" where attribution_model not in ({excluded})"
    return f"select * from marts.{table}{where}"


def _duckdb_rows(work: Path, sql: str) -> tuple[list[str], list[tuple]]:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(sql)
        return [column[0] for column in cursor.description], cursor.fetchall()


def _duckdb_marts(work: Path) -> tuple[list[str], Marts]:
    _, rows = _duckdb_rows(
        work,
        "select table_name from information_schema.tables where table_schema = 'marts' "
        "order by table_name",
    )
    tables = [name for (name,) in rows]
    return tables, {
        name: _duckdb_rows(work, sql) for name in tables if (sql := _mart_sql(name)) is not None
    }


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
    _, rows = _postgres_rows(
        "select table_name from information_schema.tables where table_schema = 'marts' "
        "order by table_name"
    )
    tables = [name for (name,) in rows]
    return tables, {
        name: _postgres_rows(sql) for name in tables if (sql := _mart_sql(name)) is not None
    }


def _spark_marts(work: Path, expected: list[str]) -> tuple[list[str], Marts]:
    """Read the marts from Spark's metastore in a child process (spark_rows_child.py)."""
    queries = {name: sql for name in expected if (sql := _mart_sql(name)) is not None}
    request, answer = work / "spark_queries.json", work / "spark_rows.pickle"
    request.write_text(json.dumps({"schema": "marts", "queries": queries}), encoding="utf-8")
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


@pytest.fixture(scope="module")
def engine_marts(engines_built) -> dict[str, tuple[list[str], Marts]]:
    """Every engine's marts (the tables it built, and the rows compared): read once."""
    work, _ = engines_built
    duck_tables, duck = _duckdb_marts(work)
    portable = [name for name in duck_tables if name not in PYTHON_MARTS]
    return {
        "dev": (duck_tables, duck),
        "postgres": _postgres_marts(),
        "spark": _spark_marts(work, portable),
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
def test_builds_every_portable_mart(engine_marts, target: str) -> None:
    """PostgreSQL and Spark build every mart that needs no Python model, as DuckDB does."""
    duck_tables, _ = engine_marts["dev"]
    tables, _ = engine_marts[target]
    assert tables == sorted(name for name in duck_tables if name not in PYTHON_MARTS)


@pytest.mark.parametrize("target", COMPARED_TARGETS)
def test_marts_equal_row_for_row(engine_marts, target: str) -> None:
    """Every mart on `target` equals DuckDB's: same columns, rows, keys; cents; floats to 1e-9."""
    _, duck = engine_marts["dev"]
    _, marts = engine_marts[target]
    assert sorted(marts) == sorted(name for name in duck if name not in PYTHON_MARTS)
    mismatches: list[str] = []
    for table in sorted(marts):
        mismatches += _mismatches(table, target, duck[table], marts[table])
    assert not mismatches, "\n".join(mismatches[:20])
    assert len(marts) >= 10
