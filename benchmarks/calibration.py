"""Calibration by ABC-SMC: recovery of known parameters, and the fit to North Carolina.

Two parts (``--part recovery``, ``--part north-carolina`` or both, the default):

* recovery: simulate a city at known values of three parameters (the attempt rate, the
  reporting of property crime, and punitive support, which no target sees), make targets of
  its recorded crime and victimisation survey (10% standard errors), calibrate, and print for
  each parameter the 90% credible interval, whether it holds the true value (coverage), the
  interval share of the prior range and the verdict; then the simulations, generations, final
  tolerance and seconds;
* north-carolina: calibrate to ``builtin:north-carolina`` (crime4 and recid) with North
  Carolina's police per capita fixed, over five parameters (attempt rate, reporting of property
  crime, clearance of property crime, the detectives' caseload, which caps investigations, and
  the strain of release), and print the posterior and the
  fit: each target's observed value against the simulated 5-95% interval of the posterior
  predictive draws.

    .venv/bin/python benchmarks/calibration.py                        # ~20 min here
    .venv/bin/python benchmarks/calibration.py --part recovery --budget 600 --population 40

Outputs (report.html and the rest) go to ``--out`` (default: a temporary folder, kept).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this file's folder comes first on the path, and its name hides the
# calibration package: drop the folder.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from calibration.abc.smc import calibrate, city_problem  # noqa: E402
from calibration.builtin import load_builtin, north_carolina_context  # noqa: E402
from calibration.parameters import Uncertain  # noqa: E402
from calibration.targets import targets_from_summary  # noqa: E402
from simulation import Parameters, run, with_overrides  # noqa: E402

TRUTH = {"offending.attempt_rate": 8.0, "reporting.base.property": 0.22,
         "perception.punitive_support_base": 0.2}
RECOVERY_FACTORS = (Uncertain("offending.attempt_rate", 4.0, 12.0),
                    Uncertain("reporting.base.property", 0.02, 1.0),
                    Uncertain("perception.punitive_support_base", 0.1, 0.3))
NORTH_CAROLINA_FACTORS = (Uncertain("offending.attempt_rate", 2.0, 12.0),
                          Uncertain("reporting.base.property", 0.05, 0.9),
                          Uncertain("police.clearance.property", 0.04, 0.6),
                          Uncertain("police.cases_per_detective", 75.0, 600.0),
                          Uncertain("justice.reintegration.release_strain", 1.0, 10.0))


def recovery(args: argparse.Namespace, out: Path) -> dict:
    base = with_overrides(Parameters(), {"population.residents": args.residents, "years": 1.0,
                                         "warmup_days": args.warmup_days, "city.seed": 1})
    truth = run(with_overrides(base, TRUTH), seed=2024)
    targets = targets_from_summary(truth.summary, ["recorded_crime_rate",
                                                   "survey_victimisation_rate"], relative_se=0.1)
    problem = city_problem(targets, RECOVERY_FACTORS, base, seed=11, true_values=TRUTH)
    started = time.perf_counter()
    result = calibrate(problem, out / "recovery", args.population, args.budget, seed=5,
                       workers=args.workers, reproducible=True, predictive_draws=20, log=print)
    seconds = time.perf_counter() - started
    print(f"\nrecovery: {args.residents:,} residents, 1 year, population {args.population}, "
          f"budget {args.budget:,}")
    print(result.summary[["parameter", "q05", "median", "q95", "true_value", "true_in_interval",
                          "interval_share", "verdict"]].to_string(index=False))
    print(result.correlations.to_string(index=False))
    print(f"{result.simulations:,} simulations, {len(result.generations)} generations, final "
          f"epsilon {result.generations['epsilon'].iloc[-1]:.3g} (floor {result.min_epsilon:.3g}),"
          f" {seconds:.0f} s ({seconds / result.simulations:.2f} s per simulation); "
          f"stopped: {result.stop_reason}")
    covered = result.summary[result.summary["parameter"] != "perception.punitive_support_base"]
    return {"coverage": f"{int(covered['true_in_interval'].sum())} of {len(covered)}",
            "summary": result.summary.to_dict("records"), "simulations": result.simulations,
            "generations": len(result.generations), "seconds": seconds,
            "final_epsilon": float(result.generations["epsilon"].iloc[-1]),
            "report": str(result.report)}


def north_carolina(args: argparse.Namespace, out: Path) -> dict:
    context = north_carolina_context()
    base = with_overrides(Parameters(), {"population.residents": args.nc_residents,
                                         "years": args.nc_years,
                                         "warmup_days": args.warmup_days, **context})
    targets = load_builtin("north-carolina")
    problem = city_problem(targets, NORTH_CAROLINA_FACTORS, base, seed=11,
                           description={"context": context})
    started = time.perf_counter()
    result = calibrate(problem, out / "north-carolina", args.nc_population, args.nc_budget,
                       seed=5, workers=args.workers, reproducible=True, predictive_draws=20,
                       log=print)
    seconds = time.perf_counter() - started
    print(f"\nNorth Carolina: {args.nc_residents:,} residents, {args.nc_years:g} years, "
          f"police {context['police.officers_per_100k']:.1f} per 100,000 (fixed)")
    print(result.summary[["parameter", "q05", "median", "q95", "interval_share",
                          "verdict"]].to_string(index=False))
    print(result.checks[["label", "observed", "se", "simulated_p05", "simulated_median",
                         "simulated_p95", "inside", "miss_se", "missing"]].to_string(index=False))
    print(f"{result.simulations:,} simulations, {len(result.generations)} generations, final "
          f"epsilon {result.generations['epsilon'].iloc[-1]:.3g} (floor {result.min_epsilon:.3g}),"
          f" {seconds:.0f} s; stopped: {result.stop_reason}")
    return {"summary": result.summary.to_dict("records"),
            "fit": result.checks.to_dict("records"), "simulations": result.simulations,
            "generations": len(result.generations), "seconds": seconds,
            "report": str(result.report)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("recovery", "north-carolina", "both"), default="both")
    parser.add_argument("--residents", type=int, default=10_000, help="recovery city (10,000)")
    parser.add_argument("--warmup-days", type=int, default=180, help="warm-up days (180)")
    parser.add_argument("--population", type=int, default=40, help="recovery particles (40)")
    parser.add_argument("--budget", type=int, default=500, help="recovery simulations (500)")
    parser.add_argument("--nc-residents", type=int, default=20_000,
                        help="North Carolina city (20,000: release cohorts of about a hundred)")
    parser.add_argument("--nc-years", type=float, default=4.0,
                        help="recorded years (4: re-imprisonment within 3 years needs > 3)")
    parser.add_argument("--nc-population", type=int, default=40)
    parser.add_argument("--nc-budget", type=int, default=480)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="crimesim-calibration-"))
    print(f"outputs in {out}")
    results = {}
    if args.part in ("recovery", "both"):
        results["recovery"] = recovery(args, out)
    if args.part in ("north-carolina", "both"):
        results["north_carolina"] = north_carolina(args, out)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
