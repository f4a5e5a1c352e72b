"""Reading the training inputs and writing the parameter tables, on the target's own engine.

The training reads two small models that phase one of the build made and writes four small tables,
so each engine is reached through its own client, with the connection settings profiles.yml uses:
the DuckDB file (`duckdb`), PostgreSQL through psycopg2 (`engines.postgres_url`, the `GTM_PG_*`
variables), Spark through the session the `spark` target uses (`engines.spark_session`). A cloud
target raises one line: its training client is not written yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from gtm.engines import Target, postgres_url, spark_session
from gtm.errors import GtmError
from gtm.training.parameters import BOOLEAN, DATE, FLOAT, INTEGER, SCHEMA, STRING, Table

TYPES: dict[str, dict[str, str]] = {
    "duckdb": {STRING: "varchar", FLOAT: "double", INTEGER: "bigint", BOOLEAN: "boolean"},
    "postgres": {STRING: "text", FLOAT: "double precision", INTEGER: "bigint", BOOLEAN: "boolean"},
    "spark": {STRING: "string", FLOAT: "double", INTEGER: "bigint", BOOLEAN: "boolean"},
}
"""How each engine spells a column kind (DATE is `date` everywhere)."""


class Warehouse(Protocol):
    """What the training needs of a warehouse connection."""

    def query(self, sql: str) -> pd.DataFrame:
        """Run `sql`; return its rows."""

    def replace(self, table: Table) -> None:
        """Create (or replace) `SCHEMA.<table.name>` holding exactly `table.rows`."""


def _create_sql(engine: str, table: Table, name: str) -> str:
    spelled = TYPES[engine] | {DATE: "date"}
    columns = ", ".join(f"{column} {spelled[kind]}" for column, kind in table.columns)
    return f"create table {name} ({columns})"


class _DuckDB:
    def __init__(self, path: Path) -> None:
        import duckdb

        self.con = duckdb.connect(str(path))

    def query(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def replace(self, table: Table) -> None:
        name = f"{SCHEMA}.{table.name}"
        self.con.execute("begin transaction")
        self.con.execute(f"create schema if not exists {SCHEMA}")
        self.con.execute(f"drop table if exists {name}")
        self.con.execute(_create_sql("duckdb", table, name))
        if table.rows:
            marks = ", ".join("?" for _ in table.columns)
            self.con.executemany(f"insert into {name} values ({marks})", table.rows)
        self.con.execute("commit")


class _Postgres:
    def __init__(self) -> None:
        import psycopg2

        self.con = psycopg2.connect(postgres_url())

    def query(self, sql: str) -> pd.DataFrame:
        with self.con.cursor() as cursor:
            cursor.execute("set time zone 'UTC'")
            cursor.execute(sql)
            columns = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
        self.con.rollback()
        frame = pd.DataFrame.from_records(rows, columns=columns)
        for column in frame.columns:  # numeric arrives as Decimal: the training works in floats
            if frame[column].map(lambda value: type(value).__name__ == "Decimal").any():
                frame[column] = frame[column].astype(float)
        return frame

    def replace(self, table: Table) -> None:
        from psycopg2.extras import execute_values

        name = f"{SCHEMA}.{table.name}"
        with self.con, self.con.cursor() as cursor:  # one transaction
            cursor.execute(f"create schema if not exists {SCHEMA}")
            cursor.execute(f"drop table if exists {name}")
            cursor.execute(_create_sql("postgres", table, name))
            if table.rows:
                execute_values(cursor, f"insert into {name} values %s", table.rows)

    def close(self) -> None:
        self.con.close()


class _Spark:
    def __init__(self) -> None:
        self.spark = spark_session("gtm-train")

    def query(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(sql).toPandas()

    def replace(self, table: Table) -> None:
        spelled = TYPES["spark"] | {DATE: "date"}
        schema = ", ".join(f"{column} {spelled[kind]}" for column, kind in table.columns)
        self.spark.sql(f"create database if not exists {SCHEMA}")
        frame = self.spark.createDataFrame(table.rows, schema=schema)
        frame.write.mode("overwrite").saveAsTable(f"{SCHEMA}.{table.name}")


@contextmanager
def connect(target: Target, duckdb_path: Path) -> Iterator[Warehouse]:
    """Open the target's warehouse for the training; close it afterwards."""
    handle: Any
    if target.type == "duckdb":
        handle = _DuckDB(duckdb_path)
        try:
            yield handle
        finally:
            handle.con.close()
    elif target.type == "postgres":
        handle = _Postgres()
        try:
            yield handle
        finally:
            handle.close()
    elif target.type == "spark":
        yield _Spark()
    else:
        raise GtmError(
            f"target {target.name!r} ({target.type}): the training step reads and writes the "
            "warehouse through duckdb, psycopg2 or Spark only so far; train elsewhere and load "
            f"the schema {SCHEMA} yourself (docs/engines.md)"
        )
