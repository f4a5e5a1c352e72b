"""Lead-score quality across seeds and scales: the predictive score's ROC AUC against the oracle's.

For each seed and scale (default seeds 42, 12345 and 7 at scales 0.3 and 1), a demo world is
generated, ingested through the local servers and built up to the lead-scoring marts
(`gtm build --select +models/marts/lead_scoring`: the inputs, the training, the scoring), or an
existing build is reused
(`--work` keeps one folder per seed and scale: `s<seed>_<scale>/world` and `.../wh.duckdb`;
`--rebuild` reruns the seeds and the lead-scoring models on it, after a change to them). On the
hold-out (`fct_lead_score_holdout_outcomes`: open leads at the cutoff, labelled by the truth's
opportunities within the horizon) it reports:

- **oracle**: ROC AUC of the world's true propensities (`truth/people.parquet`), the ceiling any
  score built from the warehouse could hope for;
- **predictive**: ROC AUC of `predictive_probability`, and its ratio to the oracle (goal >= 0.9);
- **lead score**: ROC AUC of the rules-based lead score;
- a 95% paired bootstrap interval of the ratio (1,000 resamples of the hold-out's people, seed 0),
  so a ratio is read with its noise.

The truth is read only here and in tests/models/test_lead_scoring.py, never by a model. Results:
bench/results/lead_score.json.

    .venv/bin/python bench/bench_lead_score.py --work /tmp/lead_bench
    .venv/bin/python bench/bench_lead_score.py --work /tmp/lead_bench --seeds 12345 --scales 0.3
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from sklearn import metrics

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))

RESULTS = REPO / "bench" / "results"
AS_OF = date(2026, 6, 30)
GOAL = 0.9
BOOTSTRAP_SAMPLES = 1000

HOLDOUT_SQL = """
with person_map as (
    select distinct records.person_id as true_person_id, mapped.person_id
    from '{world}/truth/records.parquet' as records
    inner join main.int_person_records_mapped as mapped
        on mapped.source_record_id = records.record_id
        and mapped.source_system = records.system
        and mapped.source_object = records.object
    where not mapped.is_deleted and records.person_id is not null
)
select
    outcomes.person_id,
    outcomes.predictive_probability,
    outcomes.lead_score,
    people.propensity,
    coalesce(
        people.opportunity_created_at >= cast(outcomes.cutoff_date as timestamp)
        and people.opportunity_created_at < cast(outcomes.cutoff_date as timestamp)
            + to_days(outcomes.horizon_days),
        false
    ) as label
from marts.fct_lead_score_holdout_outcomes as outcomes
inner join person_map on outcomes.person_id = person_map.person_id
inner join '{world}/truth/people.parquet' as people
    on person_map.true_person_id = people.person_id
order by outcomes.person_id
"""


def build(seed: int, scale: float, folder: Path, rebuild: bool) -> Path:
    """Generate, ingest and build (the lead-scoring lineage) the world of `seed` and `scale`."""
    from warehouse_support import warehouse_env

    from gtm_demo.generator import generate

    world = folder / "world"
    warehouse = folder / "wh.duckdb"
    if not world.exists():
        generate(world, scale=scale, seed=seed, as_of=AS_OF)
    fresh = not warehouse.exists()
    if fresh:
        subprocess.run(
            [str(Path(sys.executable).parent / "gtm"), "ingest", "--world", str(world)],
            cwd=REPO,
            env=warehouse_env(warehouse),
            check=True,
            capture_output=True,
        )
    if fresh or rebuild:
        # A rebuild reruns only the lead-scoring models, on the warehouse's other tables.
        lineage = "models/intermediate/lead_scoring+" if not fresh else "+models/marts/lead_scoring"
        done = subprocess.run(
            [str(Path(sys.executable).parent / "gtm"), "build", "--select", lineage],
            cwd=REPO,
            env=warehouse_env(warehouse) | {"DBT_TARGET_PATH": str(folder / "target")},
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            failed = f"gtm build failed for seed {seed} scale {scale}"
            raise SystemExit(f"{failed}:\n{done.stdout}")
    return warehouse


def measure(warehouse: Path, world: Path) -> dict[str, Any]:
    """The hold-out's oracle, predictive and rules-based ROC AUC, with a bootstrap interval."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute(HOLDOUT_SQL.format(world=world)).df()
    labels = frame["label"].astype(bool).to_numpy()
    scores = {
        "oracle": frame["propensity"].to_numpy(),
        "predictive": frame["predictive_probability"].to_numpy(),
        "lead_score": frame["lead_score"].to_numpy(),
    }
    figures: dict[str, Any] = {
        name: float(metrics.roc_auc_score(labels, values)) for name, values in scores.items()
    }
    figures["ratio"] = figures["predictive"] / figures["oracle"]
    rng = np.random.default_rng(0)
    ratios = []
    for _ in range(BOOTSTRAP_SAMPLES):
        sample = rng.integers(0, len(labels), len(labels))
        if labels[sample].all() or not labels[sample].any():
            continue
        ratios.append(
            metrics.roc_auc_score(labels[sample], scores["predictive"][sample])
            / metrics.roc_auc_score(labels[sample], scores["oracle"][sample])
        )
    figures["ratio_95"] = [float(np.quantile(ratios, 0.025)), float(np.quantile(ratios, 0.975))]
    figures["people"] = len(labels)
    figures["positives"] = int(labels.sum())
    return figures


def main() -> None:
    """Build or reuse each seed x scale, measure, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="folder of the worlds and builds")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 12345, 7])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.3, 1.0])
    parser.add_argument("--rebuild", action="store_true", help="rerun dbt on existing builds")
    args = parser.parse_args()
    rows = []
    for scale in args.scales:
        for seed in args.seeds:
            folder = args.work / f"s{seed}_{scale:g}"
            folder.mkdir(parents=True, exist_ok=True)
            warehouse = build(seed, scale, folder, args.rebuild)
            figures = measure(warehouse, folder / "world")
            rows.append({"seed": seed, "scale": scale, **figures})
            low, high = figures["ratio_95"]
            print(
                f"seed {seed:>6} scale {scale:>4g}: oracle {figures['oracle']:.4f}  "
                f"predictive {figures['predictive']:.4f}  ratio {figures['ratio']:.3f} "
                f"[{low:.3f}, {high:.3f}]  lead score {figures['lead_score']:.4f}  "
                f"({figures['people']} people, {figures['positives']} positives)",
                flush=True,
            )
    held = all(row["ratio"] >= GOAL for row in rows)
    print(f"predictive >= {GOAL} x oracle on every seed and scale: {'yes' if held else 'NO'}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "lead_score.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
