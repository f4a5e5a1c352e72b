"""The per-model tests of macros/tests/column_checks.sql fail when any one of their checks does.

A `column_checks` test folds a model's not_null, unique, accepted_values, accepted_range,
expression_is_true, relationships and unique-combination checks into one dbt node. Here the
session's built warehouse (`built_warehouse`) is copied, one row of a model is broken in one way,
and the test's own compiled SQL (as the build ran it) is run under dbt's failure-count wrapper: the
test must fail and its rows must name exactly the broken column and check. gtm's run report then
names them in the failure message (`explain_failed_checks`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from gtm.ops.dbt import explain_failed_checks

DBT_WRAPPER = (
    "select count(*) as failures, count(*) != 0 as should_error from (\n{sql}\n) dbt_internal_test"
)
"""dbt's test wrapper: a data test fails when its query returns any row."""


def nth(n: int) -> str:
    """SQL for the id of the `n`th touchpoint (from 0) in id order: one row per break."""
    return f"(select touchpoint_id from {{table}} order by touchpoint_id limit 1 offset {n})"


FIRST, LAST = nth(0), nth(1)
BREAKS = [
    pytest.param(
        "int_touchpoints_unioned",
        f"update {{table}} set person_id = null where touchpoint_id = {FIRST}",
        "person_id not_null",
        id="not_null",
    ),
    pytest.param(
        "int_touchpoints_unioned",
        f"insert into {{table}} select * from {{table}} where touchpoint_id = {FIRST}",
        "touchpoint_id unique",
        id="unique",
    ),
    pytest.param(
        "int_touchpoints_unioned",
        f"update {{table}} set channel = 'Telepathy' where touchpoint_id = {FIRST}",
        "channel accepted_values",
        id="accepted_values",
    ),
    pytest.param(
        "int_touchpoints_unioned",
        f"update {{table}} set person_id = 'no-such-person' where touchpoint_id = {LAST}",
        "person_id relationships",
        id="relationships",
    ),
    pytest.param(
        "int_touchpoints_attributed_heuristically",
        "update {table} set credit = 1.5 where rowid = 0",
        "credit accepted_range",
        id="accepted_range",
    ),
    pytest.param(
        "int_touchpoints_attributed_heuristically",
        "insert into {table} select * from {table} where rowid = 0",
        "conversion_id, touchpoint_id, attribution_model unique_combination",
        id="unique_combination",
    ),
    pytest.param(
        "int_attribution_journeys_joined",
        "update {table} set touched_at = converted_at + interval '1 day' where rowid = 0",
        "touched_at expression_is_true",
        id="expression_is_true",
    ),
]


def checks_result(built_warehouse, model: str) -> dict:
    """The build's run result of `column_checks_<model>`."""
    name = f"column_checks_{model}"
    return next(r for r in built_warehouse.results if r["unique_id"].split(".")[2] == name)


def broken_copy(built_warehouse, tmp_path: Path, model: str, *breaks: str) -> Path:
    """Copy the warehouse (same file name: the compiled SQL names its catalog) and run `breaks`."""
    copy = tmp_path / built_warehouse.path.name
    shutil.copyfile(built_warehouse.path, copy)
    with duckdb.connect(str(copy)) as con:
        for statement in breaks:
            con.execute(statement.format(table=f"main.{model}"))
    return copy


@pytest.mark.parametrize("model", ["int_touchpoints_unioned", "int_attribution_journeys_joined"])
def test_checks_pass_on_the_built_warehouse(built_warehouse, model: str) -> None:
    """The consolidated test ran in the build, named after its model, and passed."""
    assert checks_result(built_warehouse, model)["status"] == "pass"


@pytest.mark.parametrize(("model", "statement", "check"), BREAKS)
def test_one_broken_row_fails_the_test_naming_column_and_check(
    built_warehouse, tmp_path: Path, model: str, statement: str, check: str
) -> None:
    """One row broken one way: dbt's wrapper counts a failure, and the row names that check only."""
    sql = checks_result(built_warehouse, model)["compiled_code"]
    copy = broken_copy(built_warehouse, tmp_path, model, statement)
    with duckdb.connect(str(copy), read_only=True) as con:
        failures, should_error = con.execute(DBT_WRAPPER.format(sql=sql)).fetchone()
        rows = con.execute(f"select check_name, failing_rows from ({sql}) as checks").fetchall()
    assert (failures, should_error) == (1, True)
    assert rows == [(check, 1)]


def test_gtm_names_every_failing_check_of_a_failed_test(built_warehouse, tmp_path: Path) -> None:
    """Four checks broken on four rows: gtm's failure message names each with its row count."""
    model = "int_touchpoints_unioned"
    result = checks_result(built_warehouse, model)
    copy = broken_copy(
        built_warehouse,
        tmp_path,
        model,
        f"update {{table}} set person_id = null where touchpoint_id = {FIRST}",
        f"update {{table}} set person_id = 'no-such-person' where touchpoint_id = {LAST}",
        f"update {{table}} set channel = 'Telepathy' where touchpoint_id in ({nth(2)}, {nth(3)})",
        f"insert into {{table}} select * from {{table}} where touchpoint_id = {nth(4)}",
    )
    results_file = tmp_path / "run_results.json"
    results_file.write_text(json.dumps({"results": [result]}))
    failed = [{"unique_id": result["unique_id"], "message": "Got 4 results"}]
    explain_failed_checks(copy, results_file, failed)
    assert failed[0]["message"] == (
        "Got 4 results; failing checks: channel accepted_values (2 rows), "
        "person_id not_null (1 row), person_id relationships (1 row), touchpoint_id unique (1 row)"
    )
