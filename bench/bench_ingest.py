"""Benchmark ingestion from the local API servers, in one run.

1. Rows/s per source (all five) at scale 1: each server runs in its own process with rate
   limits off, and the real dlt source loads the whole world into a fresh DuckDB file.
2. The floor: the HubSpot contact pages the source reads, saved to disk and read by DuckDB's own
   `read_json`; the ratio is the source's contacts rows/s over that.
3. Rate-limit utilisation: HubSpot limited to `--limit` requests per 10 s (server and client
   both), the events and contacts read at scale 0.1; achieved requests/s over the steady state
   (after the first window) as a fraction of the limit, and the 429s drawn.

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
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import requests

from ingest import sources
from ingest.demo.generator import generate, read_world_meta
from ingest.demo.servers import hubspot
from ingest.demo.serving import FaultPlan, WorldState, serve
from ingest.hubspot import hubspot_source
from ingest.pipelines import run_source
from ingest.project import find_repo_root
from ingest.sources import IngestContext

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
handle = importlib.import_module(f"ingest.demo.servers.{name}").start(world, **unlimited)
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
    context = IngestContext(root=ROOT, duckdb_path=Path("unused"), world_dir=world_dir)
    settings = sources._demo_settings(name, url, context) | CLIENT_UNLIMITED.get(name, {})
    module = importlib.import_module(f"ingest.{name}")
    return getattr(module, f"{name}_source")(**(settings | kw))


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


def rate_limit_utilisation(world_dir: Path, work: Path, limit: int) -> dict:
    """Run HubSpot against a server allowing `limit` requests per 10 s; measure at the server.

    Every answer to a rate-limited endpoint (search has its own limit) is recorded with its
    arrival time and status; the steady state starts once the first window has passed.
    """
    app = hubspot.create_app(
        WorldState(world_dir), FaultPlan(), rate_limit=(limit, 10.0), search_rate_limit=(5, 1.0)
    )
    seen: list[tuple[float, int]] = []

    async def counted(scope: dict, receive: Any, send: Any) -> None:
        status = {"code": 0}

        async def record(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await app(scope, receive, record)
        if scope["type"] == "http" and not scope["path"].endswith("/search"):
            seen.append((time.monotonic(), status["code"]))

    handle = serve(counted)
    failed, rows = 0, 0
    started = time.monotonic()
    try:
        src = hubspot_source(
            base_url=handle.url, access_token="demo-hubspot-token", requests_per_10s=limit
        ).with_resources("contacts", "email_events", "web_events")
        try:
            result = run_source(
                "hubspot", src, IngestContext(root=ROOT, duckdb_path=work / "rate.duckdb")
            )
            rows = sum(result.rows.values())
        except Exception as exc:  # a failed run is what this measures, not a crash
            failed = 1
            print(f"rate-limited run failed: {exc}", file=sys.stderr)
    finally:
        handle.stop()
    accepted = [t for t, code in seen if code != 429]
    steady = [t for t in accepted if t >= accepted[0] + 10.0] if accepted else []
    window = (steady[-1] - steady[0]) if len(steady) > 1 else 0.0
    achieved = (len(steady) - 1) / window if window else 0.0
    return {
        "limit_requests_per_10s": limit,
        "requests": len(seen),
        "rows": rows,
        "seconds": round(time.monotonic() - started, 1),
        "steady_state_requests_per_second": round(achieved, 2),
        "utilisation": round(achieved / (limit / 10.0), 3),
        "http_429": sum(1 for _, code in seen if code == 429),
        "failed_runs": failed,
    }


def main() -> None:
    """Run the three measurements and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, default=None, help="scale-1 world (generated)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--limit", type=int, default=100, help="requests per 10 s")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    results: dict = {"sources": {}}
    try:
        big = world(args.world or work / "world-1", 1.0)
        for name in SYSTEMS:
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
        results["rate_limit"] = rate_limit_utilisation(small, work, args.limit)
        print("rate limit", results["rate_limit"], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ingest.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
