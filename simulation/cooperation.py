"""International cooperation: what flows into the city from outside, the levers that cut it, and
the city as a metropolitan area of several municipalities.

International cooperation is the fifth pillar of the Commitment to Public Security in the
Americas (MISPA I, 2008; the Fourth Meeting, Medellín 2013, was devoted to it): transnational
organised crime, the trafficking of firearms and drugs, the exchange of information between
countries' police databases (INTERPOL's I-24/7, AMERIPOL, MERCOSUR's Security Information
Exchange Mechanism SISME, presented at MISPA III, 2010) and shared training. A city feels it
through what flows in. This module holds:

**Inflows** (``cooperation.firearms_inflow``, ``drug_revenue``, ``offender_inflow``): time series
a scenario sets as points (recorded year, level), level 1 being the status quo, run as steps or
straight lines between the points (`inflow_level`). Interdiction cuts every inflow by
``max_cut (1 - exp(-agents / scale))`` (`interdiction_cut`: diminishing returns per agent).

* **Firearms** are a stock: the trafficked-firearms index $S$ (1 at the status quo) moves each
  month towards the cut inflow with the guns' turnover time (`stock_step`); the share of violent
  offenders who are armed is ``firearms.availability`` x $S$, and gang members' ratio
  ``firearms.gang_ratio`` x $S^{\\epsilon_G}$ (gangs run the trade): more guns, more violence
  that kills.
* **Drug-market revenue** $R$ (the cut inflow, no stock) multiplies gang recruitment by
  $R^{\\epsilon_r}$ and turns the retaliation chance of gang-linked violence into
  $1 - (1 - \\pi_R)^{R^{\\epsilon_c}}$ (`dispute_probability`): a richer market is worth more
  recruits and more fights over territory (Levitt & Venkatesh 2000, secondary).
* **Offenders from outside** arrive each month at ``arrivals_per_100k`` x level x (1 - cut) a
  year; each takes the place of a young man who leaves (the population stays constant), with a
  newborn's propensity times ``arrival_propensity``; a share ``wanted_share`` is wanted by the
  police of another country.

**Information exchange** (``information_exchange`` $x$): a wanted offender whose arrest stands
is identified with probability $x$ and handed over to the country that wants him; the cases of
offenders on record (a conviction here, or wanted elsewhere) are cleared with the clearance
times $1 + g x$ (`record_clearance_factor`). **Joint training** $j$ closes a share of the gap to
full training and to full internal audits (vetted units): less abuse, less corruption
(`practised_police`).

**The metropolitan area** (``cooperation.metropolitan``): the neighbourhoods, in order of their
centre from west to east, are split into runs of neighbouring neighbourhoods, one per
municipality (`group_municipalities`); each municipality fields its own officers and patrol
strategy. An offender weighs a candidate target across a municipal border by the relative
chance of going unseen there, $((1 - \\rho_{\\text{there}})/(1 - \\rho_{\\text{home}}))^{d\\beta_X}$
(`border_weight`), $\\rho$ the sentinel risk of the police seen (Nagin, Solow & Lum 2015), and
decides on the risk of the police of the municipality where he offends: a crackdown in one
municipality pushes its border offenders across (displacement; Guerette & Bowers 2009), and a
crackdown everywhere leaves nowhere to go. With one municipality (the default) nothing changes.

The module draws random numbers only where a flow or a lever is switched on, so a city at the
defaults runs exactly as it did without it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from simulation.params import (
    CooperationParams,
    InflowSeries,
    Interpolation,
    Parameters,
    PatrolStrategy,
    PoliceParams,
)
from simulation.population import DAYS_PER_YEAR, Status

if TYPE_CHECKING:
    from simulation.city import City
    from simulation.model import CityModel

MONTH_DAYS = 30
"""Days between two monthly refreshes, when the stock, the revenue and the arrivals move."""


# --------------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------------


def inflow_level(series: InflowSeries, year: float) -> float:
    """The level of an inflow series at ``year`` (recorded years; negative in the warm-up).

    Before the first point, the first level; after the last, the last. Between points
    $(y_k, L_k)$ and $(y_{k+1}, L_{k+1})$: $L_k$ (step), or
    $L_k + (L_{k+1} - L_k)(y - y_k)/(y_{k+1} - y_k)$ (linear).
    """
    points = series.points
    if year < points[0][0]:
        return float(points[0][1])
    for (start, level), (end, following) in zip(points, points[1:]):
        if start <= year < end:
            if series.interpolation is Interpolation.STEP or end == start:
                return float(level)
            return float(level + (following - level) * (year - start) / (end - start))
    return float(points[-1][1])


def interdiction_cut(agents_per_100k: float, scale: float, max_cut: float) -> float:
    """Share of every inflow interdiction stops: $c = c_{\\max}(1 - e^{-a/a_0})$.

    Each further agent stops less than the one before (diminishing returns per dollar).
    """
    if agents_per_100k <= 0:
        return 0.0
    return max_cut * -math.expm1(-agents_per_100k / scale)


def stock_step(stock: float, target: float, days: float, turnover_days: float) -> float:
    """The firearms stock after ``days``: $S \\leftarrow S + (T - S)(1 - e^{-\\Delta t/\\tau})$.

    Guns arrive at the inflow's rate and leave circulation (seized, lost, broken) after
    ``turnover_days`` on average, so the stock moves to the inflow's level on that time scale.
    """
    return stock + (target - stock) * -math.expm1(-days / turnover_days)


def dispute_probability(retaliation: float, conflict: float) -> float:
    """Chance that gang-linked violence starts a dispute: $1 - (1 - \\pi_R)^{\\kappa}$.

    ``conflict`` $\\kappa$ is the drug revenue index to the power ``revenue_conflict``: as the
    hazard of retaliation scales with it, a market worth twice as much gives $1 - (1-\\pi_R)^2$.
    """
    if conflict == 1.0:
        return retaliation
    return 1.0 - (1.0 - retaliation) ** conflict


def sentinel_risk(presence: np.ndarray, effect: float, concavity: float) -> np.ndarray:
    """The risk an offender reads from the police seen: $\\rho = \\min(1, s\\,v^a)$ (Section 7.8)."""
    return np.minimum(1.0, effect * np.power(presence, concavity))


def border_weight(home_risk: np.ndarray, target_risk: np.ndarray, crosses: np.ndarray,
                  exponent: float) -> np.ndarray:
    """Weight of candidate targets across a municipal border in an offender's choice.

    $G = \\big((1 - \\rho_{\\text{there}})/(1 - \\rho_{\\text{home}})\\big)^{e}$ for a candidate in
    another municipality, 1 at home; $e = d\\,\\beta_X$, the deterrence exponent times
    ``border_displacement``. More police at home than across the border (a crackdown) pushes
    choices across it; fewer pulls them home.
    """
    ratio = (1.0 - target_risk) / np.maximum(1.0 - home_risk, 1e-12)
    return np.where(crosses, np.power(ratio, exponent), 1.0)


def record_clearance_factor(on_record: np.ndarray, exchange: float, gain: float) -> np.ndarray:
    """Clearance multiplier of each case: $1 + g\\,x$ for an offender on record, 1 otherwise."""
    return np.where(on_record, 1.0 + gain * exchange, 1.0)


def practised_police(police: PoliceParams, cooperation: CooperationParams) -> PoliceParams:
    """The police as joint training leaves them: training $\\tau' = \\tau + (1 - \\tau) j \\theta_T$ and
    internal audits $a' = a + (1 - a) j \\theta_C$, with $j$ = ``joint_training``. Without joint
    training, ``police`` itself."""
    j = cooperation.joint_training
    if j <= 0:
        return police
    return police.model_copy(update={
        "training": police.training + (1.0 - police.training) * j * cooperation.joint_training_effect,
        "internal_audits": police.internal_audits
        + (1.0 - police.internal_audits) * j * cooperation.joint_training_integrity,
    })


def municipality_sizes(neighbourhoods: int, municipalities: int) -> list[int]:
    """Neighbourhoods per municipality: ``neighbourhoods`` split into near-equal runs."""
    return [len(run) for run in np.array_split(np.arange(neighbourhoods), municipalities)]


def group_municipalities(city: City, municipalities: int) -> np.ndarray:
    """The municipality of each neighbourhood: neighbourhoods in order of their centre's column
    (west to east; ties by row), split into ``municipalities`` runs of near-equal size."""
    if municipalities <= 1:
        return np.zeros(city.neighbourhoods, dtype=np.int64)
    rows, cols = city.rows_cols(np.arange(city.cells))
    count = np.maximum(np.bincount(city.neighbourhood, minlength=city.neighbourhoods), 1)
    centre_col = np.bincount(city.neighbourhood, weights=cols, minlength=city.neighbourhoods) / count
    centre_row = np.bincount(city.neighbourhood, weights=rows, minlength=city.neighbourhoods) / count
    order = np.lexsort((centre_row, centre_col))
    grouping = np.empty(city.neighbourhoods, dtype=np.int64)
    for municipality, members in enumerate(np.array_split(order, municipalities)):
        grouping[members] = municipality
    return grouping


def neighbouring_municipalities(city: City, block_municipality: np.ndarray) -> np.ndarray:
    """``adjacent[a, b]``: municipalities a and b share a border (two blocks side by side)."""
    grid = block_municipality.reshape(city.grid_shape)
    count = int(block_municipality.max()) + 1
    adjacent = np.zeros((count, count), dtype=bool)
    for a, b in ((grid[:, 1:], grid[:, :-1]), (grid[1:, :], grid[:-1, :])):
        adjacent[a.ravel(), b.ravel()] = True
    adjacent |= adjacent.T
    np.fill_diagonal(adjacent, False)
    return adjacent


def municipal_plan(params: Parameters) -> list[tuple[float, PatrolStrategy]]:
    """(officers per 100,000, patrol strategy) of each municipality."""
    police, metro = params.police, params.cooperation.metropolitan
    officers = metro.officers_per_100k or (police.officers_per_100k,) * metro.municipalities
    strategies = metro.strategy or (police.strategy,) * metro.municipalities
    return list(zip(officers, strategies))


def planned_residents(params: Parameters) -> list[float]:
    """Residents of each municipality as a plan prices them (before the city is built): the
    city's residents in proportion to the municipality's neighbourhoods."""
    residents = params.population.residents
    sizes = municipality_sizes(params.city.neighbourhoods, params.cooperation.metropolitan.municipalities)
    return [residents * size / params.city.neighbourhoods for size in sizes]


def officers_by_municipality(params: Parameters, residents: list[float] | None = None) -> list[float]:
    """Officers and soldiers of each municipality's force: (its officers + soldiers per 100,000)
    x its residents / 100,000 (``residents`` as built, or as planned)."""
    residents = residents if residents is not None else planned_residents(params)
    military = params.police.military_per_100k
    return [(officers + military) * (people / 100_000)
            for (officers, _), people in zip(municipal_plan(params), residents)]


# --------------------------------------------------------------------------------------------
# The flows of a running city
# --------------------------------------------------------------------------------------------


class Cooperation:
    """The transnational flows of a running city and who among its residents is wanted abroad.

    Attributes:
        municipality_of: the municipality of each neighbourhood.
        block_municipality: the municipality of each block.
        residents_by_municipality: residents of each municipality (slots: constant).
        firearms_stock: the trafficked-firearms index $S$ (1 at the status quo).
        revenue: the drug revenue index $R$ after interdiction (1 at the status quo).
        cut: the share of every inflow interdiction stops this month.
        wanted: whether each resident is wanted by another country's police.
        identified: wanted residents identified today, handed over at the end of the day.
        flows: street crimes of the recorded period by the offender's home municipality (rows)
            and the municipality where they happened (columns).
    """

    def __init__(self, model: CityModel) -> None:
        self.model = model
        params, city = model.params, model.city
        metro = params.cooperation.metropolitan
        self.municipalities = metro.municipalities
        self.municipality_of = group_municipalities(city, metro.municipalities)
        self.block_municipality = self.municipality_of[city.neighbourhood]
        self.residents_by_municipality = np.bincount(
            self.municipality_of, weights=model.neighbourhood_residents, minlength=self.municipalities)
        self.adjacent = (neighbouring_municipalities(city, self.block_municipality)
                         if self.municipalities > 1 else np.zeros((1, 1), dtype=bool))
        start = self.year(0)
        self.firearms_stock = inflow_level(params.cooperation.firearms_inflow, start)
        self.cut = 0.0
        self.revenue = 1.0
        self.wanted = np.zeros(model.population.size, dtype=bool)
        self.identified: list[np.ndarray] = []
        # Street crimes by the offender's home municipality (rows) and the block's (columns).
        self.flows = np.zeros((self.municipalities, self.municipalities), dtype=np.int64)
        self.set_levels(0)

    @property
    def params(self) -> CooperationParams:
        return self.model.params.cooperation

    @property
    def across_borders(self) -> bool:
        """Whether the city has more than one municipality (borders to cross)."""
        return self.municipalities > 1

    def year(self, day: int) -> float:
        """Recorded years at model day ``day`` (negative during the warm-up)."""
        return (day - self.model.warmup) / DAYS_PER_YEAR

    def set_levels(self, day: int) -> None:
        """This month's interdiction cut and drug revenue index, from the levers in force."""
        params = self.params
        self.cut = interdiction_cut(params.interdiction_per_100k, params.interdiction_scale,
                                    params.interdiction_max_cut)
        self.revenue = inflow_level(params.drug_revenue, self.year(day)) * (1.0 - self.cut)

    def update(self, day: int) -> None:
        """Monthly: the cut and the revenue, then the firearms stock towards the cut inflow."""
        self.set_levels(day)
        target = inflow_level(self.params.firearms_inflow, self.year(day)) * (1.0 - self.cut)
        if target != self.firearms_stock:
            self.firearms_stock = stock_step(self.firearms_stock, target, MONTH_DAYS,
                                             self.params.firearms_turnover_days)

    def count_flows(self, home_neighbourhoods: np.ndarray, crime_neighbourhoods: np.ndarray) -> None:
        """Add street crimes to the flows between municipalities (offender's home -> block)."""
        np.add.at(self.flows, (self.municipality_of[home_neighbourhoods],
                               self.municipality_of[crime_neighbourhoods]), 1)

    # -- what the flows change ---------------------------------------------------------------

    def availability(self, base: float) -> float:
        """Share of violent offenders armed before private security's leaks: base x S."""
        return base if self.firearms_stock == 1.0 else min(1.0, base * self.firearms_stock)

    def gang_ratio(self, base: float) -> float:
        """Gang members' ratio of being armed: base x S^elasticity."""
        if self.firearms_stock == 1.0:
            return base
        return base * self.firearms_stock ** self.params.gang_arms_elasticity

    def recruitment_factor(self) -> float:
        """Gang recruitment multiplier: R^elasticity."""
        return 1.0 if self.revenue == 1.0 else self.revenue ** self.params.revenue_recruitment

    def conflict(self) -> float:
        """The hazard multiplier of retaliation after gang-linked violence: R^elasticity."""
        return 1.0 if self.revenue == 1.0 else self.revenue ** self.params.revenue_conflict

    # -- offenders from outside --------------------------------------------------------------

    def departures(self, day: int, rng: np.random.Generator) -> np.ndarray:
        """Slots of the young men who leave this month, their places taken by arrivals:
        $K \\sim \\mathrm{Poisson}(A\\,N/10^5 \\cdot L(t)(1 - c) \\cdot 30/365)$, drawn uniformly
        among free men of the arrival ages."""
        params = self.params
        if params.arrivals_per_100k <= 0:
            return np.empty(0, dtype=np.int64)
        population = self.model.population
        level = inflow_level(params.offender_inflow, self.year(day)) * (1.0 - self.cut)
        rate = params.arrivals_per_100k * population.size / 100_000 * level * MONTH_DAYS / DAYS_PER_YEAR
        count = int(rng.poisson(rate)) if rate > 0 else 0
        if count == 0:
            return np.empty(0, dtype=np.int64)
        low, high = params.arrival_ages
        pool = np.flatnonzero(population.male & (population.age >= low) & (population.age < high)
                              & (population.status == Status.FREE))
        if len(pool) == 0:
            return np.empty(0, dtype=np.int64)
        return np.sort(rng.choice(pool, size=min(count, len(pool)), replace=False))

    def settle(self, ids: np.ndarray, day: int, rng: np.random.Generator) -> None:
        """Arrivals in the slots ``ids`` (already reborn as newborns): men of the arrival ages,
        without a job, with a propensity ``arrival_propensity`` times a man's draw (lognormal of
        mean 1, ``population.propensity_sigma``), a share of them wanted abroad."""
        if len(ids) == 0:
            return
        population, params = self.model.population, self.params
        sigma = self.model.params.population.propensity_sigma
        low, high = params.arrival_ages
        age = rng.uniform(low, high, len(ids))
        population.birth_day[ids] = (day - np.rint(age * DAYS_PER_YEAR)).astype(population.birth_day.dtype)
        population.age[ids] = (day - population.birth_day[ids]) / DAYS_PER_YEAR
        population.male[ids] = True
        population.employed[ids] = False
        population.propensity[ids] = (rng.lognormal(-0.5 * sigma**2, sigma, len(ids))
                                      * params.arrival_propensity).astype(np.float32)
        self.wanted[ids] = rng.random(len(ids)) < params.wanted_share

    # -- information exchange ----------------------------------------------------------------

    def on_record(self, offenders: np.ndarray) -> np.ndarray:
        """Whether each offender is on record: convicted here, or wanted abroad."""
        return (self.model.population.convictions[offenders] > 0) | self.wanted[offenders]

    def clearance_factor(self, offenders: np.ndarray) -> np.ndarray | None:
        """Clearance multipliers of these cases' offenders (None without information exchange)."""
        exchange = self.params.information_exchange
        if exchange <= 0:
            return None
        return record_clearance_factor(self.on_record(offenders), exchange,
                                       self.params.record_clearance_gain)

    def identify(self, arrested: np.ndarray, rng: np.random.Generator) -> int:
        """Standing arrests of wanted residents: each is identified in the shared databases with
        probability ``information_exchange`` and handed over at the end of the day. Returns how
        many were identified."""
        exchange = self.params.information_exchange
        wanted = arrested[self.wanted[arrested]]
        if exchange <= 0 or len(wanted) == 0:
            return 0
        found = np.unique(wanted[rng.random(len(wanted)) < exchange])
        self.wanted[found] = False
        if len(found):
            self.identified.append(found)
        return len(found)

    def take_identified(self) -> np.ndarray:
        """The residents identified today (to hand over), and an empty list after."""
        if not self.identified:
            return np.empty(0, dtype=np.int64)
        ids = np.unique(np.concatenate(self.identified))
        self.identified = []
        return ids

    def forget(self, ids: np.ndarray) -> None:
        """Slots reborn: no longer wanted, no longer waiting to be handed over."""
        self.wanted[ids] = False
        if self.identified:
            self.identified = [kept for kept in (group[~np.isin(group, ids)] for group in self.identified)
                               if len(kept)]
