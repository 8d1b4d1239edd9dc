"""Time the validation suite (`crimesim validate`): the quick suite, the full one, or a projection.

The full suite makes ~90 runs, most of them ten-year runs of the default city. On a loaded
machine that can take the better part of an hour, so ``--project`` runs one replicate of every
configuration the full suite needs, on the same pool of workers, and projects the full wall
time: each configuration's runs take its measured time, and the runs are packed onto the
workers longest first, as the suite itself schedules them.

    .venv/bin/python benchmarks/validation.py --quick               # the quick suite, timed
    .venv/bin/python benchmarks/validation.py --project             # one run per configuration
    .venv/bin/python benchmarks/validation.py --full --out DIR      # the full suite, timed
"""

from __future__ import annotations

import argparse
import heapq
import json
import shutil
import tempfile
import time
from pathlib import Path

from _tables import format_table
from experiments.validation import validate
from experiments.validation.checks import CHECKS
from experiments.validation.runs import CONFIGS, Task, run_all, tasks_for
from experiments.validation.suite import ROOT_SEED, configurations_needed


def packed_wall_seconds(durations: list[float], workers: int) -> float:
    """Wall time of runs of these durations on ``workers`` workers, longest first (each run
    goes to the worker that frees up first)."""
    finish = [0.0] * workers
    heapq.heapify(finish)
    for duration in sorted(durations, reverse=True):
        heapq.heappush(finish, heapq.heappop(finish) + duration)
    return max(finish)


def project(workers: int) -> dict:
    """Run replicate 0 of every configuration of the full suite; project the full suite."""
    configs = configurations_needed(CHECKS, quick=False)
    sample = [Task(name, 0, False, ROOT_SEED) for name in configs]
    sample.sort(key=lambda task: -task.cost)
    started = time.perf_counter()
    runs = run_all(sample, workers, lambda done, total, label: print(f"  {done}/{total} {label}", flush=True))
    wall = time.perf_counter() - started
    seconds = runs.cpu_seconds()
    full = tasks_for(configs, False, ROOT_SEED)
    durations = [seconds[task.config] for task in full]
    rows = [[name, CONFIGS[name].full.replicates, f"{seconds[name]:.1f}",
             f"{seconds[name] * CONFIGS[name].full.replicates:.0f}"] for name in configs]
    print(format_table(["configuration", "replicates", "s per run", "s all runs"], rows))
    projected = packed_wall_seconds(durations, workers)
    result = {"workers": workers, "sample_runs": len(sample), "sample_wall_seconds": round(wall, 1),
              "full_runs": len(full), "full_run_seconds": round(sum(durations), 1),
              "projected_full_wall_minutes": round(projected / 60, 1),
              "seconds_per_run": {name: round(value, 2) for name, value in seconds.items()}}
    print(f"projected full suite: {len(full)} runs, {sum(durations) / 60:.1f} min of runs, "
          f"{projected / 60:.1f} min of wall time on {workers} workers (plus ~10 s to measure "
          "and write the report)")
    return result


def timed_suite(out: Path, quick: bool, workers: int) -> dict:
    """Run the suite (quick or full) and report its time, from its manifest."""
    started = time.perf_counter()
    table = validate(out, quick=quick, workers=workers,
                     progress=lambda done, total, label: print(f"  {done}/{total} {label}", flush=True))
    seconds = time.perf_counter() - started
    manifest = json.loads((out / "manifest.json").read_text())
    print(manifest["summary"])
    print(f"{'quick' if quick else 'full'} suite: {manifest['runs']} runs in {seconds / 60:.1f} min "
          f"on {workers} workers ({manifest['timings']['runs_seconds'] / 60:.1f} min of runs)")
    return {"mode": "quick" if quick else "full", "workers": workers, "runs": manifest["runs"],
            "seconds": round(seconds, 1), "timings": manifest["timings"], "summary": manifest["summary"],
            "checks": len(table)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true", help="time the quick suite")
    mode.add_argument("--full", action="store_true", help="time the full suite")
    mode.add_argument("--project", action="store_true",
                      help="run one replicate per configuration and project the full suite")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default: 2)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where the suite writes (default: a temporary directory, removed)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers as JSON")
    args = parser.parse_args()
    if args.project:
        result = project(args.workers)
    else:
        out = args.out or Path(tempfile.mkdtemp(prefix="crimesim-validation-"))
        result = timed_suite(out, args.quick, args.workers)
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
