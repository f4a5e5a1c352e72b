"""What the local CRM servers remember of writes: values laid over the world's tables.

A server's world is read-only Parquet; `WorldState.table(name)` builds an in-memory table of each
record's version at the moment. An `Overlay` keeps, per world table, the columns the CRM's admins
or API clients added (custom fields and properties), the values written to existing records, and
the records inserted, and applies them to that table whenever it is (re)built, and at once to the
table already built. Reads (list, search, SOQL, Bulk query) therefore see the written values, and
the next ingest reads them back. Writes live as long as the server does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from gtm_demo.serving import WorldState


@dataclass
class TableWrites:
    """The writes to one world table."""

    key: str
    columns: dict[str, str] = field(default_factory=dict)
    """Added columns: name -> DuckDB type."""
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Key -> column -> value written (last write wins)."""
    inserted: list[dict[str, Any]] = field(default_factory=list)
    """Whole records inserted, in order."""
    deleted: set[str] = field(default_factory=set)
    """Keys of records permanently deleted (every version of them)."""


class Overlay:
    """The writes to one `WorldState`'s tables; installs itself on the state's table builder."""

    def __init__(self, state: WorldState) -> None:
        self.state = state
        self.tables: dict[str, TableWrites] = {}
        self._lock = threading.RLock()
        self._applied: set[str] = set()
        build: Callable[[str], str] = state.table

        def table(name: str) -> str:
            with state._lock:
                built = build(name)
                if built not in self._applied:
                    self._applied.add(built)
                    writes = self.tables.get(name)
                    if writes is not None:
                        self._apply(built, writes, writes.values, writes.inserted)
                        self._delete(built, writes, writes.deleted)
                return built

        state.table = table  # type: ignore[method-assign]

    def writes(self, name: str, key: str = "id") -> TableWrites:
        """Return the writes of world table `name` (keyed by column `key`)."""
        with self._lock:
            return self.tables.setdefault(name, TableWrites(key))

    def add_columns(self, name: str, columns: dict[str, str], key: str = "id") -> None:
        """Add `columns` (name -> DuckDB type) to table `name`, now and on every rebuild."""
        writes = self.writes(name, key)
        with self.state._lock:
            writes.columns.update(columns)
            self._refresh(name, writes, {}, [])

    def update(self, name: str, values: dict[str, dict[str, Any]], key: str = "id") -> None:
        """Write `values` (key -> column -> value) to existing records of table `name`."""
        writes = self.writes(name, key)
        with self.state._lock:
            for record, changed in values.items():
                writes.values.setdefault(record, {}).update(changed)
            self._refresh(name, writes, values, [])

    def insert(self, name: str, rows: list[dict[str, Any]], key: str = "id") -> None:
        """Insert whole records into table `name`."""
        writes = self.writes(name, key)
        with self.state._lock:
            writes.inserted.extend(rows)
            self._refresh(name, writes, {}, rows)

    def delete(self, name: str, keys: set[str], key: str = "id") -> None:
        """Permanently delete the records `keys` of table `name`, now and on every rebuild."""
        writes = self.writes(name, key)
        with self.state._lock:
            writes.deleted |= keys
            built = self.state._built.get(name)
            if built is not None:
                self._delete(built, writes, keys)
            self.state._ordered.clear()

    def _delete(self, built: str, writes: TableWrites, keys: set[str]) -> None:
        if keys:
            self.state._con.execute(
                f'delete from {built} where list_contains(?, cast("{writes.key}" as varchar))',
                [sorted(keys)],
            )

    def _refresh(
        self,
        name: str,
        writes: TableWrites,
        values: dict[str, dict[str, Any]],
        rows: list[dict[str, Any]],
    ) -> None:
        """Apply new writes to the table already built (if any); forget cached page orders."""
        built = self.state._built.get(name)
        if built is not None:
            self._apply(built, writes, values, rows)
        self.state._ordered.clear()

    def _apply(
        self,
        built: str,
        writes: TableWrites,
        values: dict[str, dict[str, Any]],
        rows: list[dict[str, Any]],
    ) -> None:
        con = self.state._con
        present = {row[0] for row in con.execute(f"describe {built}").fetchall()}
        for column, kind in writes.columns.items():
            if column not in present:
                con.execute(f'alter table {built} add column "{column}" {kind}')
        for row in rows:
            names = ", ".join(f'"{column}"' for column in row)
            marks = ", ".join("?" for _ in row)
            con.execute(f"insert into {built} ({names}) values ({marks})", list(row.values()))
        types = {row[0]: row[1] for row in con.execute(f"describe {built}").fetchall()}
        groups: dict[tuple[str, ...], list[list[Any]]] = {}
        for record, changed in values.items():
            if changed:
                groups.setdefault(tuple(changed), []).append([record, *changed.values()])
        for columns, records in groups.items():
            # One set-based update per set of columns written (a row-by-row update is slow).
            batch = pa.table(
                {
                    "_key": pa.array([str(r[0]) for r in records]),
                    **{f"_v{i}": _column([r[i + 1] for r in records]) for i in range(len(columns))},
                }
            )
            sets = ", ".join(
                f'"{column}" = cast(_batch._v{i} as {types[column]})'
                for i, column in enumerate(columns)
            )
            con.register("_batch", batch)
            try:
                key = f'{built}."{writes.key}"'
                where = f"{key} = _batch._key"
                con.execute(f"update {built} set {sets} from _batch where {where}")
            finally:
                con.unregister("_batch")


def _column(values: list[Any]) -> pa.Array:
    """Return an Arrow column of written values (all-null ones as text: the cast types them)."""
    if all(value is None for value in values):
        return pa.array(values, pa.string())
    return pa.array(values)
