"""Parity of the marts across warehouse engines: the same tiny world on DuckDB and on PostgreSQL.

One module-scoped build per engine, shared by every assertion: a scale-0.02 world is generated,
loaded by `gtm ingest` (dlt) into a DuckDB file and into a throwaway PostgreSQL server that
scripts/pg_up.sh installs and starts on 127.0.0.1 (stopped and deleted afterwards), then the seeds
and models are built on both at once, in the two phases of `gtm build` spelled out (the data tests
run on DuckDB elsewhere in the suite): `dbt build --resource-type seed --resource-type model
--exclude source:model_parameters+`, `gtm train` (each engine trains on its own inputs, through its
own client), then `dbt build ... --select source:model_parameters+`. Every mart and sync payload
both engines build must be equal row for row: keys and counts exact, money to the cent, floats to
1e-9, the algorithmic attribution and the predictive lead score included (docs/engines.md).
"""

from __future__ import annotations

import datetime as dt
import math
import os
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
PG_PORT = "54339"
"""Not the default 54329, so a developer's own throwaway server is left alone."""
PG_DBNAME = "gtm_parity"
SCHEMAS = ("marts", "sync")
"""The schemas compared: BI's marts and the reverse-ETL payloads."""
SCORING = "source:model_parameters+"
"""What reads the trained parameters: built after `gtm train` (gtm/ops/phases.py)."""


def _env(work: Path, target: str) -> dict[str, str]:
    env = os.environ | {
        "GTM_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "DBT_TARGET": target,
        "GTM_PG_PORT": PG_PORT,
        "GTM_PG_DBNAME": PG_DBNAME,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TZ": "UTC",
    }
    env.pop("DLT_PROJECT_DIR", None)
    return env


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
    """The tiny world loaded and built on DuckDB and PostgreSQL; the build seconds of each."""
    from gtm_demo.generator import generate

    work = tmp_path_factory.mktemp("parity")
    world = work / "world"
    generate(world, scale=0.02, seed=42, as_of=dt.date(2026, 6, 30))
    for target in ("dev", "postgres"):
        subprocess.run(
            [str(BIN / "gtm"), "ingest", "--world", str(world)],
            cwd=REPO,
            env=_env(work, target),
            check=True,
            capture_output=True,
        )
    with ThreadPoolExecutor(max_workers=2) as pool:
        targets = ("dev", "postgres")
        seconds = dict(zip(targets, pool.map(lambda t: _build(work, t), targets), strict=True))
    print(f"\nbuild seconds on the scale-0.02 world: {seconds}")
    return work, seconds


def _duckdb_rows(work: Path, sql: str) -> tuple[list[str], list[tuple]]:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(sql)
        return [column[0] for column in cursor.description], cursor.fetchall()


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


TABLES_SQL = (
    "select table_schema || '.' || table_name from information_schema.tables "
    f"where table_schema in ({', '.join(repr(schema) for schema in SCHEMAS)}) order by 1"
)


def _mart_tables() -> list[str]:
    _, rows = _postgres_rows(TABLES_SQL)
    return [name for (name,) in rows]


def test_postgres_builds_every_mart(engines_built) -> None:
    """PostgreSQL builds every mart and sync payload DuckDB builds, and nothing else."""
    work, _ = engines_built
    _, duck = _duckdb_rows(work, TABLES_SQL)
    assert _mart_tables() == [name for (name,) in duck]
    assert "marts.fct_lead_scores" in _mart_tables()
    assert "sync.sync_people" in _mart_tables()


def test_marts_equal_row_for_row(engines_built) -> None:
    """Every mart on PostgreSQL equals DuckDB's: same columns, rows, keys; cents; floats to 1e-9."""
    work, _ = engines_built
    mismatches: list[str] = []
    compared = 0
    for table in _mart_tables():
        sql = f"select * from {table}"
        duck_columns, duck_rows = _duckdb_rows(work, sql)
        pg_columns, pg_rows = _postgres_rows(sql)
        assert pg_columns == duck_columns, table
        assert len(pg_rows) == len(duck_rows), f"{table}: {len(pg_rows)} != {len(duck_rows)}"
        assert duck_rows, f"{table} is empty: nothing compared"
        duck_sorted = sorted((tuple(map(_normal, row)) for row in duck_rows), key=_sort_key)
        pg_sorted = sorted((tuple(map(_normal, row)) for row in pg_rows), key=_sort_key)
        for duck_row, pg_row in zip(duck_sorted, pg_sorted, strict=True):
            for column, left, right in zip(duck_columns, duck_row, pg_row, strict=True):
                if isinstance(left, float) or isinstance(right, float):
                    same = (left is None and right is None) or (
                        left is not None
                        and right is not None
                        and math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-9)
                    )
                else:
                    same = left == right
                if not same:
                    mismatches.append(f"{table}.{column}: duckdb {left!r} != postgres {right!r}")
        compared += 1
    assert not mismatches, "\n".join(mismatches[:20])
    assert compared >= 10
