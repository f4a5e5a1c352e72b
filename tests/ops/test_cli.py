import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from typer.testing import CliRunner

from gtm import cli, sources
from gtm.ops import world

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()

MART = """with

things as (
    select
        1 as thing_id,
        current_setting('TimeZone') as session_time_zone
),

final as (
    select
        things.thing_id,
        things.session_time_zone
    from things
)

select * from final
"""


@pytest.fixture
def scratch_project(tmp_path, monkeypatch):
    """A copy of the dbt project config with one tiny mart, as the cwd, with its own warehouse."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "macros", root / "macros")
    (root / "models" / "marts").mkdir(parents=True)
    (root / "models" / "marts" / "dim_things.sql").write_text(MART)
    monkeypatch.chdir(root)
    monkeypatch.setenv("GTM_DUCKDB_PATH", str(tmp_path / "out" / "warehouse.duckdb"))
    monkeypatch.delenv("DLT_PROJECT_DIR", raising=False)
    return root


@pytest.fixture
def fake_generator(monkeypatch):
    """Stand in for gtm_demo.generator: writes world.json only, and counts calls."""
    calls = []

    def generate(out, scale=0.1, seed=42, as_of=date(2026, 6, 30), progress=None):
        calls.append((out, scale, seed))
        out.mkdir(parents=True, exist_ok=True)
        if progress:
            progress("accounts", 0, 2)
            progress("accounts", 2, 2)
        manifest = {
            "generator_version": "test",
            "seed": seed,
            "scale": scale,
            "as_of": as_of.isoformat(),
            "tables": {"salesforce/account": 2, "hubspot/contacts": 3},
            "rows_total": 5,
        }
        (out / "world.json").write_text(json.dumps(manifest))
        return manifest

    def read_world_meta(out):
        path = out / "world.json"
        return json.loads(path.read_text()) if path.exists() else None

    fake = SimpleNamespace(
        generate=generate,
        read_world_meta=read_world_meta,
        DEFAULT_AS_OF=date(2026, 6, 30),
        DEFAULT_SEED=42,
        DEFAULT_SCALE=0.1,
        GENERATOR_VERSION="test",
        calls=calls,
    )
    monkeypatch.setattr(world, "generator", lambda: fake)
    return fake


def test_help_lists_the_five_commands():
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    for command in ("generate", "demo", "ingest", "build", "run"):
        assert command in result.stdout


def test_unknown_source_is_one_line_and_exit_2():
    result = subprocess.run(
        [sys.executable, "-m", "gtm", "ingest", "nosuchsource"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: unknown source 'nosuchsource'")


def test_ingest_without_credentials_is_one_line_naming_the_source(
    scratch_project, monkeypatch, capsys
):
    monkeypatch.setattr(cli, "_STATE", cli._State())
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["ingest", "salesforce", "--live"])
    assert exit_info.value.code == 1
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert len(err_lines) == 1
    assert err_lines[0].startswith("error: salesforce: no credentials: ")
    assert "client_id" in err_lines[0]


def test_ingest_from_the_demo_world_fills_raw(scratch_project, world_small, tmp_path):
    result = runner.invoke(cli.app, ["ingest", "salesforce", "--world", str(world_small)])
    assert result.exit_code == 0, result.output
    accounts = duckdb.sql(
        f"select count(distinct \"Id\") from '{world_small}/salesforce/Account.parquet'"
    ).fetchall()[0][0]
    with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:
        assert con.sql("select count(*) from raw_salesforce.account").fetchall() == [(accounts,)]


def test_exception_is_one_red_line_without_debug(monkeypatch, capsys):
    def explode(context):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setitem(
        sources.SOURCES, "exploding", sources.SourceSpec("exploding", None, explode)
    )
    monkeypatch.setattr(cli, "_STATE", cli._State())
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["ingest", "exploding", "--live"])
    assert exit_info.value.code == 1
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert len(err_lines) == 1
    assert err_lines[0].startswith("error: boom second line")


def test_exception_keeps_traceback_with_debug(monkeypatch):
    def explode(context):
        raise RuntimeError("boom")

    monkeypatch.setitem(
        sources.SOURCES, "exploding", sources.SourceSpec("exploding", None, explode)
    )
    monkeypatch.setattr(cli, "_STATE", cli._State())
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["--debug", "ingest", "exploding", "--live"])


def test_build_on_temp_warehouse(scratch_project, tmp_path):
    result = runner.invoke(cli.app, ["build"])
    assert result.exit_code == 0, result.output
    assert "model: 1 success" in result.stdout
    with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:
        # marts land in schema `marts` (not main_marts) and the session runs in UTC
        assert con.sql("select * from marts.dim_things").fetchall() == [(1, "UTC")]


def test_demo_generates_once_and_says_no_servers(scratch_project, fake_generator, monkeypatch):
    monkeypatch.setattr(sources, "SOURCES", {})
    first = runner.invoke(cli.app, ["demo", "--seed", "7"])
    assert first.exit_code == 0, first.output
    assert "No local API servers are implemented yet" in first.stdout
    second = runner.invoke(cli.app, ["demo", "--seed", "7"])
    assert second.exit_code == 0, second.output
    assert len(fake_generator.calls) == 1
    assert fake_generator.calls[0][0] == scratch_project / ".gtm" / "world"


def test_run_writes_report(scratch_project, fake_generator, monkeypatch, tmp_path):
    seen = []

    def fake_load(context):
        seen.append(context.world_dir)
        return {"things": 3}

    monkeypatch.setattr(sources, "SOURCES", {"fake": sources.SourceSpec("fake", None, fake_load)})
    monkeypatch.setenv("GTM__ALERTS__WEBHOOK_URL", "")
    result = runner.invoke(cli.app, ["run"])
    assert result.exit_code == 0, result.output
    # the warehouse is tmp/out/warehouse.duckdb: its target folder is beside it
    target = tmp_path / "out" / ".gtm" / "warehouse" / "target"
    report = json.loads((target / "gtm_run_report.json").read_text())
    assert [stage["stage"] for stage in report["stages"]] == [
        "generate",
        "ingest",
        "build",
        "publish",
    ]
    assert report["world"]["tables"] == {"salesforce/account": 2, "hubspot/contacts": 3}
    assert report["dbt"] == {
        "success": True,
        "counts": {"model": {"success": 1}},
        "failures": [],
        "warnings": [],
    }
    # extracted is what the loader said; loaded and rows_in_raw are measured in the warehouse
    assert report["ingest"]["fake"]["tables"] == {
        "things": {"extracted": 3, "loaded": 0, "rows_in_raw": 0}
    }
    assert seen == [scratch_project / ".gtm" / "world"]


def test_generate_writes_a_real_world(tmp_path):
    out = tmp_path / "world"
    result = runner.invoke(
        cli.app,
        ["generate", "--scale", "0.01", "--seed", "3", "--out", str(out), "--as-of", "2025-12-31"],
    )
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "world.json").read_text())
    assert (meta["seed"], meta["scale"], meta["as_of"]) == (3, 0.01, "2025-12-31")
    assert f"{meta['rows_total']:,}" in result.stdout
    assert meta["tables"]["truth/people"] == 200


def test_generate_refuses_a_folder_that_is_not_a_world(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(cli.app, ["generate", "--scale", "0.01", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert (tmp_path / "notes.txt").read_text() == "mine"
