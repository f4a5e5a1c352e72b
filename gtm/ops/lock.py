"""OS file locks: one writer per warehouse, and a demo world never rewritten while it is read.

`RunLock` is an exclusive, non-blocking fcntl lock beside the warehouse, so a second `gtm run`,
`ingest` or `build` refuses at once and a process that died never blocks the next. `WorldLock`
guards a demo world folder: loading from it takes a shared lock (many readers at once),
`gtm generate` takes it exclusively, so a world that an ingest is reading is never overwritten.
The lock file keeps the holder's pid, command and start time, only so a refusal can name them.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from gtm.errors import GtmError


class LockHeld(GtmError):
    """Another process holds the lock (exit status 75, EX_TEMPFAIL: try again later)."""

    exit_code = 75


def lock_path(duckdb_path: Path) -> Path:
    """Return the lock file of the warehouse `duckdb_path` (in `.gtm/` beside it)."""
    return duckdb_path.parent / ".gtm" / f"{duckdb_path.stem}.lock"


def world_lock_path(world_dir: Path) -> Path:
    """Return the lock file of the demo world in `world_dir` (beside it: the folder is replaced)."""
    return world_dir.parent / f".{world_dir.name}.lock"


class _FileLock:
    """A non-blocking fcntl lock on `path`, released when its holder exits or dies."""

    def __init__(self, path: Path, command: str, *, shared: bool) -> None:
        self.path = path
        self.command = command
        self.shared = shared
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock now or raise `LockHeld` naming the holder; never waits."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockHeld(self._refusal(self._holder())) from None
        holder = {  # several readers may share a lock: the file names the latest
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": self.command,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Release the lock (the file stays; its content is only informative)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> _FileLock:
        """Take the lock."""
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        """Release the lock."""
        self.release()

    def _holder(self) -> str:
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8"))
            return (
                f"pid {holder['pid']}, `{holder.get('command', 'gtm')}` "
                f"started {holder['started_at']}"
            )
        except (OSError, ValueError, KeyError, TypeError):
            return "a process that has not yet recorded its pid"

    def _refusal(self, who: str) -> str:
        raise NotImplementedError


class RunLock(_FileLock):
    """The exclusive lock of one warehouse: one gtm process writes it at a time."""

    def __init__(self, duckdb_path: Path, command: str = "gtm") -> None:
        """Prepare (not take) the lock of `duckdb_path`; `command` is recorded for the message."""
        super().__init__(lock_path(duckdb_path), command, shared=False)
        self.warehouse = duckdb_path

    def _refusal(self, who: str) -> str:
        return (
            f"another gtm process is already using {self.warehouse} ({who}); "
            "nothing was changed, try again when it has finished"
        )


class WorldLock(_FileLock):
    """The lock of a demo world folder: shared while it is read, exclusive while it is written."""

    def __init__(self, world_dir: Path, command: str = "gtm", *, shared: bool) -> None:
        """Prepare (not take) the lock of `world_dir`, shared for readers."""
        super().__init__(world_lock_path(world_dir), command, shared=shared)
        self.world = world_dir

    def _refusal(self, who: str) -> str:
        if self.shared:
            return (
                f"the demo world in {self.world} is being written ({who}); "
                "try again when it has finished"
            )
        return (
            f"the demo world in {self.world} is being read ({who}, perhaps among others); "
            "nothing was changed, try again when it has finished or generate into another --out"
        )
