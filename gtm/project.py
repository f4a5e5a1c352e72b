"""Where the project lives on disk: repo root, warehouse file, demo world, and per-warehouse files.

Each warehouse has its own dbt target folder, run report, publish file, lock and dlt working
folder, so two warehouses (`GTM_DUCKDB_PATH`) never share state. The default warehouse
(`warehouse.duckdb` in the repo root) uses dbt's own `target/` and publishes `marts.duckdb`, exactly
what a plain `dbt build` in the repo root uses; any other warehouse keeps its files beside it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from gtm.errors import GtmError

PROJECT_NAME = "gtm_warehouse"
"""The dbt project name in `dbt_project.yml`; used to recognise the repo root."""

DUCKDB_PATH_ENV = "GTM_DUCKDB_PATH"
"""Environment variable naming the DuckDB warehouse file (read by `profiles.yml` too)."""

DEFAULT_DUCKDB_FILE = "warehouse.duckdb"
DEFAULT_WORLD_DIR = Path(".gtm") / "world"
DEFAULT_PUBLISH_FILE = "marts.duckdb"
REPORT_FILE = "gtm_run_report.json"
"""Return the latest run's report, written into the warehouse's dbt target folder."""


def _is_repo_root(path: Path) -> bool:
    project_file = path / "dbt_project.yml"
    if not project_file.is_file():
        return False
    try:
        return PROJECT_NAME in project_file.read_text(encoding="utf-8")
    except OSError:
        return False


def find_repo_root(start: Path | None = None) -> Path:
    """Return the repo root: the nearest folder at or above `start` (default: cwd) with the project.

    The project is recognised by its dbt_project.yml. Falls back to the folder above the installed
    `gtm` package (an editable install lives in the repo). Raises FileNotFoundError when neither
    holds the project.
    """
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if _is_repo_root(candidate):
            return candidate
    package_parent = Path(__file__).resolve().parent.parent
    if _is_repo_root(package_parent):
        return package_parent
    raise FileNotFoundError(
        f"cannot find the gtm-warehouse project (no dbt_project.yml for {PROJECT_NAME!r} "
        f"in {here} or its parents)"
    )


def duckdb_path(root: Path) -> Path:
    """Return the warehouse file: `$GTM_DUCKDB_PATH` (from cwd) or `<root>/warehouse.duckdb`.

    A path with a single quote is refused: DuckDB and dlt put the path in SQL string literals,
    and such a load fails midway with raw half loaded.
    """
    configured = os.environ.get(DUCKDB_PATH_ENV)
    path = Path(configured).expanduser().resolve() if configured else root / DEFAULT_DUCKDB_FILE
    if "'" in str(path):
        raise GtmError(
            f"the warehouse path {path} contains a single quote ('), which DuckDB cannot attach "
            f"safely; set {DUCKDB_PATH_ENV} to a path without one"
        )
    return path


def is_default_warehouse(root: Path, warehouse: Path) -> bool:
    """Whether `warehouse` is the repo's own `warehouse.duckdb`."""
    return warehouse == (root / DEFAULT_DUCKDB_FILE).resolve()


def target_dir(root: Path, warehouse: Path) -> Path:
    """Dbt's target folder for `warehouse`.

    `$DBT_TARGET_PATH` (from cwd) when set; `<root>/target` for the default warehouse (what a
    plain `dbt build` uses); else `.gtm/<warehouse name>/target` beside the warehouse.
    """
    configured = os.environ.get("DBT_TARGET_PATH")
    if configured:
        return Path(configured).expanduser().resolve()
    if is_default_warehouse(root, warehouse):
        return root / "target"
    return warehouse.parent / ".gtm" / warehouse.stem / "target"


def report_path(root: Path, warehouse: Path) -> Path:
    """Return the latest run's report of `warehouse`, in its target folder."""
    return target_dir(root, warehouse) / REPORT_FILE


def default_publish_path(root: Path, warehouse: Path) -> Path:
    """Where `warehouse`'s marts are published when no path is configured.

    `marts.duckdb` beside the default warehouse, `<name>_marts.duckdb` beside any other.
    """
    if is_default_warehouse(root, warehouse):
        return warehouse.parent / DEFAULT_PUBLISH_FILE
    return warehouse.parent / f"{warehouse.stem}_{DEFAULT_PUBLISH_FILE}"


def prepare_environment(root: Path) -> Path:
    """Pin dlt's project dir for this process; return the warehouse dbt and dlt will both use.

    `GTM_DUCKDB_PATH` is left as the user set it (or unset): `profiles.yml` reads it, and dbt
    re-parses the whole project when a profile's env var changes between two runs, so `gtm` and a
    plain `dbt build` must see the same value. When it is unset, dbt runs from the repo root
    (see `dbt_invocation`), where the profile's default `warehouse.duckdb` is this warehouse.
    """
    path = duckdb_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DLT_PROJECT_DIR", str(root))
    return path


def dbt_invocation(root: Path, warehouse: Path) -> tuple[list[str], Path | None]:
    """Return the arguments of every in-process dbt command and the folder to run it from.

    The default warehouse runs dbt from the repo root with its default target folder, like a
    plain `dbt build` there; another warehouse gets its own target folder.
    """
    args = ["--project-dir", str(root), "--profiles-dir", str(root)]
    target = target_dir(root, warehouse)
    if target != root / "target":
        args += ["--target-path", str(target)]
    workdir = root if DUCKDB_PATH_ENV not in os.environ else None
    return args, workdir


@contextlib.contextmanager
def working_directory(path: Path | None) -> Iterator[None]:
    """Run the block from `path` (process-wide), or where we are when `path` is None."""
    if path is None:
        yield
        return
    with contextlib.chdir(path):
        yield


def display_path(path: Path) -> str:
    """Show a path relative to cwd when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
