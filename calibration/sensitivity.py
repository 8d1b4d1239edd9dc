"""Global sensitivity analysis: Morris screening and Sobol indices with replicates (SALib).

A design is sampled by SALib in the unit hypercube (one column per uncertain parameter, plus a
``dummy`` that the model never reads) and mapped to each parameter's distribution
(`calibration.parameters.Uncertain.from_unit`). Every design point is run ``replicates`` times
through the experiment engine (any executor, a results store that resumes, a progress bar);
replicate r of every point has the same seed (common random numbers), so differences between
points are differences of parameters, not of seeds.

For each outcome (a column of the runs' summary), two responses are analysed: the mean over
replicates, and the variance between replicates (how much a parameter changes the model's own
noise). Morris gives mu (mean elementary effect), mu* (mean absolute effect, with SALib's
bootstrap interval) and sigma, in units of the outcome per unit of the parameter's range;
Sobol gives first-order (S1) and total (ST) indices with bootstrap intervals. The dummy's index
is the noise floor: a parameter is *distinguishable* when the lower end of its interval lies
above the upper end of the dummy's, and a sample is large enough when the dummy's index is
small against the factors that matter. With ``grouped``, parameters are sampled and analysed
in their groups (`calibration.parameters.GROUPS`), one index per group.

The dummy is the random stream: a point's dummy value is mixed into its runs' seeds
(`experiments.design.RunSpec.stream`), so its index is what changing nothing but the random
draws does to an outcome. Sampling follows the engine's row order (Sobol analysis relies on
it), and each run's seed depends only on its replicate index and the dummy (never on a batch
or worker).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from calibration.parameters import Uncertain
from experiments.design import RunSpec
from simulation.params import Parameters, with_overrides

Method = Literal["morris", "sobol"]
METHODS: tuple[str, ...] = ("morris", "sobol")
DUMMY = "dummy"
DUMMY_GROUP = "dummy"
MORRIS_LEVELS = 4
RESAMPLES = 1000
CONFIDENCE = 0.95


class SensitivityError(ValueError):
    """A sensitivity analysis cannot be set up or analysed; the message says why and the fix."""


@dataclass
class Design:
    """A sampled design: the SALib problem, the unit-cube sample and the parameter values."""

    method: str
    factors: list[Uncertain]
    grouped: bool
    problem: dict[str, Any]
    unit: np.ndarray  # rows x (factors + dummy), in [0, 1]
    values: np.ndarray  # the same rows mapped to each factor's distribution (dummy: its unit value)
    n: int
    second_order: bool = False
    names: list[str] = field(default_factory=list)

    @property
    def points(self) -> int:
        return len(self.unit)


def make_problem(factors: Sequence[Uncertain], grouped: bool = False) -> dict[str, Any]:
    """The SALib problem on the unit cube: the factors and the dummy (its own group)."""
    if not factors:
        raise SensitivityError("no uncertain parameter to vary: the specification is empty")
    names = [item.name for item in factors] + [DUMMY]
    problem: dict[str, Any] = {"num_vars": len(names), "names": names,
                               "bounds": [[0.0, 1.0]] * len(names)}
    if grouped:
        problem["groups"] = [item.group for item in factors] + [DUMMY_GROUP]
    return problem


def sample(method: str, factors: Sequence[Uncertain], n: int, seed: int = 0,
           grouped: bool = False, second_order: bool = False) -> Design:
    """Sample a design: ``n`` Morris trajectories, or a Sobol sample of base size ``n`` (a
    power of 2: n (k + 2) rows, n (2k + 2) with second order; k = factors or groups + 1)."""
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if method not in METHODS:
        raise SensitivityError(f"--method {method!r}: valid: {', '.join(METHODS)}")
    if n < 2:
        raise SensitivityError(f"--n {n}: needs at least 2")
    factors = list(factors)
    problem = make_problem(factors, grouped)
    if method == "morris":
        unit = morris_sample.sample(problem, n, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        if n & (n - 1):
            raise SensitivityError(f"--n {n}: a Sobol sample needs a power of 2 (e.g. "
                                   f"{1 << (n - 1).bit_length()})")
        unit = sobol_sample.sample(problem, n, calc_second_order=second_order, scramble=True,
                                   seed=seed)
    unit = np.clip(unit, 0.0, 1.0)
    values = unit.copy()
    for column, item in enumerate(factors):
        values[:, column] = item.from_unit(unit[:, column])
    return Design(method=method, factors=factors, grouped=grouped, problem=problem, unit=unit,
                  values=values, n=n, second_order=second_order, names=problem["names"])


def build_runs(design: Design, base: Parameters | dict[str, float], replicates: int,
               root_seed: int, model: str = "city", days: int | None = None) -> list[RunSpec]:
    """The design's runs, point-major: run_id = point x replicates + replicate. ``base`` is the
    city's parameters (each point overrides its factors) or, for a test model, a dict of fixed
    inputs."""
    if replicates < 1:
        raise SensitivityError(f"--reps {replicates}: needs at least 1")
    runs = []
    names = [item.name for item in design.factors]
    dummy = design.names.index(DUMMY)
    for index, row in enumerate(design.values):
        overrides = {name: float(value) for name, value in zip(names, row)}
        stream = int(round(float(design.unit[index, dummy]) * (2**32 - 1)))
        if model == "city":
            try:
                params = with_overrides(base, overrides, context=f"design point {index}").model_dump(mode="json")
            except ValueError as error:
                raise SensitivityError(str(error)) from None
        else:
            params = {**dict(base), **overrides}
        for replicate in range(replicates):
            runs.append(RunSpec(run_id=index * replicates + replicate, point=f"p{index:06d}",
                                replicate=replicate, root_seed=root_seed, params=params,
                                days=days, model=model, stream=stream))
    return runs


def responses(summary: pd.DataFrame, design: Design, replicates: int,
              outcome: str) -> dict[str, np.ndarray]:
    """Per design point, the mean over replicates and the variance between them (ddof 1; only
    with two replicates or more) of one outcome.

    Raises:
        SensitivityError: the outcome is not a column, or some runs failed or are missing.
    """
    if outcome not in summary.columns:
        numeric = [c for c in summary.columns if c not in ("run_id", "point", "replicate", "status",
                                                             "error", "seconds")]
        raise SensitivityError(f"outcome {outcome!r} is not an output of the model; choose from "
                               f"{', '.join(numeric[:40])}{' ...' if len(numeric) > 40 else ''}")
    expected = design.points * replicates
    ok = summary[summary["status"] == "ok"].sort_values("run_id")
    if len(ok) != expected or not np.array_equal(ok["run_id"].to_numpy(), np.arange(expected)):
        failed = summary[summary["status"] != "ok"]
        raise SensitivityError(
            f"{expected - len(ok)} of {expected} runs are missing or failed"
            + (f" (first: run {int(failed['run_id'].iloc[0])}: {failed['error'].iloc[0]})"
               if len(failed) else "")
            + "; the analysis needs every run. Resume with the same command, or narrow the "
              "parameter bounds that make runs fail.")
    values = ok[outcome].to_numpy(dtype=float).reshape(design.points, replicates)
    if np.isnan(values).any():
        raise SensitivityError(f"outcome {outcome!r} is undefined (NaN) in "
                               f"{int(np.isnan(values).any(axis=1).sum())} design points; choose "
                               "an outcome every run defines")
    result = {"mean": values.mean(axis=1)}
    if replicates > 1:
        result["variance"] = values.var(axis=1, ddof=1)
    return result


def analyse(design: Design, y: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """Indices of one response: one row per factor (or group), the dummy included.

    Morris: mu, mu_star, mu_star_conf, sigma. Sobol: S1, S1_conf, ST, ST_conf (and S2 where
    asked). Intervals are SALib's bootstrap at 95%.
    """
    from SALib.analyze import morris as morris_analyse
    from SALib.analyze import sobol as sobol_analyse

    # SALib seeds its bootstrap only with a truthy seed: derive a non-zero one from ``seed``.
    seed = int(np.random.SeedSequence(seed).generate_state(1)[0]) | 1
    if design.method == "morris":
        result = morris_analyse.analyze(design.problem, design.unit, y, num_levels=MORRIS_LEVELS,
                                        num_resamples=RESAMPLES, conf_level=CONFIDENCE, seed=seed)
        frame = pd.DataFrame({"factor": list(result["names"]), "mu": result["mu"],
                              "mu_star": result["mu_star"], "mu_star_conf": result["mu_star_conf"],
                              "sigma": result["sigma"]})
    else:
        if np.ptp(y) == 0:
            raise SensitivityError("the response does not vary over the design: Sobol indices "
                                   "are undefined (is the outcome affected by these parameters?)")
        result = sobol_analyse.analyze(design.problem, y, calc_second_order=design.second_order,
                                       num_resamples=RESAMPLES, conf_level=CONFIDENCE, seed=seed)
        names = design.problem.get("groups") and list(dict.fromkeys(design.problem["groups"])) \
            or design.problem["names"]
        frame = pd.DataFrame({"factor": names, "S1": result["S1"], "S1_conf": result["S1_conf"],
                              "ST": result["ST"], "ST_conf": result["ST_conf"]})
    group_of = {item.name: item.group for item in design.factors} | {DUMMY: DUMMY_GROUP}
    frame["group"] = frame["factor"].map(lambda f: group_of.get(f, f))
    frame["dummy"] = frame["factor"].isin([DUMMY, DUMMY_GROUP])
    return frame


def distinguishable(frame: pd.DataFrame, method: str) -> pd.Series:
    """Whether each factor's index stands above the dummy's: the lower end of its interval is
    above the upper end of the dummy's."""
    index, conf = ("mu_star", "mu_star_conf") if method == "morris" else ("ST", "ST_conf")
    dummy = frame[frame["dummy"]]
    if dummy.empty:
        return pd.Series(False, index=frame.index)
    floor = float(dummy[index].iloc[0] + dummy[conf].iloc[0])
    return (frame[index] - frame[conf] > floor) & ~frame["dummy"]


def indices_table(summary: pd.DataFrame, design: Design, replicates: int,
                  outcomes: Sequence[str], seed: int = 0) -> pd.DataFrame:
    """The tidy table of indices: one row per outcome, response (mean, variance) and factor."""
    frames = []
    for outcome in outcomes:
        for response, y in responses(summary, design, replicates, outcome).items():
            frame = analyse(design, y, seed=seed)
            frame["distinguishable"] = distinguishable(frame, design.method)
            frame.insert(0, "response", response)
            frame.insert(0, "outcome", outcome)
            frame.insert(0, "method", design.method)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def design_table(design: Design) -> pd.DataFrame:
    """The design's points: point, and each factor's value (the dummy's unit value)."""
    frame = pd.DataFrame(design.values, columns=design.names)
    frame.insert(0, "point", [f"p{i:06d}" for i in range(design.points)])
    return frame
