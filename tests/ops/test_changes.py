"""What a run builds: fingerprints of the raw tables and the project against the last publish."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from gtm.ops import changes


def _warehouse(path: Path, rows: list[tuple[int, str]]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists raw_fake")
        con.execute("create or replace table raw_fake.things (thing_id bigint, name varchar)")
        con.executemany("insert into raw_fake.things values (?, ?)", rows)
        con.execute("create or replace table raw_fake.others (other_id bigint)")
        con.execute("insert into raw_fake.others values (7)")
        con.execute("create or replace table raw_fake._dlt_loads (load_id varchar)")
        con.execute("insert into raw_fake._dlt_loads values ('1')")


def _manifest(path: Path) -> Path:
    sources = {
        f"source.p.fake.{name}": {"schema": "raw_fake", "name": name, "source_name": "fake"}
        for name in ("things", "others")
    }
    path.write_text(json.dumps({"sources": sources}))
    return path


def test_raw_fingerprints_see_content_not_order_or_dlt_tables(tmp_path: Path) -> None:
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    _warehouse(first, [(1, "a"), (2, "b")])
    _warehouse(second, [(2, "b"), (1, "a")])
    assert sorted(changes.raw_fingerprints(first)) == ["raw_fake.others", "raw_fake.things"]
    assert changes.raw_fingerprints(first) == changes.raw_fingerprints(second)
    _warehouse(second, [(1, "a"), (2, "B")])  # a restated value, same row count
    assert (
        changes.raw_fingerprints(first)["raw_fake.things"]
        != (changes.raw_fingerprints(second)["raw_fake.things"])
    )
    assert (
        changes.raw_fingerprints(first)["raw_fake.others"]
        == (changes.raw_fingerprints(second)["raw_fake.others"])
    )


def test_the_plan_builds_nothing_what_reads_the_changed_tables_or_all(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path / "manifest.json")
    stored = {"raw_fake.things": "2:1:2", "raw_fake.others": "1:9:1", changes.PROJECT_KEY: "p"}

    first = changes.plan_build({}, stored, manifest)
    assert (first.select, first.full_refresh) == (None, True)
    nothing = changes.plan_build(stored, dict(stored), manifest)
    assert (nothing.select, nothing.nothing) == ((), True)

    some = changes.plan_build(stored, stored | {"raw_fake.things": "3:4:2"}, manifest)
    assert (some.select, some.full_refresh) == (("source:fake.things+",), False)
    assert some.reason == "1 raw tables changed: building what reads them"

    project = changes.plan_build(stored, stored | {changes.PROJECT_KEY: "q"}, manifest)
    assert (project.select, project.full_refresh) == (None, True)
    assert project.reason == "the dbt project changed: building all in full"

    unread = changes.plan_build(stored, stored | {"raw_other.t": "1:1:1"}, manifest)
    assert (unread.select, unread.full_refresh) == (None, False)
    assert "raw_other.t read by no dbt source" in unread.reason

    missing = changes.plan_build(stored, stored | {"raw_fake.things": "3:4:2"}, tmp_path / "none")
    assert missing.select is None


def test_the_project_fingerprint_sees_files_and_the_env_vars_they_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "dbt_project.yml").write_text("name: p\n")
    model = tmp_path / "models" / "m.sql"
    model.write_text("select {{ env_var('THING_ID', '1') }} as thing_id\n")
    monkeypatch.delenv("THING_ID", raising=False)
    unset = changes.project_fingerprint(tmp_path)
    monkeypatch.setenv("THING_ID", "")
    empty = changes.project_fingerprint(tmp_path)
    monkeypatch.setenv("THING_ID", "2")
    two = changes.project_fingerprint(tmp_path)
    assert len({unset, empty, two}) == 3
    monkeypatch.setenv("UNREAD_BY_THE_PROJECT", "x")
    assert changes.project_fingerprint(tmp_path) == two
    model.write_text("select 2 as thing_id\n")
    assert changes.project_fingerprint(tmp_path) not in {unset, empty, two}
