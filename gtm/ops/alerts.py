"""Alerts: a Slack-compatible message to a webhook when a run needs attention.

A run needs attention when it fails, a dbt test fails, raw schemas change or a table's new rows
look anomalous.
The webhook URL is a secret (`[gtm.alerts] webhook_url` in `.dlt/secrets.toml`, or the env var
`GTM__ALERTS__WEBHOOK_URL`); with none configured nothing is posted. Messages use Slack's
incoming-webhook format (`text` plus `blocks`), which Mattermost, Rocket.Chat, Discord's `/slack`
endpoint and Microsoft Teams' workflow connectors accept too. The URL never appears in output.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from gtm.ops.report import AlertOutcome

KINDS = ("failure", "test_failure", "schema_change", "anomaly")
"""Alert kinds, in the order a message lists them."""

_LIST_LIMIT = 10


def alert_kinds(report: Mapping[str, Any]) -> list[str]:
    """Return the kinds of alert a run report calls for (empty when the run needs no attention)."""
    kinds = []
    if report.get("errors"):
        kinds.append("failure")
    if report.get("dbt", {}).get("failures"):
        kinds.append("test_failure")
    if report.get("schema_changes"):
        kinds.append("schema_change")
    if report.get("anomalies"):
        kinds.append("anomaly")
    return kinds


def _bullets(lines: list[str]) -> str:
    shown = [f"• {line}" for line in lines[:_LIST_LIMIT]]
    if len(lines) > _LIST_LIMIT:
        shown.append(f"• … and {len(lines) - _LIST_LIMIT} more")
    return "\n".join(shown)


def describe_change(change: Mapping[str, Any]) -> str:
    """One line for a schema change."""
    where = f"{change['schema']}.{change['table']}"
    if change["kind"] == "new_table":
        return f"new table {where}"
    if change["kind"] == "new_column":
        return f"new column {where}.{change['column']} ({change['type']})"
    return f"retyped column {where}.{change['column']}: {change['from']} -> {change['to']}"


def describe_anomaly(anomaly: Mapping[str, Any]) -> str:
    """One line for a row-count anomaly."""
    deviation = anomaly["deviation"]
    how = "from none" if deviation is None else f"off by {deviation:.0%}"
    return (
        f"{anomaly['source']}.{anomaly['table']}: {anomaly['new_rows']:,} new rows vs "
        f"{anomaly['baseline']:,} on average over {anomaly['runs']} "
        f"run{'s' if anomaly['runs'] != 1 else ''} ({how}, "
        f"threshold {anomaly['threshold']:.0%})"
    )


def build_message(report: Mapping[str, Any], kinds: list[str]) -> dict[str, Any]:
    """Return the Slack-compatible JSON body for a run report and the alert kinds it calls for."""
    sections: list[tuple[str, list[str]]] = []
    if "failure" in kinds:
        sections.append(
            (
                "Errors",
                [
                    f"{error['stage']}"
                    + (f" {error['source']}" if error.get("source") else "")
                    + f": {error['message']}"
                    for error in report["errors"]
                ],
            )
        )
    if "test_failure" in kinds:
        sections.append(
            (
                "Failing dbt tests",
                [
                    f"{failure['unique_id']} ({failure['status']}): {failure.get('message') or ''}"
                    for failure in report["dbt"]["failures"]
                ],
            )
        )
    if "schema_change" in kinds:
        sections.append(
            ("Schema changes in raw", [describe_change(c) for c in report["schema_changes"]])
        )
    if "anomaly" in kinds:
        sections.append(("Row-count anomalies", [describe_anomaly(a) for a in report["anomalies"]]))
    publish = report.get("publish", {})
    if publish.get("published"):
        published = "published to BI"
    else:
        published = "not published, BI keeps the last good publish"
    headline = f"gtm run {report['run_id']} {report['status']} ({published}): " + ", ".join(
        kind.replace("_", " ") for kind in kinds
    )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*"}}
    ]
    for title, lines in sections:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{_bullets(lines)}"}}
        )
    return {"text": headline, "blocks": blocks}


def post(url: str, message: Mapping[str, Any], timeout: float = 10.0) -> None:
    """POST `message` as JSON to `url`; raise RuntimeError (without the URL) if it fails."""
    request = urllib.request.Request(
        url,
        data=json.dumps(message).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"the alert webhook answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RuntimeError(f"the alert webhook could not be reached ({reason})") from None


def send_alert(report: Mapping[str, Any], webhook_url: str) -> AlertOutcome:
    """Post the alert a report (its JSON form) calls for; return what happened, for the report.

    An interrupted run (Ctrl-C) is someone's decision, not an incident: it never alerts.
    """
    if report.get("status") == "interrupted":
        return AlertOutcome([], sent=False, reason="the run was interrupted")
    kinds = alert_kinds(report)
    if not kinds:
        return AlertOutcome([], sent=False, reason="nothing to alert on")
    if not webhook_url:
        return AlertOutcome(kinds, sent=False, reason="no webhook configured")
    try:
        post(webhook_url, build_message(report, kinds))
    except RuntimeError as exc:
        return AlertOutcome(kinds, sent=False, reason=str(exc))
    return AlertOutcome(kinds, sent=True)
