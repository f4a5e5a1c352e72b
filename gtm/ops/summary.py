"""The daily summary of runs, and e-mail for the team that reads e-mail rather than chat.

Once a day, the first run that starts at or after `[gtm.summary] hour` (UTC) sends a summary of the
runs of the 24 hours before that hour: runs by status, records loaded per source, time per stage,
errors, failed tests, anomalies and schema changes, all read from the run history
(`gtm.ops.history`). It goes to the alert webhook and, when `[gtm.email]` is configured in
`.dlt/secrets.toml`, by e-mail over SMTP; the e-mail also carries each run's schema changes as they
happen (`send` chooses which). "Which day" comes from the runs' own timestamps (the run's start is
"now"), never the wall clock, so the schedule can be tested with any clock. A summary that could
not be sent is tried again by the next run.
"""

from __future__ import annotations

import smtplib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from typing import Any

from gtm.ops import alerts

EMAIL_KINDS = ("summary", "schema_change")
"""What can be routed to e-mail."""


@dataclass(frozen=True)
class EmailSettings:
    """SMTP settings (`[gtm.email]` in `.dlt/secrets.toml`); the password is never printed."""

    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 587
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = True
    send: tuple[str, ...] = EMAIL_KINDS


def window_due(
    history: Sequence[Mapping[str, Any]], now: datetime, hour: int
) -> tuple[datetime, datetime] | None:
    """Return the (start, end) of the summary a run starting at `now` must send, or None.

    The summary of the 24 hours ending at `hour` o'clock UTC on `now`'s day is due from that
    moment until a run in `history` has sent it.
    """
    end = datetime.combine(now.date(), time(hour), tzinfo=now.tzinfo)
    if now < end:
        return None
    for run in history:
        sent = run.get("summary") or {}
        if sent.get("sent") and sent.get("window_end") == end.isoformat():
            return None
    return end - timedelta(days=1), end


def _in_window(run: Mapping[str, Any], start: datetime, end: datetime) -> bool:
    return start <= datetime.fromisoformat(run["started_at"]) < end


def summarise(history: Sequence[Mapping[str, Any]], start: datetime, end: datetime) -> dict:
    """Summarise the runs of `history` that started in [start, end), oldest first."""
    runs = sorted(
        (run for run in history if _in_window(run, start, end)), key=lambda r: r["started_at"]
    )
    statuses = Counter(run["status"] for run in runs)
    records: Counter[str] = Counter()
    seconds: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    failed_tests: dict[str, dict[str, Any]] = {}
    anomalies: list[str] = []
    changes: list[str] = []
    for run in runs:
        for source, result in (run.get("ingest") or {}).items():
            if result.get("status") == "loaded":
                records[source] += sum(t["loaded"] for t in (result.get("tables") or {}).values())
        for stage in run.get("stages") or []:
            seconds[stage["stage"]].append(float(stage["seconds"]))
        for error in run.get("errors") or []:
            where = error["stage"] + (f" {error['source']}" if error.get("source") else "")
            errors.append(f"{run['run_id']} {where}: {error['message']}")
        for failure in (run.get("dbt") or {}).get("failures") or []:
            name = failure["unique_id"].split(".")[2]
            seen = failed_tests.setdefault(name, {"runs": 0, "message": failure.get("message")})
            seen["runs"] += 1
        anomalies += [alerts.describe_anomaly(a) for a in run.get("anomalies") or []]
        changes += [alerts.describe_change(c) for c in run.get("schema_changes") or []]
    return {
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "runs": len(runs),
        "statuses": dict(sorted(statuses.items())),
        "records_per_source": dict(sorted(records.items())),
        "seconds_per_stage": {
            stage: {"total": round(sum(values), 1), "longest": round(max(values), 1)}
            for stage, values in seconds.items()
        },
        "errors": errors,
        "failed_tests": failed_tests,
        "anomalies": anomalies,
        "schema_changes": changes,
    }


def summary_sections(summary: Mapping[str, Any]) -> tuple[str, list[tuple[str, list[str]]]]:
    """Return the headline and the titled sections of a summary, as plain text lines."""
    start = datetime.fromisoformat(summary["window_start"])
    end = datetime.fromisoformat(summary["window_end"])
    statuses = ", ".join(f"{n} {status}" for status, n in summary["statuses"].items())
    headline = (
        f"gtm daily summary, {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC: "
        f"{summary['runs']} run{'s' if summary['runs'] != 1 else ''}"
        + (f" ({statuses})" if statuses else "")
    )
    sections = [
        (
            "Records loaded per source",
            [f"{source}: {rows:,}" for source, rows in summary["records_per_source"].items()]
            or ["none"],
        ),
        (
            "Time per stage (total, longest run)",
            [
                f"{stage}: {times['total']:.1f} s, {times['longest']:.1f} s"
                for stage, times in summary["seconds_per_stage"].items()
            ]
            or ["none"],
        ),
        ("Errors", summary["errors"] or ["none"]),
        (
            "Failed tests",
            [
                f"{name} (in {seen['runs']} run{'s' if seen['runs'] != 1 else ''}): "
                f"{seen['message']}"
                for name, seen in summary["failed_tests"].items()
            ]
            or ["none"],
        ),
        ("Row-count anomalies", summary["anomalies"] or ["none"]),
        ("Schema changes in raw", summary["schema_changes"] or ["none"]),
    ]
    return headline, sections


def webhook_message(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Return the Slack-compatible JSON body of a summary."""
    headline, sections = summary_sections(summary)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*"}}
    ]
    for title, lines in sections:
        text = f"*{title}*\n" + "\n".join(f"• {line}" for line in lines)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    return {"text": headline, "blocks": blocks}


def email_text(headline: str, sections: Sequence[tuple[str, list[str]]]) -> str:
    """Return the plain-text body of an e-mail."""
    parts = [headline, ""]
    for title, lines in sections:
        parts += [f"{title}:", *(f"  - {line}" for line in lines), ""]
    return "\n".join(parts).rstrip() + "\n"


def send_email(settings: EmailSettings, subject: str, body: str, timeout: float = 10.0) -> None:
    """Send a plain-text e-mail; raise RuntimeError (no password, no server reply) on failure."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=timeout) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.username:
                smtp.login(settings.username, settings.password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise RuntimeError(
            f"e-mail to {settings.host}:{settings.port} failed ({type(exc).__name__})"
        ) from None


def send_summary(
    history: Sequence[Mapping[str, Any]],
    now: datetime,
    hour: int,
    webhook_url: str,
    email: EmailSettings | None,
) -> dict[str, Any] | None:
    """Send the daily summary if a run starting at `now` is the one to send it.

    Returns what was done, for the run report (`summary`), or None when no summary is due.
    """
    window = window_due(history, now, hour)
    if window is None:
        return None
    summary = summarise(history, *window)
    outcome: dict[str, Any] = {
        "window_start": summary["window_start"],
        "window_end": summary["window_end"],
        "runs": summary["runs"],
        "channels": [],
        "errors": [],
    }
    if webhook_url:
        try:
            alerts.post(webhook_url, webhook_message(summary))
            outcome["channels"].append("webhook")
        except RuntimeError as exc:
            outcome["errors"].append(str(exc))
    if email is not None and "summary" in email.send:
        headline, sections = summary_sections(summary)
        try:
            send_email(email, headline, email_text(headline, sections))
            outcome["channels"].append("email")
        except RuntimeError as exc:
            outcome["errors"].append(str(exc))
    outcome["sent"] = bool(outcome["channels"]) and not outcome["errors"]
    return outcome


def email_schema_changes(report: Mapping[str, Any], email: EmailSettings | None) -> str | None:
    """E-mail a run's schema changes when e-mail is configured for them.

    Returns None when nothing was to be sent, "sent", or the reason it was not.
    """
    changes = report.get("schema_changes") or []
    if email is None or "schema_change" not in email.send or not changes:
        return None
    lines = [alerts.describe_change(change) for change in changes]
    subject = f"gtm run {report['run_id']}: {len(lines)} schema change(s) in raw"
    try:
        send_email(email, subject, email_text(subject, [("Schema changes in raw", lines)]))
    except RuntimeError as exc:
        return str(exc)
    return "sent"
