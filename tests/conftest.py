"""Session fixtures: the demo worlds and the warehouses built from them, made once per test run.

Under pytest-xdist (`-n 2`, see pyproject.toml) each fixture is still made once for the whole run:
the first worker that asks makes it in the run's shared temporary folder, under a file lock, and
the others wait for it and reuse it.
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest
from filelock import FileLock

from gtm_demo.generator import generate

WORLD_SMALL_AS_OF = date(2026, 6, 30)
T = TypeVar("T")


def made_once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], T]) -> T:
    """Return `make(folder)` for a fresh `folder`, made once per run whichever worker asks first."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make(factory.mktemp(name))
    shared = factory.getbasetemp().parent
    folder = shared / name
    made = shared / f"{name}.pickle"
    with FileLock(str(shared / f"{name}.lock")):
        if made.exists():
            return pickle.loads(made.read_bytes())
        shutil.rmtree(folder, ignore_errors=True)  # what a worker that failed to make it left
        folder.mkdir()
        value = make(folder)
        made.write_bytes(pickle.dumps(value))
        return value


def _world(scale: float) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        generate(folder / "world", scale=scale, seed=42, as_of=WORLD_SMALL_AS_OF)
        return folder / "world"

    return make


@pytest.fixture(scope="session")
def world_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo world at scale 0.1, seed 42, as of 2026-06-30, generated once per session."""
    return made_once(tmp_path_factory, "world_small", _world(0.1))


@pytest.fixture(scope="session")
def built_warehouse(world_small: Path, tmp_path_factory: pytest.TempPathFactory):
    """The scale-0.1 world ingested and built with dbt, once per session (see warehouse_support)."""
    from warehouse_support import build_warehouse

    return made_once(tmp_path_factory, "built", lambda work: build_warehouse(world_small, work))


@pytest.fixture(scope="session")
def world_scale1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo world at scale 1, seed 42, as of 2026-06-30, generated once per session."""
    return made_once(tmp_path_factory, "world_scale1", _world(1.0))


@pytest.fixture(scope="session")
def built_warehouse_scale1(world_scale1: Path, tmp_path_factory: pytest.TempPathFactory):
    """The scale-1 world ingested and built with dbt, once per session (see warehouse_support)."""
    from warehouse_support import build_warehouse

    return made_once(
        tmp_path_factory, "built_scale1", lambda work: build_warehouse(world_scale1, work)
    )


@pytest.fixture(autouse=True)
def no_daily_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """No daily summary unless a test sets `GTM__SUMMARY__HOUR`.

    `gtm run` sends it from the configured hour of the wall clock on, so a test that runs `gtm run`
    would otherwise pass or fail by the time of day it runs at.
    """
    monkeypatch.setenv("GTM__SUMMARY__HOUR", "off")
