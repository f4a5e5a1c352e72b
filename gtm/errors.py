"""The product's one expected-failure type: its message is meant for the user as it stands."""

from __future__ import annotations


class GtmError(Exception):
    """An expected failure whose message is printed as one `error: ...` line."""

    exit_code = 1
    """The exit status of a command that stops on this error."""
