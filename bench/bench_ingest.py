"""Benchmark ingestion from the local API servers, in one run.

1. Rows/s per source (all five) at scale 1: each server runs in its own process with rate
   limits off, and the real dlt source loads the whole world into a fresh DuckDB file.
2. The floor: the HubSpot contact pages the source reads, saved to disk and read by DuckDB's own
   `read_json`; the ratio is the source's contacts rows/s over that.
3. Rate-limit utilisation, at scale 0.1, each platform against its own kind of limit (server
   and client set alike): HubSpot `--limit` calls per 10 s, Google Ads 5 per second, Meta 60
   per minute per ad account and call kind (the insights bucket binds), LinkedIn 20 per 10 s.
   Counted at the server: calls accepted in the whole windows after the first, over the calls
   the limit allowed; throttled answers (429, or Meta's throttling codes) and failed runs.

Usage: .venv/bin/python bench/bench_ingest.py [--world DIR] [--out bench/results]
Writes bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import requests

from gtm.project import find_repo_root
from gtm_demo.generator import generate, read_world_meta
from gtm_demo.serving import FaultPlan, WorldState, serve
from gtm_demo.settings import demo_settings
from ingest import source_factory
from ingest.pipelines import IngestContext, run_source

ROOT = find_repo_root(Path(__file__).parent)
AS_OF = date(2026, 6, 30)
SERVER = """
import importlib, sys
from pathlib import Path
name, world = sys.argv[1], Path(sys.argv[2])
unlimited = {
    "hubspot": {"rate_limit": (10**9, 10.0), "search_rate_limit": None},
    "google_ads": {"rate_limit": None},
    "facebook_ads": {"rate_limit": (10**9, 60.0), "insights_rate_limit": (10**9, 60.0)},
    "linkedin_ads": {"rate_limit": None},
}.get(name, {})
handle = importlib.import_module(f"gtm_demo.servers.{name}").start(world, **unlimited)
print(handle.url, flush=True)
sys.stdin.read()
"""
SYSTEMS = ("salesforce", "hubspot", "google_ads", "facebook_ads", "linkedin_ads")
CLIENT_UNLIMITED = {
    "hubspot": {"requests_per_10s": 10**9, "searches_per_second": 10**6},
    "google_ads": {"requests_per_second": 10**6},
    "facebook_ads": {"requests_per_minute": 10**9, "insights_requests_per_minute": 10**9},
    "linkedin_ads": {"requests_per_window": 10**9},
}


def world(path: Path, scale: float) -> Path:
    """A world at `scale` in `path` (reused when it is already there)."""
    meta = read_world_meta(path)
    if meta is None or meta.get("scale") != scale:
        shutil.rmtree(path, ignore_errors=True)
        generate(path, scale=scale, seed=42, as_of=AS_OF)
    return path


def serve_elsewhere(name: str, world_dir: Path) -> tuple[subprocess.Popen, str]:
    """Start one source's server in its own process; return it and its URL."""
    child = subprocess.Popen(
        [sys.executable, "-c", SERVER, name, str(world_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    url = child.stdout.readline().strip() if child.stdout else ""
    return child, url


def source(name: str, url: str, world_dir: Path, **kw):
    """The real dlt source pointed at a local server, with client-side limits lifted."""
    settings = demo_settings(name, url, world_dir) | CLIENT_UNLIMITED.get(name, {})
    return source_factory(name)(**(settings | kw))


def timed_load(name: str, src, db: Path) -> dict:
    """Load `src` into a fresh file; return rows, seconds, rows/s."""
    db.unlink(missing_ok=True)
    started = time.perf_counter()
    result = run_source(name, src, IngestContext(root=ROOT, duckdb_path=db))
    seconds = time.perf_counter() - started
    rows = sum(result.rows.values())
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds)}


def contacts_floor(url: str, work: Path) -> dict:
    """Save the contact pages the source reads, then time DuckDB's `read_json` over them."""
    pages = work / "contact_pages"
    pages.mkdir(exist_ok=True)
    session = requests.Session()
    session.headers["Authorization"] = "Bearer demo-hubspot-token"
    names = [p["name"] for p in session.get(f"{url}/crm/v3/properties/contacts").json()["results"]]
    params = {"limit": 100, "properties": ",".join(names)}
    count = 0
    while True:
        reply = session.get(f"{url}/crm/v3/objects/contacts", params=params)
        (pages / f"{count:06d}.json").write_bytes(reply.content)
        count += 1
        after = (reply.json().get("paging") or {}).get("next", {}).get("after")
        if not after:
            break
        params["after"] = after
    con = duckdb.connect()
    started = time.perf_counter()
    rows = con.execute(
        "create table contacts as select unnest(results, recursive := true) "
        f"from read_json('{pages}/*.json')"
    ).fetchone()
    seconds = time.perf_counter() - started
    rows = con.execute("select count(*) from contacts").fetchone()[0]
    return {
        "rows": rows,
        "pages": count,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds),
    }


@dataclass(frozen=True)
class Limited:
    """One rate-limited run: the server's limits, the client's matching settings, what counts.

    `scope` maps a request's path and response headers to the limit it drew on (None: not
    rate-limited, such as the token endpoint); `limits` gives a scope its (requests, seconds)
    window.
    """

    system: str
    server: dict
    client: dict
    scope: Callable[[str, dict[str, str]], str | None]
    limits: Callable[[str], tuple[int, float]]
    resources: tuple[str, ...] = ()


def _hubspot_scope(path: str, _: dict[str, str]) -> str | None:
    return None if path.endswith("/search") or path.startswith("/oauth") else "account"


def _google_scope(path: str, _: dict[str, str]) -> str | None:
    return "account" if path.startswith("/v") else None


def _meta_scope(path: str, headers: dict[str, str]) -> str | None:
    # Meta names the account a call counted against (a report run's too) in its usage header.
    usage = headers.get("x-business-use-case-usage")
    if not usage:
        return None
    account, [bucket, *_] = next(iter(json.loads(usage).items()))
    return f"{bucket['type']} {account}"


def _linkedin_scope(path: str, _: dict[str, str]) -> str | None:
    return "application" if path.startswith("/rest/") else None


THROTTLE_CODES = {4, 17, 32, 613, *range(80000, 80015)}


def _throttled(status: int, body: bytes) -> bool:
    """Whether an answer refused the call for its rate: a 429, or Meta's throttling codes."""
    if status == 429:
        return True
    if status < 400 or not body:
        return False
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        return False
    return isinstance(error, dict) and error.get("code") in THROTTLE_CODES


def limited_runs(limit: int) -> list[Limited]:
    """The rate-limited runs: every platform, each with its own kind of limit made binding.

    Date windows and pages are shrunk so that each run makes hundreds of calls (the demo world
    at scale 0.1 fits in a few dozen otherwise); the client is set to the server's limit, as a
    user sets it to their account's.
    """
    return [
        Limited(
            "hubspot",
            {"rate_limit": (limit, 10.0), "search_rate_limit": (5, 1.0)},
            {"requests_per_10s": limit},
            _hubspot_scope,
            lambda _: (limit, 10.0),
            ("contacts", "email_events", "web_events"),
        ),
        Limited(
            "google_ads",
            {"rate_limit": (5, 1.0)},
            {"requests_per_second": 5, "window_days": 7},
            _google_scope,
            lambda _: (5, 1.0),
        ),
        Limited(
            "facebook_ads",
            {
                "rate_limit": (60, 60.0),
                "insights_rate_limit": (60, 60.0),
                # Reports complete at once, so the run waits on the insights limit, not on them.
                "report_schedule": (("Job Completed", 100),),
            },
            {
                "requests_per_minute": 60,
                "insights_requests_per_minute": 60,
                "days_per_report": 1,
                "start_date": "2026-03-01",
                "poll_interval": 0.2,
            },
            _meta_scope,
            lambda _: (60, 60.0),
        ),
        Limited(
            "linkedin_ads",
            {"rate_limit": (20, 10.0)},
            {"requests_per_window": 20, "window_seconds": 10.0, "max_elements": 100},
            _linkedin_scope,
            lambda _: (20, 10.0),
        ),
    ]


def rate_limit_utilisation(run: Limited, world_dir: Path, work: Path) -> dict:
    """Run one source against its server with `run`'s limits; measure at the server.

    Every answer to a rate-limited call is recorded with its arrival time, scope and whether
    it was throttled. Per scope, the steady state is the whole windows after the first one;
    utilisation is the calls accepted in them over the calls the limit allowed. The headline is the
    busiest scope for its limit (the one the run waited on).
    """
    module = importlib.import_module(f"gtm_demo.servers.{run.system}")
    app = module.create_app(WorldState(world_dir), FaultPlan(), **run.server)
    seen: list[tuple[float, str, bool]] = []

    async def counted(scope: dict, receive: Any, send: Any) -> None:
        answer: dict[str, Any] = {"status": 0, "body": b"", "headers": {}}

        async def record(message: dict) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
            elif message["type"] == "http.response.body" and answer["status"] >= 400:
                answer["body"] += message.get("body", b"")
            await send(message)

        await app(scope, receive, record)
        key = run.scope(scope["path"], answer["headers"]) if scope["type"] == "http" else None
        if key is not None:
            seen.append((time.monotonic(), key, _throttled(answer["status"], answer["body"])))

    handle = serve(counted)
    failed, rows = 0, 0
    started = time.monotonic()
    try:
        src = source(run.system, handle.url, world_dir, **run.client)
        if run.resources:
            src = src.with_resources(*run.resources)
        db = work / f"rate_{run.system}.duckdb"
        try:
            result = run_source(run.system, src, IngestContext(root=ROOT, duckdb_path=db))
            rows = sum(result.rows.values())
        except Exception as exc:  # a failed run is what this measures, not a crash
            failed = 1
            print(f"rate-limited {run.system} run failed: {exc}", file=sys.stderr)
    finally:
        handle.stop()
    scopes = {}
    for key in sorted({key for _, key, _ in seen}):
        allowed, seconds = run.limits(key)
        accepted = [t for t, k, throttled in seen if k == key and not throttled]
        # Whole windows after the first one: a rolling limit allows at most `allowed` in each.
        begin = accepted[0] + seconds if accepted else 0.0
        windows = int((accepted[-1] - begin) // seconds) if accepted else 0
        counted_calls = sum(1 for t in accepted if begin <= t < begin + windows * seconds)
        scopes[key] = {
            "requests": sum(1 for _, k, _ in seen if k == key),
            "steady_state_windows": max(windows, 0),
            "steady_state_requests_per_second": round(counted_calls / (windows * seconds), 2)
            if windows > 0
            else 0.0,
            "utilisation": round(counted_calls / (windows * allowed), 3) if windows > 0 else 0.0,
        }

    def load(key: str) -> float:
        return scopes[key]["requests"] / run.limits(key)[0]

    busiest = max(scopes, key=load) if scopes else None
    allowed, seconds = run.limits(busiest or "")
    return {
        "limit": f"{allowed} per {seconds:g} s per {busiest}",
        "requests": len(seen),
        "rows": rows,
        "seconds": round(time.monotonic() - started, 1),
        "utilisation": scopes[busiest]["utilisation"] if busiest else 0.0,
        "throttled": sum(1 for _, _, throttled in seen if throttled),
        "failed_runs": failed,
        "scopes": scopes,
    }


def main() -> None:
    """Run the three measurements and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, default=None, help="scale-1 world (generated)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--limit", type=int, default=100, help="HubSpot requests per 10 s")
    parser.add_argument(
        "--rate-only", nargs="*", dest="only", default=None, help="only these rate-limited runs"
    )
    parser.add_argument(
        "--skip-throughput",
        action="store_true",
        help="measure only the rate-limited runs (no scale-1 world, no rows/s)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    results: dict = {"sources": {}}
    try:
        big = None if args.skip_throughput else world(args.world or work / "world-1", 1.0)
        for name in SYSTEMS if big is not None else ():
            child, url = serve_elsewhere(name, big)
            try:
                loaded = timed_load(name, source(name, url, big), work / f"{name}.db")
                results["sources"][name] = loaded
                print(name, results["sources"][name], flush=True)
                if name == "hubspot":
                    floor = contacts_floor(url, work)
                    contacts = timed_load(
                        name, source(name, url, big).with_resources("contacts"), work / "c.db"
                    )
                    results["contacts_floor"] = floor | {
                        "source": contacts,
                        "ratio": round(contacts["rows_per_second"] / floor["rows_per_second"], 3),
                    }
                    print("contacts vs read_json", results["contacts_floor"], flush=True)
            finally:
                if child.stdin:
                    child.stdin.close()
                child.wait(timeout=30)
        small = world(work / "world-0.1", 0.1)
        results["rate_limit"] = {}
        for run in limited_runs(args.limit):
            if args.only and run.system not in args.only:
                continue
            measured = rate_limit_utilisation(run, small, work)
            results["rate_limit"][run.system] = measured
            print("rate limit", run.system, measured, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ingest.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
