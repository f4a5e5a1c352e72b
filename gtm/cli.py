"""The `gtm` command line: parse options, call the core in `gtm.ops`, print what it returns.

Each command is a few lines over the core; heavy libraries (dlt, duckdb, dbt, the generator) are
imported inside the commands that need them, so `gtm --help` answers at once. To add a command,
add a function decorated with `@app.command` that runs its work inside `_guard()`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from gtm import console, project
from gtm.errors import GtmError
from gtm.ops import world
from gtm.ops.lock import LockHeld, RunLock
from ingest import SYSTEMS

app = typer.Typer(
    name="gtm",
    help="gtm-warehouse: demo world, ingestion with dlt, and the dbt build into DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

LOCK_HELD_EXIT = LockHeld.exit_code
"""Exit status when another gtm process holds the warehouse (EX_TEMPFAIL: try again later)."""
INTERRUPTED_EXIT = 130
"""Exit status after Ctrl-C (128 + SIGINT), as shells report it."""
SOURCE_NAMES = ", ".join(SYSTEMS)
_DEFAULT_AS_OF = datetime.combine(world.DEFAULT_AS_OF, datetime.min.time())


@dataclass
class _State:
    debug: bool = False


_STATE = _State()


@contextmanager
def _guard() -> Iterator[None]:
    """Turn an expected error into one red line and its exit status, Ctrl-C into exit 130."""
    from gtm.ops.run import RunInterrupted

    try:
        yield
    except GtmError as exc:
        if _STATE.debug:
            raise
        console.error_line(str(exc))
        raise typer.Exit(code=exc.exit_code) from None
    except RunInterrupted as exc:
        console.error_line(
            f"interrupted (Ctrl-C): run {exc.report.run_id} is recorded as interrupted in "
            "ops.run_history; nothing was published and no alert was sent"
        )
        raise typer.Exit(code=INTERRUPTED_EXIT) from None
    except KeyboardInterrupt:
        console.error_line("interrupted (Ctrl-C)")
        raise typer.Exit(code=INTERRUPTED_EXIT) from None


@contextmanager
def _warehouse_lock(root: Path, command: str) -> Iterator[Path]:
    """Hold the warehouse's run lock for a command; refuse at once if another process has it."""
    path = project.prepare_environment(root)
    with RunLock(path, command):
        yield path


# --------------------------------------------------------------------------------------------------
# options


@app.callback()
def _main_options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks instead of one error line.")
    ] = False,
) -> None:
    """gtm-warehouse: demo world, ingestion with dlt, and the dbt build into DuckDB."""
    _STATE.debug = debug


def _scale_in_range(value: float) -> float:
    """Accept what the generator accepts: more than 0, at most `world.MAX_SCALE`."""
    if not 0 < value <= world.MAX_SCALE:
        raise typer.BadParameter(f"{value:g} is not in the range 0<x<={world.MAX_SCALE:g}.")
    return value


ScaleOption = Annotated[
    float,
    typer.Option(
        "--scale",
        metavar="FLOAT",
        callback=_scale_in_range,
        help=f"World size, 1.0 = full; 0<x<={world.MAX_SCALE:g}.",
    ),
]
SeedOption = Annotated[
    int, typer.Option("--seed", min=0, metavar="INTEGER", help="Random seed, 0 or more.")
]
WorldOption = Annotated[
    Path | None,
    typer.Option(
        "--world",
        metavar="DIR",
        help="Demo world folder.",
        show_default=str(project.DEFAULT_WORLD_DIR),
    ),
]
LiveOption = Annotated[
    bool,
    typer.Option("--live", help="Load from the real APIs with your credentials, not the demo."),
]
SelectOption = Annotated[
    list[str] | None,
    typer.Option(
        "--select", "-s", metavar="SELECTOR", help="dbt node selection; repeat for several."
    ),
]


# --------------------------------------------------------------------------------------------------
# demo world


@app.command("generate")
def generate_command(
    scale: ScaleOption = world.DEFAULT_SCALE,
    seed: SeedOption = world.DEFAULT_SEED,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Folder to write the world into.",
            show_default=str(project.DEFAULT_WORLD_DIR),
        ),
    ] = None,
    as_of: Annotated[
        datetime,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="The world's 'today'.",
            show_default=world.DEFAULT_AS_OF.isoformat(),
        ),
    ] = _DEFAULT_AS_OF,
) -> None:
    """Generate the synthetic demo world (CRM, marketing and ads data) into a folder.

    Refused while a gtm command is reading that world.
    """
    out = out if out is not None else project.find_repo_root() / project.DEFAULT_WORLD_DIR
    with _guard():
        result = world.generate(out, scale, seed, as_of.date(), console.progress_bars)
    console.out().print(console.world_table(result.manifest))
    total = result.manifest.get("rows_total", sum(result.manifest.get("tables", {}).values()))
    console.say(f"Wrote {total:,} rows to {project.display_path(out)} in {result.seconds:.1f} s.")


@app.command("demo")
def demo_command(
    scale: ScaleOption = world.DEFAULT_SCALE,
    seed: SeedOption = world.DEFAULT_SEED,
    world_dir: WorldOption = None,
) -> None:
    """Generate the demo world if needed, then serve it through the local API servers."""
    from gtm import sources

    world_dir = world_dir or project.find_repo_root() / project.DEFAULT_WORLD_DIR
    with (
        _guard(),
        world.reading(
            world_dir,
            scale,
            seed,
            command="gtm demo",
            say=console.say,
            progress=console.progress_bars,
        ) as held,
    ):
        if held.generated:
            console.out().print(console.world_table(held.manifest))
        console.say(f"Demo world: {world_dir.resolve()}")
        servable = sources.servable_sources()
        if not servable:
            console.say(
                "No local API servers are implemented yet, so there is nothing to serve. "
                "The world's files are in the folder above."
            )
            return
        _serve(servable, world_dir)


def _serve(servable: Sequence[Any], world_dir: Path) -> None:
    handles: list[Any] = []
    try:
        for spec in servable:
            handle = spec.serve(world_dir)
            handles.append(handle)
            console.say(f"{spec.name}: {getattr(handle, 'url', 'started')}")
        console.say("Serving; press Ctrl-C to stop.")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        console.say("Stopping.")
    finally:
        for handle in reversed(handles):
            stop: Callable[[], None] | None = getattr(handle, "stop", None)
            if stop is not None:
                stop()


# --------------------------------------------------------------------------------------------------
# ingest, build, run


class _IngestFailures(GtmError):
    """Several sources failed: one line each."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@app.command(
    "ingest",
    help=f"""Load sources into DuckDB with dlt, several at once.

By default from the demo world (served by the local API servers; generated with the default
seed and scale when the folder holds none), or from the real APIs with --live.

Sources: {SOURCE_NAMES}.""",
)
def ingest_command(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[SOURCE]...", help="Sources to load (default: all).", show_default=False
        ),
    ] = None,
    world_dir: WorldOption = None,
    live: LiveOption = False,
) -> None:
    """Load sources into DuckDB with dlt (help text set on the decorator)."""
    from gtm.ops import run

    root = project.find_repo_root()
    with _guard():
        if live and world_dir is not None:
            raise GtmError("--live loads from the real APIs; it cannot be combined with --world")
        specs = run.resolve_sources(names or [])
        if not specs:
            console.say("No sources are configured yet: nothing to ingest.")
            return
        with _warehouse_lock(root, "gtm ingest") as warehouse:
            if live:
                results = run.ingest(root, warehouse, specs, None, console.say)
            else:
                world_dir = world_dir or root / project.DEFAULT_WORLD_DIR
                with world.reading(
                    world_dir,
                    None,
                    None,
                    command="gtm ingest",
                    pinned=False,
                    say=console.say,
                    progress=console.progress_bars,
                ):
                    results = run.ingest(root, warehouse, specs, world_dir, console.say)
        failed = [(name, r) for name, r in results.items() if r.status == "failed"]
        if len(failed) == 1 and failed[0][1].exception is not None:
            raise failed[0][1].exception
        if failed and _STATE.debug:
            errors = [r.exception for _name, r in failed if isinstance(r.exception, Exception)]
            raise ExceptionGroup(f"{len(failed)} sources failed", errors)
        if failed:
            for name, result in failed:
                message = result.error or "failed"
                named = message if message.startswith(f"{name}:") else f"{name}: {message}"
                console.error_line(named)
            raise typer.Exit(code=1)


@app.command("build")
def build_command(select: SelectOption = None) -> None:
    """Run `dbt build` (models, seeds and data tests) into the warehouse (`DBT_TARGET`).

    In two phases around the training of the predictive models (docs/engines.md): the training
    inputs and everything else, the training, then what reads the trained parameters.
    """
    from gtm import engines
    from gtm.ops import phases

    root = project.find_repo_root()
    with _guard(), _warehouse_lock(root, "gtm build") as warehouse:
        engines.preflight(engines.current_target(root))
        built = phases.build(root, warehouse, select or [])
    summary = built.dbt
    if built.training is not None:
        console.say(built.training.describe()[:1].upper() + built.training.describe()[1:] + ".")
    console.say(summary.describe())
    if not summary.success:
        console.error_line(
            f"dbt build failed: {summary.failures()} failing node(s), see the log above"
        )
        raise typer.Exit(code=1)


@app.command("train")
def train_command() -> None:
    """Train the predictive models on the built inputs; store their parameters (no dbt build).

    Reads int_attribution_paths_listed and int_lead_score_inputs_joined as the last build left them
    and replaces the tables of schema `model_parameters`; `gtm build` does this between its phases.
    Then `dbt build --select source:model_parameters+` applies them.
    """
    from gtm import engines
    from gtm.training import train

    root = project.find_repo_root()
    with _guard(), _warehouse_lock(root, "gtm train") as warehouse:
        target = engines.current_target(root)
        engines.preflight(target)
        manifest = project.target_dir(root, warehouse) / "manifest.json"
        summary = train.train_models(target, warehouse, manifest)
    console.say(summary.describe()[:1].upper() + summary.describe()[1:] + ".")


@app.command("sync")
def sync_command(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NAME]...", help="Syncs to run (default: all declared).", show_default=False
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print what would be sent, with a sample; send nothing."),
    ] = False,
    full_resync: Annotated[
        bool, typer.Option("--full-resync", help="Send every record, changed or not.")
    ] = False,
    world_dir: WorldOption = None,
    live: LiveOption = False,
) -> None:
    """Write lead scores and segments from the warehouse into HubSpot and Salesforce.

    Syncs are declared in the dbt project (`config.meta.syncs` of the `sync_` models). Only
    records changed since the last successful send go, plus earlier rejections. By default to
    the demo world's local servers, or to the real APIs with --live (the sources' credentials).
    """
    from gtm.sync import core

    root = project.find_repo_root()
    with _guard(), _warehouse_lock(root, "gtm sync") as warehouse:
        options = {"dry_run": dry_run, "full_resync": full_resync, "say": console.say}
        if live:
            results = core.run_syncs(root, warehouse, names or [], **options)
        else:
            world_dir = world_dir or root / project.DEFAULT_WORLD_DIR
            with core.demo_endpoints(world_dir) as endpoints:
                results = core.run_syncs(
                    root, warehouse, names or [], endpoints=endpoints, **options
                )
    failed = [r for r in results if r.status in ("failed", "budget")]
    for result in failed:
        console.error_line(f"{result.name}: {result.message}")
    if failed:
        raise typer.Exit(code=1)


@app.command("run")
def run_command(
    scale: ScaleOption = world.DEFAULT_SCALE,
    seed: SeedOption = world.DEFAULT_SEED,
    world_dir: WorldOption = None,
    live: LiveOption = False,
    due: Annotated[
        bool,
        typer.Option(
            "--due", help="Only ingest the sources whose cadence ([gtm.schedule]) is due."
        ),
    ] = False,
    select: SelectOption = None,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Build and test everything in full and publish, changed or not.",
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Stream dbt's per-node log and every load line instead of progress bars.",
        ),
    ] = False,
) -> None:
    """Ingest every source, build, test, publish the marts for BI, report and alert.

    By default from the demo world (regenerated when its seed or scale differ), or from the real
    APIs with --live. One run at a time per warehouse: a second one refuses at once (exit status
    75). The report is printed, written to gtm_run_report.json in the warehouse's dbt target
    folder and appended to ops.run_history. Ctrl-C exits 130 and records the run as interrupted.
    Progress bars and a short summary by default; the full logs are in the logs folder the summary
    names (dbt.log, gtm_run.log).
    """
    from gtm.ops import dbt, run

    root = project.find_repo_root()
    with _guard():
        if live and world_dir is not None:
            raise GtmError("--live loads from the real APIs; it cannot be combined with --world")
        options = run.RunOptions(
            world_dir=None if live else (world_dir or root / project.DEFAULT_WORLD_DIR),
            scale=scale,
            seed=seed,
            due=due,
            select=tuple(select or ()),
            full_refresh=full_refresh,
            verbose=verbose,
        )
        with _warehouse_lock(root, "gtm run") as warehouse:
            report, loaded = run.execute_run(
                root, warehouse, options, say=console.say, progress=console.progress_bars
            )
    console.print_run(
        report,
        loaded.manifest if loaded is not None and loaded.generated else None,
        verbose=verbose,
        logs=dbt.logs_dir(root, warehouse),
    )
    if report.status != "skipped":
        console.say(f"Report: {project.display_path(project.report_path(root, warehouse))}")
    if report.dashboard is not None and report.dashboard["built"]:
        console.say(f"Dashboard: {project.display_path(Path(report.dashboard['path']))}")
    elif report.dashboard is not None:
        console.say(f"Dashboard not built: {report.dashboard['error']}")
    if report.status == "failed":
        failing = len(report.dbt_failures())
        what = [f"{len(report.errors)} error(s)"] if report.errors else []
        what += [f"{failing} failing dbt node(s)"] if failing else []
        what = what or ["the build did not succeed"]
        console.error_line(f"run failed: {', '.join(what)}; see the report above")
        raise typer.Exit(code=1)


@app.command("dashboard")
def dashboard_command(
    published: Annotated[
        Path | None,
        typer.Option(
            "--published",
            metavar="FILE",
            help="The published marts to show (default: the warehouse's publish).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="FILE", help="Where to write the HTML (default: target/dashboard/)."
        ),
    ] = None,
    max_age_days: Annotated[
        int,
        typer.Option(
            "--max-age-days",
            min=0,
            metavar="DAYS",
            help="Refuse a publish older than this; 0 accepts any age.",
        ),
    ] = 7,
) -> None:
    """Build the static HTML dashboard (one file, opens offline) from the published marts."""
    from datetime import timedelta

    from gtm.dashboard import build_dashboard, dashboard_path
    from gtm.ops import publish
    from gtm.ops.settings import load_settings

    root = project.find_repo_root()
    with _guard():
        warehouse = project.duckdb_path(root)
        if published is None:
            published = publish.publish_path(warehouse, load_settings().publish_path, root)
        built = build_dashboard(
            published.resolve(),
            (out or dashboard_path(root, warehouse)).resolve(),
            max_age=timedelta(days=max_age_days) if max_age_days else None,
        )
    console.say(
        f"Dashboard: {project.display_path(built.path)} ({built.bytes / 1e6:.1f} MB, "
        f"{len(built.pages)} pages) from run {built.run_id}, built in {built.seconds:.1f} s."
    )


# --------------------------------------------------------------------------------------------------
# privacy


@app.command("forget")
def forget_command(
    subjects: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[SUBJECT]...",
            help="E-mail addresses or CRM ids (hubspot:123, salesforce:00Q..., or bare ids).",
            show_default=False,
        ),
    ] = None,
    files: Annotated[
        list[Path] | None,
        typer.Option(
            "--file", "-f", metavar="FILE", help="A file of subjects, one per line; repeatable."
        ),
    ] = None,
    world_dir: WorldOption = None,
    live: LiveOption = False,
) -> None:
    """Erase people from the warehouse, dlt's folders, the models and the published file.

    Each subject gets one line and a row in ops.privacy_erasures (keyed hash, never the e-mail);
    its identifiers go on ops.privacy_suppressions so no later ingest brings it back. With
    `[gtm.privacy] hubspot_gdpr_delete = true`, HubSpot deletes the contacts for good as well (the
    demo world's server, or the real API with --live). Exit status 1 when a request is invalid or
    an erasure is not complete (rerun to complete it).
    """
    from contextlib import nullcontext

    from gtm.privacy import forget, vendor
    from gtm.privacy import subjects as parse

    root = project.find_repo_root()
    with _guard():
        wanted = parse.gather(subjects or [], files or [])
        if not wanted:
            raise GtmError("give at least one e-mail address or CRM id, or --file with some")
        at_hubspot = vendor.hubspot_gdpr_delete_enabled()
        endpoints: Any = nullcontext(None)
        if at_hubspot:
            from gtm.sync import core

            world = world_dir or root / project.DEFAULT_WORLD_DIR
            endpoints = nullcontext(core.Endpoints()) if live else core.demo_endpoints(world)
        with _warehouse_lock(root, "gtm forget") as warehouse, endpoints as where:
            hubspot = where.client("hubspot")[0] if where is not None else None
            report = forget.forget(root, warehouse, wanted, say=console.say, hubspot=hubspot)
    for outcome in report.subjects:
        (console.say if outcome.status in ("done", "not_found") else console.error_line)(
            outcome.line()
        )
    if report.steps:
        console.say(report.summary())
    console.say(f"Request {report.request_id}: audit rows in ops.privacy_erasures.")
    if not report.ok:
        raise typer.Exit(code=1)


# --------------------------------------------------------------------------------------------------
# entry point


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of `gtm`: one red error line on failure, the traceback with `--debug`."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = app(args=args, prog_name="gtm", standalone_mode=False)
    except click.exceptions.Abort:  # Ctrl-C outside a command's own handling
        console.error_line("interrupted (Ctrl-C)")
        sys.exit(INTERRUPTED_EXIT)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:
        if _STATE.debug or "--debug" in args:
            raise
        from gtm.ops.run import one_line

        console.error_line(f"{one_line(exc)} (rerun with --debug for the traceback)")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
