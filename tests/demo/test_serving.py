"""The serving base every local API server stands on."""

import time
from datetime import UTC, datetime

import duckdb
import pytest
import requests
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from gtm_demo.serving import (
    Fault,
    FaultPlan,
    RollingLimit,
    WorldState,
    admin_routes,
    fault_middleware,
    serve,
)

MOMENT = datetime(2025, 9, 1, tzinfo=UTC)


def test_state_is_the_last_version_of_each_record_at_the_moment(world_small):
    state = WorldState(world_small, MOMENT)
    served = state.fetch(
        f"select Id, StageName from {state.table('salesforce/Opportunity')} order by Id"
    )
    expected = duckdb.sql(
        f"""
        select Id, arg_max(StageName, _version_at)
        from '{world_small}/salesforce/Opportunity.parquet'
        where _version_at <= '{MOMENT.isoformat()}'::timestamptz group by Id order by Id
        """
    ).fetchall()
    assert [(row["Id"], row["StageName"]) for row in served] == expected
    assert (
        0
        < len(expected)
        < duckdb.sql(
            f"select count(distinct Id) from '{world_small}/salesforce/Opportunity.parquet'"
        ).fetchall()[0][0]
    )


def test_advancing_the_clock_rebuilds_the_state(world_small):
    state = WorldState(world_small, MOMENT)
    before = state.fetch(f"select count(*) as n from {state.table('hubspot/contacts')}")[0]["n"]
    state.advance(state.end)
    after = state.fetch(f"select count(*) as n from {state.table('hubspot/contacts')}")[0]["n"]
    total = duckdb.sql(
        f"select count(distinct id) from '{world_small}/hubspot/contacts.parquet'"
    ).fetchall()[0][0]
    assert before < after == total
    with pytest.raises(ValueError, match="ends at"):
        state.advance(datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="time zone"):
        state.advance(datetime(2025, 1, 1))


def test_a_folder_without_a_world_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no demo world"):
        WorldState(tmp_path)


def test_faults_are_consumed_in_order_and_by_path():
    plan = FaultPlan()
    plan.add(Fault("status", count=2, path="/a", status=503))
    plan.add(Fault("slow", path="/b", seconds=0.1))
    assert plan.take("/b/x").kind == "slow"
    assert plan.take("/b/x") is None
    assert plan.take("/a/1").status == 503
    assert plan.take("/a/2").status == 503
    assert plan.take("/a/3") is None
    assert plan.injected == [("slow", "/b/x"), ("status", "/a/1"), ("status", "/a/2")]


def test_rolling_limit_counts_a_window():
    limit = RollingLimit(3, 0.2)
    assert [limit.take()[0] for _ in range(4)] == [True, True, True, False]
    allowed, remaining, wait = limit.take()
    assert (allowed, remaining) == (False, 0) and 0 < wait <= 0.2
    time.sleep(0.21)
    assert limit.take()[:2] == (True, 2)


def test_generic_faults_over_http(world_small):
    state, plan = WorldState(world_small), FaultPlan()

    async def page(request):
        return JSONResponse({"results": list(range(100))})

    def error_body(status, message):
        return JSONResponse({"error": message}, status_code=status)

    app = Starlette(routes=[Route("/items", page), *admin_routes(state, plan)])
    handle = serve(fault_middleware(plan, error_body)(app))
    try:
        url = f"{handle.url}/items"
        assert requests.get(url, timeout=5).json()["results"][-1] == 99
        plan.add(Fault("status", status=429, retry_after=2))
        answer = requests.get(url, timeout=5)
        assert (answer.status_code, answer.headers["Retry-After"]) == (429, "2")
        plan.add(Fault("truncate"))
        with pytest.raises(requests.JSONDecodeError):
            requests.get(url, timeout=5).json()
        plan.add(Fault("reset"))
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(url, timeout=5)
        plan.add(Fault("slow", seconds=1.0))
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(url, timeout=0.3)
        moved = requests.post(
            f"{handle.url}/__admin/time", json={"as_of": "2025-01-01T00:00:00+00:00"}, timeout=5
        )
        assert moved.json() == {"as_of": "2025-01-01T00:00:00+00:00"}
        assert state.moment == datetime(2025, 1, 1, tzinfo=UTC)
        requests.post(
            f"{handle.url}/__admin/faults", json={"kind": "status", "status": 500}, timeout=5
        )
        assert requests.get(url, timeout=5).status_code == 500
        assert requests.get(url, timeout=5).status_code == 200
    finally:
        handle.stop()
