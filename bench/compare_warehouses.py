"""Compare the tables of two built DuckDB warehouses row for row (keys exact, floats to 1e-9).

Used to check that a change leaves results unchanged: build the same world with the old and the new
code, then compare, e.g.

    .venv/bin/python bench/compare_warehouses.py OLD.duckdb NEW.duckdb \
        --schemas marts sync --tables main.int_attribution_channels_credited

Prints one line per table (rows, and the first differences); exits 1 when any table differs.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import duckdb


def _tables(con: duckdb.DuckDBPyConnection, schemas: list[str]) -> list[str]:
    marks = ", ".join("?" for _ in schemas)
    rows = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        f"where table_schema in ({marks}) order by 1",
        schemas,
    ).fetchall()
    return [name for (name,) in rows]


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(f"select * from {table}")
    columns = [column[0] for column in cursor.description]
    rows = cursor.fetchall()
    return columns, sorted(rows, key=lambda row: tuple((v is None, _key(v)) for v in row))


def _key(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6e}"  # near-equal floats sort together
    return str(value)


def _same(left: object, right: object) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is None and right is None
        return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-9)
    return left == right


def compare(old: Path, new: Path, tables: list[str], schemas: list[str]) -> int:
    """Print the comparison of each table; return how many differ."""
    with (
        duckdb.connect(str(old), read_only=True) as left,
        duckdb.connect(str(new), read_only=True) as right,
    ):
        names = sorted(set(_tables(left, schemas)) | set(_tables(right, schemas)) | set(tables))
        differing = 0
        for table in names:
            try:
                old_columns, old_rows = _rows(left, table)
                new_columns, new_rows = _rows(right, table)
            except duckdb.Error as exc:
                print(f"{table}: missing on one side ({' '.join(str(exc).split())[:80]})")
                differing += 1
                continue
            problems = []
            if old_columns != new_columns:
                problems.append(f"columns {old_columns} != {new_columns}")
            elif len(old_rows) != len(new_rows):
                problems.append(f"{len(old_rows)} rows != {len(new_rows)}")
            else:
                for old_row, new_row in zip(old_rows, new_rows, strict=True):
                    for column, a, b in zip(old_columns, old_row, new_row, strict=True):
                        if not _same(a, b):
                            problems.append(f"{column}: {a!r} != {b!r}")
                    if len(problems) >= 3:
                        break
            status = "same" if not problems else "DIFFERS: " + "; ".join(problems[:3])
            print(f"{table}: {len(old_rows)} rows, {status}")
            differing += bool(problems)
    return differing


def main() -> None:
    """Compare two warehouses given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--schemas", nargs="*", default=["marts", "sync"])
    parser.add_argument("--tables", nargs="*", default=[])
    args = parser.parse_args()
    sys.exit(1 if compare(args.old, args.new, args.tables, args.schemas) else 0)


if __name__ == "__main__":
    main()
