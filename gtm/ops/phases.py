"""`dbt build` in two phases around the training of the predictive models.

The algorithmic attribution and the predictive lead score are applied by SQL models that read the
parameters the training stores (source `model_parameters`, docs/engines.md). So a build is:

1. `dbt build` of the selection without what reads the parameters (`--exclude
   source:model_parameters+`): the training inputs and everything else;
2. the training (gtm.training.train) of each model whose training input phase one rebuilt: its
   parameters then follow the data just built, never an older state;
3. `dbt build` of what reads the parameters: for a whole build all of it; else every reader of the
   parameters just trained, and the part of the selection that reads parameters (e.g. the ROI
   report after an ad-spend change).

When phase one fails, nothing is trained and phase two is not run (its models would read inputs
whose tests failed): the summary names the failures of phase one. The two phases' run_results.json
are merged into one, as one build would have written it. The project is parsed once (`dbt parse`)
and both phases reuse that manifest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gtm import engines, project
from gtm.ops import dbt
from gtm.training import train

INPUT_NODES = {
    f"model.{train.PROJECT}.{model}": name for name, model in train.TRAINING_INPUTS.items()
}
"""Each training input's node id -> the model trained on it."""


@dataclass
class PhasedBuild:
    """What a two-phase build did: the merged dbt summary and the training (None: not needed)."""

    dbt: dbt.DbtSummary
    training: train.TrainingSummary | None = None


def _read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def built_inputs(results: dict[str, Any] | None) -> frozenset[str]:
    """Return the models (of TRAINING_INPUTS) whose training input a build's results built."""
    return frozenset(
        INPUT_NODES[result["unique_id"]]
        for result in (results or {}).get("results", [])
        if result["unique_id"] in INPUT_NODES and result["status"] == "success"
    )


def _reads_parameters(manifest: Path) -> bool:
    """Whether the project declares the parameters' source (a scratch project may not)."""
    if not manifest.exists():
        return False
    sources = json.loads(manifest.read_text(encoding="utf-8")).get("sources", {})
    return any(source.get("source_name") == "model_parameters" for source in sources.values())


def scoring_selection(select: Sequence[str], trained: frozenset[str]) -> list[str]:
    """Return phase two's `--select`.

    For a whole build, every reader of the parameters. Else the readers of the parameters just
    trained (all of them: new parameters), and the readers within the selection (each selector
    intersected with them).
    """
    if not select:
        return [train.SCORING_SELECTOR]
    retrained = [
        f"source:model_parameters.{table}+"
        for name in sorted(trained)
        for table in train.PARAMETER_TABLES[name]
    ]
    return retrained + [f"{selector},{train.SCORING_SELECTOR}" for selector in select]


def _merge(first: dbt.DbtSummary, second: dbt.DbtSummary) -> dbt.DbtSummary:
    counts: dict[str, dict[str, int]] = {}
    for summary in (first, second):
        for resource, statuses in summary.counts.items():
            merged = counts.setdefault(resource, {})
            for status, n in statuses.items():
                merged[status] = merged.get(status, 0) + n
    return dbt.DbtSummary(
        success=first.success and second.success,
        counts=counts,
        seconds=first.seconds + second.seconds,
        failed=first.failed + second.failed,
        warned=first.warned + second.warned,
    )


def build(
    root: Path,
    warehouse: Path,
    select: Sequence[str] = (),
    *,
    verbose: bool = True,
    on_node: dbt.NodeProgress | None = None,
    full_refresh: bool = False,
) -> PhasedBuild:
    """Build `select` (everything when empty) in two phases around the training; see the module."""
    results_file = project.target_dir(root, warehouse) / "run_results.json"
    parsed = dbt.parse_project(root, warehouse, verbose=verbose)  # once for both phases
    first = dbt.run_dbt_build(
        root,
        warehouse,
        select,
        verbose=verbose,
        on_node=on_node,
        full_refresh=full_refresh,
        exclude=[train.SCORING_SELECTOR],
        manifest=parsed,
    )
    first_results = _read(results_file)
    if not first.success:
        return PhasedBuild(first)
    manifest = project.target_dir(root, warehouse) / "manifest.json"
    if not _reads_parameters(manifest):
        return PhasedBuild(first)
    training = None
    trained = built_inputs(first_results)
    if trained:
        training = train.train_models(
            engines.current_target(root), warehouse, manifest, only=trained
        )
    second = dbt.run_dbt_build(
        root,
        warehouse,
        scoring_selection(select, trained),
        verbose=verbose,
        on_node=on_node,
        full_refresh=full_refresh,
        manifest=parsed,
    )
    second_results = _read(results_file)
    if first_results is not None and second_results is not None:
        second_results["results"] = first_results["results"] + second_results["results"]
        second_results["elapsed_time"] = second_results.get("elapsed_time", 0) + first_results.get(
            "elapsed_time", 0
        )
        results_file.write_text(json.dumps(second_results), encoding="utf-8")
    merged = _merge(first, second)
    if training is not None:
        merged.seconds += training.seconds
    return PhasedBuild(merged, training)
