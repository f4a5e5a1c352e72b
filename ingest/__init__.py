"""The dlt sources of gtm-warehouse, one sub-package per system, and the pipeline runner.

Each system's package is laid out like dlt's verified sources (`__init__.py` with the
`@dlt.source` and its resources, `helpers.py`, `settings.py` with endpoints, versions and
defaults); `SYSTEMS` names them and `source_factory` returns the `<system>_source` function that
takes the source's settings. HTTP goes through dlt's own client (`ingest._transport`, with
`ingest._oauth` for tokens); a failure that retrying cannot fix is a `SourceError` naming the
source. Nothing here knows the demo world.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = [
    "SYSTEMS",
    "AuthenticationError",
    "QuotaExceededError",
    "SourceError",
    "source_factory",
]

SYSTEMS = ("facebook_ads", "google_ads", "hubspot", "linkedin_ads", "salesforce")
"""Every system with a dlt source, by the name of its package and its `raw_<system>` dataset."""


_ERRORS = ("AuthenticationError", "QuotaExceededError", "SourceError")


def __getattr__(name: str) -> Any:
    """Export the transport's errors lazily: naming the sources imports neither dlt nor requests."""
    if name in _ERRORS:
        return getattr(importlib.import_module("ingest._transport"), name)
    raise AttributeError(f"module 'ingest' has no attribute {name!r}")


def source_factory(system: str) -> Callable[..., Any]:
    """Return `system`'s `<system>_source` function (its settings as keyword arguments)."""
    if system not in SYSTEMS:
        raise ValueError(f"unknown source {system!r}; the sources are {', '.join(SYSTEMS)}")
    return getattr(importlib.import_module(f"ingest.{system}"), f"{system}_source")
