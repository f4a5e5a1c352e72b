"""Which warehouse engine a command targets, where dlt lands raw for it, and checks before it runs.

The one switch is dbt's own `DBT_TARGET` (default: the profile's `dev`, the DuckDB file): the same
variable picks the dbt target in `profiles.yml` and, for `gtm ingest`, dlt's destination. DuckDB
loads into the warehouse file; PostgreSQL into the target's database (`GTM_PG_*`, which profiles.yml
reads too); Spark as Parquet files through dlt's filesystem destination, which `register_spark_raw`
then declares as tables in Spark's metastore. The clouds are build targets only here: their raw
is loaded by the team's own dlt destination or ELT tool. See docs/engines.md.

`preflight` turns the usual set-up mistakes (server down, no Java, credentials unset) into one line
naming the target and what to do, before anything is loaded or built.
"""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gtm.errors import GtmError

TARGET_ENV = "DBT_TARGET"
"""dbt's own variable for `--target`; gtm reads the same one."""
DEFAULT_TARGET = "dev"

SPARK_STATE_ENV = "GTM_SPARK_STATE_DIR"
"""Where Spark keeps its warehouse, metastore and the raw Parquet files (profiles.yml reads it)."""
DEFAULT_SPARK_STATE = Path(".gtm") / "spark"

CLOUD_CREDENTIALS: dict[str, tuple[str, ...]] = {
    "snowflake": ("GTM_SNOWFLAKE_ACCOUNT", "GTM_SNOWFLAKE_USER", "GTM_SNOWFLAKE_PASSWORD"),
    "bigquery": ("GTM_BIGQUERY_PROJECT", "GTM_BIGQUERY_KEYFILE"),
    "databricks": ("GTM_DATABRICKS_HOST", "GTM_DATABRICKS_HTTP_PATH", "GTM_DATABRICKS_TOKEN"),
}
"""The environment variables each cloud target in profiles.yml needs."""


@dataclass(frozen=True)
class Target:
    """A dbt target of the project's profile: its name and adapter type."""

    name: str
    type: str


def _profile_outputs(root: Path) -> dict[str, Any]:
    import yaml

    profiles = yaml.safe_load((root / "profiles.yml").read_text(encoding="utf-8"))
    return dict(profiles["gtm_warehouse"]["outputs"])


def current_target(root: Path) -> Target:
    """Return the target `DBT_TARGET` names (default `dev`); one line if profiles.yml lacks it."""
    name = os.environ.get(TARGET_ENV) or DEFAULT_TARGET
    outputs = _profile_outputs(root)
    if name not in outputs:
        raise GtmError(
            f"target {name!r} ({TARGET_ENV}) is not in profiles.yml; "
            f"choose one of: {', '.join(sorted(outputs))}"
        )
    return Target(name, str(outputs[name]["type"]))


def spark_state_dir() -> Path:
    """Spark's state folder: `$GTM_SPARK_STATE_DIR`, else `.gtm/spark` (as profiles.yml)."""
    return Path(os.environ.get(SPARK_STATE_ENV) or DEFAULT_SPARK_STATE).expanduser().resolve()


def postgres_address() -> tuple[str, int]:
    """Return the PostgreSQL host and port the `postgres` target uses."""
    return os.environ.get("GTM_PG_HOST", "127.0.0.1"), int(os.environ.get("GTM_PG_PORT", "54329"))


def postgres_url() -> str:
    """Return a connection URL for dlt from the same `GTM_PG_*` variables profiles.yml reads.

    dlt needs a password in the URL even when the server trusts the connection.
    """
    from urllib.parse import quote

    host, port = postgres_address()
    user = quote(os.environ.get("GTM_PG_USER", "postgres"), safe="")
    password = quote(os.environ.get("GTM_PG_PASSWORD", "postgres"), safe="")
    dbname = os.environ.get("GTM_PG_DBNAME", "gtm")
    return f"postgresql://{user}:{password}@{host}:{port}/{dbname}"


def preflight(target: Target) -> None:
    """Raise one `GtmError` line when `target` cannot work: server down, no Java, no credentials."""
    if target.type == "postgres":
        host, port = postgres_address()
        try:
            with socket.create_connection((host, port), timeout=3):
                pass
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise GtmError(
                f"target {target.name!r}: cannot reach PostgreSQL at {host}:{port} ({reason}); "
                "start it (bash scripts/pg_up.sh starts a throwaway one) or set GTM_PG_HOST and "
                "GTM_PG_PORT to your server"
            ) from None
    elif target.type == "spark":
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise GtmError(
                f"target {target.name!r}: Spark needs Java 17 and none is on PATH (nor JAVA_HOME); "
                "install it (apt-get install openjdk-17-jre-headless) or choose another target"
            )
        try:
            import pyspark  # noqa: F401
        except ImportError:
            raise GtmError(
                f"target {target.name!r}: PySpark is not installed; run `make env` "
                "(the `spark` extra) or `uv sync --extra spark`"
            ) from None
    elif target.type in CLOUD_CREDENTIALS:
        missing = [name for name in CLOUD_CREDENTIALS[target.type] if not os.environ.get(name)]
        if missing:
            raise GtmError(
                f"target {target.name!r}: missing credentials {', '.join(missing)}; set them "
                "in the environment (see profiles.yml and docs/engines.md)"
            )


def dlt_destination(target: Target) -> Any:
    """Return dlt's destination for raw on `target`, or None for the DuckDB warehouse file."""
    import dlt

    if target.type == "duckdb":
        return None
    if target.type == "postgres":
        return dlt.destinations.postgres(postgres_url())
    if target.type == "spark":
        raw = spark_state_dir() / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        return dlt.destinations.filesystem(
            bucket_url=raw.as_uri(), layout="{table_name}/{load_id}.{file_id}.{ext}"
        )
    raise GtmError(
        f"target {target.name!r} ({target.type}): gtm loads raw into duckdb, postgres or spark; "
        f"load raw into {target.type} with dlt's {target.type} destination or your ELT tool, "
        "then run `gtm build`"
    )


def spark_session(app_name: str) -> Any:
    """Return a local SparkSession on the `spark` target's state folder, configured as dbt's.

    Warehouse and Derby metastore live under `spark_state_dir()`, never in the working directory;
    the session time zone is UTC. Only one process at a time can open the Derby metastore.
    """
    from pyspark.sql import SparkSession

    state = spark_state_dir()
    builder = (
        SparkSession.builder.appName(app_name)
        .config("spark.sql.warehouse.dir", str(state / "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={state}/metastore_db;create=true",
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={state}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .enableHiveSupport()
    )
    return builder.getOrCreate()


def register_spark_raw(raw_dir: Path | None = None) -> dict[str, int]:
    """Declare every raw Parquet table under `raw_dir` as a Spark table `raw_<source>.<table>`.

    dlt's filesystem destination writes `<raw>/<dataset>/<table>/*.parquet`; each becomes an
    external table over its folder in the metastore of the `spark` target's state folder (dlt's
    own `_dlt_*` tables are left out). Returns the tables registered per dataset.
    """
    raw = raw_dir or spark_state_dir() / "raw"
    spark = spark_session("gtm-register-raw")
    registered: dict[str, int] = {}
    for dataset in sorted(p for p in raw.iterdir() if p.is_dir()):
        spark.sql(f"create database if not exists {dataset.name}")
        for table in sorted(p for p in dataset.iterdir() if p.is_dir()):
            if table.name.startswith("_dlt") or not any(table.glob("*.parquet")):
                continue
            spark.sql(f"drop table if exists {dataset.name}.{table.name}")
            spark.sql(
                f"create table {dataset.name}.{table.name} using parquet "
                f"location '{table.as_uri()}'"
            )
            registered[dataset.name] = registered.get(dataset.name, 0) + 1
    return registered
