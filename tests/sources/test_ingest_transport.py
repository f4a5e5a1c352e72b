"""dlt's `[runtime]` request settings reach every source's client; what gives up is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_support import load, make_source, raw_tables

from gtm_demo.servers import hubspot
from gtm_demo.serving import Fault
from ingest import SourceError
from ingest.extract import skip_repeats
from ingest.hubspot import hubspot_source

OWNERS = "/crm/v3/owners"


@pytest.fixture(scope="module")
def server(world_small: Path):
    handle = hubspot.start(world_small, rate_limit=(100_000, 10.0), search_rate_limit=None)
    yield handle
    handle.stop()


def owners(server, **runtime):
    """HubSpot's owners only, with `runtime` as dlt's [runtime] request settings."""
    source = make_source(
        hubspot_source, base_url=server.url, access_token="demo-hubspot-token", **runtime
    )
    return source.with_resources("owners")


def test_request_max_attempts_bounds_the_retries(server, tmp_path):
    server.plan.clear()
    server.plan.add(Fault("status", 2, OWNERS, 503))
    with pytest.raises(SourceError) as raised:
        load("hubspot", owners(server, max_attempts=2, backoff=0.01), tmp_path / "a.duckdb")
    message = str(raised.value)
    assert message.startswith("hubspot: gave up after 2 attempts: HTTP 503 on GET http://")
    assert message.endswith("/crm/v3/owners/?…")  # the query string is never shown
    assert [kind for kind, _ in server.plan.injected] == ["status", "status"]
    assert raw_tables(tmp_path / "a.duckdb", "raw_hubspot") == {}

    server.plan.injected.clear()
    server.plan.add(Fault("status", 2, OWNERS, 503))
    result = load("hubspot", owners(server, max_attempts=3, backoff=0.01), tmp_path / "b.duckdb")
    assert [kind for kind, _ in server.plan.injected] == ["status", "status"]
    assert result.rows["owners"] > 0


def test_request_timeout_is_the_wait_for_an_answer(server, tmp_path):
    server.plan.clear()
    server.plan.injected.clear()
    server.plan.add(Fault("slow", 1, OWNERS, seconds=1.0))
    with pytest.raises(SourceError, match=r"^hubspot: gave up after 1 attempts: ReadTimeout on"):
        load("hubspot", owners(server, max_attempts=1, timeout=0.3), tmp_path / "slow.duckdb")


def test_a_record_repeated_across_a_page_boundary_is_read_once():
    pages = [[1, 2, 3], [3, 4], [4], [5, 5], []]
    assert list(skip_repeats(pages, lambda n: n)) == [[1, 2, 3], [4], [5, 5]]
