"""Scanning files for a person: raw bytes, and the decoded values of Parquet and gzip files.

DuckDB files are scanned as bytes (the test first checks that the bytes are found before the
erasure, so the scan can fail); dlt's load packages hold compressed Parquet and gzip files, so
those are decoded and their values searched too.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from pathlib import Path

import duckdb


def _decoded(path: Path) -> bytes:
    if path.suffix == ".parquet":
        with duckdb.connect() as con:
            rows = con.execute(
                f"select cast(t as varchar) from read_parquet('{path}') as t"
            ).fetchall()
        return "\n".join(str(row[0]) for row in rows).encode("utf-8")
    if path.suffix == ".gz":
        try:
            return gzip.decompress(path.read_bytes())
        except OSError:
            return b""
    return b""


def files_under(*roots: Path) -> list[Path]:
    """Return every file under `roots` (a root may be a file)."""
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(sorted(p for p in root.rglob("*") if p.is_file()))
    return found


def holders(paths: Iterable[Path], needles: Iterable[str]) -> dict[str, list[str]]:
    """Return {needle: [files holding it]} for every needle found in any of `paths`."""
    wanted = [n for n in needles if n]
    found: dict[str, list[str]] = {}
    for path in paths:
        data = path.read_bytes()
        decoded = _decoded(path)
        for needle in wanted:
            raw = needle.encode("utf-8")
            if raw in data or raw in decoded or raw.lower() in decoded.lower():
                found.setdefault(needle, []).append(str(path))
    return found
