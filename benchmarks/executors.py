"""Executors: speedup of 2 workers over 1, and the per-run overhead of each executor.

Runs one design of short city runs (default: 96 runs of a 3,000-resident city, 200 days after
a 30-day warm-up, about a tenth of a second each) through every executor and reports wall
times, the per-run overhead against computing the same runs in this process, and the
speedup of 2 workers over 1 (target >= 1.8x on a 2-core machine). Results must be identical
whichever executor ran them; the script checks that too.

    python benchmarks/executors.py [--runs 96] [--residents 3000] [--days 200] [--json PATH]

Run it on an otherwise idle machine: the speedup is only meaningful when both cores are free.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from experiments.design import build_design
from experiments.executors import DaskExecutor, Executor, InProcessExecutor, ProcessPoolExecutor
from experiments.experiment import run_experiment
from experiments.store import ResultsStore
from simulation import Parameters, with_overrides

TARGET_SPEEDUP = 1.8


def design(runs: int, residents: int, days: int):
    params = with_overrides(Parameters(), {
        "population.residents": residents, "city.width": 40, "city.height": 40,
        "city.neighbourhoods": 4, "warmup_days": 30})
    return build_design({"city": params}, replicates=runs, root_seed=1, days=days)


def timed(executor_factory, specs, batch_size: int | None) -> tuple[float, pd.DataFrame]:
    """Wall seconds to run ``specs`` (executor start-up excluded) and the summary table."""
    with tempfile.TemporaryDirectory() as folder, executor_factory() as executor:
        executor: Executor
        store = ResultsStore(Path(folder))
        started = time.perf_counter()
        run_experiment(specs, store, executor, {"benchmark": True}, batch_size=batch_size,
                       show_progress=False)
        seconds = time.perf_counter() - started
        summary = store.table("summary").drop(columns=["seconds"]).sort_values("run_id")
    return seconds, summary.reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=96)
    parser.add_argument("--residents", type=int, default=3000)
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON")
    args = parser.parse_args()
    specs = design(args.runs, args.residents, args.days)

    executors = {
        "in-process": (InProcessExecutor, None),
        "process pool, 1 worker": (lambda: ProcessPoolExecutor(1), None),
        "process pool, 2 workers": (lambda: ProcessPoolExecutor(2), None),
        "process pool, 2 workers, 1 run per task": (lambda: ProcessPoolExecutor(2), 1),
        "dask local, 1 worker": (lambda: DaskExecutor("local", 1), None),
        "dask local, 2 workers": (lambda: DaskExecutor("local", 2), None),
        "dask local, 2 workers, 1 run per task": (lambda: DaskExecutor("local", 2), 1),
    }
    results, reference = {}, None
    for name, (factory, batch_size) in executors.items():
        seconds, summary = timed(factory, specs, batch_size)
        if reference is None:
            reference = summary
        identical = summary.equals(reference)
        results[name] = {"seconds": seconds, "identical": identical}
        print(f"{name:42s} {seconds:7.2f} s  {1000 * seconds / len(specs):7.1f} ms/run  "
              f"results {'identical' if identical else 'DIFFER'}", flush=True)

    base = results["in-process"]["seconds"]
    print(f"\n{len(specs)} runs of {args.residents:,} residents x {args.days} days "
          f"(+30 warm-up); in-process {1000 * base / len(specs):.1f} ms per run")
    print("per-run overhead against in-process (1 worker, automatic batching):")
    for name in ("process pool, 1 worker", "dask local, 1 worker"):
        overhead = (results[name]["seconds"] - base) / len(specs)
        results[name]["overhead_ms_per_run"] = 1000 * overhead
        print(f"  {name:40s} {1000 * overhead:+7.1f} ms")
    # With 1 worker the main process stores results on the other core while the worker
    # computes, so "1 worker" already uses a little more than one core; the serial reference
    # (in-process: compute and store on one core) is reported beside it.
    for kind in ("process pool", "dask local"):
        two = results[f"{kind}, 2 workers"]["seconds"]
        speedup = results[f"{kind}, 1 worker"]["seconds"] / two
        over_serial = base / two
        results[f"{kind}, 2 workers"].update(speedup_over_1=speedup, speedup_over_serial=over_serial)
        verdict = "PASS" if speedup >= TARGET_SPEEDUP else "FAIL"
        print(f"speedup of 2 workers, {kind:12s} over 1 worker {speedup:5.2f}x "
              f"(target >= {TARGET_SPEEDUP}x: {verdict}); over in-process {over_serial:5.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"runs": len(specs), "residents": args.residents,
                                         "days": args.days, "results": results}, indent=2))


if __name__ == "__main__":
    main()
