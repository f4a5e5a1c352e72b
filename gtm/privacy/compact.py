"""Rewrite a DuckDB file so that the bytes of deleted rows are gone, not only the rows.

DuckDB marks the blocks of deleted rows free and reuses them later; until then the old values
stay in the file (and `CHECKPOINT` or `VACUUM` do not rewrite a table's blocks). Copying the
database into a fresh file (`ATTACH` both, `COPY FROM DATABASE`) writes only live rows; the copy
then replaces the file atomically (`os.replace`), and a leftover write-ahead log is removed. The
source is attached under its own name, so views that name their catalog still bind.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def compact_file(path: Path) -> int:
    """Rewrite the DuckDB file `path` in place; return its size in bytes before (after: stat it).

    The caller must hold the warehouse lock, with no connection to the file open.
    """
    before = path.stat().st_size
    fresh = path.with_name(f".{path.name}.compact.tmp.duckdb")
    fresh.unlink(missing_ok=True)
    fresh.with_name(fresh.name + ".wal").unlink(missing_ok=True)
    source = path.stem
    try:
        with duckdb.connect() as con:
            con.execute(f"attach {_string(str(path))} as {_ident(source)} (read_only)")
            con.execute(f"attach {_string(str(fresh))} as {_ident(source + '__compact')}")
            con.execute(f"copy from database {_ident(source)} to {_ident(source + '__compact')}")
            con.execute(f"detach {_ident(source + '__compact')}")
        fd = os.open(fresh, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(fresh, path)
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
    finally:
        fresh.unlink(missing_ok=True)
        fresh.with_name(fresh.name + ".wal").unlink(missing_ok=True)
    return before
