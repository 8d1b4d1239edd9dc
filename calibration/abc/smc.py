"""ABC-SMC through pyabc: distance, tolerance, samplers, a resumable run and its outputs.

The method (Toni et al. 2009; Beaumont et al. 2009; pyabc, Schaelte et al. 2022). Generation 0
draws parameters from the prior; each later generation perturbs the previous one's particles
(a multivariate normal kernel fitted to them) and keeps a proposal when its simulated
statistics lie within the tolerance epsilon of the targets, weighting it by prior density over
proposal density. The tolerance of a generation is the weighted median of the previous
generation's distances (pyabc's `MedianEpsilon`; the first from a prior sample of the same
size).

The distance (`StandardisedDistance`): per target, z = (simulated - observed) / se, combined
as the Euclidean norm sqrt(sum z^2). Where the run reports its own sampling error of a
statistic (``SE_PREFIX``; the city does for recidivism shares measured on few releases), se
is that of the difference, sqrt(se_data^2 + se_run^2): a share measured on 40 releases can
miss a share measured on 1,445 by several of the latter's standard errors by chance alone, and
would otherwise swamp the distance. A fixed weighting by the targets' own standard errors, not
pyabc's adaptive one (which rescales each statistic by its spread among the simulations): the
targets' uncertainty is what says how closely a statistic should be matched; a rate with a
tight survey interval should weigh more than a noisy recidivism share, whatever the prior's
spread of either. It also keeps epsilon in interpretable units (standard errors) and the same
across generations and resumes. A simulation that cannot produce a statistic (NaN; a failed
run) gets `FAILED_DISTANCE`, so it is never accepted, and is counted.

The tolerance floor (`--min-epsilon`, default sqrt(k + 2) for k targets). ABC accepts a
simulation within a ball of radius epsilon (in se units) around the targets: a uniform kernel
on the statistics, whose variance per target is epsilon^2 / (k + 2). At epsilon = sqrt(k + 2)
it equals 1 se^2: the kernel then stands for the targets' own sampling error, and shrinking it
further would claim more precision than the data have. The tolerance never goes below the
floor (`FlooredMedianEpsilon`), and the calibration stops after the generation run at it.

Stopping: whichever comes first of the simulation budget, the tolerance floor, or
``max_generations``. The budget counts every model run, the prior sample included. pyabc
checks it between generations (``max_total_nr_simulations``); in addition a generation after
the first starts only if the runs it is expected to cost (the population over the last
acceptance rate) fit in what is left (`BudgetGuard`). So the calibration stops with less than a
generation's cost unspent, and exceeds the budget only when the last generation's acceptance
rate fell below the previous one's (or when the first generation alone costs more); the
manifest and the report give the exact count.

History and resume. Everything pyabc samples goes into ``<out>/history.db`` (SQLite) as each
generation ends. Calling `calibrate` again with the same settings loads that history
(``ABCSMC.load(db, run_id)``) and continues from the next generation until a stop criterion
holds (a larger budget continues a finished calibration). A generation interrupted by a kill
is lost and redone. Other settings in the same directory are refused.

Reproducibility. Each simulation's seed is a function of ``seed`` and its parameter values
(`calibration.abc.models.parameter_seed`), so any particle's simulation can be repeated
exactly. pyabc's own draws (priors, perturbations) use numpy's and Python's global generators,
which `calibrate` seeds from ``seed`` and the generation it starts at. Then:

* one worker (pyabc's `SingleCoreSampler`), or ``reproducible=True`` (`SeededMappingSampler`,
  on local processes or Dask): the whole calibration is reproducible from ``seed``, whatever
  the number of workers. A resumed calibration is reproducible too, but it follows another
  path than an uninterrupted one (its generators are reseeded at the generation it resumes);
* the default on several workers (pyabc's `MulticoreEvalParallelSampler`) or on Dask
  (`DaskDistributedSampler`) is not: pyabc reseeds every worker process from the operating
  system's entropy for its proposals, and which proposals make up a generation depends on which
  simulations finish first. Two such calibrations give different particles from the same
  posterior (within Monte Carlo error). They keep every worker busy to the end of a
  generation, which the seeded sampler does not.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import random
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc

from calibration.abc.diagnostics import (
    GENERATION,
    WEIGHT,
    effective_sample_size,
    posterior_draws,
)
from calibration.abc.models import (
    FAILED_KEY,
    SE_PREFIX,
    CalibrationError,
    ParameterSpace,
    Simulator,
)

FAILED_DISTANCE = 1e9
"""The distance of a simulation missing a statistic (in se units: beyond any real one)."""
DEFAULT_MAX_GENERATIONS = 20
DEFAULT_PREDICTIVE_DRAWS = 40
HISTORY_FILE = "history.db"
MANIFEST_FILE = "manifest.json"
MISSING_LOG = "missing.jsonl"
PREDICTIVE_SEED_KEY = 7_000_001
"""Mixed into the seed of the posterior predictive draws (apart from pyabc's own draws)."""


# --------------------------------------------------------------------------------------------
# Distance and tolerance
# --------------------------------------------------------------------------------------------


class StandardisedDistance(pyabc.Distance):
    """sqrt(sum_j ((s_j - y_j) / se_j)^2) over the targets j (see the module doc).

    Args:
        se: the targets' standard errors by label.
        log_path: where to append, per generation, how many of the recorded simulations had a
            missing statistic or failed (JSON lines; written by the main process only).
    """

    def __init__(self, se: Mapping[str, float], log_path: str | None = None) -> None:
        super().__init__()
        self.labels = list(se)
        self.se = np.array([float(se[label]) for label in self.labels])
        if not (np.all(np.isfinite(self.se)) and np.all(self.se > 0)):
            raise CalibrationError("every target needs a positive, finite standard error")
        self.log_path = log_path

    def __call__(self, x: dict, x_0: dict, t: int | None = None, par: dict | None = None) -> float:
        simulated = np.array([float(x.get(label, np.nan)) for label in self.labels])
        observed = np.array([float(x_0[label]) for label in self.labels])
        own = np.array([float(x.get(SE_PREFIX + label, 0.0)) for label in self.labels])
        z = (simulated - observed) / np.sqrt(self.se**2 + np.nan_to_num(own) ** 2)
        if not np.all(np.isfinite(z)):
            return FAILED_DISTANCE
        return float(np.sqrt(np.sum(z**2)))

    def configure_sampler(self, sampler) -> None:
        # Rejected particles too, so that the missing statistics are counted among all runs.
        sampler.sample_factory.record_rejected()

    def initialize(self, t: int, get_sample: Callable, x_0: dict, total_sims: int) -> None:
        if t == 0:  # a fresh start: the prior sample that sets the first tolerance
            sample = get_sample()
            self._record(-1, sample)
            self._refuse_hopeless(sample)

    def update(self, t: int, get_sample: Callable, total_sims: int) -> bool:
        self._record(t - 1, get_sample())
        return False

    def _refuse_hopeless(self, sample: Any) -> None:
        """Stop before spending the budget if no run of the prior sample gave every target."""
        particles = sample.all_particles
        if not particles or any(all(np.isfinite(float(p.sum_stat.get(label, np.nan)))
                                    for label in self.labels) for p in particles):
            return
        if all(p.sum_stat.get(FAILED_KEY, 0.0) == 1.0 for p in particles):
            raise CalibrationError(f"every one of the {len(particles)} runs of the prior sample "
                                   "failed (the first errors are printed above); fix the model "
                                   "or the parameters before calibrating")
        never = [label for label in self.labels
                 if not any(np.isfinite(float(p.sum_stat.get(label, np.nan))) for p in particles)]
        raise CalibrationError(
            f"no run of the prior sample ({len(particles)} runs) could produce "
            + (f"target(s) {', '.join(never)}" if never else "every target at once")
            + ": a longer or larger run (--years, --residents) may, or drop the target")

    def _record(self, generation: int, sample: Any) -> None:
        if self.log_path is None:
            return
        particles = sample.all_particles
        failed = sum(1 for p in particles if p.sum_stat.get(FAILED_KEY, 0.0) == 1.0)
        missing = sum(1 for p in particles
                      if not all(np.isfinite(float(p.sum_stat.get(label, np.nan)))
                                 for label in self.labels))
        with open(self.log_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"generation": generation, "recorded": len(particles),
                                     "missing": missing, "failed": failed}) + "\n")

    def get_config(self) -> dict:
        return {"name": type(self).__name__, "se": dict(zip(self.labels, self.se.tolist()))}


class FlooredMedianEpsilon(pyabc.MedianEpsilon):
    """The weighted median of the last generation's distances, never below ``floor``.

    Simulations missing a statistic (`FAILED_DISTANCE`) are left out of the median: were half
    the prior sample such runs, the first tolerance would otherwise admit them.
    """

    def __init__(self, floor: float) -> None:
        super().__init__()
        self.floor = float(floor)

    def _update(self, t: int, weighted_distances: pd.DataFrame) -> None:
        real = weighted_distances[weighted_distances["distance"] < FAILED_DISTANCE]
        super()._update(t, real if len(real) else weighted_distances)
        self._look_up[t] = max(self._look_up[t], self.floor)

    def get_config(self) -> dict:
        return {**super().get_config(), "floor": self.floor}


def default_min_epsilon(targets: int) -> float:
    """sqrt(k + 2): the tolerance at which the uniform kernel's variance per target is one se^2."""
    return math.sqrt(targets + 2)


# --------------------------------------------------------------------------------------------
# The problem
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """What to calibrate: a model function, the targets it should reproduce.

    Attributes:
        simulator: the model function (`calibration.abc.models.Simulator`).
        observed: the targets' values by label.
        se: their standard errors by label.
        targets: the targets' frame (`Targets.frame`) for the report, if any.
        true_values: the parameters' true values (synthetic data), shown and checked.
        description: plain data for the manifest and the resume check (the base parameters,
            the targets' origin, the observation model ...).
    """

    simulator: Simulator
    observed: pd.Series
    se: pd.Series
    targets: pd.DataFrame | None = None
    true_values: dict[str, float] | None = None
    description: dict[str, Any] = field(default_factory=dict)

    @property
    def space(self) -> ParameterSpace:
        return self.simulator.space


def city_problem(targets: Any, factors: Any, base: Any, seed: int, observation: Any = None,
                 true_values: Mapping[str, float] | None = None,
                 description: Mapping[str, Any] | None = None) -> Problem:
    """Calibrate the city (parameters ``base``) to ``targets`` over the uncertain ``factors``.

    Raises:
        CalibrationError: a target the runs cannot produce, or an unusable specification.
    """
    from calibration.abc.models import CitySimulator, check_producible
    from calibration.observation import ObservationModel
    from simulation.params import ParameterError, with_overrides

    space = ParameterSpace(tuple(factors))
    check_producible(targets, base)
    for item in space.parameters:  # every calibrated key must exist and accept its bounds
        try:
            with_overrides(base, {item.name: item.low}, context="prior bound")
            with_overrides(base, {item.name: item.high}, context="prior bound")
        except ParameterError as error:
            raise CalibrationError(f"parameter '{item.name}': {error}") from None
    observation = observation or ObservationModel()
    simulator = CitySimulator(base, targets, space, seed, observation)
    return Problem(simulator=simulator, observed=targets.values, se=targets.se,
                   targets=targets.frame, true_values=dict(true_values) if true_values else None,
                   description={"model": "city", "targets_origin": targets.origin,
                                "first_year": targets.first_year,
                                "observation_model": {
                                    "recording_completeness": observation.recording_completeness,
                                    "survey_sampling": observation.survey_sampling},
                                "base_parameters": simulator.base, **(description or {})})


# --------------------------------------------------------------------------------------------
# Where simulations run
# --------------------------------------------------------------------------------------------


class BudgetGuard:
    """Keeps count of the simulations and refuses a generation the budget cannot pay for.

    A generation's cost is expected to be the population over the last generation's
    acceptance rate. A generation after the first starts only if the runs spent so far plus
    that cost fit in the budget; otherwise the sampler returns an empty sample, pyabc stops
    ("sample not ok"), and nothing is simulated in vain. The first generation always runs (a
    calibration needs one).
    """

    def __init__(self, budget: int, spent: int, acceptance_rate: float | None) -> None:
        self.budget, self.spent, self.acceptance_rate = budget, spent, acceptance_rate
        self.refused: str | None = None

    def allows(self, n: int, t: int) -> bool:
        if t < 0 or self.acceptance_rate is None:
            return True
        expected = int(np.ceil(n / max(self.acceptance_rate, 1e-9)))
        if self.spent + expected <= self.budget:
            return True
        self.refused = (f"the remaining budget ({self.budget - self.spent:,} of {self.budget:,} "
                        f"runs) would not pay for another generation (about {expected:,} runs "
                        f"at the last acceptance rate, {self.acceptance_rate:.2f})")
        return False

    def record(self, n: int, evaluations: int, t: int) -> None:
        self.spent += evaluations
        if t >= 0 and evaluations:
            self.acceptance_rate = n / evaluations


class BudgetedSampler:
    """A mixin that puts a `BudgetGuard` (attribute ``guard``) before a pyabc sampler."""

    guard: BudgetGuard | None = None

    def sample_until_n_accepted(self, n, simulate_one, t, **kwargs):
        if self.guard is not None and not self.guard.allows(n, t):
            return self._refused()
        sample = super().sample_until_n_accepted(n, simulate_one, t, **kwargs)
        if self.guard is not None:
            self.guard.record(n, self.nr_evaluations_, t)
        return sample

    def _refused(self):
        """An empty sample that is not ok: pyabc ends the run without storing a generation."""
        sample = self._create_empty_sample()
        sample.ok = False
        self.nr_evaluations_ = 0
        return sample


class SingleCoreSampler(BudgetedSampler, pyabc.SingleCoreSampler):
    """pyabc's `SingleCoreSampler` with a budget guard."""


class MulticoreEvalParallelSampler(BudgetedSampler, pyabc.MulticoreEvalParallelSampler):
    """pyabc's `MulticoreEvalParallelSampler` with a budget guard."""


class DaskDistributedSampler(BudgetedSampler, pyabc.DaskDistributedSampler):
    """pyabc's `DaskDistributedSampler` with a budget guard."""


class SeededMappingSampler(BudgetedSampler, pyabc.sampler.MappingSampler):
    """pyabc's particle-parallel `MappingSampler` made reproducible: each of a generation's n
    particles is sampled (until one proposal is accepted) by its own task, whose numpy and
    Python generators are seeded from two numbers the main process draws from its own (seeded)
    generator. An ordered map then gives the same generation whichever worker ran which task,
    in whatever order they finished: the calibration is reproducible from its seed on any
    number of local processes or Dask workers.

    The price: a generation waits for its slowest particle (the eval-parallel samplers keep
    every worker busy to the end), which matters when there are about as many workers as
    particles.
    """

    def map_function(self, simulate_one, seeds):
        simulate_one = self.unpickle(simulate_one)
        np.random.seed(int(seeds[0]))
        random.seed(int(seeds[1]))
        evaluations = 0
        sample = self._create_empty_sample()
        while True:
            new_sim = simulate_one()
            evaluations += 1
            sample.append(new_sim)
            if new_sim.accepted:
                return sample, evaluations

    def _sample(self, n, simulate_one):
        seeds = np.random.randint(0, 2**31 - 1, size=(n, 2)).tolist()
        task = functools.partial(self.map_function, self.pickle(simulate_one))
        # A map in this process reseeds its generators: keep the main process's sequence.
        states = np.random.get_state(), random.getstate()
        results = list(self.map_(task, seeds))
        np.random.set_state(states[0])
        random.setstate(states[1])
        self.nr_evaluations_ = sum(evaluations for _, evaluations in results)
        sample = self._create_empty_sample()
        for one, _ in results:
            sample += one
        return sample

    def sample_until_n_accepted(self, n, simulate_one, t, **kwargs):
        if self.guard is not None and not self.guard.allows(n, t):
            return self._refused()
        sample = self._sample(n, simulate_one)
        if self.guard is not None:
            self.guard.record(n, self.nr_evaluations_, t)
        return sample


@dataclass
class Backend:
    """Where simulations run: a pyabc sampler, and a map for the predictive checks on the same
    workers."""

    sampler: Any
    description: str
    workers: int
    map_: Callable[[Callable, list], list] | None = None
    close: Callable[[], None] = lambda: None

    def map(self, function: Callable, items: list) -> list:
        """``[function(item) for item in items]`` on the workers, in order."""
        if self.map_ is not None:
            return list(self.map_(function, items))
        if self.workers <= 1 or len(items) <= 1:
            return [function(item) for item in items]
        import concurrent.futures

        from pyabc.sampler.util import get_mp_context

        with concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=get_mp_context()) as pool:
            return list(pool.map(function, items))


def make_backend(workers: int | None = None, dask: str | None = None,
                 reproducible: bool = False) -> Backend:
    """pyabc's sampler for the command line's choice.

    Args:
        workers: local processes (default: one per core); 1 runs in this process
            (`pyabc.SingleCoreSampler`, reproducible, unless ``reproducible`` is set).
        dask: ``'local'``, ``tcp://host:port`` or a job-queue cluster file, as for
            `crimesim compare --dask` (`experiments.executors.DaskExecutor`).
        reproducible: use `SeededMappingSampler` (the same results on any number of workers,
            one included) instead of pyabc's eval-parallel samplers (`MulticoreEvalParallelSampler` locally,
            `DaskDistributedSampler` on Dask: faster, not reproducible).

    Raises:
        experiments.executors.ExecutorError: a Dask address that does not answer, a bad file.
    """
    if dask:
        from experiments.executors import DaskExecutor

        executor = DaskExecutor(dask, workers)
        client = executor.client

        def dask_map(function: Callable, items: list) -> list:
            return client.gather(client.map(function, items, pure=False))

        if reproducible:
            sampler = SeededMappingSampler(map_=dask_map)
            kind = "seeded particle-parallel sampler (reproducible)"
        else:
            sampler = DaskDistributedSampler(dask_client=client, batch_size=1)
            kind = "pyabc DaskDistributedSampler"
        return Backend(sampler, f"{kind} on {executor.describe()}", executor.workers, dask_map,
                       executor.close)
    workers = workers or os.cpu_count() or 1
    if reproducible and workers == 1:
        return Backend(SeededMappingSampler(map_=map),
                       "seeded particle-parallel sampler in this process (reproducible)", 1)
    if workers == 1:
        return Backend(SingleCoreSampler(), "pyabc SingleCoreSampler (reproducible)", 1)
    if reproducible:
        from pyabc.sampler.util import get_mp_context

        pool = get_mp_context().Pool(workers)

        def pool_map(function: Callable, items: list) -> list:
            return pool.map(function, items, chunksize=1)

        def close() -> None:
            pool.terminate()
            pool.join()

        return Backend(SeededMappingSampler(map_=pool_map),
                       f"seeded particle-parallel sampler on {workers} local processes "
                       "(reproducible)", workers, pool_map, close)
    return Backend(MulticoreEvalParallelSampler(n_procs=workers),
                   f"pyabc MulticoreEvalParallelSampler on {workers} local processes", workers)


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


@dataclass
class CalibrationResult:
    """What `calibrate` did and wrote."""

    out: Path
    posterior: pd.DataFrame
    generations: pd.DataFrame
    summary: pd.DataFrame
    correlations: pd.DataFrame
    checks: pd.DataFrame
    resumed_from: int | None
    spent_before: int
    simulations: int
    stop_reason: str
    min_epsilon: float
    report: Path
    manifest: dict[str, Any]


def fingerprint(problem: Problem, population: int, seed: int, min_epsilon: float) -> str:
    """A hash of everything that fixes what a calibration computes (budget, generations,
    workers and predictive draws may change between resumes)."""
    simulator = problem.simulator
    # What the runs compute: the base parameters carry the scenario, the settings and the
    # context; where the targets came from (a path) does not matter, their values do.
    described = ("targets_origin", "targets_argument", "scenario", "context", "settings")
    model = ({k: v for k, v in problem.description.items() if k not in described}
             if problem.description.get("model") == "city" else
             {"class": type(simulator).__name__, **{k: v for k, v in vars(simulator).items()
                                                    if k not in ("space",)}})
    identity = {"space": problem.space.describe(), "observed": problem.observed.to_dict(),
                "se": problem.se.to_dict(), "population": population, "seed": seed,
                "min_epsilon": min_epsilon, "model": model}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


@contextmanager
def pyabc_messages(log: Callable[[str], None] | None) -> Iterator[None]:
    """Route pyabc's progress messages (one per generation) to ``log``; silence the rest."""
    logger = logging.getLogger("ABC")
    saved = (list(logger.handlers), logger.level, logger.propagate)

    class Forward(logging.Handler):
        tolerance = ""  # pyabc announces a generation's tolerance before it runs

        def emit(self, record: logging.LogRecord) -> None:
            message = plain_message(record.getMessage())
            if log is None or message is None:
                return
            if message.startswith("generation"):
                self.tolerance = message
            elif message.startswith("  accepted"):
                log(f"{self.tolerance}: {message.strip()}")
            else:
                log(message)

    for handler in saved[0]:
        logger.removeHandler(handler)
    logger.addHandler(Forward())
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        for handler in saved[0]:
            logger.addHandler(handler)
        logger.setLevel(saved[1])
        logger.propagate = saved[2]


def plain_message(message: str) -> str | None:
    """pyabc's progress message in words (None: not worth showing)."""
    if match := re.match(r"t: (\d+), eps: (\S+)\.$", message):
        return f"generation {match[1]}: tolerance {float(match[2]):.3g} se"
    if match := re.match(r"Accepted: (\d+) / (\d+) = \S+, ESS: (\S+)\.$", message):
        accepted, runs = int(match[1]), int(match[2])
        return (f"  accepted {accepted} of {runs} runs ({accepted / runs:.0%}), effective sample "
                f"size {float(match[3]):.1f}")
    if message.startswith("Calibration sample"):
        return "prior sample (sets the first tolerance)"
    if message.startswith("Stop:"):
        return "stop: " + message.removeprefix("Stop:").strip().rstrip(".").lower()
    return None


def _seed_global_generators(seed: int, generation: int) -> None:
    """pyabc draws priors and perturbations from numpy's (and Python's) global generators."""
    state = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, generation]).generate_state(2)
    np.random.seed(int(state[0]))
    random.seed(int(state[1]))


def _database(out: Path) -> str:
    return "sqlite:///" + str((out / HISTORY_FILE).resolve())


def calibrate(
    problem: Problem,
    out: str | Path,
    population: int,
    budget: int,
    seed: int = 0,
    workers: int | None = 1,
    dask: str | None = None,
    min_epsilon: float | None = None,
    max_generations: int = DEFAULT_MAX_GENERATIONS,
    predictive_draws: int = DEFAULT_PREDICTIVE_DRAWS,
    configuration: Mapping[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
    reproducible: bool = False,
    backend: Backend | None = None,
) -> CalibrationResult:
    """Run (or resume) an ABC-SMC calibration into ``out`` and write its outputs.

    Args:
        problem: the model function and targets (`city_problem`, or a test model).
        out: the directory for history.db, the tables, figures, report.html, manifest.json.
        population: particles per generation (at least 2).
        budget: model runs in all, the prior sample included (at least ``population``).
        seed: seeds the simulations and (with one worker) pyabc's draws.
        workers, dask, reproducible: where and how to simulate (`make_backend`); ignored if
            ``backend`` is given.
        min_epsilon: the tolerance floor in se units (default sqrt(k + 2)).
        max_generations: at most this many generations in all.
        predictive_draws: posterior predictive simulations (0: no checks).
        configuration: extra plain data for the manifest (the command line's settings).
        log: receives progress messages (None: quiet).

    Raises:
        CalibrationError: bad settings, or ``out`` holds another calibration.
    """
    from calibration.abc.report import write_outputs

    out = Path(out)
    if population < 2:
        raise CalibrationError(f"--population {population}: needs at least 2 particles per "
                               "generation (100 or more for a usable posterior)")
    if budget < population:
        raise CalibrationError(f"--budget {budget} is below --population {population}: the "
                               "prior sample alone takes one population; give a budget of "
                               f"at least {population} (about 10-20 x the population is typical)")
    if max_generations < 1:
        raise CalibrationError(f"--max-generations {max_generations}: needs at least 1")
    if predictive_draws < 0:
        raise CalibrationError(f"--predictive-draws {predictive_draws}: cannot be negative")
    if out.exists() and not out.is_dir():
        raise CalibrationError(f"--out {out} is a file; give a directory")
    floor = default_min_epsilon(len(problem.observed)) if min_epsilon is None else float(min_epsilon)
    if floor < 0:
        raise CalibrationError(f"--min-epsilon {floor}: cannot be negative")
    print_ = log or (lambda message: None)
    key = fingerprint(problem, population, seed, floor)
    manifest_path = out / MANIFEST_FILE
    history_path = out / HISTORY_FILE
    previous = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    if previous is not None and previous.get("fingerprint") != key:
        raise CalibrationError(f"{out} holds a different calibration (other targets, parameters, "
                               "population, seed or tolerance floor); choose another --out, or "
                               "rerun with the same settings to resume it")
    out.mkdir(parents=True, exist_ok=True)
    resume = previous is not None and history_path.exists()
    manifest = _start_manifest(problem, key, population, budget, seed, floor, max_generations,
                               predictive_draws, configuration, previous if resume else None)

    own_backend = backend is None
    _warm_up(problem)
    with pyabc_messages(log):
        backend = backend or make_backend(workers, dask, reproducible)
    manifest["configuration"]["sampler"] = backend.description
    try:
        with pyabc_messages(log):
            abc = pyabc.ABCSMC(
                models=problem.simulator, parameter_priors=problem.space.prior(),
                distance_function=StandardisedDistance(problem.se.to_dict(),
                                                       str(out / MISSING_LOG)),
                population_size=population, sampler=backend.sampler,
                eps=FlooredMedianEpsilon(floor))
            if resume:
                history = abc.load(_database(out), int(previous["run_id"]))
            else:
                history_path.unlink(missing_ok=True)
                (out / MISSING_LOG).unlink(missing_ok=True)
                observed = {label: float(value) for label, value in problem.observed.items()}
                true = (problem.space.to_particle(problem.true_values)
                        if problem.true_values and set(problem.true_values) >= set(problem.space.names)
                        else None)
                history = abc.new(_database(out), observed, gt_par=true,
                                  meta_info={"crimesim": "calibration", "seed": seed})
            manifest["run_id"] = int(history.id)
            manifest["status"] = "running"
            _write_manifest(out, manifest)
            done = max(int(history.n_populations), 0)
            spent = int(history.total_nr_simulations or 0)
            resumed_from = done if resume else None
            if resume:
                print_(f"resumed from generation {done}, {spent} simulations already spent")
            reason = _stop_reason(history, budget, floor, max_generations)
            if reason is None:
                backend.sampler.guard = BudgetGuard(budget, spent, _last_acceptance(history))
                _seed_global_generators(seed, done)
                abc.run(minimum_epsilon=floor, max_nr_populations=max_generations - done,
                        max_total_nr_simulations=budget)
                reason = (_stop_reason(history, budget, floor, max_generations)
                          or backend.sampler.guard.refused
                          or "pyabc stopped early (a generation could not be completed)")
            else:
                print_(f"nothing to run: {reason}")
        return write_outputs(problem, out, history, backend, manifest, reason, resumed_from,
                             spent, seed, predictive_draws, print_)
    finally:
        if own_backend:
            backend.close()


def _warm_up(problem: Problem) -> None:
    """Import the model here, so that forked workers inherit it instead of importing it each
    generation (pyabc's eval-parallel sampler forks new processes per generation)."""
    if problem.description.get("model") == "city":
        import simulation.run  # noqa: F401


def _last_acceptance(history: Any) -> float | None:
    """The last stored generation's acceptance rate (None before the first)."""
    if history.n_populations <= 0:
        return None
    populations = history.get_all_populations()
    last = populations[populations["t"] == history.max_t].iloc[0]
    return float(last["particles"] / last["samples"]) if last["samples"] else None


def _stop_reason(history: Any, budget: int, floor: float, max_generations: int) -> str | None:
    """Why the calibration is finished, or None if it should go on."""
    if history.n_populations <= 0:
        return None
    spent = int(history.total_nr_simulations or 0)
    if spent >= budget:
        return f"the simulation budget is spent ({spent:,} of {budget:,})"
    last = history.get_all_populations()
    epsilon = float(last.loc[last["t"] == history.max_t, "epsilon"].iloc[0])
    if epsilon <= floor:
        return (f"the tolerance reached its floor ({epsilon:.3g} se units): the data's own "
                "uncertainty")
    if history.n_populations >= max_generations:
        return f"the maximum number of generations ({max_generations}) is reached"
    return None


def _start_manifest(problem: Problem, key: str, population: int, budget: int, seed: int,
                    floor: float, max_generations: int, predictive_draws: int,
                    configuration: Mapping[str, Any] | None,
                    previous: dict[str, Any] | None) -> dict[str, Any]:
    from experiments.provenance import provenance

    manifest = {
        "kind": "crimesim calibration",
        "fingerprint": key,
        "configuration": {
            "population": population, "budget": budget, "seed": seed, "min_epsilon": floor,
            "max_generations": max_generations, "predictive_draws": predictive_draws,
            "targets": (_records(problem.targets) if problem.targets is not None
                        else [{"label": label, "value": float(problem.observed[label]),
                               "se": float(problem.se[label])} for label in problem.observed.index]),
            "parameters": problem.space.describe(),
            "true_values": problem.true_values,
            **problem.description,
            **dict(configuration or {}),
        },
        "seeds": {
            "seed": seed,
            "simulation": "numpy SeedSequence([seed, replicate, *float64 bits of the parameter "
                          "values by sorted name]); replicate 0 inside ABC-SMC, 1..K for the "
                          "predictive draws; a city run and its observation draws are its "
                          "two spawned children",
            "pyabc": "one worker: numpy's and Python's global generators seeded from "
                     "SeedSequence([seed, first generation of the call]); several workers or "
                     "Dask: pyabc reseeds each worker from OS entropy (not reproducible)",
            "predictive": f"draws by weight from SeedSequence([seed, {PREDICTIVE_SEED_KEY}])",
        },
        "calls": (previous or {}).get("calls", []),
        **provenance(),
        "pyabc": pyabc.__version__,
    }
    manifest["calls"].append({"started": manifest["created"], "budget": budget,
                              "command_line": manifest["command_line"]})
    return manifest


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts, missing values as None (valid JSON)."""
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def _write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    from experiments.provenance import write_json

    write_json(out / MANIFEST_FILE, manifest)


# --------------------------------------------------------------------------------------------
# Tables from the history
# --------------------------------------------------------------------------------------------


def generations_table(history: Any, out: Path | None = None) -> pd.DataFrame:
    """One row per generation: generation, epsilon, particles, effective_sample_size,
    simulations, acceptance_rate, cumulative_simulations (the prior sample included),
    missing (recorded simulations with a missing statistic), seconds."""
    populations = history.get_all_populations().sort_values("t")
    prior_sample = int(populations.loc[populations["t"] < 0, "samples"].sum())
    generations = populations[populations["t"] >= 0]
    missing = _missing_counts(out) if out is not None else {}
    rows, cumulative = [], prior_sample
    for row in generations.itertuples():
        _, weights = history.get_distribution(m=0, t=int(row.t))
        cumulative += int(row.samples)
        rows.append({GENERATION: int(row.t), "epsilon": float(row.epsilon),
                     "particles": int(row.particles), "effective_sample_size":
                     effective_sample_size(weights), "simulations": int(row.samples),
                     "acceptance_rate": float(row.particles / row.samples) if row.samples else np.nan,
                     "cumulative_simulations": cumulative,
                     "missing": missing.get(int(row.t), {}).get("missing", np.nan),
                     "seconds": float(row.wall_time) if row.wall_time is not None else np.nan})
    columns = [GENERATION, "epsilon", "particles", "effective_sample_size", "simulations",
               "acceptance_rate", "cumulative_simulations", "missing", "seconds"]
    return pd.DataFrame(rows, columns=columns)


def _missing_counts(out: Path) -> dict[int, dict[str, int]]:
    path = out / MISSING_LOG
    if not path.exists():
        return {}
    counts = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:  # a line cut by a kill
            continue
        counts[int(entry["generation"])] = entry
    return counts


def missing_summary(out: Path) -> dict[str, int]:
    """Recorded simulations, and those with a missing statistic or that failed, in all."""
    counts = _missing_counts(out).values()
    return {"recorded": sum(c["recorded"] for c in counts),
            "missing": sum(c["missing"] for c in counts),
            "failed": sum(c["failed"] for c in counts)}


def posterior_table(history: Any, space: ParameterSpace, generation: int | None = None,
                    ) -> pd.DataFrame:
    """A generation's particles (default the last): one column per parameter (dotted names,
    the parameters' scale), weight (summing to 1), generation."""
    t = history.max_t if generation is None else generation
    particles, weights = history.get_distribution(m=0, t=t)
    frame = space.frame(particles).reset_index(drop=True)
    frame[WEIGHT] = weights / weights.sum()
    frame[GENERATION] = int(t)
    return frame


def all_particles(history: Any, space: ParameterSpace) -> pd.DataFrame:
    """Every generation's particles, stacked."""
    return pd.concat([posterior_table(history, space, t) for t in range(history.n_populations)],
                     ignore_index=True)


def _simulate_draw(item: tuple[Simulator, dict[str, float], int]) -> dict[str, float]:
    simulator, values, replicate = item
    return simulator.simulate(values, replicate)


def predictive_simulations(problem: Problem, posterior: pd.DataFrame, draws: int, seed: int,
                           backend: Backend) -> pd.DataFrame:
    """``draws`` parameter vectors from the posterior, each simulated with a fresh replicate
    seed: one row per draw (draw, particle, the parameters, the statistics)."""
    chosen = posterior_draws(posterior, problem.space.names, draws,
                             np.random.SeedSequence([int(seed) & 0xFFFFFFFF, PREDICTIVE_SEED_KEY]))
    items = [(problem.simulator, {name: float(row[name]) for name in problem.space.names},
              int(row["draw"]) + 1) for _, row in chosen.iterrows()]
    statistics = pd.DataFrame(backend.map(_simulate_draw, items))
    return pd.concat([chosen, statistics], axis=1)

