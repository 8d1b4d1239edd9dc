"""The runs of the validation suite: configurations, their seeds, and what each run records.

A configuration (`RunConfig`) is a set of parameter overrides with a full and a quick size
(city, years, replicates). Checks name the configurations they need, so the baseline replicates
serve S1-S6, S8, S11 and the conservation checks at once. Replicate ``r`` of every
configuration runs with the seed

    SeedSequence(root_seed, spawn_key=(r,))       (`experiments.design.replicate_seed`)

so configurations are compared on common random numbers, and a run depends on nothing but its
configuration, mode and replicate: the same options give identical results with any number of
workers, in any order.

A city run is stepped here rather than through `simulation.run` because some checks need
what `RunResult` does not keep: the day and block of every street crime (near repeats, S3;
concentration by year, S1), the day and resident of every victimisation (the timing of repeats,
S2), police visits per block (hot-spot policing, S8), the renewed blocks (displacement, S9)
and, at each year's end, whether everyone held is in a prison (conservation). Everything else
is assembled from the model exactly as `simulation.run.run` assembles it (a test checks that
the two agree).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from experiments.design import replicate_seed
from simulation.indicators import DAILY_COLUMNS, age_profile, neighbourhood_table, summary
from simulation.model import CityModel
from simulation.params import CRIME_TYPES, Parameters, with_overrides
from simulation.population import DAYS_PER_YEAR, Status
from simulation.run import recidivism_summary
from simulation.short2008 import PUBLISHED_SETS, Short2008Params, Short2008Result, run_short2008

QUICK_CITY: dict[str, Any] = {"population.residents": 25_000, "city.width": 50, "city.height": 50,
                              "city.neighbourhoods": 9, "warmup_days": 365, "years": 2}
"""The quick suite's city: the teaching app's (25,000 residents on 50 x 50 blocks, 9
neighbourhoods: the default city's ten residents a block), one year of warm-up, two recorded."""

FULL_CAPACITY: dict[str, float] = {"prevention.municipality.technical_capacity": 1.0,
                                   "prevention.municipality.financial_capacity": 1.0,
                                   "prevention.municipality.coordination": 1.0,
                                   "prevention.municipality.data_quality": 1.0}
"""A municipality that delivers every budgeted place (as in tests/test_prevention.py)."""

ADULT_AGE = 16
"""Youngest resident counted as an adult victim (the British Crime Survey of S2 asks those aged 16
or more)."""

DAILY_KEPT: tuple[str, ...] = (*(f"{level}_{crime}" for level in ("true", "reported", "recorded")
                                 for crime in CRIME_TYPES), "births", "deaths")
"""Daily columns a city observation keeps (the conservation checks use them)."""


@dataclass(frozen=True)
class RunSize:
    """How big one mode of a configuration is."""

    overrides: Mapping[str, Any]
    replicates: int


@dataclass(frozen=True)
class RunConfig:
    """A configuration of runs shared by the checks that name it.

    Attributes:
        name: short identifier (``baseline``, ``hotspot``, ``short2008-c`` ...).
        description: what is run, in plain words.
        full: size and overrides of the full suite (on the default parameters).
        quick: size and overrides of the quick suite (on `QUICK_CITY`), or None when the
            configuration is not run in quick mode.
        kind: ``"city"`` (the city model) or ``"short2008"`` (Short's burglars alone).
        events: keep every street crime and victimisation (day and place or person).
    """

    name: str
    description: str
    full: RunSize
    quick: RunSize | None
    kind: str = "city"
    events: bool = False

    def size(self, quick: bool) -> RunSize:
        if quick:
            if self.quick is None:
                raise ValueError(f"configuration {self.name!r} is not run in quick mode")
            return self.quick
        return self.full

    def parameters(self, quick: bool) -> Parameters:
        """The city's parameters in this mode (city configurations only)."""
        base = QUICK_CITY if quick else {}
        return with_overrides(Parameters(), {**base, **self.size(quick).overrides},
                              context=f"validation configuration {self.name}")

    def short_parameters(self, quick: bool) -> tuple[Short2008Params, int]:
        """Short's parameters and the number of steps (short2008 configurations only)."""
        overrides = dict(self.size(quick).overrides)
        steps = int(overrides.pop("steps"))
        return Short2008Params(**overrides), steps


# -- the configurations ------------------------------------------------------------------------

CERTAINTY = {"police.officers_per_100k": 195.0}
"""S7 certainty: 30% more officers (tests/test_justice.py, CERTAINTY): the cost of SEVERITY."""
SEVERITY = {"justice.sentencing.severity": 2.0}
"""S7 severity: sentences twice as long (tests/test_justice.py, SEVERITY)."""
S12_BUDGETS: dict[str, dict[str, float]] = {
    "punishment": {"justice.sentencing.severity": 1.8, "justice.sentencing.alternatives": 0.0,
                   "justice.prison.rehabilitation_places_per_100k": 0.0},
    "mix": {"justice.sentencing.severity": 1.5, "justice.sentencing.alternatives": 0.1,
            "justice.prison.rehabilitation_places_per_100k": 60.0,
            "justice.reintegration.places_per_100k": 50.0},
    "leniency": {"justice.sentencing.severity": 0.5, "justice.sentencing.alternatives": 1.0,
                 "justice.prison.rehabilitation_places_per_100k": 0.0,
                 "justice.reintegration.places_per_100k": 430.0},
}
"""S12: one justice budget of about USD 35 a resident spent three ways (tests/test_justice.py,
ALL_PUNISHMENT, MIX, ALL_LENIENCY; docs/ODD.md 1.2)."""
S12_WORDS = {"punishment": "long sentences and no programmes (all punishment)",
             "mix": "sentences, education and work in prison and reintegration support (the mix)",
             "leniency": "short sentences, alternatives and reintegration places (all leniency)"}
S12_RUN = {"years": 10, "governance.cross_party_agreement": True}
"""S12 runs hold the budget ten years: no election cuts the programmes."""
RENEWAL_BLOCKS = {"full": 150, "quick": 38}
"""Blocks renewed a year: 1.5% of the city's blocks (tests/test_prevention.py: 150 of 10,000)."""
SHORT_SIZES = {"full": {"size": 128, "steps": 50_000}, "quick": {"size": 64, "steps": 20_000}}
"""Short et al.'s lattice (128 x 128, their Fig. 3) for 500 time units; quick: 64 x 64 for 200
(as tests/test_short2008.py)."""
POLICY_YEARS = {"full": 5, "quick": 2}
"""Recorded years of the S7 policy runs (full: as tests/test_justice.py)."""
QUICK_REPLICATES = 4
"""Replicates of each city configuration in the quick suite (Short's model: 3)."""


def _short_config(key: str) -> RunConfig:
    eta, theta, gamma = PUBLISHED_SETS[key]
    published = {"eta": eta, "theta": theta, "gamma": gamma}
    return RunConfig(
        name=f"short2008-{key}",
        description=f"Short et al. (2008) set {key}: eta={eta}, theta={theta}, Gamma={gamma}",
        full=RunSize({**published, **SHORT_SIZES["full"]}, 5),
        quick=RunSize({**published, **SHORT_SIZES["quick"]}, 3),
        kind="short2008")


CONFIGS: dict[str, RunConfig] = {config.name: config for config in (
    RunConfig("baseline", "the default city under the status quo (random patrol)",
              RunSize({}, 8), RunSize({}, QUICK_REPLICATES), events=True),
    RunConfig("hotspot", "the baseline with every patrol unit on hot-spot policing",
              RunSize({"police.strategy": "hotspot"}, 8),
              RunSize({"police.strategy": "hotspot"}, QUICK_REPLICATES)),
    RunConfig("certainty", "30% more officers (195 instead of 150 per 100,000)",
              RunSize({**CERTAINTY, "years": POLICY_YEARS["full"]}, 8),
              RunSize({**CERTAINTY, "years": POLICY_YEARS["quick"]}, QUICK_REPLICATES)),
    RunConfig("severity", "sentences twice as long (justice.sentencing.severity = 2)",
              RunSize({**SEVERITY, "years": POLICY_YEARS["full"]}, 8),
              RunSize({**SEVERITY, "years": POLICY_YEARS["quick"]}, QUICK_REPLICATES)),
    *(RunConfig(f"s12-{name}", f"one justice budget spent on {S12_WORDS[name]} (ten years, no "
                               "election cuts)",
                RunSize({**S12_RUN, **budget}, 8), None) for name, budget in S12_BUDGETS.items()),
    RunConfig("renewal", "lighting and public-space renewal of the hottest blocks, municipality "
                         "at full capacity",
              RunSize({"warmup_days": 730, "years": 2, **FULL_CAPACITY,
                       "prevention.programmes.renewal_blocks_per_year": RENEWAL_BLOCKS["full"]}, 6),
              RunSize({"years": 1, **FULL_CAPACITY,
                       "prevention.programmes.renewal_blocks_per_year": RENEWAL_BLOCKS["quick"]}, QUICK_REPLICATES)),
    RunConfig("renewal-control", "the renewal runs' city without renewal",
              RunSize({"warmup_days": 730, "years": 2, **FULL_CAPACITY}, 6),
              RunSize({"years": 1, **FULL_CAPACITY}, QUICK_REPLICATES)),
    *(_short_config(key) for key in PUBLISHED_SETS),
)}
"""Every configuration the checks may need, by name."""


# -- what a run records ------------------------------------------------------------------------


@dataclass
class CityObservation:
    """What one city run leaves for the checks.

    The first fields are those of `simulation.run.RunResult`; then what only stepping shows.
    Events are recorded days (0 = the first day after the warm-up).
    """

    config: str
    replicate: int
    params: Parameters
    days: int
    summary: dict[str, Any]
    annual: pd.DataFrame
    age_profile: pd.DataFrame
    recidivism: pd.DataFrame
    neighbourhoods: pd.DataFrame
    crime_map: np.ndarray  # street crimes per block over the recorded period (2-D)
    daily: pd.DataFrame  # `DAILY_KEPT` columns, one row per recorded day
    police_visits: np.ndarray  # police presence per block summed over the recorded period (2-D)
    renewed: np.ndarray  # blocks renewed by the end of the run (2-D, bool)
    neighbourhood: np.ndarray  # neighbourhood of each block (2-D)
    population_mismatch: int  # imbalance of residents and custody, summed over year ends
    adults: np.ndarray  # residents aged ADULT_AGE or more at each year's end
    street_days: np.ndarray | None = None  # one entry per street crime: its day
    street_blocks: np.ndarray | None = None  # ... and its block (flat index)
    victim_days: np.ndarray | None = None  # one entry per victimisation: its day
    victim_residents: np.ndarray | None = None  # ... the resident
    victim_ages: np.ndarray | None = None  # ... and the resident's age that day
    seconds: float = 0.0


@dataclass
class ShortObservation:
    """One run of Short's burglar model (`simulation.short2008.Short2008Result`)."""

    config: str
    replicate: int
    result: Short2008Result
    seconds: float = 0.0


Observation = CityObservation | ShortObservation


@dataclass(frozen=True)
class Task:
    """One run to make: a configuration's replicate in a mode."""

    config: str
    replicate: int
    quick: bool
    root_seed: int

    @property
    def seed(self) -> np.random.SeedSequence:
        return replicate_seed(self.root_seed, self.replicate)

    @property
    def cost(self) -> float:
        """Rough work of the run (resident-days or site-steps), to start long runs first."""
        config = CONFIGS[self.config]
        if config.kind == "short2008":
            params, steps = config.short_parameters(self.quick)
            return params.size**2 * steps * 0.5
        params = config.parameters(self.quick)
        return params.population.residents * (params.warmup_days + params.days)


def observe_city(params: Parameters, seed: int | np.random.SeedSequence, config: str = "",
                 replicate: int = 0, events: bool = False) -> CityObservation:
    """Run the city for its horizon after the warm-up and record what the checks need.

    The RunResult-like fields are built exactly as `simulation.run.run` builds them.
    """
    started = time.perf_counter()
    days = params.days
    model = CityModel(params, rng=seed, days=days)
    cells = model.city.cells
    visits = np.zeros(cells)
    previous_map = np.zeros(cells, dtype=np.int64)
    last_victimised = model.population.last_victimised.copy()
    street_days: list[np.ndarray] = []
    street_blocks: list[np.ndarray] = []
    victim_days: list[np.ndarray] = []
    victim_residents: list[np.ndarray] = []
    victim_ages: list[np.ndarray] = []
    adults: list[int] = []
    mismatch = 0
    for _ in range(params.warmup_days + days):
        model.step()
        day = model.day
        if day < 0:
            continue
        visits += model.police_visits
        if events:
            crimes_map = model.indicators.crimes_by_block_total
            today = crimes_map - previous_map
            previous_map = crimes_map.copy()
            struck = np.flatnonzero(today)
            street_blocks.append(np.repeat(struck, today[struck]).astype(np.int32))
            street_days.append(np.full(int(today[struck].sum()), day, dtype=np.int32))
            current = model.population.last_victimised
            # A victimisation sets the victim's day to today's step; a rebirth resets it.
            victims = np.flatnonzero((current != last_victimised) & (current == model.steps - 1))
            last_victimised = current.copy()
            victim_residents.append(victims.astype(np.int32))
            victim_days.append(np.full(len(victims), day, dtype=np.int32))
            victim_ages.append(model.population.age[victims].astype(np.float32))
        if (day + 1) % DAYS_PER_YEAR == 0 or day == days - 1:
            mismatch += population_discrepancy(model, params.population.residents)
            adults.append(int((model.population.age >= ADULT_AGE).sum()))
    log = model.indicators
    daily = pd.DataFrame(log.daily[:days], columns=list(DAILY_COLUMNS))
    annual = pd.DataFrame(log.annual)
    ages = age_profile(log)
    recidivism = model.releases.curve(first_day=params.warmup_days, end_day=params.warmup_days + days)
    shape = model.city.grid_shape
    joined = lambda parts, dtype: np.concatenate(parts) if parts else np.empty(0, dtype)  # noqa: E731
    return CityObservation(
        config=config, replicate=replicate, params=params, days=days,
        summary={**summary(model, annual, ages), **recidivism_summary(recidivism)},
        annual=annual, age_profile=ages, recidivism=recidivism,
        neighbourhoods=neighbourhood_table(model),
        crime_map=log.crimes_by_block_total.reshape(shape).copy(),
        daily=daily[list(DAILY_KEPT)].reset_index(drop=True),
        police_visits=visits.reshape(shape),
        renewed=(model.renewal.renewed_day >= 0).reshape(shape),
        neighbourhood=model.city.neighbourhood.reshape(shape).copy(),
        population_mismatch=int(mismatch),
        adults=np.array(adults, dtype=np.int64),
        street_days=joined(street_days, np.int32) if events else None,
        street_blocks=joined(street_blocks, np.int32) if events else None,
        victim_days=joined(victim_days, np.int32) if events else None,
        victim_residents=joined(victim_residents, np.int32) if events else None,
        victim_ages=joined(victim_ages, np.float32) if events else None,
        seconds=time.perf_counter() - started,
    )


def population_discrepancy(model: CityModel, residents: int) -> int:
    """Residents and custody that do not add up now (0 when nothing is lost or made up):

        |N - N0| + |births + immigrants - deaths - emigrants| + |held - inmates|,

    N the residents and N0 those the city started with (the population is closed and of
    constant size), births, arrivals from outside (immigrants), deaths and emigrants counted
    since the start (every death or move frees a slot that becomes a newborn or an arrival),
    held the residents whose status is not free and inmates the people in the prisons
    (everyone held is an inmate of exactly one prison).
    """
    population = model.population
    held = int((population.status != Status.FREE).sum())
    inmates = sum(prison.population for prison in model.prisons.values())
    return (abs(population.size - residents)
            + abs(int(population.births) + int(population.immigrants) - int(population.deaths)
                  - int(population.emigrants))
            + abs(held - inmates))


def observe(task: Task) -> Observation:
    """Make one run (the function every worker calls)."""
    config = CONFIGS[task.config]
    if config.kind == "short2008":
        params, steps = config.short_parameters(task.quick)
        started = time.perf_counter()
        result = run_short2008(params, steps, task.seed)
        return ShortObservation(task.config, task.replicate, result, time.perf_counter() - started)
    return observe_city(config.parameters(task.quick), task.seed, task.config, task.replicate,
                        events=config.events)


@dataclass
class RunSet:
    """Every observation of a suite, by configuration, in replicate order."""

    observations: dict[str, list[Observation]] = field(default_factory=dict)
    seconds: float = 0.0  # wall time of all runs
    workers: int = 1

    def __getitem__(self, config: str) -> list[Observation]:
        return self.observations[config]

    def cpu_seconds(self) -> dict[str, float]:
        """Seconds spent in the runs of each configuration (summed over replicates)."""
        return {name: float(sum(o.seconds for o in runs)) for name, runs in self.observations.items()}


def tasks_for(configs: Iterable[str], quick: bool, root_seed: int) -> list[Task]:
    """Every replicate of the configurations, the longest runs first (they pack best)."""
    tasks = [Task(name, replicate, quick, root_seed)
             for name in configs for replicate in range(CONFIGS[name].size(quick).replicates)]
    return sorted(tasks, key=lambda task: (-task.cost, task.config, task.replicate))


def run_all(tasks: list[Task], workers: int,
            progress: Callable[[int, int, str], None] | None = None) -> RunSet:
    """Make every run, on ``workers`` processes (1: in this process), and collect them.

    The result does not depend on the number of workers or the order in which runs finish.
    """
    started = time.perf_counter()
    results: dict[tuple[str, int], Observation] = {}

    def done(task: Task, observation: Observation) -> None:
        results[(task.config, task.replicate)] = observation
        if progress is not None:
            progress(len(results), len(tasks), f"{task.config} replicate {task.replicate + 1}")

    if workers == 1 or len(tasks) <= 1:
        for task in tasks:
            done(task, observe(task))
    else:
        context = multiprocessing.get_context("spawn")
        pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context)
        try:
            futures = {pool.submit(observe, task): task for task in tasks}
            for future in concurrent.futures.as_completed(futures):
                done(futures[future], future.result())
        except BaseException:
            # Interrupted or a run failed: drop what has not started, do not wait for the rest.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    observations: dict[str, list[Observation]] = {}
    for (config, replicate) in sorted(results):
        observations.setdefault(config, []).append(results[(config, replicate)])
    return RunSet(observations, time.perf_counter() - started, workers)
