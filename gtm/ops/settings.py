"""The tunables of a run, read the dlt way: env vars (`GTM__RUN__...`) over `.dlt/*.toml`.

Every value is checked when it is read: a negative threshold or a window of zero runs would make
the anomaly check say nonsense, so such a setting is refused with one line naming its key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gtm.errors import GtmError
from gtm.ops.summary import EMAIL_KINDS, EmailSettings

DEFAULT_ANOMALY_THRESHOLD = 0.2
DEFAULT_ANOMALY_WINDOW = 5
DEFAULT_ANOMALY_MIN_RUNS = 3
DEFAULT_ANOMALY_MIN_ROWS = 10
DEFAULT_CADENCE_HOURS = 24.0
DEFAULT_GRACE_MINUTES = 30.0


class SettingsError(GtmError):
    """A run setting is out of range."""


def _require(ok: bool, key: str, rule: str, value: Any) -> None:
    if not ok:
        raise SettingsError(f"setting {key} must be {rule}, got {value!r}")


@dataclass(frozen=True)
class RunSettings:
    """The tunables of a run, read from `.dlt/config.toml`, `.dlt/secrets.toml` or env vars."""

    sources: tuple[str, ...] = ()
    """The sources `gtm run` loads (empty: every registered source)."""
    anomaly_threshold: float = DEFAULT_ANOMALY_THRESHOLD
    """A table is anomalous when its new rows differ from its recent mean by more than this."""
    anomaly_window: int = DEFAULT_ANOMALY_WINDOW
    """How many of the table's recent incremental loads make the baseline."""
    anomaly_min_runs: int = DEFAULT_ANOMALY_MIN_RUNS
    """No verdict until the table has this many earlier incremental loads."""
    anomaly_min_rows: int = DEFAULT_ANOMALY_MIN_ROWS
    """The absolute floor: a difference of fewer rows than this is never an anomaly."""
    publish_path: str = ""
    """Where the marts are published for BI ('' = derived from the warehouse file's name)."""
    webhook_url: str = field(default="", repr=False)
    """Slack-compatible incoming webhook for alerts ('' = no alerts). A secret: never printed."""
    cadence_hours: dict[str, float] = field(default_factory=dict)
    """Hours between loads of each source under `gtm run --due`."""
    grace_minutes: float = DEFAULT_GRACE_MINUTES
    """A source is due this long before its cadence has fully elapsed (schedulers start late)."""
    summary_hour: int | None = None
    """The first run starting at or after this hour (UTC) sends the daily summary (None: never)."""
    email: EmailSettings | None = field(default=None, repr=False)
    """SMTP settings for e-mailing the summary and schema changes (None: no e-mail)."""

    def __post_init__(self) -> None:
        """Refuse values that would make the anomaly check or the schedule meaningless."""
        number = (int, float)
        _require(
            isinstance(self.anomaly_threshold, number) and self.anomaly_threshold >= 0,
            "gtm.run.anomaly_threshold",
            "a fraction >= 0 (0.2 = 20%)",
            self.anomaly_threshold,
        )
        for key, value in (
            ("gtm.run.anomaly_window", self.anomaly_window),
            ("gtm.run.anomaly_min_runs", self.anomaly_min_runs),
        ):
            _require(
                isinstance(value, int) and not isinstance(value, bool) and value >= 1,
                key,
                "a whole number of runs >= 1",
                value,
            )
        _require(
            isinstance(self.anomaly_min_rows, int) and self.anomaly_min_rows >= 0,
            "gtm.run.anomaly_min_rows",
            "a whole number of rows >= 0",
            self.anomaly_min_rows,
        )
        _require(
            self.anomaly_min_runs <= self.anomaly_window,
            "gtm.run.anomaly_min_runs",
            f"at most gtm.run.anomaly_window ({self.anomaly_window})",
            self.anomaly_min_runs,
        )
        for name, hours in self.cadence_hours.items():
            _require(
                isinstance(hours, number) and hours > 0,
                f"gtm.schedule.{name}",
                "a number of hours > 0",
                hours,
            )
        _require(
            isinstance(self.grace_minutes, number) and self.grace_minutes >= 0,
            "gtm.schedule.grace_minutes",
            "a number of minutes >= 0",
            self.grace_minutes,
        )
        _require(
            self.summary_hour is None
            or (isinstance(self.summary_hour, int) and 0 <= self.summary_hour <= 23),
            "gtm.summary.hour",
            "a whole hour from 0 to 23 (UTC)",
            self.summary_hour,
        )


def _summary_hour(found: str | None) -> int | str | None:
    """Return the summary hour: None for `off` (or no key); an hour stays an int to check."""
    if found is None or found.strip().lower() in ("", "off", "none"):
        return None
    try:
        return int(found)
    except ValueError:
        return found  # refused by RunSettings' check, naming the key


def load_settings(sources: Sequence[str] = ()) -> RunSettings:
    """Read the run settings; `sources` names the sources whose cadence is read.

    Raises `SettingsError` (one line naming the key) for a value out of range or of the wrong type.
    """
    import dlt

    def value(key: str, kind: type, default: Any) -> Any:
        try:
            found = dlt.config.get(key, kind)
        except Exception as exc:  # dlt's coercion error: say which key, not dlt's traceback
            raise SettingsError(f"setting {key} must be a {kind.__name__}: {exc}") from None
        return default if found is None else found

    def secret(key: str, kind: type, default: Any) -> Any:
        try:
            found = dlt.secrets.get(key, kind)
        except Exception as exc:
            raise SettingsError(f"setting {key} must be a {kind.__name__}: {exc}") from None
        return default if found is None else found

    email = _email_settings(secret)
    cadences = {
        name: value(f"gtm.schedule.{name}", float, DEFAULT_CADENCE_HOURS) for name in sources
    }
    return RunSettings(
        sources=tuple(value("gtm.run.sources", list, [])),
        anomaly_threshold=value("gtm.run.anomaly_threshold", float, DEFAULT_ANOMALY_THRESHOLD),
        anomaly_window=value("gtm.run.anomaly_window", int, DEFAULT_ANOMALY_WINDOW),
        anomaly_min_runs=value("gtm.run.anomaly_min_runs", int, DEFAULT_ANOMALY_MIN_RUNS),
        anomaly_min_rows=value("gtm.run.anomaly_min_rows", int, DEFAULT_ANOMALY_MIN_ROWS),
        publish_path=value("gtm.publish.path", str, ""),
        webhook_url=dlt.secrets.get("gtm.alerts.webhook_url", str) or "",
        cadence_hours=cadences,
        grace_minutes=value("gtm.schedule.grace_minutes", float, DEFAULT_GRACE_MINUTES),
        summary_hour=_summary_hour(value("gtm.summary.hour", str, None)),
        email=email,
    )


def _email_settings(value: Any) -> EmailSettings | None:
    """Read `[gtm.email]` (secrets); None when no SMTP host is set. Refuses a half-filled one."""
    host = value("gtm.email.smtp_host", str, "")
    if not host:
        return None
    sender = value("gtm.email.sender", str, "")
    recipients = tuple(value("gtm.email.recipients", list, []))
    _require(bool(sender), "gtm.email.sender", "an e-mail address when smtp_host is set", sender)
    _require(
        bool(recipients) and all(isinstance(r, str) and "@" in r for r in recipients),
        "gtm.email.recipients",
        "a list of e-mail addresses when smtp_host is set",
        list(recipients),
    )
    port = value("gtm.email.smtp_port", int, 587)
    _require(0 < port < 65536, "gtm.email.smtp_port", "a TCP port", port)
    send = tuple(value("gtm.email.send", list, list(EMAIL_KINDS)))
    _require(
        all(kind in EMAIL_KINDS for kind in send),
        "gtm.email.send",
        f"a list of {', '.join(EMAIL_KINDS)}",
        list(send),
    )
    return EmailSettings(
        host=host,
        sender=sender,
        recipients=recipients,
        port=port,
        username=value("gtm.email.username", str, ""),
        password=value("gtm.email.password", str, ""),
        starttls=value("gtm.email.starttls", bool, True),
        send=send,
    )
