"""The daily summary and e-mail: sent once a day, after the configured hour, to a local webhook
and a local SMTP server (aiosmtpd), with exactly the content the run history holds.

The clock is injected: "now" is a run's start time and the history is a list of run reports, as
`ops.run_history` returns them.
"""

import socket
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from run_support import Receiver

from gtm.ops import summary
from gtm.ops.settings import SettingsError, load_settings


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller
    finally:
        controller.stop()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def email_settings(controller, send=summary.EMAIL_KINDS):
    return summary.EmailSettings(
        host="127.0.0.1",
        port=controller.port,
        sender="gtm@example.com",
        recipients=("data-team@example.com", "revops@example.com"),
        starttls=False,
        send=tuple(send),
    )


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def run(run_id, started, status="success", **extra):
    return {"run_id": run_id, "started_at": at(started).isoformat(), "status": status} | extra


HISTORY = [  # newest first, like history.read_history
    run("r5", "2026-07-02T07:20:00"),  # after the window
    run(
        "r4",
        "2026-07-02T06:10:00",
        status="failed",
        ingest={"hubspot": {"status": "failed", "error": "HTTP 503"}},
        stages=[{"stage": "ingest", "seconds": 4.0}],
        errors=[{"stage": "ingest", "source": "hubspot", "message": "HTTP 503 from the API"}],
    ),
    run(
        "r3",
        "2026-07-01T19:00:00",
        status="failed",
        ingest={
            "salesforce": {
                "status": "loaded",
                "tables": {"lead": {"extracted": 5, "loaded": 5, "rows_in_raw": 105}},
            }
        },
        stages=[{"stage": "ingest", "seconds": 8.0}, {"stage": "build", "seconds": 60.5}],
        dbt={
            "failures": [
                {
                    "unique_id": "test.gtm_warehouse.not_null_dim_people_person_id.abc",
                    "status": "fail",
                    "message": "Got 2 results, configured to fail if != 0",
                }
            ]
        },
        schema_changes=[
            {
                "kind": "new_column",
                "schema": "raw_salesforce",
                "table": "lead",
                "column": "rating",
                "type": "VARCHAR",
            }
        ],
    ),
    run(
        "r2",
        "2026-07-01T08:00:00",
        ingest={
            "salesforce": {
                "status": "loaded",
                "tables": {
                    "lead": {"extracted": 100, "loaded": 100, "rows_in_raw": 100},
                    "contact": {"extracted": 40, "loaded": 40, "rows_in_raw": 40},
                },
            },
            "google_ads": {"status": "skipped", "reason": "not due"},
        },
        stages=[{"stage": "ingest", "seconds": 12.25}, {"stage": "build", "seconds": 90.0}],
        anomalies=[
            {
                "source": "salesforce",
                "table": "lead",
                "new_rows": 100,
                "baseline": 10,
                "runs": 3,
                "deviation": 9.0,
                "threshold": 0.2,
            }
        ],
    ),
    run("r1", "2026-07-01T06:59:59"),  # before the window
]

HEADLINE = (
    "gtm daily summary, 2026-07-01 07:00 to 2026-07-02 07:00 UTC: 3 runs (2 failed, 1 success)"
)
SECTIONS = [
    ("Records loaded per source", ["salesforce: 145"]),
    ("Time per stage (total, longest run)", ["ingest: 24.2 s, 12.2 s", "build: 150.5 s, 90.0 s"]),
    ("Errors", ["r4 ingest hubspot: HTTP 503 from the API"]),
    (
        "Failed tests",
        ["not_null_dim_people_person_id (in 1 run): Got 2 results, configured to fail if != 0"],
    ),
    (
        "Row-count anomalies",
        ["salesforce.lead: 100 new rows vs 10 on average over 3 runs (off by 900%, threshold 20%)"],
    ),
    ("Schema changes in raw", ["new column raw_salesforce.lead.rating (VARCHAR)"]),
]


def test_the_summary_is_due_once_from_the_configured_hour_on_by_run_timestamps():
    assert summary.window_due(HISTORY[1:], at("2026-07-02T06:59:00"), hour=7) is None
    window = summary.window_due(HISTORY[1:], at("2026-07-02T07:20:00"), hour=7)
    assert window == (at("2026-07-01T07:00:00"), at("2026-07-02T07:00:00"))
    sent = run("r5", "2026-07-02T07:20:00") | {
        "summary": {"sent": True, "window_end": at("2026-07-02T07:00:00").isoformat()}
    }
    assert summary.window_due([sent, *HISTORY[1:]], at("2026-07-02T08:20:00"), hour=7) is None
    # A summary that failed to go out is tried again by the next run.
    failed = sent | {"summary": {"sent": False, "window_end": sent["summary"]["window_end"]}}
    assert summary.window_due([failed, *HISTORY[1:]], at("2026-07-02T08:20:00"), 7) == window
    # The next day's is due from the next day's hour.
    assert summary.window_due([sent], at("2026-07-03T07:00:00"), hour=7) == (
        at("2026-07-02T07:00:00"),
        at("2026-07-03T07:00:00"),
    )


def test_the_summary_goes_to_the_webhook_and_by_email_with_exact_content(receiver, smtp):
    inbox, controller = smtp
    outcome = summary.send_summary(
        HISTORY[1:], at("2026-07-02T07:20:00"), 7, receiver.url, email_settings(controller)
    )
    assert outcome == {
        "window_start": "2026-07-01T07:00:00+00:00",
        "window_end": "2026-07-02T07:00:00+00:00",
        "runs": 3,
        "channels": ["webhook", "email"],
        "errors": [],
        "sent": True,
    }
    assert receiver.messages == [
        {
            "text": HEADLINE,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{HEADLINE}*"}}]
            + [
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": f"*{title}*\n" + "\n".join(f"• {line}" for line in lines),
                    },
                }
                for title, lines in SECTIONS
            ],
        }
    ]
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "gtm@example.com"
    assert envelope.rcpt_tos == ["data-team@example.com", "revops@example.com"]
    mail = message_from_bytes(envelope.content, policy=default_policy)
    assert mail["Subject"] == HEADLINE
    assert mail["To"] == "data-team@example.com, revops@example.com"
    body = "\n".join(
        [HEADLINE, ""]
        + [
            part
            for title, lines in SECTIONS
            for part in [f"{title}:", *(f"  - {x}" for x in lines), ""]
        ]
    )
    assert mail.get_content().replace("\r\n", "\n") == body.rstrip() + "\n"


def test_schema_changes_are_routed_to_email_only_when_asked(smtp):
    inbox, controller = smtp
    report = HISTORY[2]
    assert summary.email_schema_changes(report, email_settings(controller)) == "sent"
    [envelope] = inbox.envelopes
    mail = message_from_bytes(envelope.content, policy=default_policy)
    assert mail["Subject"] == "gtm run r3: 1 schema change(s) in raw"
    assert mail.get_content().replace("\r\n", "\n") == (
        "gtm run r3: 1 schema change(s) in raw\n\nSchema changes in raw:\n"
        "  - new column raw_salesforce.lead.rating (VARCHAR)\n"
    )
    assert summary.email_schema_changes(report, email_settings(controller, ["summary"])) is None
    assert summary.email_schema_changes(HISTORY[3], email_settings(controller)) is None
    assert len(inbox.envelopes) == 1


def test_an_unreachable_smtp_server_is_one_line_without_the_password(smtp):
    _inbox, controller = smtp
    settings = email_settings(controller)
    closed = summary.EmailSettings(**{**settings.__dict__, "port": 9, "password": "hunter2"})
    assert "hunter2" not in repr(closed)
    with pytest.raises(RuntimeError, match=r"^e-mail to 127\.0\.0\.1:9 failed \(\w+\)$"):
        summary.send_email(closed, "subject", "body", timeout=2)


def test_a_half_filled_email_section_is_refused_naming_the_key(monkeypatch):
    monkeypatch.setenv("GTM__EMAIL__SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("GTM__EMAIL__SENDER", "gtm@example.com")
    with pytest.raises(SettingsError, match=r"^setting gtm\.email\.recipients must be a list"):
        load_settings()
    monkeypatch.setenv("GTM__EMAIL__RECIPIENTS", '["data-team@example.com"]')
    monkeypatch.setenv("GTM__SUMMARY__HOUR", "24")
    with pytest.raises(SettingsError, match=r"^setting gtm\.summary\.hour must be a whole hour"):
        load_settings()
    monkeypatch.setenv("GTM__SUMMARY__HOUR", "6")
    settings = load_settings()
    assert settings.summary_hour == 6
    assert settings.email.recipients == ("data-team@example.com",)
    assert settings.email.port == 587
