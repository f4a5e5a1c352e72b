"""Attribution against the truth: how close each model's channel credit comes to the true effects.

The demo world knows each channel's true incremental contribution to its conversions
(truth/channel_contributions.csv, gtm_demo/truth_contributions.py: the Shapley value of the
generator's own propensity over each converter's channels). For each seed, this script generates
a world, ingests it, builds fct_attribution (`dbt seed`, `dbt run --select +fct_attribution`) and
scores every attribution model, per conversion type, on the channel x platform keys (`Paid Social /
facebook_ads` apart from `Paid Social / linkedin_ads`; a touch's credit goes to its own channel and
platform, whatever the model):

- **rank correlation**: Spearman's rho between the model's credit per key and the true
  contribution, over the keys the truth knows (ties get average ranks);
- **share error**: the total absolute difference between the model's shares of credit and the true
  shares, over every key either side has (0 = identical, 2 = disjoint).

    .venv/bin/python bench/bench_attribution_truth.py --scale 0.3 --seeds 42 7 12345

Worlds and warehouses are kept under `--work` (default /tmp/gtm_bench_attribution_truth) and
reused when present (only the attribution models are rebuilt).
Results: bench/results/attribution_truth.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import duckdb
import numpy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))
sys.path.insert(0, str(REPO))

RESULTS = REPO / "bench" / "results"
AS_OF = date(2026, 6, 30)
CONVERSION_TYPES = ("pipeline", "revenue")


def ranks(values: list[float]) -> numpy.ndarray:
    """Ranks from 1, ties sharing the average of their ranks."""
    array = numpy.asarray(values, dtype=float)
    order = numpy.argsort(array, kind="stable")
    result = numpy.empty(len(array))
    position = 0
    while position < len(array):
        end = position
        while end + 1 < len(array) and array[order[end + 1]] == array[order[position]]:
            end += 1
        result[order[position : end + 1]] = (position + end) / 2 + 1
        position = end + 1
    return result


def spearman(first: list[float], second: list[float]) -> float:
    """Spearman's rank correlation: Pearson's correlation of the (average) ranks."""
    a, b = ranks(first), ranks(second)
    a, b = a - a.mean(), b - b.mean()
    denominator = float(numpy.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator else 0.0


def score(credit: dict[str, float], truth: dict[str, float]) -> dict[str, float]:
    """Rank correlation over the truth's keys and total absolute share error over all keys."""
    total = sum(credit.values())
    shares = {key: value / total for key, value in credit.items()} if total else {}
    keys = sorted(truth)
    return {
        "rank_correlation": spearman(
            [credit.get(key, 0.0) for key in keys], [truth[k] for k in keys]
        ),
        "share_error": sum(
            abs(shares.get(key, 0.0) - truth.get(key, 0.0)) for key in set(shares) | set(truth)
        ),
    }


def model_credit(warehouse: Path) -> dict[tuple[str, str], dict[str, float]]:
    """{(conversion type, model): {channel x platform: credited conversions}} from the mart."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            """
            select
                conversion_type,
                attribution_model,
                case when platform is null then channel else channel || ' / ' || platform end,
                sum(credit)
            from marts.fct_attribution
            group by 1, 2, 3
            order by 1, 2, 3
            """
        ).fetchall()
    result: dict[tuple[str, str], dict[str, float]] = {}
    for conversion_type, model, key, credit in rows:
        result.setdefault((conversion_type, model), {})[key] = float(credit)
    return result


def true_shares(world: Path) -> dict[str, dict[str, float]]:
    """{conversion type: {channel x platform: true share}} from truth/channel_contributions.csv."""
    from gtm_demo.truth_contributions import read_channel_contributions

    result: dict[str, dict[str, float]] = {}
    for row in read_channel_contributions(world):
        keyed = result.setdefault(str(row["conversion_type"]), {})
        key = str(row["warehouse_attribution_channel"])
        keyed[key] = keyed.get(key, 0.0) + float(row["share"])
    return result


def build(seed: int, scale: float, work: Path) -> tuple[Path, Path]:
    """Generate, ingest and build fct_attribution for `seed` (reused when already built)."""
    import subprocess

    from warehouse_support import BIN, run_dbt, warehouse_env

    from gtm_demo.generator import generate

    folder = work / f"seed{seed}_scale{scale:g}"
    world, warehouse, done = folder / "world", folder / "warehouse.duckdb", folder / "built"
    if done.exists():
        # Rebuild only the attribution models, so a change to them is measured on the same worlds.
        run = run_dbt(
            warehouse, folder, "run", "--select", "int_attribution_paths_listed+,+fct_attribution"
        )
        if run.returncode != 0:
            raise SystemExit(f"dbt run failed for seed {seed}:\n{run.stdout[-3000:]}")
        return world, warehouse
    folder.mkdir(parents=True, exist_ok=True)
    ingested = folder / "ingested"
    if not ingested.exists():
        generate(world, scale=scale, seed=seed, as_of=AS_OF)
        subprocess.run(
            [str(BIN / "gtm"), "ingest", "--world", str(world)],
            cwd=REPO,
            env=warehouse_env(warehouse),
            check=True,
            capture_output=True,
        )
        ingested.write_text("ok\n")
    for command in ("seed", "run"):
        run = run_dbt(warehouse, folder, command, "--select", "+fct_attribution")
        if run.returncode != 0:
            raise SystemExit(f"dbt {command} failed for seed {seed}:\n{run.stdout[-3000:]}")
    done.write_text("ok\n")
    return world, warehouse


def ceiling_credit(world: Path) -> dict[str, dict[str, float]]:
    """A diagnostic, not a model: the data-driven method fitted on the truth's own touches.

    The same fit (gtm/training/attribution.py fit_conversion_model: log(1 + touches) per
    channel, beta >= 0) and the same Shapley credit, but on every person's true touches over the
    whole history (truth/touches, the propensity's own inputs) instead of the warehouse's 90-day
    journeys. It shows what the method reaches when nothing is hidden but intent and fit: the gap
    from it to `data_driven` is what the warehouse cannot observe, the gap from it to 0 is the
    method's own error (confounding by intent, estimation noise). Returns {conversion type:
    {channel x platform: credited conversions}}.
    """
    import pyarrow.parquet as pq

    from gtm_demo.truth_contributions import WAREHOUSE_CHANNELS

    algo = peers_module().load_model_module()
    truth = world / "truth"
    spec = json.loads((truth / "channels.json").read_text())
    people = pq.read_table(
        truth / "people.parquet", columns=["person_id", "became_opportunity", "is_won"]
    ).to_pydict()
    touches = pq.read_table(truth / "touches.parquet", columns=["person_id", "channel"]).to_pydict()
    counts: dict[int, dict[str, int]] = {person: {} for person in people["person_id"]}
    for person, channel in zip(touches["person_id"], touches["channel"], strict=True):
        counts[person][channel] = counts[person].get(channel, 0) + 1
    channels = sorted(spec["channels"])
    keys = {
        name: WAREHOUSE_CHANNELS[name]
        + (f" / {spec['channels'][name]['platform']}" if spec["channels"][name]["platform"] else "")
        for name in channels
    }
    result: dict[str, dict[str, float]] = {}
    for conversion_type, flags in (
        ("pipeline", people["became_opportunity"]),
        ("revenue", people["is_won"]),
    ):
        converted = dict(zip(people["person_id"], flags, strict=True))
        intercept, betas = algo.fit_conversion_model(
            [algo.channel_features(counts[person], channels) for person in people["person_id"]],
            [1 if converted[person] else 0 for person in people["person_id"]],
            [0 if converted[person] else 1 for person in people["person_id"]],
        )
        converting = [counts[person] for person in people["person_id"] if converted[person]]
        credited: dict[str, float] = {}
        for credits in algo.data_driven_path_credits(
            [path for path in converting if path],
            intercept,
            dict(zip(channels, betas, strict=True)),
        ):
            for channel, credit in credits.items():
                credited[keys[channel]] = credited.get(keys[channel], 0.0) + credit
        result[conversion_type] = credited
    return result


def peers_module():
    """tests/support/attribution_peers.py (it returns the attribution training module)."""
    import attribution_peers

    return attribution_peers


def evaluate(world: Path, warehouse: Path) -> dict[str, dict[str, dict[str, float]]]:
    """{conversion type: {model: {rank_correlation, share_error}}} for one built world.

    Besides the nine models, `(ceiling) data_driven on true touches` is the diagnostic of
    `ceiling_credit`.
    """
    truth = true_shares(world)
    credit = model_credit(warehouse)
    result: dict[str, dict[str, dict[str, float]]] = {}
    for (conversion_type, model), by_key in sorted(credit.items()):
        result.setdefault(conversion_type, {})[model] = score(by_key, truth[conversion_type])
    for conversion_type, by_key in ceiling_credit(world).items():
        result[conversion_type]["(ceiling) data_driven on true touches"] = score(
            by_key, truth[conversion_type]
        )
    return result


def main() -> None:
    """Build each seed's world, score every model and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7, 12345])
    parser.add_argument("--work", type=Path, default=Path("/tmp/gtm_bench_attribution_truth"))
    args = parser.parse_args()

    results: dict[str, object] = {"scale": args.scale, "seeds": {}}
    for seed in args.seeds:
        world, warehouse = build(seed, args.scale, args.work)
        results["seeds"][str(seed)] = evaluate(world, warehouse)

    for conversion_type in CONVERSION_TYPES:
        print(f"\n{conversion_type} (scale {args.scale:g}): rank correlation / share error")
        models = sorted(results["seeds"][str(args.seeds[0])][conversion_type])
        print(f"{'model':<40}" + "".join(f"{'seed ' + str(seed):>18}" for seed in args.seeds))
        for model in models:
            cells = []
            for seed in args.seeds:
                figures = results["seeds"][str(seed)][conversion_type][model]
                cells.append(
                    f"{figures['rank_correlation']:>9.3f} / {figures['share_error']:.3f}".rjust(18)
                )
            print(f"{model:<40}" + "".join(cells))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "attribution_truth.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
