"""What a new user meets first: the help, the defaults, the errors of `gtm ingest` and `run`."""

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from run_support import FakeSource, make_project, query, register
from typer.testing import CliRunner

from gtm import cli, sources
from gtm.ops import world
from ingest import SYSTEMS

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def help_of(*command: str) -> str:
    result = runner.invoke(cli.app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_help_shows_the_real_defaults_and_bounds():
    text = help_of("generate")
    assert "--scale FLOAT       World size, 1.0 = full; 0<x<=100.  [default: 0.1]" in text
    assert "--seed INTEGER      Random seed, 0 or more.  [default: 42; x>=0]" in text
    assert "[default: (2026-06-30)]" in text
    for command in ("generate", "demo", "ingest", "build", "run"):
        assert "<bool>" not in help_of(command)
    assert "Only ingest the sources whose cadence ([gtm.schedule]) is due." in help_of("run")


def test_help_mirrors_the_generator():
    from gtm_demo import generator

    assert (world.DEFAULT_SCALE, world.DEFAULT_SEED, world.DEFAULT_AS_OF) == (
        generator.DEFAULT_SCALE,
        generator.DEFAULT_SEED,
        generator.DEFAULT_AS_OF,
    )
    with pytest.raises(ValueError, match=r"scale must be a number in \(0, 100\]"):
        generator.generate(Path("unused"), scale=world.MAX_SCALE + 1)


@pytest.mark.parametrize("scale", ["0", "100.5"])
def test_scale_outside_the_generator_s_bounds_is_a_usage_error(scale, tmp_path):
    result = runner.invoke(cli.app, ["generate", "--scale", scale, "--out", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert f"{float(scale):g} is not in the range 0<x<=100." in result.output
    assert not (tmp_path / "w").exists()


def test_ingest_and_run_both_default_to_the_demo_and_say_so():
    ingest_help, run_help = help_of("ingest"), help_of("run")
    assert "By default from the demo world" in ingest_help
    assert "By default from the demo world" in run_help
    for text in (ingest_help, run_help):
        assert "--live" in text
        assert "Load from the real APIs with your credentials, not the demo." in text
    assert f"Sources: {', '.join(SYSTEMS)}." in ingest_help


def test_help_answers_without_importing_dlt_duckdb_or_dbt():
    probe = (
        "import sys; from gtm import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('dlt', 'duckdb', 'dbt', 'numpy', 'gtm_demo') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "HEAVY []"
    assert time.monotonic() - started < 10


@pytest.fixture
def project_root(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setenv("GTM_DUCKDB_PATH", str(root / "warehouse.duckdb"))
    monkeypatch.setenv("GTM__ALERTS__WEBHOOK_URL", "")
    for name in ("DLT_PROJECT_DIR", "DBT_TARGET_PATH", "GTM__PUBLISH__PATH", "THING_ID"):
        monkeypatch.delenv(name, raising=False)
    return root


def test_ingest_loads_the_demo_world_by_default(project_root, monkeypatch):
    seen = []

    def generate(out, scale, seed, progress=None):
        out.mkdir(parents=True)
        meta = {"generator_version": "t", "seed": seed, "scale": scale, "as_of": "2026-06-30"}
        (out / "world.json").write_text(json.dumps(meta))
        return meta

    fake = type(
        "Generator",
        (),
        {
            "generate": staticmethod(generate),
            "read_world_meta": staticmethod(
                lambda out: (
                    json.loads((out / "world.json").read_text())
                    if (out / "world.json").exists()
                    else None
                )
            ),
            "DEFAULT_SCALE": 0.1,
            "DEFAULT_SEED": 42,
            "DEFAULT_AS_OF": date(2026, 6, 30),
            "GENERATOR_VERSION": "t",
        },
    )
    monkeypatch.setattr(world, "generator", lambda: fake)

    def load(context):
        seen.append(context.world_dir)
        return {}

    monkeypatch.setattr(sources, "SOURCES", {"fake": sources.SourceSpec("fake", None, load)})
    result = runner.invoke(cli.app, ["ingest"])
    assert result.exit_code == 0, result.output
    live = runner.invoke(cli.app, ["ingest", "--live"])
    assert live.exit_code == 0, live.output
    assert seen == [project_root / ".gtm" / "world", None]


def test_ingest_shows_every_failing_source(project_root, monkeypatch, capsys):
    def failing(message):
        def load(context):
            raise RuntimeError(message)

        return load

    monkeypatch.setattr(
        sources,
        "SOURCES",
        {
            "alpha": sources.SourceSpec("alpha", None, failing("alpha: token expired")),
            "beta": sources.SourceSpec("beta", None, failing("connection refused")),
            "gamma": sources.SourceSpec("gamma", None, lambda context: {}),
        },
    )
    monkeypatch.setattr(cli, "_STATE", cli._State())
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["ingest", "--live"])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: alpha: token expired",
        "error: beta: connection refused",
    ]


def test_run_checks_select_before_loading_anything(project_root, monkeypatch):
    register(monkeypatch, FakeSource())
    result = runner.invoke(cli.app, ["run", "--live", "--select", "no_such_model"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "error: --select 'no_such_model' matches no dbt model, seed or test; nothing was loaded"
    )
    warehouse = project_root / "warehouse.duckdb"
    assert not warehouse.exists() or query(
        warehouse,
        "select count(*) from information_schema.tables where table_schema = 'raw_fake'",
    ) == [(0,)]
    good = runner.invoke(cli.app, ["run", "--live", "--select", "dim_things"])
    assert good.exit_code == 0, good.output
    assert query(warehouse, "select count(*) from raw_fake.things") == [(10,)]
