"""Read what a Spark build holds, in a child process: `python spark_rows_child.py QUERIES OUT`.

QUERIES is a JSON file {"schemas": [names], "queries": {table: sql}}; OUT receives a pickle of
{"tables": [`schema.table` of every table in the schemas], "rows": {table: (columns, rows as
tuples)}} for every query.
A child rather than the test process, so pytest's worker holds no JVM, and the Derby metastore
(one process at a time) is released when it exits. The state folder is the `spark` target's
(GTM_SPARK_STATE_DIR); run it with TZ=UTC so timestamps come back as naive UTC.
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

from gtm import engines


def main(queries_path: Path, out_path: Path) -> None:
    """Run every query of `queries_path` on the `spark` target's metastore; pickle the rows."""
    request = json.loads(queries_path.read_text(encoding="utf-8"))
    spark = engines.spark_session("gtm-parity-read")
    try:
        tables = sorted(
            f"{schema}.{row.tableName}"
            for schema in request["schemas"]
            if spark.catalog.databaseExists(schema)
            for row in spark.sql(f"show tables in {schema}").collect()
        )
        rows = {}
        for table, sql in request["queries"].items():
            frame = spark.sql(sql)
            rows[table] = (list(frame.columns), [tuple(row) for row in frame.collect()])
    finally:
        spark.stop()
    out_path.write_bytes(pickle.dumps({"tables": tables, "rows": rows}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
