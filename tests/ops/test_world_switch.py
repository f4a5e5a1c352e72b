"""A demo run on another world than the warehouse holds reloads raw from scratch.

Record ids repeat from world to world (the same seed sequence), so incremental loads of a new
world merged into an old world's raw tables would silently keep the old records.
"""

from pathlib import Path

import duckdb

from gtm.ops import run, world
from ingest.pipelines import pipelines_dir

WORLD = {"generator_version": "3", "seed": 42, "scale": 0.1, "as_of": "2026-06-30"}


def _demo(**changes: object) -> dict:
    return {"mode": "demo", "world": WORLD | changes}


def test_same_world_is_not_another() -> None:
    assert not world.loaded_another_world([], WORLD)
    assert not world.loaded_another_world([_demo()], WORLD)
    # Only the last demo run counts; live runs in between do not.
    assert not world.loaded_another_world([_demo(seed=7), _demo(), {"mode": "live"}], WORLD)


def test_another_seed_scale_as_of_or_generator_is_another_world() -> None:
    for change in (
        {"seed": 7},
        {"scale": 0.3},
        {"as_of": "2026-05-31"},
        {"generator_version": "2"},
    ):
        assert world.loaded_another_world([_demo(**change)], WORLD), change
    # A run recorded before the generator version was kept is another world too.
    older = {"mode": "demo", "world": {k: v for k, v in WORLD.items() if k != "generator_version"}}
    assert world.loaded_another_world([older], WORLD)


def test_drop_raw_removes_raw_schemas_and_dlt_state_only(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for schema in ("raw_hubspot", "raw_salesforce", "main_marts"):
            con.execute(f"create schema {schema}")
            con.execute(f"create table {schema}.t as select 1 as x")
    state = pipelines_dir(warehouse) / "gtm_hubspot"
    state.mkdir(parents=True)
    (state / "state.json").write_text("{}")
    run._drop_raw(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        schemas = {row[0] for row in con.sql("select schema_name from duckdb_schemas()").fetchall()}
    assert {"raw_hubspot", "raw_salesforce"} & schemas == set()
    assert "main_marts" in schemas
    assert not pipelines_dir(warehouse).exists()
