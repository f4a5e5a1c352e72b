"""What every source's extraction shares: concurrency, date windows, pages, keyed Arrow tables."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pyarrow as pa

from ingest._transport import SourceError

T = TypeVar("T")
R = TypeVar("R")


def parse_date(value: str | date | datetime | None, name: str, source: str) -> date | None:
    """Read a configured date: `YYYY-MM-DD`, an ISO datetime (its UTC date) or a date.

    None or an empty string gives None; anything else that is not a date is a `SourceError`
    naming the source and the setting.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if len(text) > 10:
            return parse_date(datetime.fromisoformat(text.replace("Z", "+00:00")), name, source)
        return date.fromisoformat(text)
    except ValueError:
        raise SourceError(f"{source}: {name} must be a date (YYYY-MM-DD), not {value!r}") from None


def id_list(value: str | int | Iterable[str | int] | None) -> list[str]:
    """Read configured ids: a list, a JSON list, one id, or ids separated by commas."""
    if value is None:
        return []
    if isinstance(value, int):
        value = [value]
    if isinstance(value, str):
        text = value.strip()
        try:
            value = json.loads(text) if text.startswith("[") else text.replace(";", ",").split(",")
        except ValueError:
            value = [text]
    return [str(v).strip() for v in value if str(v).strip()]


def date_windows(first: date, last: date, days: int) -> list[tuple[date, date]]:
    """Split `first`..`last` (inclusive) into consecutive ranges of at most `days` days."""
    ranges = []
    while first <= last:
        upper = min(last, first + timedelta(days=days - 1))
        ranges.append((first, upper))
        first = upper + timedelta(days=1)
    return ranges


def run_concurrently(
    work: Callable[[T], R | None],
    items: Iterable[T],
    workers: int,
    split: Callable[[T], list[T]] | None = None,
    stop: threading.Event | None = None,
) -> Iterator[tuple[T, R]]:
    """Run `work` on each item in up to `workers` threads; yield (item, result) as each ends.

    A None result is skipped, or, with `split`, the item is replaced by the items `split` makes
    of it, queued with the rest. The first exception is raised here, after the items not yet
    started are cancelled and `stop` (which long-running work may watch) is set.
    """
    queue = list(items)
    try:
        if workers <= 1 or (len(queue) <= 1 and split is None):
            while queue:
                item = queue.pop(0)
                result = work(item)
                if result is None and split is not None:
                    queue[:0] = split(item)
                elif result is not None:
                    yield item, result
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: dict[Future, T] = {pool.submit(work, item): item for item in queue}
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        item = pending.pop(future)
                        result = future.result()
                        if result is None and split is not None:
                            pending |= {pool.submit(work, part): part for part in split(item)}
                        elif result is not None:
                            yield item, result
            finally:
                for future in pending:
                    future.cancel()
    finally:
        if stop is not None:
            stop.set()


def stream_concurrently(tasks: list[Callable[[], Iterator[Any]]], workers: int) -> Iterator[Any]:
    """Run page generators in `workers` threads and yield their pages as they arrive.

    Unlike `run_concurrently`, a task's pages are passed on one by one, so a long listing is
    never held in memory whole. An exception in any task is raised here.
    """
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield from task()
        return
    results: list[Any] = []
    condition = threading.Condition()
    stop = threading.Event()
    done = [0]

    def drain(task: Callable[[], Iterator[Any]]) -> None:
        try:
            for page in task():
                if stop.is_set():
                    return
                with condition:
                    results.append(page)
                    condition.notify()
        finally:
            with condition:
                done[0] += 1
                condition.notify()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures: list[Future] = [pool.submit(drain, task) for task in tasks]
        try:
            while True:
                with condition:
                    while not results and done[0] < len(tasks):
                        condition.wait(0.5)
                        for future in futures:
                            if future.done() and future.exception() is not None:
                                raise future.exception()  # type: ignore[misc]
                    batch, results[:] = list(results), []
                    finished = done[0] == len(tasks)
                yield from batch
                if finished and not results:
                    break
            for future in futures:
                future.result()
        finally:
            stop.set()


def keyed(table: pa.Table, *keys: str) -> pa.Table:
    """Mark a page's primary-key columns as never null, as dlt's schema declares them."""
    fields = [field.with_nullable(False) if field.name in keys else field for field in table.schema]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def skip_repeats(pages: Iterable[list[T]], key: Callable[[T], Any]) -> Iterator[list[T]]:
    """Yield each non-empty page without a leading record that repeats the previous page's last.

    Paged APIs can start a page with the record that ended the one before (a listing that
    shifted between the two calls); `key` says which records are the same.
    """
    last: Any = _NOTHING
    for records in pages:
        if records and last is not _NOTHING and key(records[0]) == last:
            records = records[1:]
        if records:
            last = key(records[-1])
            yield records


_NOTHING = object()
