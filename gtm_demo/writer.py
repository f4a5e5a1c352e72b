"""Streaming Parquet writers for world tables, with one convention for times, dates and money."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from gtm_demo.schema import SCHEMAS


def to_arrow(values: Sequence | np.ndarray, kind: pa.DataType) -> pa.Array:
    """Convert generator values to an Arrow array of `kind`.

    Conventions: timestamps are whole seconds since the Unix epoch (UTC), dates are days since the
    epoch, money is an integer number of cents; None is null everywhere.
    """
    if pa.types.is_timestamp(kind):
        if isinstance(values, np.ndarray):
            return pa.array(values.astype(np.int64) * 1000, pa.int64()).cast(kind)
        return pa.array([None if v is None else v * 1000 for v in values], pa.int64()).cast(kind)
    if pa.types.is_date32(kind):
        if isinstance(values, np.ndarray):
            return pa.array(values.astype(np.int32), pa.int32()).cast(kind)
        return pa.array(values, pa.int32()).cast(kind)
    if pa.types.is_decimal(kind):
        texts = [None if v is None else f"{int(v) // 100}.{int(v) % 100:02d}" for v in values]
        return pa.array(texts, pa.string()).cast(kind)
    if isinstance(values, np.ndarray):
        return pa.array(values, kind)
    return pa.array(list(values), kind)


class WorldWriter:
    """Owns one Parquet writer per world table; tables are written in chunks, never held whole."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {}

    def _writer(self, table: str) -> pq.ParquetWriter:
        if table not in self._writers:
            path = self.root / f"{table}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            self._writers[table] = pq.ParquetWriter(
                path, SCHEMAS[table], compression="zstd", write_statistics=True
            )
            self.rows[table] = 0
        return self._writers[table]

    def columns(self, table: str, columns: dict[str, Sequence | np.ndarray]) -> None:
        """Append rows given as one sequence per column (missing columns are null)."""
        schema = SCHEMAS[table]
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise ValueError(f"{table}: columns of unequal length {sorted(lengths)}")
        (count,) = lengths
        if count == 0:
            self._writer(table)
            return
        unknown = set(columns) - set(schema.names)
        if unknown:
            raise ValueError(f"{table}: unknown columns {sorted(unknown)}")
        arrays = [
            to_arrow(columns[field.name], field.type)
            if field.name in columns
            else pa.nulls(count, field.type)
            for field in schema
        ]
        self._writer(table).write_table(pa.Table.from_arrays(arrays, schema=schema))
        self.rows[table] += count

    def rows_of(self, table: str, rows: Iterable[dict]) -> None:
        """Append rows given as dicts keyed by column name."""
        rows = list(rows)
        names = SCHEMAS[table].names
        unknown = {key for row in rows for key in row} - set(names)
        if unknown:
            raise ValueError(f"{table}: unknown columns {sorted(unknown)}")
        self.columns(table, {name: [row.get(name) for row in rows] for name in names})

    def close(self) -> dict[str, int]:
        """Close every file and return the row count of each table."""
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        return dict(sorted(self.rows.items()))
