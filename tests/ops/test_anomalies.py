"""Row-count anomalies: a steady state raises nothing; bad settings are refused in one line."""

import pytest
from run_support import make_project
from typer.testing import CliRunner

from gtm import cli
from gtm.ops import anomalies
from gtm.ops.settings import RunSettings, SettingsError


def run(**tables: tuple[int, int]) -> dict:
    """One run's report: per table (new rows, rows in raw after the run)."""
    return {
        "ingest": {
            "hubspot": {
                "status": "loaded",
                "tables": {
                    name: {"extracted": new, "loaded": new, "rows_in_raw": in_raw}
                    for name, (new, in_raw) in tables.items()
                },
            }
        }
    }


def test_unchanged_demo_runs_raise_nothing():
    # What the demo does: a first full load, then runs that find (almost) nothing new.
    first = run(contacts=(12_000, 12_000), deals=(800, 800), emails=(40_000, 40_000))
    later = [
        run(contacts=(0, 12_000), deals=(0, 800), emails=(3, 40_003)),
        run(contacts=(0, 12_000), deals=(0, 800), emails=(0, 40_003)),
        run(contacts=(0, 12_000), deals=(2, 802), emails=(0, 40_003)),
        run(contacts=(0, 12_000), deals=(0, 802), emails=(1, 40_004)),
        run(contacts=(0, 12_000), deals=(0, 802), emails=(0, 40_004)),
    ]
    history = [first]
    for current in later:
        assert anomalies.anomalies(current["ingest"], history, RunSettings()) == []
        history.insert(0, current)


def test_a_real_change_after_the_first_load_is_still_found():
    history = [run(contacts=(100, 1300))] * 3 + [run(contacts=(1000, 1000))]
    [found] = anomalies.anomalies(run(contacts=(400, 1700))["ingest"], history, RunSettings())
    assert (found["table"], found["baseline"], found["runs"], found["deviation"]) == (
        "contacts",
        100.0,
        3,
        3.0,
    )


def test_the_floor_ignores_a_few_rows_against_a_baseline_of_zero():
    history = [run(t=(0, 50))] * 3 + [run(t=(50, 50))]
    assert anomalies.anomalies(run(t=(9, 59))["ingest"], history, RunSettings()) == []
    [found] = anomalies.anomalies(run(t=(10, 60))["ingest"], history, RunSettings())
    assert (found["new_rows"], found["baseline"], found["deviation"]) == (10, 0.0, None)


def test_a_reload_into_an_empty_table_is_not_judged():
    history = [run(t=(5, 500))] * 3
    assert anomalies.anomalies(run(t=(480, 480))["ingest"], history, RunSettings()) == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"anomaly_threshold": -0.2}, "setting gtm.run.anomaly_threshold must be a fraction >= 0"),
        ({"anomaly_window": 0}, "setting gtm.run.anomaly_window must be a whole number of runs"),
        ({"anomaly_min_runs": -1}, "setting gtm.run.anomaly_min_runs must be a whole number"),
        ({"anomaly_min_rows": -5}, "setting gtm.run.anomaly_min_rows must be a whole number of"),
        ({"anomaly_min_runs": 6}, "setting gtm.run.anomaly_min_runs must be at most gtm.run"),
        ({"cadence_hours": {"hubspot": 0}}, "setting gtm.schedule.hubspot must be a number of"),
        ({"grace_minutes": -1}, "setting gtm.schedule.grace_minutes must be a number of minutes"),
    ],
)
def test_nonsensical_settings_are_refused(settings, message):
    with pytest.raises(SettingsError, match="^" + message):
        RunSettings(**settings)


def test_gtm_run_refuses_a_negative_threshold_before_touching_anything(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setenv("GTM_DUCKDB_PATH", str(root / "warehouse.duckdb"))
    monkeypatch.setenv("GTM__RUN__ANOMALY_THRESHOLD", "-1")
    monkeypatch.delenv("DLT_PROJECT_DIR", raising=False)
    result = CliRunner().invoke(cli.app, ["run", "--live"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: setting gtm.run.anomaly_threshold must be a fraction >= 0 (0.2 = 20%), got -1.0"
    ]
    assert not (root / "warehouse.duckdb").exists()
