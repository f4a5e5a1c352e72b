"""`gtm build` in two phases around the training (gtm/ops/phases.py), and plain dbt without it.

The selection of each phase, the merge of the two builds' summaries, and, on a copy of the
session's built warehouse without its parameters, the one line a plain `dbt build` of a model that
reads them stops with.
"""

from __future__ import annotations

import json
import re
import shutil

import duckdb
from warehouse_support import BuiltWarehouse, run_dbt

from gtm.ops import dbt, phases


def test_phase_two_builds_the_readers_of_what_was_trained_and_the_selection_s_readers():
    everything = frozenset({"attribution", "lead_scoring"})
    assert phases.scoring_selection([], trained=everything) == ["source:model_parameters+"]
    assert phases.scoring_selection([], trained=frozenset()) == ["source:model_parameters+"]
    assert phases.scoring_selection(["+fct_lead_scores"], trained=frozenset({"lead_scoring"})) == [
        "source:model_parameters.lead_score_models+",
        "source:model_parameters.lead_score_coefficients+",
        "+fct_lead_scores,source:model_parameters+",
    ]
    assert phases.scoring_selection(
        ["source:google_ads.ads+", "source:hubspot.deals+"], trained=frozenset()
    ) == [
        "source:google_ads.ads+,source:model_parameters+",
        "source:hubspot.deals+,source:model_parameters+",
    ]


def test_a_training_follows_only_a_built_training_input():
    built = {"results": [{"unique_id": "model.gtm_warehouse.int_lead_score_inputs_joined",
                          "status": "success"}]}  # fmt: skip
    failed = {"results": [{"unique_id": "model.gtm_warehouse.int_attribution_paths_listed",
                           "status": "error"}]}  # fmt: skip
    other = {"results": [{"unique_id": "model.gtm_warehouse.dim_people", "status": "success"}]}
    assert phases.built_inputs(built) == {"lead_scoring"}
    assert phases.built_inputs(failed) == frozenset()
    assert phases.built_inputs(other) == frozenset()
    assert phases.built_inputs(None) == frozenset()


def test_the_two_summaries_merge_as_one_build():
    first = dbt.DbtSummary(True, {"model": {"success": 3}, "test": {"pass": 2}}, 10.0)
    second = dbt.DbtSummary(
        False, {"model": {"success": 1, "error": 1}}, 2.5, failed=[{"unique_id": "model.x"}]
    )
    merged = phases._merge(first, second)
    assert merged.success is False
    assert merged.counts == {"model": {"success": 4, "error": 1}, "test": {"pass": 2}}
    assert merged.seconds == 12.5
    assert merged.failed == [{"unique_id": "model.x"}]


def test_plain_dbt_without_trained_parameters_stops_with_one_line(
    built_warehouse: BuiltWarehouse, tmp_path
):
    """A dbt build that reads absent parameters says how to train, and builds nothing."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.path, path)
    shutil.copytree(built_warehouse.path.parent / "target", tmp_path / "target")
    with duckdb.connect(str(path)) as con:
        con.execute("drop schema model_parameters cascade")
        con.execute("drop table main.int_lead_scores_predicted")
    result = run_dbt(path, tmp_path, "build", "--select", "int_lead_scores_predicted")
    assert result.returncode != 0
    assert re.search(
        r"The trained model parameters model_parameters\.lead_score_\w+ are absent: `gtm build` "
        r"builds the training inputs, trains the models and then builds what reads them",
        " ".join(result.stdout.split()),
    ), result.stdout[-2000:]
    with duckdb.connect(str(path), read_only=True) as con:
        left = con.execute(
            "select count(*) from information_schema.tables "
            "where table_name = 'int_lead_scores_predicted'"
        ).fetchone()[0]
    assert left == 0


def test_the_built_parameters_record_what_they_were_trained_on(built_warehouse: BuiltWarehouse):
    models = built_warehouse.query(
        "select model_name, training_rows, as_of_date, cutoff_date"
        " from model_parameters.lead_score_models order by 1"
    )
    assert [row[0] for row in models] == ["holdout", "production"]
    assert all(str(row[2]) == "2026-06-30" and str(row[3]) == "2026-03-01" for row in models)
    holdout_rows = built_warehouse.scalar(
        "select count(*) from main.int_lead_score_inputs_joined where is_labelled_by_cutoff"
    )
    assert models[0][1] == holdout_rows
    journeys = dict(
        built_warehouse.query(
            "select conversion_type, count(*) from main.int_attribution_paths_listed group by 1"
        )
    )
    trained = dict(
        built_warehouse.query(
            "select distinct conversion_type, training_journeys"
            " from model_parameters.attribution_markov_shares"
        )
    )
    assert trained == journeys
    results = json.loads((built_warehouse.path.parent / "target" / "run_results.json").read_text())
    ids = {result["unique_id"] for result in results["results"]}
    assert "model.gtm_warehouse.int_lead_score_inputs_joined" in ids  # phase one
    assert "model.gtm_warehouse.int_lead_scores_predicted" in ids  # phase two, merged
