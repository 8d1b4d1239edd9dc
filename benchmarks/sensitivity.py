"""Time a Morris screen of every uncertain parameter on the default city.

The screen is `crimesim sensitivity --method morris` with the default specification (every
uncertain parameter plus the dummy), run through a process pool. A full screen is
n x (parameters + 2) runs; ``--points`` runs only the first design points and projects the
whole screen from their mean time per run, so the projection can be measured in minutes.

    .venv/bin/python benchmarks/sensitivity.py --points 40            # ~4 min here
    .venv/bin/python benchmarks/sensitivity.py --n 4 --years 1 --warmup-days 365
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from calibration.parameters import default_specification
from calibration.sensitivity import build_runs, sample
from experiments.executors import make_executor
from experiments.experiment import run_experiment
from experiments.store import ResultsStore
from simulation import Parameters, with_overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4, help="Morris trajectories (default: 4)")
    parser.add_argument("--reps", type=int, default=1, help="replicates per point (default: 1)")
    parser.add_argument("--years", type=float, default=1.0, help="recorded years (default: 1)")
    parser.add_argument("--warmup-days", type=int, default=365,
                        help="warm-up days (default: 365; the model's default is 1095)")
    parser.add_argument("--residents", type=int, default=100_000, help="residents (default: 100,000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default: 2)")
    parser.add_argument("--points", type=int, default=None,
                        help="run only the first POINTS design points and project the full screen")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    args = parser.parse_args()

    factors = default_specification()
    design = sample("morris", factors, args.n, seed=0)
    base = with_overrides(Parameters(), {"years": args.years, "warmup_days": args.warmup_days,
                                         "population.residents": args.residents})
    runs = build_runs(design, base, args.reps, root_seed=0)
    chosen = runs if args.points is None else runs[:args.points * args.reps]
    folder = Path(tempfile.mkdtemp(prefix="crimesim-morris-"))
    started = time.perf_counter()
    with make_executor(args.workers) as executor:
        outcome = run_experiment(chosen, ResultsStore(folder), executor, {"benchmark": True},
                                 show_progress=True)
    seconds = time.perf_counter() - started
    shutil.rmtree(folder, ignore_errors=True)
    per_run = seconds / len(chosen)
    projected = per_run * len(runs)
    results = {
        "parameters": len(factors), "trajectories": args.n, "replicates": args.reps,
        "design_points": design.points, "runs_full_screen": len(runs), "runs_timed": len(chosen),
        "failed": len(outcome.failures), "residents": args.residents, "years": args.years,
        "warmup_days": args.warmup_days, "workers": args.workers, "seconds": round(seconds, 1),
        "wall_seconds_per_run": round(per_run, 3),
        "projected_full_screen_minutes": round(projected / 60, 1),
    }
    width = max(len(key) for key in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")
    verdict = "PASS" if projected <= 30 * 60 else "over"
    print(f"target: a full screen under 30 minutes on 2 cores: {projected / 60:.1f} min ({verdict})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
