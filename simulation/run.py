"""The single entry point of every experiment: ``run(params, seed) -> RunResult``.

A run is a pure function of (parameters, seed): the same pair gives identical outputs in any
process, on any executor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation.indicators import (
    DAILY_COLUMNS,
    age_profile,
    municipality_table,
    neighbourhood_table,
    summary,
)
from simulation.model import CityModel
from simulation.params import Parameters

Seed = int | np.random.SeedSequence


@dataclass
class RunResult:
    """What one run of the city produces.

    Attributes:
        params: the parameters it ran with.
        seed: the seed (an int, or the entropy and spawn key of a SeedSequence).
        daily: one row per day, the columns of `simulation.indicators.DAILY_COLUMNS`.
        annual: one row per model year (rates per 100,000, concentration, victimisation).
        neighbourhoods: one row per neighbourhood over the whole run.
        age_profile: offences per 1,000 person-years by 5-year age band.
        recidivism: re-arrest and re-imprisonment within 1-5 years of releases from prison
            in the recorded period that could be followed that long (S6), for all releases
            (cohort "all") and by year of release.
        summary: headline numbers of the run.
        crime_map: street crimes per block over the whole run (2-D, rows x columns).
        timings: seconds spent building and running the model.
        municipalities: one row per municipality of the metropolitan area (one row for a city
            of one municipality): residents, police, crime, homicides and spending.
    """

    params: Parameters
    seed: int | dict
    daily: pd.DataFrame
    annual: pd.DataFrame
    neighbourhoods: pd.DataFrame
    age_profile: pd.DataFrame
    recidivism: pd.DataFrame
    summary: dict[str, float | int | str]
    crime_map: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    municipalities: pd.DataFrame = field(default_factory=pd.DataFrame)


def recidivism_summary(recidivism: pd.DataFrame) -> dict[str, float]:
    """Re-arrest and re-imprisonment within 1, 2 and 3 years, over all releases."""
    rows = recidivism[recidivism["cohort"] == "all"].head(3)
    return {**{f"rearrest_{row.years_after_release}y": row.rearrest_share for row in rows.itertuples()},
            **{f"reimprisonment_{row.years_after_release}y": row.reimprisonment_share
               for row in rows.itertuples()}}


def describe_seed(seed: Seed) -> int | dict:
    """A JSON-friendly description of a seed that reproduces it."""
    if isinstance(seed, np.random.SeedSequence):
        return {"entropy": seed.entropy, "spawn_key": list(seed.spawn_key)}
    return int(seed)


def run(
    params: Parameters | None = None,
    seed: Seed = 0,
    days: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Run the city for ``days`` (default: the parameters' horizon) and return its indicators.

    Args:
        params: the parameter tree; defaults if omitted.
        seed: an integer or a `numpy.random.SeedSequence`; the only source of randomness.
        days: how many days to record (after ``params.warmup_days`` of warm-up).
        progress: called as ``progress(step, steps)`` after each simulated day, warm-up
            included (for progress bars).
    """
    params = params or Parameters()
    days = days if days is not None else params.days
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    started = time.perf_counter()
    model = CityModel(params, rng=seed, days=days)
    built = time.perf_counter()
    total = params.warmup_days + days
    for step in range(total):
        model.step()
        if progress is not None:
            progress(step + 1, total)
    finished = time.perf_counter()
    log = model.indicators
    daily = pd.DataFrame(log.daily[:days], columns=list(DAILY_COLUMNS))
    daily.insert(0, "day", np.arange(days))
    annual = pd.DataFrame(log.annual)
    ages = age_profile(log)
    recidivism = model.releases.curve(first_day=params.warmup_days, end_day=params.warmup_days + days)
    neighbourhoods = neighbourhood_table(model)
    headline = {**summary(model, annual, ages), **recidivism_summary(recidivism)}
    municipalities = municipality_table(model, neighbourhoods, headline)
    if len(municipalities) > 1:  # a metropolitan area: each municipality's headline numbers
        headline.update(municipal_summary(municipalities))
    return RunResult(
        params=params,
        seed=describe_seed(seed),
        daily=daily,
        annual=annual,
        neighbourhoods=neighbourhoods,
        age_profile=ages,
        recidivism=recidivism,
        summary=headline,
        crime_map=log.crimes_by_block_total.reshape(model.city.grid_shape).copy(),
        timings={"build_seconds": built - started, "run_seconds": finished - built},
        municipalities=municipalities,
    )


MUNICIPAL_SUMMARY: tuple[str, ...] = ("true_crime_rate", "homicide_rate", "officers_per_100k",
                                      "spending_per_resident")
"""Columns of the municipality table the summary repeats, as ``municipality_<m>_<column>``."""


def municipal_summary(municipalities: pd.DataFrame) -> dict[str, float]:
    """Each municipality's crime, homicides, police and spending as summary keys."""
    return {f"municipality_{row.municipality}_{column}": float(getattr(row, column))
            for row in municipalities.itertuples() for column in MUNICIPAL_SUMMARY}
