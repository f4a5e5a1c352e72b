"""The demo world a command loads from: reuse it when it matches, else generate it, under a lock.

The generator (and numpy) is imported only when a world is read or written, so `gtm --help`
stays fast; its defaults and bounds are mirrored here for the help text, and a test keeps the two
in step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from gtm.ops.lock import WorldLock
from gtm.project import display_path

DEFAULT_SCALE = 0.1
DEFAULT_SEED = 42
DEFAULT_AS_OF = date(2026, 6, 30)
MAX_SCALE = 100.0
"""The generator accepts a scale in (0, MAX_SCALE]."""

Progress = Callable[[str, int, int], None]
"""`progress(stage, done, total)`, called by the generator as it writes."""
ProgressBars = Callable[[], AbstractContextManager[Progress]]
"""Opens a progress display for one generation and yields its `Progress` callback."""
Say = Callable[[str], None]
"""Where a command's status lines go (the console, or nowhere)."""


def _quiet(_line: str) -> None:
    return None


def generator() -> Any:
    """Import the demo-world generator lazily (it is heavy and optional for most commands)."""
    from gtm_demo import generator as module

    return module


@dataclass
class WorldResult:
    """The demo world used by a command and whether this command generated it."""

    path: Path
    manifest: dict[str, Any]
    generated: bool
    seconds: float


def generate(
    out: Path,
    scale: float,
    seed: int,
    as_of: date | None,
    progress: ProgressBars | None = None,
    command: str = "gtm generate",
) -> WorldResult:
    """Generate a world into `out` under its exclusive lock; refuse while anyone reads it."""
    with WorldLock(out, command, shared=False):
        return _generate(out, scale, seed, as_of, progress)


def _generate(
    out: Path, scale: float, seed: int, as_of: date | None, progress: ProgressBars | None
) -> WorldResult:
    kwargs: dict[str, Any] = {"scale": scale, "seed": seed}
    if as_of is not None:
        kwargs["as_of"] = as_of
    started = time.perf_counter()
    with progress() if progress is not None else nullcontext(None) as on_progress:
        manifest = generator().generate(out, progress=on_progress, **kwargs)
    return WorldResult(out, manifest, generated=True, seconds=time.perf_counter() - started)


def _matches(meta: dict[str, Any] | None, scale: float, seed: int, as_of: date) -> bool:
    if not meta:
        return False
    try:
        return (
            meta.get("generator_version") == generator().GENERATOR_VERSION
            and int(meta["seed"]) == seed
            and float(meta["scale"]) == float(scale)
            and str(meta["as_of"]) == as_of.isoformat()
        )
    except (KeyError, TypeError, ValueError):
        return False


IDENTITY = ("generator_version", "seed", "scale", "as_of")
"""What makes two demo worlds the same world (the same records under the same ids)."""


def loaded_another_world(past: list[dict[str, Any]], manifest: dict[str, Any]) -> bool:
    """Whether the last demo run in `past` (run history, oldest first) loaded another world.

    Record ids repeat from world to world, so raw data of one world merged with another's
    incremental loads would be neither: the caller then loads this world from scratch.
    """
    for run in reversed(past):
        previous = run.get("world") if run.get("mode") == "demo" else None
        if previous:
            return any(str(previous.get(key)) != str(manifest.get(key)) for key in IDENTITY)
    return False


@contextmanager
def reading(
    world_dir: Path,
    scale: float | None,
    seed: int | None,
    *,
    command: str,
    pinned: bool = True,
    say: Say = _quiet,
    progress: ProgressBars | None = None,
) -> Iterator[WorldResult]:
    """Hold the world in `world_dir` for reading, generating it first if needed.

    `pinned`: the world must have this seed and scale (and the default as-of date), else it is
    regenerated; not pinned, any world in the folder is used as it is, and one is generated with
    the given seed and scale only when the folder holds none. While the block runs the world's
    lock is shared, so `gtm generate` refuses to overwrite it.
    """
    module = generator()
    scale = module.DEFAULT_SCALE if scale is None else scale
    seed = module.DEFAULT_SEED if seed is None else seed
    lock = WorldLock(world_dir, command, shared=True)
    lock.acquire()
    try:
        meta = module.read_world_meta(world_dir)
        if meta is not None and not pinned:
            seed, scale = meta.get("seed", "?"), meta.get("scale", "?")
        if (meta is not None and not pinned) or _matches(meta, scale, seed, module.DEFAULT_AS_OF):
            say(f"Using the demo world in {display_path(world_dir)} (seed {seed}, scale {scale}).")
            yield WorldResult(world_dir, meta or {}, generated=False, seconds=0.0)
            return
        lock.release()
        say(f"Generating the demo world in {display_path(world_dir)} (seed {seed}, scale {scale}).")
        writer = WorldLock(world_dir, command, shared=False)
        with writer:
            result = _generate(world_dir, scale, seed, None, progress)
        lock.acquire()
        yield result
    finally:
        lock.release()
