"""The demo world generator: determinism, the scale law, the as-of date, safe overwrites."""

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from gtm_demo.generator import generate, read_world_meta, world_digest
from gtm_demo.ids import salesforce_id


def test_same_seed_and_scale_give_identical_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", scale=0.05, seed=7)
    second = generate(tmp_path / "b", scale=0.05, seed=7)
    assert first == second
    assert world_digest(tmp_path / "a") == world_digest(tmp_path / "b")


def test_another_seed_gives_another_world(tmp_path: Path) -> None:
    generate(tmp_path / "a", scale=0.05, seed=7)
    generate(tmp_path / "b", scale=0.05, seed=8)
    assert world_digest(tmp_path / "a") != world_digest(tmp_path / "b")
    people = [
        duckdb.sql(f"select email from '{tmp_path / w}/truth/people.parquet' order by 1").fetchall()
        for w in ("a", "b")
    ]
    assert people[0] != people[1]


def test_row_counts_grow_linearly_with_scale(tmp_path: Path) -> None:
    half = generate(tmp_path / "half", scale=0.5, seed=42)
    full = generate(tmp_path / "full", scale=1.0, seed=42)
    fixed = set(full["fixed_size_tables"])
    assert set(half["tables"]) == set(full["tables"])
    off = {
        table: round(full["tables"][table] / (2 * half["tables"][table]), 3)
        for table in full["tables"]
        if table not in fixed and abs(full["tables"][table] / (2 * half["tables"][table]) - 1) > 0.1
    }
    assert off == {}, f"tables off the linear law by more than 10%: {off}"
    for table in fixed:
        assert half["tables"][table] == full["tables"][table], table
    # The headline volumes of a scale-1 world.
    rows = full["tables"]
    assert 18_000 <= rows["truth/people"] / 1 <= 22_000
    assert 250_000 <= rows["hubspot/web_events"] <= 350_000
    assert 12_000 <= rows["hubspot/form_submissions"] <= 18_000
    assert 400_000 <= rows["hubspot/email_events"] <= 600_000
    opportunities = duckdb.sql(
        f"select count(distinct Id), count(distinct Id) filter (where IsWon), "
        f"count(distinct Id) filter (where IsClosed) from "
        f"(select *, row_number() over (partition by Id order by _version_at desc) as rn "
        f"from '{tmp_path}/full/salesforce/Opportunity.parquet') where rn = 1"
    ).fetchall()[0]
    assert 1_200 <= opportunities[0] <= 1_800
    # Win rate over closed opportunities, in its benchmark range (docs/demo-world.md).
    assert 0.15 <= opportunities[1] / opportunities[2] <= 0.30


def test_history_ends_at_the_as_of_date_given(tmp_path: Path) -> None:
    meta = generate(tmp_path / "w", scale=0.02, seed=3, as_of=date(2025, 3, 31))
    assert meta["as_of"] == "2025-03-31"
    assert meta["history_start"] == "2023-03-31"
    first, last = duckdb.sql(
        f"select min(_version_at), max(_version_at) from '{tmp_path}/w/hubspot/web_events.parquet'"
    ).fetchall()[0]
    assert last.date() < date(2025, 3, 31)
    assert first.date() >= date(2023, 1, 1)


def test_a_world_is_replaced_whole_and_other_folders_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "world"
    generate(out, scale=0.02, seed=1)
    (out / "stray.txt").write_text("left from an earlier world")
    generate(out, scale=0.02, seed=2)
    assert not (out / "stray.txt").exists()
    assert read_world_meta(out)["seed"] == 2
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.md").write_text("mine")
    with pytest.raises(ValueError, match="holds no demo world"):
        generate(other, scale=0.02, seed=1)
    assert (other / "keep.md").read_text() == "mine"
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.parametrize("scale", [0, -1, 101, "1"])
def test_bad_scale_is_refused(tmp_path: Path, scale: object) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path / "w", scale=scale, seed=1)  # type: ignore[arg-type]


def test_world_meta_counts_the_rows_of_every_file(world_small: Path) -> None:
    meta = json.loads((world_small / "world.json").read_text())
    files = sorted(p for p in world_small.rglob("*.parquet"))
    assert sorted(meta["tables"]) == sorted(
        str(p.relative_to(world_small)).removesuffix(".parquet") for p in files
    )
    for path in files:
        table = str(path.relative_to(world_small)).removesuffix(".parquet")
        count = duckdb.sql(f"select count(*) from '{path}'").fetchall()[0][0]
        assert count == meta["tables"][table], table
    assert meta["rows_total"] == sum(meta["tables"].values())


def test_salesforce_ids_carry_the_case_checksum() -> None:
    # 18-character ids: the suffix encodes which of the 15 characters are upper case.
    assert salesforce_id("Account", 0) == "0015g0000000000AAA"
    record = salesforce_id("Lead", 62**2 * 10 + 36)
    assert record[:3] == "00Q" and len(record) == 18
    upper = [ch.isupper() for ch in record[:15]]
    for block in range(3):
        bits = sum(1 << i for i, up in enumerate(upper[block * 5 : block * 5 + 5]) if up)
        assert record[15 + block] == "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]


REFERENCES = [
    ("salesforce/Event", "WhatId", "salesforce/Opportunity", "Id"),
    ("salesforce/Event", "WhoId", "salesforce/Contact", "Id"),
    ("salesforce/Task", "WhatId", "salesforce/Opportunity", "Id"),
    ("salesforce/Task", "WhoId", "salesforce/Contact", "Id"),
    ("salesforce/Task", "WhoId", "salesforce/Lead", "Id"),
    ("salesforce/OpportunityContactRole", "OpportunityId", "salesforce/Opportunity", "Id"),
    ("salesforce/OpportunityContactRole", "ContactId", "salesforce/Contact", "Id"),
    ("salesforce/OpportunityHistory", "OpportunityId", "salesforce/Opportunity", "Id"),
    ("salesforce/Opportunity", "AccountId", "salesforce/Account", "Id"),
    ("salesforce/Contact", "AccountId", "salesforce/Account", "Id"),
    ("salesforce/CampaignMember", "LeadId", "salesforce/Lead", "Id"),
    ("salesforce/CampaignMember", "ContactId", "salesforce/Contact", "Id"),
    ("hubspot/associations", "from_id", "hubspot/contacts", "id"),
    ("hubspot/associations", "from_id", "hubspot/deals", "id"),
    ("hubspot/associations", "to_id", "hubspot/contacts", "id"),
    ("hubspot/associations", "to_id", "hubspot/companies", "id"),
]


@pytest.mark.parametrize(("table", "column", "parent", "key"), REFERENCES)
def test_no_record_points_at_a_record_that_does_not_exist_yet(
    world_small: Path, table: str, column: str, parent: str, key: str
) -> None:
    """Served at any past moment, a reference resolves: no record's first version precedes its
    parent's (an event booked before its deal existed broke relationship tests at an earlier clock).
    """
    references, early = duckdb.sql(
        f"""
        with child as (
            select "{column}" as parent_id, min(_version_at) as first_at
            from '{world_small / table}.parquet' group by all
        ),
        parent as (
            select "{key}" as id, min(_version_at) as first_at
            from '{world_small / parent}.parquet' group by all
        )
        select count(*), count(*) filter (where child.first_at < parent.first_at)
        from child join parent on child.parent_id = parent.id
        """
    ).fetchall()[0]
    assert references > 0
    assert early == 0
