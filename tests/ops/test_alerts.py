"""Alerts: each kind posts one Slack-compatible message to a local receiver; none without a URL."""

import pytest
from run_support import FakeSource, Receiver, make_project, read_report, register
from typer.testing import CliRunner

from gtm import cli
from gtm.ops import alerts

runner = CliRunner()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def project(tmp_path, monkeypatch, receiver):
    root = make_project(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setenv("GTM_DUCKDB_PATH", str(root / "warehouse.duckdb"))
    monkeypatch.setenv("GTM__ALERTS__WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("GTM__RUN__ANOMALY_MIN_RUNS", "1")
    monkeypatch.setenv("GTM__RUN__ANOMALY_THRESHOLD", "0.5")
    monkeypatch.setenv("GTM__RUN__ANOMALY_MIN_ROWS", "0")
    monkeypatch.setenv("THING_ID", "1")
    monkeypatch.delenv("DLT_PROJECT_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    monkeypatch.delenv("GTM__PUBLISH__PATH", raising=False)
    return root


def run(expected_exit=0):
    result = runner.invoke(cli.app, ["run", "--live"])
    assert result.exit_code == expected_exit, result.output
    return result


def test_each_alert_kind_posts_one_message(project, monkeypatch, receiver):
    fake = FakeSource(rows=10)
    register(monkeypatch, fake)

    first = run()  # the first full load is not a baseline (see test_anomalies.py)
    quiet = run()  # a quiet run builds the baseline and posts nothing
    assert receiver.messages == []
    assert read_report(project)["alert"] == {
        "kinds": [],
        "sent": False,
        "reason": "nothing to alert on",
    }

    # 16 new rows against a mean of 10 is off by 60% (threshold 50%), plus new/retyped columns.
    fake.rows, fake.extra_column, fake.retype_number = 16, True, True
    changed = run()
    report = read_report(project)
    assert report["alert"] == {"kinds": ["schema_change", "anomaly"], "sent": True}
    assert report["anomalies"] == [
        {
            "source": "fake",
            "table": "things",
            "new_rows": 16,
            "baseline": 10.0,
            "runs": 1,
            "deviation": 0.6,
            "threshold": 0.5,
        }
    ]
    assert sorted((c["kind"], c["column"]) for c in report["schema_changes"]) == [
        ("new_column", "colour"),
        ("retyped_column", "thing_number"),
    ]
    [message] = receiver.messages
    assert message["text"].startswith(f"gtm run {report['run_id']} success (published to BI)")
    assert message["text"].endswith("schema change, anomaly")
    body = "\n".join(block["text"]["text"] for block in message["blocks"])
    assert "new column raw_fake.things.colour (VARCHAR)" in body
    assert "retyped column raw_fake.things.thing_number: BIGINT -> VARCHAR" in body
    assert "fake.things: 16 new rows vs 10.0 on average over 1 run (off by 60%" in body

    fake.extra_column = fake.retype_number = False
    fake.rows, fake.fail = 16, True
    failed = run(expected_exit=1)
    report = read_report(project)
    assert report["alert"] == {"kinds": ["failure"], "sent": True}
    assert receiver.messages[-1]["text"].endswith("failure")
    assert (
        "ingest fake: fake: the API is down" in receiver.messages[-1]["blocks"][1]["text"]["text"]
    )

    fake.fail = False
    monkeypatch.setenv("THING_ID", "3")
    tests_failed = run(expected_exit=1)
    report = read_report(project)
    assert report["alert"] == {"kinds": ["test_failure"], "sent": True}
    assert "not published, BI keeps the last good publish" in receiver.messages[-1]["text"]
    assert "accepted_values_dim_things_thing_id__1" in str(receiver.messages[-1]["blocks"])
    assert len(receiver.messages) == 3

    for result in (first, quiet, changed, failed, tests_failed):
        assert "secret-token" not in result.output
    assert "secret-token" not in (project / "target" / "gtm_run_report.json").read_text()


def test_nothing_is_posted_without_a_webhook(project, monkeypatch, receiver):
    monkeypatch.setenv("GTM__ALERTS__WEBHOOK_URL", "")
    register(monkeypatch, FakeSource(fail=True))
    result = run(expected_exit=1)
    assert receiver.messages == []
    assert read_report(project)["alert"] == {
        "kinds": ["failure"],
        "sent": False,
        "reason": "no webhook configured",
    }
    assert "Alert not sent (no webhook configured): failure." in result.output


def test_a_webhook_that_fails_is_reported_without_its_url(project, monkeypatch, receiver):
    receiver.status = 500
    register(monkeypatch, FakeSource(fail=True))
    result = run(expected_exit=1)
    assert len(receiver.messages) == 1
    assert read_report(project)["alert"] == {
        "kinds": ["failure"],
        "sent": False,
        "reason": "the alert webhook answered HTTP 500",
    }
    assert "secret-token" not in result.output


def test_message_lists_are_capped():
    report = {
        "run_id": "r1",
        "status": "success",
        "errors": [],
        "publish": {"published": True},
        "schema_changes": [
            {"kind": "new_table", "schema": "raw_x", "table": f"t{n}"} for n in range(12)
        ],
    }
    assert alerts.alert_kinds(report) == ["schema_change"]
    message = alerts.build_message(report, ["schema_change"])
    lines = message["blocks"][1]["text"]["text"].splitlines()
    assert lines[0] == "*Schema changes in raw*"
    assert lines[1:] == [f"• new table raw_x.t{n}" for n in range(10)] + ["• … and 2 more"]
