"""Governance: the budget by lever, pillar and dimension; elections; shocks (the `Government`).

**Budget.** Every lever has a unit cost (``params.costs``, US dollars at 2018 prices). The
spending lines of `LINES` group them, and each line belongs to one of the five pillars of the
Meetings of Ministers Responsible for Public Security in the Americas (MISPA) and to one of the
five dimensions of a comprehensive response. `cost_lines` prices a year of a running city;
`planned_lines` prices a strategy before it runs (capacity as budgeted, prisons full), which is
what `rescale` matches when strategies are compared at equal budget (multiplying every
capacity lever but prison places by one factor).

**Elections** fall every ``governance.election_interval_years`` from
``governance.first_election_year`` (recorded years). Without a cross-party agreement, each is
lost by the party in office with probability ``reversal_probability`` and the new government
cuts ``cut_share`` of every programme's places: youth programmes, renewal, interrupters,
councils, domestic-violence services, rehabilitation, reintegration and victim assistance.
Young people in a cut programme leave before they finish and so without its lasting effect.
Levers moved on a running city (`simulation.levers.apply_levers`) make a new plan
(`Government.replan`) that starts from the levels in force, past cuts included; only later
elections cut it.

**Shocks** (``params.shocks``): from ``start_year`` for ``duration_days``, a share of police
units is off the streets (and calls and investigations slow with them), the unemployment rate
is multiplied (jobs are lost, then found again after the shock, at the population's monthly
rates) and the base attractiveness of every block is multiplied (damage, darkness).

Elections draw from their own random stream, so a run with an election is identical to the same
run without it up to the election day (common random numbers across scenarios).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from simulation.cooperation import officers_by_municipality
from simulation.params import CRIME_TYPES, Parameters, with_overrides
from simulation.streams import side_stream

if TYPE_CHECKING:
    from simulation.model import CityModel

PILLARS: tuple[str, ...] = (
    "public-security management", "prevention of crime and violence", "police management",
    "citizen and community participation", "international cooperation",
)
"""The five pillars of the Commitment to Public Security in the Americas (MISPA I, 2008)."""
DIMENSIONS: tuple[str, ...] = (
    "prevention", "control and prosecution", "rehabilitation and reintegration",
    "protection of victims and witnesses", "reparation",
)
"""The five dimensions of a comprehensive response (MISPA papers, ../shared/seeds)."""
GOVERNANCE_STREAM = 0x60_7E_2A
"""Mixed into the run's seed entropy to give elections their own random stream."""
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class Line:
    """A spending line: what it pays for, its pillar and dimension."""

    name: str
    label: str
    pillar: str
    dimension: str


_MANAGEMENT, _PREVENTION, _POLICE, _PARTICIPATION, _COOPERATION = PILLARS
_PREVENT, _CONTROL, _REHABILITATE, _VICTIMS, _REPAIR = DIMENSIONS
LINES: tuple[Line, ...] = (
    Line("police", "Police officers and soldiers", _POLICE, _CONTROL),
    Line("police_quality", "Police training, civilian oversight and audits", _POLICE, _CONTROL),
    Line("investigation", "Detectives and investigation units", _POLICE, _CONTROL),
    Line("prosecution", "Prosecutors and courts", _MANAGEMENT, _CONTROL),
    Line("witness_protection", "Protection of witnesses", _MANAGEMENT, _VICTIMS),
    Line("prisons", "Prison places and prisoners", _MANAGEMENT, _CONTROL),
    Line("rehabilitation", "Education and work in prison", _MANAGEMENT, _REHABILITATE),
    Line("reintegration", "Support after release", _MANAGEMENT, _REHABILITATE),
    Line("supervision", "Probation and community service", _MANAGEMENT, _REHABILITATE),
    Line("restorative", "Restorative conciliation with reparation to the victim", _MANAGEMENT,
         _REPAIR),
    Line("victims", "Victim assistance", _MANAGEMENT, _VICTIMS),
    Line("regulation", "Licensing and inspection of private security", _MANAGEMENT, _CONTROL),
    Line("municipality", "Municipal capacity: staff, coordination, data systems", _MANAGEMENT,
         _PREVENT),
    Line("youth_programmes", "Programmes for at-risk youth", _PREVENTION, _PREVENT),
    Line("situational", "Lighting and public-space renewal", _PREVENTION, _PREVENT),
    Line("interruption", "Violence interrupters", _PREVENTION, _PREVENT),
    Line("domestic_violence", "Domestic-violence services", _PREVENTION, _VICTIMS),
    Line("councils", "Community councils", _PARTICIPATION, _PREVENT),
    Line("interdiction", "Interdiction of arms and drug trafficking", _COOPERATION, _CONTROL),
    Line("information_exchange", "Information exchange with other countries' police (INTERPOL, "
         "AMERIPOL, SISME)", _COOPERATION, _CONTROL),
    Line("joint_training", "Joint training with partner countries' forces", _COOPERATION, _CONTROL),
)
"""Every spending line, in the order tables show them."""
LINE = {line.name: line for line in LINES}

# Capacity levers: scaled together by `rescale`, cut at elections (programmes only).
CAPACITY_LEVERS: tuple[str, ...] = (
    "police.officers_per_100k", "police.military_per_100k", "police.detectives_per_100k",
    "justice.court.prosecutors_per_100k", "justice.prison.rehabilitation_places_per_100k",
    "justice.reintegration.places_per_100k", "justice.victims.assistance_places_per_100k",
    "prevention.programmes.youth_places_per_100k", "prevention.programmes.renewal_blocks_per_year",
    "prevention.programmes.interrupters_per_100k", "prevention.programmes.councils",
    "prevention.programmes.dv_places_per_100k", "cooperation.interdiction_per_100k",
)
"""Levers that buy capacity (people, programme places, blocks, councils) and that `rescale`
multiplies. Prison places are not among them: they are buildings, which a budget rescaled for a
comparison cannot demolish or raise, so a strategy's prisons are kept as it sets them."""
PROGRAMME_LEVERS: tuple[str, ...] = (
    "justice.prison.rehabilitation_places_per_100k", "justice.reintegration.places_per_100k",
    "justice.victims.assistance_places_per_100k", "prevention.programmes.youth_places_per_100k",
    "prevention.programmes.renewal_blocks_per_year", "prevention.programmes.interrupters_per_100k",
    "prevention.programmes.councils", "prevention.programmes.dv_places_per_100k",
)
"""The programmes an election reversal cuts."""
INTEGER_LEVERS = {"prevention.programmes.councils", "prevention.programmes.renewal_blocks_per_year"}


@dataclass(frozen=True)
class Demand:
    """What a year of a running city used of the levers paid as they are used."""

    prisoners: float  # mean prisoners (pre-trial included)
    supervised: float  # mean offenders on probation or community service
    witness_cases: float  # cases with protected witnesses in the year
    reparations: float  # restorative conciliations with reparation in the year
    guards: float  # mean private guards (regulation is paid per guard)


def cost_lines(params: Parameters, demand: Demand | None = None,
               municipal_residents: list[float] | None = None) -> dict[str, float]:
    """The year's cost of every line of `LINES` in US dollars.

    With ``demand`` (a running city), prisoners, supervision, witness protection, restorative
    conciliation and regulation are paid as used. Without it (a plan), prisons are paid full
    and the lines paid as used cost nothing. In a metropolitan area whose municipalities field
    forces of their own, the officers are each municipality's rate times its residents
    (``municipal_residents`` of the running city, or shares of the plan's residents in
    proportion to the municipalities' neighbourhoods).
    """
    costs, police, justice = params.costs, params.police, params.justice
    programmes, municipality = params.prevention.programmes, params.prevention.municipality
    cooperation = params.cooperation
    per = params.population.residents / 100_000
    if cooperation.metropolitan.officers_per_100k:
        officers = sum(officers_by_municipality(params, municipal_residents))
    else:
        officers = (police.officers_per_100k + police.military_per_100k) * per
    places = (justice.prison.capacity_per_100k + justice.prison.juvenile_capacity_per_100k) * per
    if demand is None:
        demand = Demand(prisoners=places, supervised=0.0, witness_cases=0.0, reparations=0.0,
                        guards=0.0)
    lines = {
        "police": officers * costs.officer_year * (0.3 + 0.7 * police.wage_ratio),
        "police_quality": officers * (police.training * costs.training_officer_year
                                      + police.oversight * costs.oversight_officer_year
                                      + (police.internal_audits + police.external_audits)
                                      * costs.audit_officer_year),
        "investigation": police.detectives_per_100k * per * costs.detective_year,
        "prosecution": justice.court.prosecutors_per_100k * per * costs.prosecutor_year,
        "witness_protection": demand.witness_cases * costs.witness_protection_case,
        "prisons": (demand.prisoners * (costs.prisoner_year + justice.prison.separation
                                        * costs.separation_prisoner_year)
                    + places * costs.prison_place_year),
        "rehabilitation": justice.prison.rehabilitation_places_per_100k * per * costs.rehabilitation_place_year,
        "reintegration": justice.reintegration.places_per_100k * per * costs.reintegration_place_year,
        "supervision": demand.supervised * costs.supervision_year,
        "restorative": demand.reparations * costs.restorative_case,
        "victims": justice.victims.assistance_places_per_100k * per * costs.victim_place_year,
        "regulation": demand.guards * params.private_security.regulation * costs.regulation_guard_year,
        "municipality": (municipality.technical_capacity + municipality.coordination
                         + municipality.data_quality) * params.population.residents
                        * costs.municipal_capacity_resident_year,
        "youth_programmes": programmes.youth_places_per_100k * per * costs.youth_place_year,
        "situational": programmes.renewal_blocks_per_year * costs.renewal_block,
        "interruption": programmes.interrupters_per_100k * per * costs.interrupter_year,
        "domestic_violence": programmes.dv_places_per_100k * per * costs.dv_place_year,
        "councils": programmes.councils * costs.council_year,
        "interdiction": cooperation.interdiction_per_100k * per * costs.interdiction_agent_year,
        "information_exchange": officers * cooperation.information_exchange
                                * costs.information_exchange_officer_year,
        "joint_training": officers * cooperation.joint_training * costs.joint_training_officer_year,
    }
    return {line.name: float(lines[line.name]) for line in LINES}


PER_OFFICER_LINES: tuple[str, ...] = ("police", "police_quality", "information_exchange", "joint_training")
"""Lines paid per officer: in a metropolitan area, each municipality pays them for its force."""


def by_municipality(lines: dict[str, float], officers: list[float], residents: list[float]) -> list[float]:
    """Each municipality's share of the spending: the lines paid per officer in proportion to
    its officers (its own force), every other line in proportion to its residents (services of
    the whole metropolitan area, used by its residents)."""
    officers_total, residents_total = sum(officers), sum(residents)
    shares = []
    for force, people in zip(officers, residents):
        by_officers = force / officers_total if officers_total else people / residents_total
        shares.append(sum(value * (by_officers if name in PER_OFFICER_LINES else people / residents_total)
                          for name, value in lines.items()))
    return shares


def planned_lines(params: Parameters) -> dict[str, float]:
    """A strategy's planned budget by line (US dollars a year): `cost_lines` without demand."""
    return cost_lines(params)


def planned_per_resident(params: Parameters) -> float:
    """A strategy's planned budget per resident a year (US dollars)."""
    return sum(planned_lines(params).values()) / params.population.residents


def by_pillar(lines: dict[str, float]) -> dict[str, float]:
    """Sum spending lines by pillar (every pillar present, in `PILLARS` order)."""
    totals = dict.fromkeys(PILLARS, 0.0)
    for name, value in lines.items():
        totals[LINE[name].pillar] += value
    return totals


def by_dimension(lines: dict[str, float]) -> dict[str, float]:
    """Sum spending lines by dimension (every dimension present, in `DIMENSIONS` order)."""
    totals = dict.fromkeys(DIMENSIONS, 0.0)
    for name, value in lines.items():
        totals[LINE[name].dimension] += value
    return totals


def column_name(label: str) -> str:
    """A pillar or dimension as a column suffix: 'police management' -> 'police_management'."""
    return label.replace("-", "_").replace(" ", "_")


def lever_value(params: Parameters, key: str) -> Any:
    node: Any = params
    for part in key.split("."):
        node = getattr(node, part)
    return node


def scaled(params: Parameters, levers: tuple[str, ...], factor: float, context: str) -> Parameters:
    """``params`` with every lever in ``levers`` multiplied by ``factor`` (integer levers
    rounded)."""
    overrides: dict[str, Any] = {}
    for key in levers:
        value = lever_value(params, key) * factor
        overrides[key] = int(round(value)) if key in INTEGER_LEVERS else value
    return with_overrides(params, overrides, context=context)


def rescale(params: Parameters, target_per_resident: float, context: str = "rescale") -> Parameters:
    """``params`` with every capacity lever (`CAPACITY_LEVERS`) multiplied by one factor so that
    the planned budget per resident equals ``target_per_resident`` (the allocation's shares are
    kept; what does not scale with capacity, such as prisons and municipal capacity, stays).

    Raises:
        ParameterError: the target cannot be met (it is below what does not scale, or a lever
            would leave its valid range).
    """
    residents = params.population.residents
    fixed = sum(planned_lines(scaled(params, CAPACITY_LEVERS, 0.0, context)).values()) / residents
    total = planned_per_resident(params)
    if total - fixed <= 0:
        raise ValueError(f"{context}: the strategy buys no capacity, so it cannot be rescaled")
    if target_per_resident < fixed:
        raise ValueError(f"{context}: a budget of USD {target_per_resident:,.2f} per resident is "
                         f"below the USD {fixed:,.2f} that do not scale with capacity")
    factor = (target_per_resident - fixed) / (total - fixed)
    first = scaled(params, CAPACITY_LEVERS, factor, context)
    # Whole councils and blocks: keep them as rounded, and solve once more for the others.
    continuous = tuple(key for key in CAPACITY_LEVERS if key not in INTEGER_LEVERS)
    fixed = sum(planned_lines(scaled(first, continuous, 0.0, context)).values()) / residents
    total = planned_per_resident(first)
    if total - fixed <= 0 or target_per_resident < fixed:
        return first
    return scaled(first, continuous, (target_per_resident - fixed) / (total - fixed), context)


def crime_cost(params: Parameters, crimes: dict[str, float]) -> float:
    """The cost to victims and society of these crimes (true counts by type), US dollars."""
    unit = params.costs.crime
    return float(sum(crimes[crime] * getattr(unit, crime) for crime in CRIME_TYPES))


# --------------------------------------------------------------------------------------------
# The government: elections and shocks while the city runs
# --------------------------------------------------------------------------------------------


class Government(mesa.Agent):
    """Holds the strategy as budgeted (``plan``) and puts in force what elections and shocks
    leave of it (``model.params``)."""

    def __init__(self, model: CityModel) -> None:
        super().__init__(model)
        self.plan: Parameters = model.params
        self.votes = side_stream(model.rng, GOVERNANCE_STREAM)
        self.reversals = 0  # elections that cut the programmes
        self.cuts = 0  # of them, those since the plan was last set (their cuts apply to it)
        self.elections: list[tuple[int, bool]] = []  # (recorded day, reversed)
        self.active: set[str] = set()  # shocks in force
        governance = self.plan.governance
        self.election_days = self._days(governance.first_election_year,
                                        governance.election_interval_years)
        self.shocks = {name: getattr(self.plan.shocks, name) for name in ("disaster", "economic_crisis")}
        self._duty_order: np.ndarray | None = None  # drawn when a shock first needs it

    def _days(self, first: float, interval: float) -> set[int]:
        horizon = self.model.horizon
        days, year = set(), first
        while round(year * DAYS_PER_YEAR) < horizon:
            days.add(round(year * DAYS_PER_YEAR))
            year += interval
        return days

    def step(self, day: int) -> None:
        """Today's election and shocks (``day`` is the recorded day, from 0)."""
        changed = False
        if day in self.election_days:
            governance = self.plan.governance
            reversed_ = (not governance.cross_party_agreement
                         and self.votes.random() < governance.reversal_probability)
            self.elections.append((day, bool(reversed_)))
            if reversed_:
                self.reversals += 1
                self.cuts += 1
                changed = True
        for name, shock in self.shocks.items():
            if shock.duration_days <= 0:
                continue
            start = round(shock.start_year * DAYS_PER_YEAR)
            if day == start:
                self.active.add(name)
                changed = True
            elif day == start + shock.duration_days and name in self.active:
                self.active.discard(name)
                changed = True
        if changed:
            self.put_in_force()

    def put_in_force(self) -> None:
        """Set ``model.params`` from the plan, the cuts so far and the shocks in force, and
        resize what runs on them."""
        model = self.model
        params = self.plan_after_cuts()
        police_share, attractiveness = 1.0, 1.0
        unemployment = params.population.unemployment_rate
        for name in self.active:
            shock = self.shocks[name]
            police_share *= shock.police_share
            attractiveness *= shock.attractiveness_factor
            unemployment *= shock.unemployment_factor
        if unemployment != params.population.unemployment_rate:
            params = with_overrides(params, {"population.unemployment_rate": min(unemployment, 0.5)},
                                    context="shock")
        model.params = params
        model.put_capacity_in_force(police_share, attractiveness)

    def plan_after_cuts(self) -> Parameters:
        """The plan with its programmes cut by the elections lost since it was set."""
        if not self.cuts:
            return self.plan
        return scaled(self.plan, PROGRAMME_LEVERS, self.programme_level, "election cut")

    def replan(self, plan: Parameters) -> None:
        """A new plan from today (levers moved on a running city, `simulation.levers`): it
        replaces the old one whole, so it starts uncut; later elections cut from it."""
        self.plan = plan
        self.cuts = 0
        self.put_in_force()

    def duty_order(self, units: int) -> np.ndarray:
        """A fixed random order of the police units: a shock takes the last ones off duty."""
        if self._duty_order is None or len(self._duty_order) != units:
            self._duty_order = np.random.default_rng(
                self.votes.bit_generator.seed_seq.spawn(1)[0]).permutation(units)
        return self._duty_order

    @property
    def programme_level(self) -> float:
        """Share of the planned programme places in force (1 until an election cuts them)."""
        return (1.0 - self.plan.governance.cut_share) ** self.cuts
