"""Each warehouse keeps its own target folder, report and publish file; a world being read is
never overwritten; a warehouse path DuckDB cannot take is refused up front."""

import json
from pathlib import Path

import pytest
from run_support import FakeSource, make_project, query, register
from typer.testing import CliRunner

from gtm import cli, project
from gtm.ops import publish, world
from gtm.ops.lock import LockHeld, WorldLock

runner = CliRunner()


@pytest.fixture
def root(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setenv("GTM__ALERTS__WEBHOOK_URL", "")
    for name in ("DLT_PROJECT_DIR", "DBT_TARGET_PATH", "GTM__PUBLISH__PATH", "THING_ID"):
        monkeypatch.delenv(name, raising=False)
    register(monkeypatch, FakeSource(rows=3))
    return root


def test_two_warehouses_in_one_folder_share_nothing(root, tmp_path, monkeypatch):
    shared = tmp_path / "data"
    reports = {}
    for name in ("a", "b"):
        monkeypatch.setenv("GTM_DUCKDB_PATH", str(shared / f"{name}.duckdb"))
        result = runner.invoke(cli.app, ["run", "--live"])
        assert result.exit_code == 0, result.output
        target = shared / ".gtm" / name / "target"
        reports[name] = json.loads((target / "gtm_run_report.json").read_text())
        assert (target / "run_results.json").exists()
        assert reports[name]["publish"]["path"] == str(shared / f"{name}_marts.duckdb")
    assert reports["a"]["run_id"] != reports["b"]["run_id"]
    for name in ("a", "b"):
        published = shared / f"{name}_marts.duckdb"
        assert query(published, f"select run_id from {publish.INFO_TABLE}") == [
            (reports[name]["run_id"],)
        ]
    assert not (shared / "marts.duckdb").exists()
    assert not (root / "target" / "gtm_run_report.json").exists()


def test_the_default_warehouse_keeps_dbt_s_own_target_and_marts_duckdb(root):
    warehouse = root / "warehouse.duckdb"
    assert project.target_dir(root, warehouse) == root / "target"
    assert project.default_publish_path(root, warehouse) == root / "marts.duckdb"
    assert project.target_dir(root, root / "sub" / "warehouse.duckdb") == (
        root / "sub" / ".gtm" / "warehouse" / "target"
    )


def test_a_warehouse_path_with_a_quote_is_refused_up_front(root, tmp_path, monkeypatch):
    bad = tmp_path / "it's" / "warehouse.duckdb"
    monkeypatch.setenv("GTM_DUCKDB_PATH", str(bad))
    for command in (["ingest", "--live"], ["build"], ["run", "--live"]):
        result = runner.invoke(cli.app, command)
        assert result.exit_code == 1, result.output
        assert result.output.strip().splitlines() == [
            f"error: the warehouse path {bad} contains a single quote ('), which DuckDB cannot "
            "attach safely; set GTM_DUCKDB_PATH to a path without one"
        ]
    assert not bad.parent.exists()


def test_generate_refuses_a_world_that_is_being_read(tmp_path):
    out = tmp_path / "world"
    small = ["generate", "--scale", "0.01", "--out", str(out)]
    first = runner.invoke(cli.app, [*small, "--seed", "1"])
    assert first.exit_code == 0, first.output
    before = (out / "world.json").read_text()
    with world.reading(out, 0.01, 1, command="gtm ingest") as held:
        assert held.generated is False
        result = runner.invoke(cli.app, [*small, "--seed", "2"])
    assert result.exit_code == cli.LOCK_HELD_EXIT
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"error: the demo world in {out} is being read (pid ")
    assert "`gtm ingest`" in line
    assert (out / "world.json").read_text() == before
    # Once nobody reads it, it can be replaced.
    again = runner.invoke(cli.app, [*small, "--seed", "2"])
    assert again.exit_code == 0, again.output
    assert json.loads((out / "world.json").read_text())["seed"] == 2


def test_a_world_being_written_is_not_read(tmp_path):
    out = tmp_path / "world"
    with (
        WorldLock(out, "gtm generate", shared=False),
        pytest.raises(LockHeld) as refused,
        world.reading(out, 0.01, 1, command="gtm ingest"),
    ):
        pass
    assert str(refused.value).startswith(f"the demo world in {out} is being written (pid ")


def test_gtm_and_plain_dbt_share_one_parse(tmp_path, monkeypatch):
    """dbt re-parses everything when the profile's resolved path changes between two runs."""
    import os
    import subprocess
    import sys

    root = make_project(tmp_path / "project")
    (root / "sub").mkdir()
    monkeypatch.chdir(root / "sub")  # gtm finds the repo root from below it
    for name in ("GTM_DUCKDB_PATH", "DLT_PROJECT_DIR", "DBT_TARGET_PATH", "THING_ID"):
        monkeypatch.delenv(name, raising=False)
    built = runner.invoke(cli.app, ["build"])
    assert built.exit_code == 0, built.output
    assert (root / "warehouse.duckdb").exists()
    assert "GTM_DUCKDB_PATH" not in os.environ
    env = {k: v for k, v in os.environ.items() if k != "GTM_DUCKDB_PATH"}
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    plain = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "build"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert plain.returncode == 0, plain.stdout[-2000:]
    assert "Unable to do partial parsing" not in plain.stdout
    again = runner.invoke(cli.app, ["build"])
    assert again.exit_code == 0, again.output
    assert "Unable to do partial parsing" not in again.output
