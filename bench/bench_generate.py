"""Benchmark the demo-world generator: rows/s and peak memory per scale, in one run.

Each scale runs in its own process so its peak resident memory is its own. Usage:

    .venv/bin/python bench/bench_generate.py [--scales 1 10] [--seed 42] [--out bench/results]

Prints one line per scale and the ratios, and writes bench/results/generate.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, sys, time
from pathlib import Path
from gtm_demo.generator import generate
started = time.perf_counter()
meta = generate(Path(sys.argv[1]), scale=float(sys.argv[2]), seed=int(sys.argv[3]))
print(json.dumps({"seconds": time.perf_counter() - started, "rows": meta["rows_total"]}))
"""


def measure(scale: float, seed: int, workdir: Path) -> dict:
    """Generate one world in a child process; return rows, seconds, rows/s, peak MiB, bytes."""
    out = workdir / f"world-{scale:g}"
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(out), str(scale), str(seed)],
        stdout=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    output = child.stdout.read() if child.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"generation at scale {scale} failed")
    inner = json.loads(output.strip().splitlines()[-1])
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    shutil.rmtree(out)
    return {
        "scale": scale,
        "rows": inner["rows"],
        "seconds": round(inner["seconds"], 2),
        "wall_seconds": round(wall, 2),
        "rows_per_second": round(inner["rows"] / inner["seconds"]),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "bytes_on_disk": size,
    }


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="gtm-bench-") as tmp:
        for scale in args.scales:
            result = measure(scale, args.seed, Path(tmp))
            results.append(result)
            print(
                f"scale {scale:>5g}: {result['rows']:>11,} rows in {result['seconds']:7.1f} s"
                f" = {result['rows_per_second']:>9,} rows/s,"
                f" peak {result['peak_rss_mib']:7.1f} MiB,"
                f" {result['bytes_on_disk'] / 2**20:7.1f} MiB on disk",
                flush=True,
            )
    summary: dict = {"seed": args.seed, "runs": results}
    if len(results) >= 2:
        small, large = results[0], results[-1]
        summary["time_ratio"] = round(large["seconds"] / small["seconds"], 2)
        summary["scale_ratio"] = large["scale"] / small["scale"]
        summary["memory_ratio"] = round(large["peak_rss_mib"] / small["peak_rss_mib"], 2)
        print(
            f"scale x{summary['scale_ratio']:g}: time x{summary['time_ratio']}, "
            f"peak memory x{summary['memory_ratio']}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "generate.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
