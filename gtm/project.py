"""Where the project lives on disk: repo root, warehouse file, demo world, dbt target folder."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_NAME = "gtm_warehouse"
"""The dbt project name in `dbt_project.yml`; used to recognise the repo root."""

DUCKDB_PATH_ENV = "GTM_DUCKDB_PATH"
"""Environment variable naming the DuckDB warehouse file (read by `profiles.yml` too)."""

DEFAULT_DUCKDB_FILE = "warehouse.duckdb"
DEFAULT_WORLD_DIR = Path(".gtm") / "world"


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
    """Return the warehouse file: `$GTM_DUCKDB_PATH` (from cwd) or `<root>/warehouse.duckdb`."""
    configured = os.environ.get(DUCKDB_PATH_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    return root / DEFAULT_DUCKDB_FILE


def prepare_environment(root: Path) -> Path:
    """Pin the warehouse path and dlt's project dir for this process so they do not depend on cwd.

    Returns the warehouse path that dbt (via `profiles.yml`) and dlt will both use.
    """
    path = duckdb_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.environ[DUCKDB_PATH_ENV] = str(path)
    os.environ.setdefault("DLT_PROJECT_DIR", str(root))
    return path
