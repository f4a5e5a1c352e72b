"""Where a run's full logs go, and which dlt log lines stay off the terminal.

`gtm run` shows progress bars and a summary; the full stream is kept in files in the run's log
folder (`gtm.ops.dbt.logs_dir`): dbt writes `dbt.log` itself, and `gtm_run.log` gets every record
of dlt's logger. dlt's warning that an arrow table's column hints differ from the dlt schema (it
keeps its own hints; nothing is lost and no user can act on it) goes to that file only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RUN_LOG_FILE = "gtm_run.log"
"""Every record of dlt's logger during a run."""
DLT_LOGGER = "dlt"
SCHEMA_HINT_WARNING = "when merging arrow schema with dlt schema"
"""The text of dlt's schema-hint warning (dlt/extract/extractors.py) kept off the terminal."""


def is_schema_hint_warning(record: logging.LogRecord) -> bool:
    """Whether `record` is dlt's arrow-versus-dlt schema-hint warning."""
    return SCHEMA_HINT_WARNING in record.getMessage()


class _RouteToFile(logging.Filter):
    """Copy every record to the run log; let only the records users can act on reach dlt's handler.

    A filter on the logger itself survives dlt (re)creating its stderr handler for each pipeline.
    """

    def __init__(self, handler: logging.Handler) -> None:
        super().__init__()
        self.handler = handler

    def filter(self, record: logging.LogRecord) -> bool:
        self.handler.handle(record)
        return not is_schema_hint_warning(record)


@contextmanager
def dlt_logs_to_file(path: Path) -> Iterator[Path]:
    """While the block runs, append dlt's log records to `path` and silence schema-hint warnings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s %(threadName)s: %(message)s")
    )
    route = _RouteToFile(handler)
    logger = logging.getLogger(DLT_LOGGER)
    logger.addFilter(route)
    try:
        yield path
    finally:
        logger.removeFilter(route)
        handler.close()
