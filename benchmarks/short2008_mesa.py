"""Short et al. (2008) burglars written in plain Mesa, run beside crimesim's vectorised model.

Short, D'Orsogna, Pasour, Tita, Brantingham, Bertozzi & Chayes (2008), "A statistical model
of criminal behavior", Math. Models Methods Appl. Sci. 18:1249-1267.

`BurglarModel` is the model as a typical Mesa 3.5 user would write it: a periodic
`OrthogonalVonNeumannGrid`, each burglar a `CellAgent` that, in its own ``step``, burgles its
house with probability 1 - exp(-A dt) (recording the event and calling ``self.remove()``) or
else walks to a neighbouring cell chosen with probability proportional to the neighbour's A.
The model's step is ``self.agents.shuffle_do("step")``, then the attractiveness update, then
Poisson(Gamma dt sites) new burglars at random cells. The agents draw from the model's seeded
stdlib generator (``self.random``, which ``shuffle_do`` uses as well); the Poisson counts come
from ``model.rng``.

The field B is a Mesa property layer updated with the project's numpy kernel
(`simulation.offending.update_attractiveness`), not cell by cell, as a careful Mesa user would;
crimesim's own run (`simulation.short2008.run_short2008`) compiles its whole time loop, field
included, with numba. Both start at the homogeneous equilibrium: B = theta Gamma / omega everywhere and
Poisson(equilibrium_burglars x sites) burglars at random sites.

The script runs each implementation several times (independent runs, one after the other
on one core) on the same parameters, with different fixed seeds. They use different random
streams, so only statistics can match, not trajectories. It compares the burglaries per site
per unit time (both ~Gamma) and the mean burglars per site over the second half of each run:
the mean over the runs, and "agree" when the difference is within 3 standard errors. The
error of the difference comes from the spread over all runs, pooled (if the two agree, all
runs come from one distribution): a two-sample t test. The spread over runs is needed because
the hotspot pattern, which sets how many burglars are about, persists far longer than any
block of steps within one run. The vectorised runs are cheap, so there are more of them.
The hotspot statistics (CV, peak ratio, map stability) are shown beside them.
Target: the vectorised model >= 50x faster per step.

Usage::

    python benchmarks/short2008_mesa.py                 # set c, 64 x 64, runs of 8000 steps
    python benchmarks/short2008_mesa.py --quick         # 32 x 32, runs of 4000 steps
    python benchmarks/short2008_mesa.py --set a --size 48 --steps 20000 --json short.json
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from _tables import format_table
from mesa.discrete_space import Cell, CellAgent, OrthogonalVonNeumannGrid

from simulation import offending
from simulation.short2008 import (
    PUBLISHED_SETS,
    Short2008Params,
    Short2008Result,
    run_short2008,
)

DEFAULT_SIZE = 64
DEFAULT_STEPS = 8_000
DEFAULT_REPLICATES = 5
DEFAULT_REPLICATES_OURS = 20
QUICK_REPLICATES_OURS = 10
QUICK_SIZE = 32
QUICK_STEPS = 4_000
DEFAULT_BLOCKS = 10
AGREEMENT_LIMIT = 3.0
"""Largest |difference| / its standard error still called agreement."""
TARGET_SPEEDUP = 50.0

type RunOutcome = tuple[Short2008Result, float, float]
"""A run's result, its build seconds and its step seconds."""


class Burglar(CellAgent):
    """A burglar on the lattice: burgles the house it stands on, or walks to a neighbour's."""

    def __init__(self, model: BurglarModel, cell: Cell) -> None:
        """Create a burglar standing on ``cell``."""
        super().__init__(model)
        self.cell = cell

    def step(self) -> None:
        """Burgle with probability 1 - exp(-A dt) and leave the model; otherwise move to one
        of the 4 neighbours with probability proportional to its A."""
        model = self.model
        if self.random.random() < 1.0 - math.exp(-self.cell.attractiveness * model.dt):
            model.burglaries[self.cell.coordinate] += 1
            self.remove()
        else:
            neighbours = self.cell.neighborhood.cells
            weights = [neighbour.attractiveness for neighbour in neighbours]
            self.move_to(self.random.choices(neighbours, weights=weights)[0])


class BurglarModel(mesa.Model):
    """Short et al.'s (2008) burglar model on a periodic lattice, one step of length dt.

    Args:
        params: lattice size and model parameters (Short et al.'s set c by default).
        rng: seed of the model's random number generators.
    """

    def __init__(self, params: Short2008Params | None = None, rng: int | None = None) -> None:
        super().__init__(rng=rng)
        self.params = params = params or Short2008Params()
        self.dt = params.dt
        self.grid = OrthogonalVonNeumannGrid((params.size, params.size), torus=True,
                                             random=self.random)
        self.grid.create_property_layer("dynamic_attractiveness",
                                        default_value=params.equilibrium_dynamic)
        self.grid.create_property_layer("attractiveness",
                                        default_value=params.a0 + params.equilibrium_dynamic)
        self.burglaries = np.zeros((params.size, params.size), dtype=np.int64)
        self.sites = params.size * params.size
        self.add_burglars(int(self.rng.poisson(params.equilibrium_burglars * self.sites)))

    def step(self) -> None:
        """Burglars act in random order, the field takes up the burglaries, new burglars come."""
        self.burglaries[:] = 0
        self.agents.shuffle_do("step")
        self.update_attractiveness()
        self.add_burglars(int(self.rng.poisson(self.params.gamma * self.dt * self.sites)))

    def update_attractiveness(self) -> None:
        """B <- [(1 - eta) B + (eta / 4) sum of neighbours' B](1 - omega dt) + theta E,
        then A = A0 + B."""
        params = self.params
        dynamic = self.grid.dynamic_attractiveness.data
        offending.update_attractiveness(dynamic, self.burglaries, params.eta, params.omega,
                                        params.theta, dt=params.dt, periodic=True)
        self.grid.attractiveness.data = params.a0 + dynamic

    def add_burglars(self, count: int) -> None:
        """Place ``count`` new burglars at cells drawn uniformly at random."""
        cells = self.random.choices(self.grid.all_cells.cells, k=count)
        Burglar.create_agents(self, count, cells)


@dataclass
class Replicates:
    """Independent runs of one implementation and the time they took in total."""

    name: str
    seeds: list[int]
    results: list[Short2008Result]
    build_seconds: float
    step_seconds: float

    @property
    def microseconds_per_step(self) -> float:
        """Wall-clock microseconds per time step."""
        steps = sum(result.steps for result in self.results)
        return 1e6 * self.step_seconds / steps


def burglars_per_site(result: Short2008Result) -> float:
    """Burglars per site averaged over the second half of the run."""
    series = result.burglars_per_step
    return float(series[len(series) // 2:].mean() / result.params.size**2)


STATISTICS: dict[str, Callable[[Short2008Result], float]] = {
    "burglaries per site per unit time": lambda result: result.burglary_rate,
    "burglars per site": burglars_per_site,
    "attractiveness CV": lambda result: result.attractiveness_cv,
    "peak ratio (max / mean A)": lambda result: result.peak_ratio,
    "map stability (3rd vs 4th quarter)": lambda result: result.map_stability,
}
"""Statistics of a run, each taken over its second half."""

CHECKED: dict[str, tuple[str, str]] = {
    "burglaries per site per unit time": ("burglaries_per_step", "sites x dt"),
    "burglars per site": ("burglars_per_step", "sites"),
}
"""The statistics tested for agreement: the per-step series behind each and its divisor."""


def run_mesa(params: Short2008Params, steps: int, seed: int) -> RunOutcome:
    """Run `BurglarModel` and collect the same statistics as `run_short2008` does.

    Returns:
        The result, the build seconds and the step seconds (recording included).
    """
    start = time.perf_counter()
    model = BurglarModel(params, rng=seed)
    build_seconds = time.perf_counter() - start

    start = time.perf_counter()
    size = params.size
    half, three_quarters = steps // 2, (3 * steps) // 4
    summed = np.zeros((size, size))
    quarters = [np.zeros((size, size)), np.zeros((size, size))]
    burglaries = np.zeros((size, size), dtype=np.int64)
    per_step = np.zeros(steps, dtype=np.int64)
    population = np.zeros(steps, dtype=np.int64)
    attractiveness = model.grid.attractiveness.data
    for step in range(steps):
        model.step()
        per_step[step] = model.burglaries.sum()
        population[step] = len(model.agents)
        if step >= half:
            summed += attractiveness
            burglaries += model.burglaries
            quarters[step >= three_quarters] += attractiveness
    kept = steps - half
    result = Short2008Result(
        params=params,
        steps=steps,
        mean_attractiveness=summed / max(kept, 1),
        final_attractiveness=attractiveness.copy(),
        burglaries=burglaries,
        burglaries_per_step=per_step,
        burglars_per_step=population,
        half_maps=(quarters[0] / max(kept // 2, 1), quarters[1] / max(kept // 2, 1)),
    )
    return result, build_seconds, time.perf_counter() - start


def run_vectorised(params: Short2008Params, steps: int, seed: int) -> RunOutcome:
    """Run the project's `run_short2008`; its set-up is counted in the step seconds."""
    start = time.perf_counter()
    result = run_short2008(params, steps, seed)
    return result, 0.0, time.perf_counter() - start


def run_replicates(name: str, runner: Callable[[Short2008Params, int, int], RunOutcome],
                   params: Short2008Params, steps: int, seeds: list[int]) -> Replicates:
    """Run ``runner`` once per seed, one after the other, and add up the times."""
    print(f"running {name}: {len(seeds)} x {steps} steps on {params.size} x {params.size} ...",
          file=sys.stderr, flush=True)
    runs = [runner(params, steps, seed) for seed in seeds]
    return Replicates(name, seeds, [run[0] for run in runs], sum(run[1] for run in runs),
                      sum(run[2] for run in runs))


def block_mean(series: np.ndarray, blocks: int) -> tuple[float, float]:
    """Mean of the second half of ``series`` and its standard error from ``blocks`` block means.

    Consecutive steps are correlated (a burglar lives ~1 / (A dt) steps), so the standard
    error comes from the spread of block means, not of single steps.
    """
    second_half = np.asarray(series[len(series) // 2:], dtype=float)
    means = np.array([block.mean() for block in np.array_split(second_half, blocks)])
    return float(second_half.mean()), float(means.std(ddof=1) / math.sqrt(blocks))


def mean_and_error(runs: Replicates, statistic: str, blocks: int) -> tuple[float, float]:
    """A statistic's mean over the runs and its standard error.

    With two or more runs the error comes from their spread: it includes the run-to-run
    variation of the hotspot pattern, which outlives any block of steps. With a single run it
    falls back on block means of the per-step series (nan where there is none).
    """
    values = statistic_values(runs, statistic)
    if len(values) >= 2:
        return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))
    if statistic not in CHECKED:
        return float(values[0]), math.nan
    result = runs.results[0]
    sites = result.params.size**2
    scale = sites * result.params.dt if CHECKED[statistic][1] == "sites x dt" else sites
    mean, error = block_mean(getattr(result, CHECKED[statistic][0]), blocks)
    return mean / scale, error / scale


def statistic_values(runs: Replicates, statistic: str) -> np.ndarray:
    """A statistic of each run."""
    return np.array([STATISTICS[statistic](result) for result in runs.results])


def difference_error(ours: Replicates, theirs: Replicates, statistic: str,
                     errors: tuple[float, float]) -> float:
    """Standard error of the difference of the two means.

    If the implementations agree, both runs' statistics come from one distribution, so with
    two or more runs each the variance is pooled over all runs (a two-sample t test);
    otherwise the two standard errors are combined.
    """
    first, second = statistic_values(ours, statistic), statistic_values(theirs, statistic)
    if len(first) < 2 or len(second) < 2:
        return math.hypot(*errors)
    squares = ((first - first.mean()) ** 2).sum() + ((second - second.mean()) ** 2).sum()
    pooled = squares / (len(first) + len(second) - 2)
    return math.sqrt(pooled * (1 / len(first) + 1 / len(second)))


def compare(ours: Replicates, theirs: Replicates, blocks: int) -> list[dict[str, Any]]:
    """Every statistic of both implementations; the checked ones get a two-sample test."""
    rows = []
    for statistic in STATISTICS:
        mean_ours, error_ours = mean_and_error(ours, statistic, blocks)
        mean_theirs, error_theirs = mean_and_error(theirs, statistic, blocks)
        difference = mean_ours - mean_theirs
        error = difference_error(ours, theirs, statistic, (error_ours, error_theirs))
        ratio = difference / error if error > 0 else math.nan
        checked = statistic in CHECKED
        agrees = abs(ratio) <= AGREEMENT_LIMIT
        rows.append({
            "statistic": statistic, "checked": checked,
            "ours": mean_ours, "ours_se": error_ours,
            "mesa": mean_theirs, "mesa_se": error_theirs,
            "difference": difference, "difference_se": error, "difference_over_se": ratio,
            "verdict": ("agree" if agrees else "DISAGREE") if checked else "",
        })
    return rows


def field_update_microseconds(params: Short2008Params, repeats: int = 2000) -> float:
    """Microseconds per call of the shared field kernel on this lattice (for context)."""
    dynamic = np.full((params.size, params.size), params.equilibrium_dynamic)
    events = np.zeros((params.size, params.size), dtype=np.int64)
    start = time.perf_counter()
    for _ in range(repeats):
        offending.update_attractiveness(dynamic, events, params.eta, params.omega, params.theta,
                                        dt=params.dt, periodic=True)
    return 1e6 * (time.perf_counter() - start) / repeats


def with_error(mean: float, error: float, digits: int) -> str:
    """``mean ± error``, or the mean alone when there is no error."""
    if math.isnan(error):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {error:.{digits}f}"


def report(parameter_set: str, steps: int, ours: Replicates, theirs: Replicates,
           rows: list[dict[str, Any]], blocks: int, field_microseconds: float) -> str:
    """All tables as text."""
    params = ours.results[0].params
    speedup = theirs.microseconds_per_step / ours.microseconds_per_step
    header = (f"Short et al. (2008) set {parameter_set}: eta {params.eta:g}, theta "
              f"{params.theta:g}, Gamma {params.gamma:g}, omega {params.omega:.4g}, "
              f"A0 {params.a0:.4g}, dt {params.dt:g}; {params.size} x {params.size} periodic "
              f"lattice; {len(ours.seeds)} + {len(theirs.seeds)} runs of {steps} steps; seeds "
              f"{ours.seeds[0]}..{ours.seeds[-1]} (ours), {theirs.seeds[0]}..{theirs.seeds[-1]} "
              "(Mesa)")
    timing = format_table(
        ["", ours.name, theirs.name],
        [["build seconds (all runs)", f"{ours.build_seconds:.3f}", f"{theirs.build_seconds:.3f}"],
         ["step seconds (all runs)", f"{ours.step_seconds:.2f}", f"{theirs.step_seconds:.2f}"],
         ["microseconds per step", f"{ours.microseconds_per_step:.1f}",
          f"{theirs.microseconds_per_step:.1f}"]])
    references = {
        "burglaries per site per unit time": f"Gamma = {params.gamma:g}",
        "burglars per site": f"homogeneous equilibrium {params.equilibrium_burglars:.5f}",
    }
    statistics = format_table(
        ["statistic (second half)", "ours ± se", "Mesa ± se", "difference ± se", "diff/se",
         "verdict",
         "reference"],
        [[row["statistic"], *(with_error(row[key], row[f"{key}_se"], 5 if row["checked"] else 3)
                               for key in ("ours", "mesa", "difference")),
          "" if math.isnan(row["difference_over_se"]) else f"{row['difference_over_se']:+.2f}",
          row["verdict"],
          references.get(row["statistic"], "")] for row in rows])
    if len(ours.seeds) >= 2 and len(theirs.seeds) >= 2:
        error_source = ("standard errors from the spread over the independent runs (pooled "
                        "over both for the difference)")
    else:
        error_source = (f"standard errors of a single run from {blocks} blocks of its steps "
                        "(too small when the hotspot pattern outlives a block)")
    return "\n".join([
        header, "", timing, "",
        f"Statistics: mean over the runs, {error_source}. Checked: |difference| <= "
        f"{AGREEMENT_LIMIT:g} se -> agree. The two use different random streams: only "
        "statistics can match, not trajectories.",
        statistics, "",
        f"Speed: Mesa / ours = {speedup:.1f}x per step (target >= {TARGET_SPEEDUP:g}x: "
        f"{'PASS' if speedup >= TARGET_SPEEDUP else 'FAIL'})",
        f"  Mesa's field update (numpy update_attractiveness) on this lattice: "
        f"{field_microseconds:.1f} us per step = "
        f"{field_microseconds / theirs.microseconds_per_step:.1%} of its step",
    ])


def replicates_summary(runs: Replicates) -> dict[str, Any]:
    """One implementation's numbers, for the JSON output."""
    return {"name": runs.name, "seeds": runs.seeds, "build_seconds": runs.build_seconds,
            "step_seconds": runs.step_seconds,
            "microseconds_per_step": runs.microseconds_per_step,
            "per_run": [{name: statistic(result) for name, statistic in STATISTICS.items()}
                        for result in runs.results]}


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", dest="parameter_set", choices=sorted(PUBLISHED_SETS),
                        default="c", help="Short et al.'s parameter set (default: c)")
    parser.add_argument("--size", type=int, default=None,
                        help=f"lattice side (default: {DEFAULT_SIZE}, {QUICK_SIZE} with --quick)")
    parser.add_argument("--steps", type=int, default=None,
                        help=f"time steps per run (default: {DEFAULT_STEPS}, {QUICK_STEPS} "
                             "with --quick)")
    parser.add_argument("--replicates", type=int, default=DEFAULT_REPLICATES,
                        help="independent runs of the Mesa model (default: %(default)s)")
    parser.add_argument("--replicates-ours", type=int, default=None,
                        help="independent runs of the vectorised model, cheap, so more of them "
                             f"(default: {DEFAULT_REPLICATES_OURS}, {QUICK_REPLICATES_OURS} "
                             "with --quick)")
    parser.add_argument("--quick", action="store_true", help="a smaller, shorter run")
    parser.add_argument("--blocks", type=int, default=DEFAULT_BLOCKS,
                        help="blocks for the standard errors of a single run "
                             "(default: %(default)s)")
    parser.add_argument("--seed-ours", type=int, default=1,
                        help="seed of the first vectorised run, +1 per run (default: %(default)s)")
    parser.add_argument("--seed-mesa", type=int, default=1001,
                        help="seed of the first Mesa run, +1 per run (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="also write the results as JSON to PATH")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run both implementations, print the comparison and optionally write the JSON."""
    arguments = parse_arguments(argv)
    size = arguments.size or (QUICK_SIZE if arguments.quick else DEFAULT_SIZE)
    steps = arguments.steps or (QUICK_STEPS if arguments.quick else DEFAULT_STEPS)
    eta, theta, gamma = PUBLISHED_SETS[arguments.parameter_set]
    params = Short2008Params(size=size, eta=eta, theta=theta, gamma=gamma)
    replicates_ours = arguments.replicates_ours or (
        QUICK_REPLICATES_OURS if arguments.quick else DEFAULT_REPLICATES_OURS)
    ours = run_replicates("crimesim", run_vectorised, params, steps,
                          [arguments.seed_ours + k for k in range(replicates_ours)])
    theirs = run_replicates("plain Mesa", run_mesa, params, steps,
                            [arguments.seed_mesa + k for k in range(arguments.replicates)])
    rows = compare(ours, theirs, arguments.blocks)
    field_microseconds = field_update_microseconds(params)
    print(report(arguments.parameter_set, steps, ours, theirs, rows, arguments.blocks,
                 field_microseconds))

    if arguments.json:
        arguments.json.write_text(json.dumps({
            "benchmark": "short2008_mesa",
            "environment": {"python": platform.python_version(), "numpy": np.__version__,
                            "mesa": mesa.__version__, "platform": platform.platform()},
            "parameter_set": arguments.parameter_set,
            "params": params.model_dump(),
            "steps": steps,
            "blocks": arguments.blocks,
            "implementations": [replicates_summary(ours), replicates_summary(theirs)],
            "statistics": rows,
            "speedup": theirs.microseconds_per_step / ours.microseconds_per_step,
            "target_speedup": TARGET_SPEEDUP,
            "field_update_microseconds": field_microseconds,
        }, indent=2) + "\n")
        print(f"wrote {arguments.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
