"""Residents as a structure of arrays: one numpy column per attribute, indexed by resident id.

Residents are far too many for one Python object each (DESIGN: a per-agent Mesa step is
50-400x slower than the same update in numpy), so every daily, monthly and yearly update is a
vectorised kernel over these columns. Residents are stored sorted by neighbourhood, block and
household, so the residents of a block, of a household or of a neighbourhood are contiguous
slices; `Population.block_first` / `block_count` and `Population.neighbourhood_start` index
them.

The population is closed in size: births replace residents who die or move away, in the same
household slot, so the ids and the sort order never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from simulation.city import City
from simulation.params import PopulationParams

DAYS_PER_YEAR = 365
NEVER = -(2**30)
"""`last_victimised` of a resident never victimised."""
SCHOOL_START_AGE, SCHOOL_END_AGE = 6, 18
DROPOUT_AGES = (15, 18)
WORKING_AGES = (15, 65)


class Status(IntEnum):
    """Where a resident is: at liberty (possibly under supervision), or held."""

    FREE = 0
    PRETRIAL = 1  # detained waiting for trial
    PRISON = 2  # serving a prison sentence (adult prison or juvenile centre)


@dataclass
class Population:
    """Columns of resident attributes; every array has one entry per resident."""

    birth_day: np.ndarray  # int32, model day of birth (negative: born before the start)
    age: np.ndarray  # float32 years, refreshed monthly from birth_day
    male: np.ndarray  # bool
    household: np.ndarray  # int32
    home_cell: np.ndarray  # int32 block index
    neighbourhood: np.ndarray  # int16
    ses: np.ndarray  # float32 socio-economic status 0-1 (household level)
    employed: np.ndarray  # bool (meaningful at working ages outside school)
    in_school: np.ndarray  # bool
    dropped_out: np.ndarray  # bool
    propensity: np.ndarray  # float32, lognormal with mean 1 (x female ratio)
    exposure: np.ndarray  # float32, lognormal with mean 1: exposure to street crime
    status: np.ndarray  # int8 Status
    perceived_risk: np.ndarray  # float32 perceived probability of arrest
    trust: np.ndarray  # float32 personal trust in the police 0-1 (contacts move it)
    trust_base: np.ndarray  # float32 the resident's own long-run trust, to which trust returns
    fear: np.ndarray  # float32 fear of crime 0-1, refreshed monthly
    last_victimised: np.ndarray  # int32 model day of the last victimisation (very negative: never)
    victimisations: np.ndarray  # int16 victimisations since the start
    victimisations_year: np.ndarray  # int16 victimisations in the current model year
    offences: np.ndarray  # int16 offences committed since the start
    arrests: np.ndarray  # int16 arrests since the start
    convictions: np.ndarray  # int16 convictions since the start (the prior record)
    prison_spells: np.ndarray  # int16 prison sentences since the start (first-time vs repeat)
    supervised_until: np.ndarray  # int32 model day probation or community service ends
    assisted_until: np.ndarray  # int32 model day victim assistance ends
    peers: np.ndarray  # int32 (residents x peers) ids of peers
    gang: np.ndarray  # int8 street gang (-1: none)
    household_start: np.ndarray  # int32 per household: first resident id
    household_size: np.ndarray  # int16 per household
    block_first: np.ndarray  # int64 per block: residents of block c are block_first[c] : + block_count[c]
    block_count: np.ndarray  # int64 per block
    neighbourhood_start: np.ndarray  # int64 per neighbourhood (+1), likewise
    births: int = 0
    deaths: int = 0
    emigrants: int = 0
    immigrants: int = 0  # arrivals from outside in the places of those who left

    @property
    def size(self) -> int:
        return len(self.age)

    def nbytes_per_resident(self) -> float:
        """Memory of all per-resident columns, in bytes per resident."""
        columns = [getattr(self, name) for name in RESIDENT_COLUMNS]
        return sum(column.nbytes for column in columns) / self.size

    def refresh_ages(self, day: int) -> None:
        """age = (day - birth_day) / 365, in place."""
        np.subtract(day, self.birth_day, out=self.age, casting="unsafe")
        self.age /= DAYS_PER_YEAR


RESIDENT_COLUMNS = (
    "birth_day", "age", "male", "household", "home_cell", "neighbourhood", "ses", "employed",
    "in_school", "dropped_out", "propensity", "exposure", "status",
    "perceived_risk", "trust", "trust_base", "fear", "last_victimised", "victimisations",
    "victimisations_year", "offences", "arrests", "convictions", "prison_spells",
    "supervised_until", "assisted_until", "peers", "gang",
)


def _draw_ages(pyramid: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Ages in years from 5-year band shares (uniform within a band; 90+ spans 90-100)."""
    shares = pyramid / pyramid.sum()
    band = rng.choice(len(shares), size=n, p=shares)
    return (band * 5 + rng.uniform(0, 5, n) * np.where(band == len(shares) - 1, 2, 1))


def unemployment_probability(params: PopulationParams, ses: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Equilibrium chance of being unemployed: base x poverty gradient x youth ratio."""
    poverty = 1.0 + params.unemployment_poverty_gradient * (0.5 - ses) * 2.0
    youth = np.where(age < 25, params.youth_unemployment_ratio, 1.0)
    return np.clip(params.unemployment_rate * poverty * youth, 0.0, 0.95)


def _lognormal_mean_one(sigma: float, n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.lognormal(-0.5 * sigma**2, sigma, n).astype(np.float32)


def build_population(
    params: PopulationParams, city: City, initial_perceived_risk: float, rng: np.random.Generator
) -> Population:
    """Draw the residents, their households and peers; all randomness from ``rng``.

    Households get an adult head and the remaining residents at random, so the age pyramid is
    reproduced exactly in expectation; households are placed on blocks in proportion to the
    blocks' residential weight, and then every column is sorted by (neighbourhood, block,
    household).
    """
    n = params.residents
    ages = _draw_ages(np.asarray(params.age_pyramid, dtype=float), n, rng)

    # Household sizes summing to n.
    mean_extra = max(params.household_size_mean - 1.0, 0.0)
    sizes = 1 + rng.poisson(mean_extra, size=int(n / params.household_size_mean * 1.3) + 10)
    sizes = np.minimum(sizes, 10)
    cumulative = np.cumsum(sizes)
    households = int(np.searchsorted(cumulative, n)) + 1
    sizes = sizes[:households]
    sizes[-1] -= cumulative[households - 1] - n

    # Heads are adults; the other members are the remaining residents in random order.
    order = rng.permutation(n)
    adults = order[ages[order] >= 18]
    others_mask = np.ones(n, dtype=bool)
    heads = adults[:households] if len(adults) >= households else adults
    others_mask[heads] = False
    others = order[others_mask[order]]
    members = np.empty(n, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    members[starts[: len(heads)]] = heads
    free_slots = np.ones(n, dtype=bool)
    free_slots[starts[: len(heads)]] = False
    members[free_slots] = others
    del order, adults, others, others_mask, free_slots  # the sort below is the build's peak
    household_of_slot = np.repeat(np.arange(households), sizes)

    # Place households on blocks, then sort by (neighbourhood, block, household).
    weights = city.residential_weight / city.residential_weight.sum()
    household_cell = rng.choice(city.cells, size=households, p=weights)
    household_order = np.lexsort((household_cell, city.neighbourhood[household_cell]))
    rank = np.empty(households, dtype=np.int64)
    rank[household_order] = np.arange(households)
    slot_order = np.argsort(rank[household_of_slot], kind="stable")
    resident_ids = members[slot_order]
    household = rank[household_of_slot[slot_order]].astype(np.int32)
    sizes = sizes[household_order]
    household_cell = household_cell[household_order]
    household_start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int32)

    age = ages[resident_ids].astype(np.float32)
    home_cell = household_cell[household].astype(np.int32)
    neighbourhood = city.neighbourhood[home_cell].astype(np.int16)
    household_ses = np.clip(city.neighbourhood_ses[city.neighbourhood[household_cell]]
                            + rng.normal(0, params.household_ses_sd, households), 0, 1)
    ses = household_ses[household].astype(np.float32)
    male = rng.random(n) < params.male_share

    in_school = (age >= SCHOOL_START_AGE) & (age < SCHOOL_END_AGE)
    dropout_chance = np.clip(params.school_dropout_risk * (1.5 - ses), 0, 1)
    # Adults carry their cohort's drop-out risk; 15-17 year-olds the part of it already behind
    # them (the monthly transitions add the rest).
    years_at_risk = np.clip((age - DROPOUT_AGES[0]) / (DROPOUT_AGES[1] - DROPOUT_AGES[0]), 0, 1)
    dropped_out = rng.random(n) < 1 - (1 - dropout_chance) ** years_at_risk
    in_school &= ~dropped_out
    employed = rng.random(n) >= unemployment_probability(params, ses, age)

    propensity = _lognormal_mean_one(params.propensity_sigma, n, rng)
    propensity[~male] *= params.female_propensity_ratio
    exposure = _lognormal_mean_one(params.exposure_sigma, n, rng)
    trust = np.clip(params.trust_mean + params.trust_ses_gradient * (ses - 0.5)
                    + rng.normal(0, params.trust_sd, n), 0, 1).astype(np.float32)

    # Blocks are contiguous runs (sorted by neighbourhood first, so not in raster order).
    block_count = np.bincount(home_cell, minlength=city.cells)
    block_first = np.zeros(city.cells, dtype=np.int64)
    occupied, first = np.unique(home_cell, return_index=True)
    block_first[occupied] = first
    neighbourhood_counts = np.bincount(neighbourhood, minlength=city.neighbourhoods)
    neighbourhood_start = np.concatenate([[0], np.cumsum(neighbourhood_counts)])

    population = Population(
        birth_day=np.round(-age * DAYS_PER_YEAR).astype(np.int32),
        age=age,
        male=male,
        household=household,
        home_cell=home_cell,
        neighbourhood=neighbourhood,
        ses=ses,
        employed=employed,
        in_school=in_school,
        dropped_out=dropped_out,
        propensity=propensity,
        exposure=exposure,
        status=np.zeros(n, dtype=np.int8),
        perceived_risk=np.full(n, initial_perceived_risk, dtype=np.float32),
        trust=trust,
        trust_base=trust.copy(),
        fear=np.zeros(n, dtype=np.float32),
        last_victimised=np.full(n, NEVER, dtype=np.int32),
        victimisations=np.zeros(n, dtype=np.int16),
        victimisations_year=np.zeros(n, dtype=np.int16),
        offences=np.zeros(n, dtype=np.int16),
        arrests=np.zeros(n, dtype=np.int16),
        convictions=np.zeros(n, dtype=np.int16),
        prison_spells=np.zeros(n, dtype=np.int16),
        supervised_until=np.full(n, NEVER, dtype=np.int32),
        assisted_until=np.full(n, NEVER, dtype=np.int32),
        gang=np.full(n, -1, dtype=np.int8),
        peers=draw_peers(params, age, neighbourhood_start, rng),
        household_start=household_start,
        household_size=sizes.astype(np.int16),
        block_first=block_first,
        block_count=block_count,
        neighbourhood_start=neighbourhood_start,
    )
    return population


def draw_peers(
    params: PopulationParams, age: np.ndarray, neighbourhood_start: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Peers: residents of the same neighbourhood close in age.

    Within each neighbourhood residents are ranked by age; a resident's peers are drawn at
    random among the ``peer_age_window`` residents nearest in that ranking (age homophily).
    """
    n, k = len(age), params.peers
    peers = np.empty((n, k), dtype=np.int32)
    if k == 0:
        return peers
    for start, stop in zip(neighbourhood_start[:-1], neighbourhood_start[1:]):
        size = stop - start
        if size == 0:
            continue
        by_age = start + np.argsort(age[start:stop], kind="stable")
        position = np.empty(size, dtype=np.int64)
        position[by_age - start] = np.arange(size)
        offsets = rng.integers(1, params.peer_age_window + 1, size=(size, k))
        offsets *= np.where(rng.random((size, k)) < 0.5, -1, 1)
        # Reflect at the ends of the ranking so the youngest and oldest are not over-chosen.
        target = np.abs(position[:, None] + offsets)
        target = np.where(target > size - 1, 2 * (size - 1) - target, target)
        target = np.clip(target, 0, size - 1)
        chosen = by_age[target]
        own = np.arange(start, stop)[:, None]
        # A resident alone in the window would pick himself; point him to a neighbour instead.
        chosen = np.where(chosen == own, by_age[(position[:, None] + 1) % size], chosen)
        peers[start:stop] = chosen
    return peers


def update_labour_and_school(
    population: Population, params: PopulationParams, rng: np.random.Generator,
    finding_factor: np.ndarray | float = 1.0,
) -> None:
    """Monthly transitions: school entry, drop-out, school leaving, job loss and job finding.

    Job finding f balances job loss s at the resident's equilibrium unemployment u:
    f = s (1 - u) / u, so unemployment relaxes to u with a time scale of about 1 / (s + f).
    ``finding_factor`` scales f per resident (a prison record lowers it).
    """
    age = population.age
    n = population.size
    entering = (age >= SCHOOL_START_AGE) & (age < SCHOOL_START_AGE + 1 / 12) & ~population.dropped_out
    population.in_school[entering] = True
    leaving = population.in_school & (age >= SCHOOL_END_AGE)
    population.in_school[leaving] = False
    at_risk = population.in_school & (age >= DROPOUT_AGES[0]) & (age < DROPOUT_AGES[1])
    # Spread the cohort's drop-out risk over the 36 months of ages 15-17.
    monthly_dropout = 1 - (1 - np.clip(params.school_dropout_risk * (1.5 - population.ses), 0, 1)) ** (1 / 36)
    dropping = at_risk & (rng.random(n) < monthly_dropout)
    population.in_school[dropping] = False
    population.dropped_out[dropping] = True

    working = (age >= WORKING_AGES[0]) & (age < WORKING_AGES[1]) & ~population.in_school
    u = unemployment_probability(params, population.ses, age)
    separation = params.job_separation_rate
    finding = np.minimum(1.0, separation * (1 - u) / np.maximum(u, 1e-6)) * finding_factor
    draw = rng.random(n)
    lose = working & population.employed & (draw < separation)
    find = working & ~population.employed & (draw < finding)
    population.employed[lose] = False
    population.employed[find] = True


def annual_demography(
    population: Population, params: PopulationParams, day: int, rng: np.random.Generator
) -> np.ndarray:
    """A year of deaths, births and out-migration at constant population size.

    Deaths follow Gompertz mortality q(a) = a0 exp(b age) (everyone dies by 100). Births are
    ``birth_rate`` x residents; when births exceed deaths, adults aged 20-60 chosen at random
    move away to make room. Each freed slot becomes a newborn in the same household.

    Returns:
        The ids of the newborns (their per-resident histories restart at zero).
    """
    n = population.size
    age = population.age
    mortality = np.minimum(1.0, params.mortality_gompertz_a * np.exp(params.mortality_gompertz_b * age))
    mortality[age >= 100] = 1.0
    dead = np.flatnonzero(rng.random(n) < mortality)
    births = rng.binomial(n, params.birth_rate)
    movers = np.empty(0, dtype=np.int64)
    if births > len(dead):
        candidates = np.flatnonzero((age >= 20) & (age < 60) & (population.status == Status.FREE))
        count = min(births - len(dead), len(candidates))
        movers = rng.choice(candidates, size=count, replace=False)
    newborn = np.concatenate([dead, movers])
    population.deaths += len(dead)
    population.emigrants += len(movers)
    population.births += len(newborn)

    rebirth(population, newborn, params, day, rng)
    return newborn


def rebirth(
    population: Population, ids: np.ndarray, params: PopulationParams, day: int,
    rng: np.random.Generator,
) -> None:
    """Turn the slots ``ids`` into newborns of the same household: fresh traits and histories."""
    newborn = ids
    m = len(newborn)
    population.birth_day[newborn] = day - rng.integers(0, DAYS_PER_YEAR, m)
    population.age[newborn] = (day - population.birth_day[newborn]) / DAYS_PER_YEAR
    population.male[newborn] = rng.random(m) < params.male_share
    population.employed[newborn] = True
    population.in_school[newborn] = False
    population.dropped_out[newborn] = False
    propensity = _lognormal_mean_one(params.propensity_sigma, m, rng)
    propensity[~population.male[newborn]] *= params.female_propensity_ratio
    population.propensity[newborn] = propensity
    population.exposure[newborn] = _lognormal_mean_one(params.exposure_sigma, m, rng)
    population.status[newborn] = Status.FREE
    population.trust[newborn] = np.clip(
        params.trust_mean + params.trust_ses_gradient * (population.ses[newborn] - 0.5)
        + rng.normal(0, params.trust_sd, m), 0, 1)
    population.trust_base[newborn] = population.trust[newborn]
    population.fear[newborn] = 0.0
    population.last_victimised[newborn] = NEVER
    # Life-time counters restart; this year's victimisations stay in the year's statistics.
    for column in ("victimisations", "offences", "arrests", "convictions", "prison_spells"):
        getattr(population, column)[newborn] = 0
    population.supervised_until[newborn] = NEVER
    population.assisted_until[newborn] = NEVER
    population.gang[newborn] = -1
