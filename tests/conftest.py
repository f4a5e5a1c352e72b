from datetime import date
from pathlib import Path

import pytest

from gtm_demo.generator import generate

WORLD_SMALL_AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="session")
def world_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo world at scale 0.1, seed 42, as of 2026-06-30, generated once per session."""
    out = tmp_path_factory.mktemp("world_small") / "world"
    generate(out, scale=0.1, seed=42, as_of=WORLD_SMALL_AS_OF)
    return out


@pytest.fixture(scope="session")
def built_warehouse(world_small: Path, tmp_path_factory: pytest.TempPathFactory):
    """The scale-0.1 world ingested and built with dbt, once per session (see warehouse_support)."""
    from warehouse_support import build_warehouse

    return build_warehouse(world_small, tmp_path_factory.mktemp("built"))


@pytest.fixture(scope="session")
def world_scale1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo world at scale 1, seed 42, as of 2026-06-30, generated once per session."""
    out = tmp_path_factory.mktemp("world_scale1") / "world"
    generate(out, scale=1.0, seed=42, as_of=WORLD_SMALL_AS_OF)
    return out


@pytest.fixture(scope="session")
def built_warehouse_scale1(world_scale1: Path, tmp_path_factory: pytest.TempPathFactory):
    """The scale-1 world ingested and built with dbt, once per session (see warehouse_support)."""
    from warehouse_support import build_warehouse

    return build_warehouse(world_scale1, tmp_path_factory.mktemp("built_scale1"))
