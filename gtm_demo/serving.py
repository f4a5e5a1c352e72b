"""What every local API server shares: the world as of a moment, faults, a loopback server.

A server is a Starlette app over a `WorldState`. Tests and the demo move the world's clock with
`WorldState.advance` (or `POST /__admin/time`), and plan faults with `FaultPlan.add` (or
`POST /__admin/faults`); `serve` runs the app with uvicorn on 127.0.0.1 in a background thread.
"""

from __future__ import annotations

import asyncio
import bisect
import socket
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gtm_demo.generator import read_world_meta
from gtm_demo.schema import key_of

ORDERED_CACHE_SIZE = 48


class OrderedRows:
    """A query result sorted by its key columns `_k0`…, paged by key in O(log n) per page."""

    def __init__(self, table: pa.Table, key_count: int) -> None:
        self.table = table
        columns = [table[f"_k{i}"].to_pylist() for i in range(key_count)]
        self.keys = list(zip(*columns, strict=True))

    def page(
        self, cursor: list | None, count: int, descending: bool, include_cursor: bool
    ) -> list[dict[str, Any]]:
        """Up to `count` rows after `cursor` in the paging direction (from the start if None).

        With `include_cursor`, a row whose key equals the cursor comes first.
        """
        if not descending:
            start = 0
            if cursor is not None:
                find = bisect.bisect_left if include_cursor else bisect.bisect_right
                start = find(self.keys, tuple(cursor))
            return self.table.slice(start, count).to_pylist()
        end = len(self.keys)
        if cursor is not None:
            find = bisect.bisect_right if include_cursor else bisect.bisect_left
            end = find(self.keys, tuple(cursor))
        start = max(0, end - count)
        return self.table.slice(start, end - start).to_pylist()[::-1]


class WorldState:
    """The demo world as a source system sees it at one moment.

    `table(name)` returns the name of an in-memory DuckDB table holding, per record key, the last
    version visible at the moment; it is built on first use after each move of the clock.
    """

    def __init__(self, world: Path, moment: datetime | None = None) -> None:
        meta = read_world_meta(world)
        if meta is None:
            raise ValueError(f"{world} holds no demo world (no world.json)")
        self.world = Path(world)
        self.meta = meta
        self.end = datetime.fromisoformat(meta["as_of"]).replace(tzinfo=UTC)
        self._moment = moment or self.end
        self._con = duckdb.connect()
        self._con.execute("set TimeZone = 'UTC'")
        self._lock = threading.RLock()
        self._built: dict[str, str] = {}
        self._generation = 0
        self._ordered: OrderedDict[tuple, tuple[int, OrderedRows]] = OrderedDict()

    @property
    def moment(self) -> datetime:
        """The moment the world is served as of."""
        return self._moment

    def advance(self, to: datetime) -> None:
        """Serve the world as of `to` from now on (any moment up to the world's as-of date)."""
        if to.tzinfo is None:
            raise ValueError("the moment must carry a time zone")
        if to > self.end:
            raise ValueError(f"the world ends at {self.end.isoformat()}")
        with self._lock:
            self._moment = to
            for name in self._built.values():
                self._con.execute(f"drop table if exists {name}")
            self._built.clear()
            self._ordered.clear()
            self._generation += 1

    def table(self, name: str) -> str:
        """Return the DuckDB table holding the state of world table `name` at the moment."""
        with self._lock:
            if name not in self._built:
                path = self.world / f"{name}.parquet"
                if not path.is_file():
                    raise KeyError(f"the world has no table {name}")
                built = f"{name.replace('/', '__')}__g{self._generation}"
                keys = ", ".join(f'"{k}"' for k in key_of(name))
                self._con.execute(
                    f"create table {built} as select * exclude (_rank) from ("
                    f"select *, row_number() over (partition by {keys} "
                    f"order by _version_at desc) as _rank from read_parquet('{path}') "
                    f"where _version_at <= $moment) where _rank = 1",
                    {"moment": self._moment},
                )
                self._built[name] = built
            return self._built[name]

    def ordered(self, sql: str, params: list, key_count: int) -> OrderedRows:
        """Rows of `sql` (which selects key columns `_k0`…) held in key order for paging.

        Results are cached until the clock moves, so paging a large table costs a binary search
        and a slice per page instead of a sort.
        """
        cache_key = (sql, repr(params), key_count)
        with self._lock:
            generation = self._generation
            hit = self._ordered.get(cache_key)
            if hit is not None and hit[0] == generation:
                self._ordered.move_to_end(cache_key)
                return hit[1]
            keys = ", ".join(f"_k{i}" for i in range(key_count))
            table = self._con.sql(
                f"select * from ({sql}) order by {keys}", params=params
            ).to_arrow_table()
            rows = OrderedRows(table, key_count)
            self._ordered[cache_key] = (generation, rows)
            while len(self._ordered) > ORDERED_CACHE_SIZE:
                self._ordered.popitem(last=False)
            return rows

    def fetch(self, sql: str, params: list | dict | None = None) -> list[dict[str, Any]]:
        """Run `sql` (which names tables from `table()`) and return rows as dicts."""
        with self._lock:
            cursor = self._con.cursor()
        try:
            result = cursor.execute(sql, params or [])
            names = [column[0] for column in result.description]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        finally:
            cursor.close()


@dataclass
class Fault:
    """One planned fault: what happens to the next `count` requests whose path starts with `path`.

    Kinds: `status` (answer `status` with the server's error body for it, optionally with
    `Retry-After`), `reset` (break the connection mid-answer), `slow` (answer after
    `seconds`), `truncate` (cut the JSON body in half); servers may define their own kinds (such
    as a record repeated across a page boundary, or an expired token).
    """

    kind: str
    count: int = 1
    path: str = "/"
    status: int | None = None
    retry_after: float | None = None
    seconds: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)


class FaultPlan:
    """Faults waiting for the requests they apply to; thread-safe."""

    def __init__(self) -> None:
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.injected: list[tuple[str, str]] = []

    def add(self, fault: Fault) -> None:
        """Plan `fault` for the next matching requests."""
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Forget every planned fault."""
        with self._lock:
            self._faults.clear()

    def take(self, path: str, kinds: set[str] | None = None) -> Fault | None:
        """Return the fault that applies to a request for `path`, consuming one of its uses."""
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path) and (kinds is None or fault.kind in kinds):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    self.injected.append((fault.kind, path))
                    return fault
        return None


class RollingLimit:
    """A rolling-window request limit: at most `limit` requests per `interval` seconds."""

    def __init__(self, limit: int, interval: float) -> None:
        self.limit = limit
        self.interval = interval
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, int, float]:
        """Count one request; return (allowed, remaining, seconds until a slot frees)."""
        now = time.monotonic()
        with self._lock:
            while self._times and now - self._times[0] >= self.interval:
                self._times.popleft()
            if len(self._times) >= self.limit:
                return False, 0, self.interval - (now - self._times[0])
            self._times.append(now)
            return True, self.limit - len(self._times), 0.0


ErrorBody = Callable[[int, str], Response]


def fault_middleware(plan: FaultPlan, error_body: ErrorBody) -> Callable:
    """Return ASGI middleware that applies the generic fault kinds.

    `error_body` renders a status in the API's own error format.
    """

    def wrap(app: Callable) -> Callable:
        async def middleware(scope: dict, receive: Callable, send: Callable) -> None:
            if scope["type"] != "http" or scope["path"].startswith("/__admin"):
                await app(scope, receive, send)
                return
            fault = plan.take(scope["path"], {"status", "reset", "slow", "truncate"})
            if fault is None:
                await app(scope, receive, send)
                return
            if fault.kind == "status":
                response = error_body(fault.status or 500, "injected fault")
                if fault.retry_after is not None:
                    response.headers["Retry-After"] = f"{fault.retry_after:g}"
                await response(scope, receive, send)
            elif fault.kind == "reset":
                # Promise a body and close the connection after a few bytes of it.
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-length", b"4096"),
                            (b"content-type", b"application/json"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": b'{"res'})
            elif fault.kind == "slow":
                await asyncio.sleep(fault.seconds)
                await app(scope, receive, send)
            else:  # truncate: pass the start through, cut the body in half
                chunks: list[dict] = []

                async def capture(message: dict) -> None:
                    chunks.append(message)

                await app(scope, receive, capture)
                start = next(m for m in chunks if m["type"] == "http.response.start")
                body = b"".join(
                    m.get("body", b"") for m in chunks if m["type"] == "http.response.body"
                )
                cut = body[: max(1, len(body) // 2)]
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(cut)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": cut})

        return middleware

    return wrap


def admin_routes(state: WorldState, plan: FaultPlan) -> list[Route]:
    """Routes under /__admin to move the clock and plan faults over HTTP (for `gtm demo` users)."""

    async def time_route(request: Request) -> JSONResponse:
        if request.method == "POST":
            body = await request.json()
            state.advance(datetime.fromisoformat(body["as_of"]))
        return JSONResponse({"as_of": state.moment.isoformat()})

    async def faults_route(request: Request) -> JSONResponse:
        if request.method == "DELETE":
            plan.clear()
        else:
            plan.add(Fault(**(await request.json())))
        return JSONResponse({"injected": len(plan.injected)})

    return [
        Route("/__admin/time", time_route, methods=["GET", "POST"]),
        Route("/__admin/faults", faults_route, methods=["POST", "DELETE"]),
    ]


@dataclass
class ServerHandle:
    """A running local server: its base URL, and how to stop it."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread
    app: Starlette

    def stop(self) -> None:
        """Stop the server and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve(app: Starlette, port: int = 0) -> ServerHandle:
    """Run `app` on 127.0.0.1 (`port` 0 picks a free one) in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it, a body written after its headers waits
    # for the client's delayed ACK (40 ms a request on a kept-alive connection).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the local API server did not start")
        time.sleep(0.01)
    host, bound = sock.getsockname()
    return ServerHandle(f"http://{host}:{bound}", server, thread, app)
