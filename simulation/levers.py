"""Policy levers: what a government can move in the city, and moving it while the city runs.

A **lever** is a parameter of the plan (`simulation.params.Parameters`) that a public-security
authority decides: how many police officers and how they patrol, pre-trial detention,
sentences and alternatives, prison places and what happens inside, programmes for at-risk
youth, victims and communities, the regulation of private security. The catalogue `LEVERS`
holds every lever the scenario library moves (``scenarios/*.toml``), each labelled in the words
of the policy papers prepared for the Meetings of Ministers Responsible for Public Security in
the Americas (``../shared/seeds``) and grouped by their five pillars (`governance.PILLARS`):
public-security management, prevention of crime and violence, police management, citizen and
community participation, and international cooperation (interdiction of trafficking,
information exchange between countries' police, joint training; `simulation.cooperation`).

**Costs** come from the costing of `simulation.governance`, never re-declared here: a plan is
priced with `governance.planned_lines` (capacity as budgeted, prisons full). `Lever.cost` is
what one lever adds to that planned budget at a value, over the value at which it buys nothing
(no officers, no training, no places), the other levers as they are. Levers that multiply one
another (officers and their pay or training) overlap, so lever costs do not add up to the
budget: `budget_per_resident` and `spending_by_pillar` price the whole plan. Two levers are
paid as they are used (witness protection per protected case, regulation per private guard):
a plan prices them at zero and the running city's annual spending shows them.

**Presets** (`preset`) are the scenario files, read through the scenario loader
(`experiments.scenarios`, imported inside the function: presets *are* the scenario library,
the one thing this module needs from above `simulation`).

**A running city**: `apply_levers` changes the plan of a `CityModel` from its next day. The
model builds structures from its parameters when it is created, and each lever's change is
carried into them: police units (Mesa agents) are added, removed or re-tasked to match the new
force, mix and soldiers, with the calls and investigations the force can handle; the court's
daily capacity, the prison's places, programme places and the municipality that delivers them
are re-derived; the government's plan is replaced (`governance.Government.replan`), so that
elections and shocks act on the new plan. After a change, the model's structures are those a
model built with the new plan would have (tests check it), and the same seed with the same
changes on the same days gives the same run.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from simulation import governance, prevention
from simulation.params import (
    UNIT_STRATEGIES,
    ParameterError,
    Parameters,
    PatrolStrategy,
    PretrialPolicy,
    leaf_fields,
    with_overrides,
)
from simulation.policing import PoliceUnit
from simulation.population import DAYS_PER_YEAR

if TYPE_CHECKING:
    from simulation.model import CityModel

KINDS: tuple[str, ...] = ("number", "integer", "choice", "bool")
"""How a lever is set: a number in a range, a whole number, one of a few choices, yes or no."""
_MANAGEMENT, _PREVENTION, _POLICE, _PARTICIPATION, _COOPERATION = governance.PILLARS


@dataclass(frozen=True)
class Lever:
    """One policy lever: the parameter it sets, how a person sets it, and what it costs.

    Attributes:
        key: the dotted parameter name (``police.officers_per_100k``).
        label: a short name in the policy papers' words.
        pillar: the MISPA pillar it belongs to (one of `governance.PILLARS`).
        help: one sentence saying what it does in the city.
        unit: the unit of its values.
        kind: ``number``, ``integer``, ``choice`` or ``bool``.
        low: the smallest value (numbers and integers).
        high: the largest value (numbers and integers).
        step: a convenient step for a slider (values between steps are valid too).
        choices: the valid values of a choice.
        free_value: the value at which the lever buys nothing (no places, no training); None
            for a lever that costs nothing at any value (a policy rule).
        paid_as_used: paid per use in the running city (per protected case, per regulated
            guard), so a plan prices it at zero.
    """

    key: str
    label: str
    pillar: str
    help: str
    unit: str
    kind: str = "number"
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    free_value: float | None = None
    paid_as_used: bool = False

    def allowed(self) -> str:
        """The valid values in words."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        whole = "a whole number" if self.kind == "integer" else "a number"
        return f"{whole} from {_number(self.low)} to {_number(self.high)} ({self.unit})"

    def check(self, value: Any) -> Any:
        """``value`` as the parameter takes it (an int for an integer lever, a str for a
        choice).

        Raises:
            ParameterError: the value is not valid for this lever; the message names the lever
                and the valid values.
        """
        if self.kind == "bool":
            if isinstance(value, bool | np.bool_):
                return bool(value)
            raise self._error(value, "not true or false")
        if self.kind == "choice":
            text = value.value if isinstance(value, StrEnum) else value
            if isinstance(text, str) and text in self.choices:
                return text
            raise self._error(value, "not one of the choices")
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
            raise self._error(value, "not a number")
        number = float(value)
        if not math.isfinite(number) or not self.low <= number <= self.high:
            raise self._error(value, "outside the lever's range")
        if self.kind == "integer":
            if number != round(number):
                raise self._error(value, "not a whole number")
            return int(round(number))
        return number

    def cost(self, value: Any, params: Parameters | None = None) -> float:
        """US dollars per resident a year that the lever adds to the planned budget at
        ``value`` over its `free_value`, the other levers as in ``params`` (the defaults if
        omitted). Zero for a lever that costs nothing or is paid as used."""
        value = self.check(value)
        if self.free_value is None:
            return 0.0
        params = params or Parameters()
        at_value = governance.planned_per_resident(_unchecked(params, self.key, value))
        at_free = governance.planned_per_resident(_unchecked(params, self.key, self.free_value))
        return at_value - at_free

    def _error(self, value: Any, problem: str) -> ParameterError:
        return ParameterError(f"{self.key} ({self.label}) = {value!r}: {problem}. "
                              f"Valid: {self.allowed()}.")


def _number(value: float | None) -> str:
    return f"{value:,g}" if value is not None else "any"


def _unchecked(params: Parameters, key: str, value: Any) -> Parameters:
    """``params`` with one value replaced, without validation: for pricing only (a lever's
    free value may lie outside the parameter's range, such as police pay of 0)."""
    def replace(node: BaseModel, parts: list[str]) -> BaseModel:
        head, *rest = parts
        child = replace(getattr(node, head), rest) if rest else value
        return node.model_copy(update={head: child})
    return replace(params, key.split("."))  # type: ignore[return-value]


def _share(key: str, label: str, pillar: str, help: str, unit: str = "index 0-1", *,
           free_value: float | None = 0.0, paid_as_used: bool = False) -> Lever:
    return Lever(key, label, pillar, help, unit, "number", 0.0, 1.0, 0.05, free_value=free_value,
                 paid_as_used=paid_as_used)


def _amount(key: str, label: str, pillar: str, help: str, unit: str, low: float, high: float,
            step: float, *, kind: str = "number", free_value: float | None = 0.0) -> Lever:
    return Lever(key, label, pillar, help, unit, kind, low, high, step, free_value=free_value)


_MIX_LABELS = {
    "random": "preventive (random) patrol", "hotspot": "hot-spot patrol",
    "community": "community (proximity) policing", "saturation": "saturation patrol and stops",
    "reactive": "answering calls",
}

LEVERS: tuple[Lever, ...] = (
    # -- public-security management: justice, prisons, victims, regulation, the municipality --
    _amount("justice.court.prosecutors_per_100k", "Prosecutors and courts", _MANAGEMENT,
            "Prosecutors bring cases to trial: with too few, the backlog, the wait for trial and "
            "the time in preventive detention grow.", "prosecutors per 100,000", 0, 30, 0.5),
    _share("justice.court.witness_protection", "Protection of witnesses", _MANAGEMENT,
           "Share of violent cases whose witnesses are protected, so more end in conviction; "
           "paid per protected case.", "share of violent cases", paid_as_used=True),
    Lever("justice.pretrial.policy", "Preventive detention", _MANAGEMENT,
          "Broad: any charged defendant may wait for trial in prison; restricted: only those "
          "charged with violence and those with a record.", "choice", "choice",
          choices=tuple(policy.value for policy in PretrialPolicy)),
    _share("justice.pretrial.broad_probability", "Detention under the broad policy", _MANAGEMENT,
           "Chance that a charged defendant waits for trial in prison while the policy is "
           "broad.", "probability", free_value=None),
    _amount("justice.pretrial.max_days", "Longest preventive detention", _MANAGEMENT,
            "After this long in detention a defendant waits for trial at liberty.", "days",
            30, 1460, 5, kind="integer", free_value=None),
    _amount("justice.sentencing.severity", "Sentence severity", _MANAGEMENT,
            "Every prison sentence is multiplied by this (1 = today's sentences).", "ratio",
            0.5, 3.0, 0.1, free_value=None),
    _share("justice.sentencing.alternatives", "Alternatives to incarceration", _MANAGEMENT,
           "Share of first, non-violent convictions given probation, community service or "
           "restorative conciliation instead of prison.", "share of eligible convictions",
           free_value=None),
    _amount("justice.sentencing.adult_age", "Age of adult trial", _MANAGEMENT,
            "From this age defendants are tried and imprisoned as adults; lowering it is a "
            "mano-dura proposal.", "years", 14, 18, 1, kind="integer", free_value=None),
    _amount("justice.prison.capacity_per_100k", "Prison places", _MANAGEMENT,
            "Places in adult prisons, budgeted full; above 100% occupancy prisons rehabilitate "
            "less and send people out more likely to offend.", "places per 100,000", 50, 500, 10),
    _share("justice.prison.separation", "Segregation of first-time inmates", _MANAGEMENT,
           "Share of first-time prisoners held apart from repeat offenders, so that prison is "
           "less a school of crime.", "share of first-time prisoners"),
    _amount("justice.prison.rehabilitation_places_per_100k", "Rehabilitation in prison",
            _MANAGEMENT, "Education and work places in prison: inmates who complete a programme "
            "reoffend less.", "places per 100,000", 0, 300, 5),
    _amount("justice.reintegration.places_per_100k", "Reincorporation into society", _MANAGEMENT,
            "Support after release (money, job placement, family mediation) through the months "
            "when reoffending is likeliest.", "places per 100,000", 0, 300, 5),
    _amount("justice.victims.assistance_places_per_100k", "Assistance for victims", _MANAGEMENT,
            "Counselling, safety plans and legal aid for residents who report a crime: less "
            "repeat victimisation and fear, more trust.", "places per 100,000", 0, 400, 5),
    _share("private_security.regulation", "Regulation of private security", _MANAGEMENT,
           "Licensing and inspection of security firms: fewer abuses by guards and fewer of "
           "their guns leaking to crime; paid per guard.", paid_as_used=True),
    _share("prevention.municipality.technical_capacity", "Municipal technical capacity",
           _MANAGEMENT, "Staff and know-how of the city government: every prevention programme "
           "works better."),
    _share("prevention.municipality.coordination", "National-local coordination", _MANAGEMENT,
           "Coordination between national and local government: the effects of the programmes "
           "grow with it."),
    _share("prevention.municipality.data_quality", "Information systems (crime observatory)",
           _MANAGEMENT, "How well programmes see who and where is at risk, so places go to "
           "those who need them."),
    _share("prevention.municipality.decentralisation", "Decentralisation to the municipality",
           _MANAGEMENT, "Budget and authority moved to the city: more of the funds arrive and "
           "local knowledge sharpens targeting.", free_value=None),
    Lever("governance.cross_party_agreement", "Cross-party agreement", _MANAGEMENT,
          "Parties agree to keep the programmes whoever wins an election: policies that "
          "transcend party lines.", "yes/no", "bool"),
    # -- prevention of crime and violence ----------------------------------------------------
    _amount("prevention.programmes.youth_places_per_100k", "Programmes for at-risk youth",
            _PREVENTION, "Mentoring, schooling and jobs for the 12-24-year-olds at highest risk.",
            "places per 100,000", 0, 1500, 10),
    _amount("prevention.programmes.renewal_blocks_per_year", "Urban renewal and street lighting",
            _PREVENTION, "Blocks given lighting and public-space works each year, the hottest "
            "first: fewer targets, less disorder.", "blocks a year", 0, 200, 5, kind="integer"),
    _amount("prevention.programmes.interrupters_per_100k", "Violence interrupters", _PREVENTION,
            "Outreach workers who mediate disputes before they are avenged.",
            "workers per 100,000", 0, 40, 1),
    _amount("prevention.programmes.dv_places_per_100k", "Domestic-violence services", _PREVENTION,
            "Shelter, counselling and protection orders for households where women report "
            "abuse, and for those at highest risk.", "places per 100,000", 0, 300, 5),
    # -- police management -------------------------------------------------------------------
    _amount("police.officers_per_100k", "Police officers", _POLICE,
            "Sworn officers: about a quarter are on patrol on a given day, two to a unit.",
            "officers per 100,000", 0, 600, 10),
    Lever("police.strategy", "Patrol strategy", _POLICE,
          "How units work: random preventive patrol, hot spots, community (proximity) policing, "
          "saturation with stops, answering calls, or a mix of them (the mix shares).",
          "choice", "choice", choices=tuple(strategy.value for strategy in PatrolStrategy)),
    *(_share(f"police.mix.{name}", f"Mix: {label}", _POLICE,
             f"Share of units on {label} when the patrol strategy is 'mixed' (the shares are "
             "taken relative to their sum).", "share of units", free_value=None)
      for name, label in _MIX_LABELS.items()),
    _amount("police.military_per_100k", "Military support to the police", _POLICE,
            "Soldiers on patrol as saturation units: more force and more abuse, no "
            "investigation, no community work.", "soldiers per 100,000", 0, 200, 10),
    _amount("police.detectives_per_100k", "Criminal investigation", _POLICE,
            "Detectives who clear recorded crimes after the fact.", "detectives per 100,000",
            0, 100, 1),
    _share("police.training", "Professional training", _POLICE,
           "Training in the rule of law and procedural justice: fewer abuses in stops and "
           "arrests."),
    _share("police.oversight", "Civilian oversight", _POLICE,
           "External accountability bodies: fewer abuses."),
    _share("police.internal_audits", "Internal audits (internal affairs)", _POLICE,
           "Audits by the force itself: fewer corrupt officers."),
    _share("police.external_audits", "External audits", _POLICE,
           "Audits by civilian and judicial bodies: fewer corrupt officers."),
    _amount("police.wage_ratio", "Police pay", _POLICE,
            "Pay relative to comparable jobs: better-paid officers take fewer bribes.",
            "ratio to comparable pay", 0.5, 1.5, 0.05),
    # -- citizen and community participation -------------------------------------------------
    _amount("prevention.programmes.councils", "Community councils", _PARTICIPATION,
            "Councils in the poorest neighbourhoods (the default city has 16): residents watch "
            "over their streets and trust the police more.", "neighbourhoods", 0, 16, 1,
            kind="integer"),
    # -- international cooperation -------------------------------------------------------------
    _amount("cooperation.interdiction_per_100k", "Interdiction of arms and drug trafficking",
            _COOPERATION, "Border, port, customs and anti-trafficking agents on the routes that "
            "supply the city: fewer guns, less drug money for the gangs, fewer offenders from "
            "outside; each agent stops less than the one before.", "agents per 100,000", 0, 60, 1),
    _share("cooperation.information_exchange", "Information exchange (INTERPOL, AMERIPOL, SISME)",
           _COOPERATION, "Police query other countries' databases: wanted offenders are "
           "identified and handed over, and crimes of offenders on record are cleared more "
           "often."),
    _share("cooperation.joint_training", "Joint training with partner countries' forces",
           _COOPERATION, "Shared courses and vetted units: more professional police, fewer "
           "abuses and fewer corrupt officers."),
)
"""Every lever, grouped by pillar in the order of `governance.PILLARS`."""
LEVER: dict[str, Lever] = {lever.key: lever for lever in LEVERS}
"""Levers by key."""
_PARAMETERS = dict(leaf_fields())
_MIX_KEYS = tuple(f"police.mix.{name}" for name in UNIT_STRATEGIES)


def levers_by_pillar() -> dict[str, tuple[Lever, ...]]:
    """The levers of each pillar, every pillar present, in `governance.PILLARS` order."""
    return {pillar: tuple(lever for lever in LEVERS if lever.pillar == pillar)
            for pillar in governance.PILLARS}


def lever_values(params: Parameters) -> dict[str, Any]:
    """The value of every lever in ``params``: numbers as float, integers as int, choices as
    str, switches as bool. For a running city, ``lever_values(model.params)`` gives the
    levers in force (programmes as elections left them)."""
    values: dict[str, Any] = {}
    for lever in LEVERS:
        value = governance.lever_value(params, lever.key)
        if lever.kind == "choice":
            values[lever.key] = str(value.value if isinstance(value, StrEnum) else value)
        elif lever.kind == "bool":
            values[lever.key] = bool(value)
        elif lever.kind == "integer":
            values[lever.key] = int(round(value))
        else:
            values[lever.key] = float(value)
    return values


def check_levers(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate lever values; returns them as the parameters take them.

    Raises:
        ParameterError: an unknown lever or an invalid value, naming the lever and what is
            valid.
    """
    checked = {}
    for key, value in values.items():
        lever = LEVER.get(key)
        if lever is None:
            if key in _PARAMETERS:
                raise ParameterError(
                    f"'{key}' is a parameter of the model, not a policy lever; set it in a "
                    "scenario file or with with_overrides. The levers are in "
                    "simulation.levers.LEVERS.")
            options = difflib.get_close_matches(key, LEVER, n=3)
            hint = f" Did you mean {', '.join(options)}?" if options else ""
            raise ParameterError(f"unknown lever '{key}'.{hint} The levers are in "
                                 "simulation.levers.LEVERS.")
        checked[key] = lever.check(value)
    return checked


def with_levers(params: Parameters, values: Mapping[str, Any], context: str = "levers") -> Parameters:
    """``params`` with these lever values, validated as levers and as a whole.

    Raises:
        ParameterError: an unknown lever, a value out of its range, or a plan that does not
            hold together (a 'mixed' patrol strategy with every share 0, an adult age below the
            minimum age of criminal responsibility).
    """
    plan = with_overrides(params, check_levers(values), context=context)
    police = plan.police
    if police.strategy is PatrolStrategy.MIXED and sum(getattr(police.mix, name)
                                                     for name in UNIT_STRATEGIES) <= 0:
        raise ParameterError(
            f"{context}: police.strategy is 'mixed' but every share of the mix is 0 "
            f"({', '.join(_MIX_KEYS)}); give at least one share above 0, or choose a single "
            "strategy.")
    return plan


# --------------------------------------------------------------------------------------------
# Presets and prices
# --------------------------------------------------------------------------------------------

PRESET_ORDER: tuple[str, ...] = ("baseline", "punitive", "comprehensive")
"""The strategies across the pillars, shown first; the focused variants follow."""


@functools.cache
def preset_names() -> tuple[str, ...]:
    """The scenarios that can be presets (every shipped strategy; overlays are conditions, not
    strategies): baseline, punitive, comprehensive, then the focused variants by name."""
    from experiments.scenarios import list_scenarios

    names = [scenario.name for scenario in list_scenarios() if not scenario.overlay]
    return tuple(name for name in PRESET_ORDER if name in names) + \
        tuple(sorted(name for name in names if name not in PRESET_ORDER))


@functools.cache
def _preset(name: str) -> tuple[tuple[str, Any], ...]:
    from experiments.scenarios import load_scenario

    scenario = load_scenario(name)
    if scenario.overlay:
        raise ParameterError(
            f"'{name}' is an overlay (a condition laid over a strategy), not a strategy: it sets "
            f"no lever. Presets: {', '.join(preset_names())}.")
    return tuple(lever_values(scenario.params).items())


def preset(name: str) -> dict[str, Any]:
    """Every lever's value in a shipped strategy (``baseline``, ``punitive``,
    ``comprehensive``, ``hotspot_policing``, ...; `preset_names`), read from its scenario file.

    Raises:
        ScenarioError: no such scenario (the message lists them).
        ParameterError: the name is an overlay, which sets no lever.
    """
    return dict(_preset(name))


def spending_by_pillar(params: Parameters) -> dict[str, float]:
    """The plan's budget by pillar, US dollars per resident a year (every pillar, in
    `governance.PILLARS` order; they add up to `budget_per_resident`)."""
    residents = params.population.residents
    return {pillar: value / residents
            for pillar, value in governance.by_pillar(governance.planned_lines(params)).items()}


def budget_per_resident(params: Parameters) -> float:
    """The plan's total budget, US dollars per resident a year (`governance.planned_per_resident`:
    capacity as budgeted, prisons full)."""
    return governance.planned_per_resident(params)


# --------------------------------------------------------------------------------------------
# Moving levers on a running city
# --------------------------------------------------------------------------------------------


def apply_levers(model: CityModel, values: Mapping[str, Any]) -> None:
    """Set these levers of a running city from its next day.

    The new plan is the plan in force (programmes as past elections left them) with these
    values; levers not named keep their levels. Nothing happens if no lever changes, so the
    run stays identical to one without the call.

    Args:
        model: a city between two steps (during the warm-up or after it).
        values: lever key -> value (`LEVER`); a partial set is fine.

    Raises:
        ParameterError: an unknown lever, a value out of range, or a plan that does not hold
            together; the model is left unchanged.
    """
    apply_plan(model, with_levers(model.government.plan_after_cuts(), values))


def apply_plan(model: CityModel, plan: Parameters) -> None:
    """Carry a whole plan into a running city from its next day (`apply_levers` for levers;
    this for any validated plan, such as each municipality's own police in a metropolitan
    area, ``cooperation.metropolitan.officers_per_100k``).

    Raises:
        ParameterError: the plan changes what a running city cannot change (the city, its
            residents, the number of municipalities); the model is left unchanged.
    """
    government = model.government
    current = government.plan_after_cuts()
    if plan == current:
        return
    fixed = ("city", "population", "shocks")
    timetable = ("first_election_year", "election_interval_years")
    if any(getattr(plan, part) != getattr(current, part) for part in fixed) or \
            any(getattr(plan.governance, key) != getattr(current.governance, key) for key in timetable) or \
            plan.cooperation.metropolitan.municipalities != current.cooperation.metropolitan.municipalities:
        raise ParameterError(
            "a running city keeps its blocks, its residents, its municipalities and its "
            "timetable of elections and shocks: the new plan changes city.*, population.*, "
            "shocks.*, governance.first_election_year, governance.election_interval_years or "
            "cooperation.metropolitan.municipalities; build a new CityModel with that plan instead")
    if plan.police != current.police or plan.cooperation.metropolitan != current.cooperation.metropolitan:
        _deploy_police(model, plan)
    if plan.prevention.municipality != current.prevention.municipality:
        _reconstitute_municipality(model, plan)
    government.replan(plan)  # model.params; programme places, units on duty, calls, cases
    # What the government's re-plan does not re-derive (elections and shocks leave it alone):
    # the court's capacity and the adult prison's places, computed as `justice.Court` and
    # `justice.Prison` do when the model is built, and the firms' regulation.
    residents = plan.population.residents
    court = plan.justice.court
    if court != current.justice.court:
        model.court.capacity_per_day = (court.prosecutors_per_100k * residents / 100_000
                                        * court.cases_per_prosecutor / DAYS_PER_YEAR)
    capacity = plan.justice.prison.capacity_per_100k
    if capacity != current.justice.prison.capacity_per_100k:
        model.prisons["adult"].places = max(int(round(capacity * (residents / 100_000))), 0)
    juvenile = plan.justice.prison.juvenile_capacity_per_100k
    if juvenile != current.justice.prison.juvenile_capacity_per_100k:
        model.prisons["juvenile"].places = max(int(round(juvenile * (residents / 100_000))), 0)
    # The tables the model and the court derive from the plan, derived again.
    model.derive_tables(plan)
    model.court.derive_tables(plan.justice)
    model.private_security.params = model.params.private_security
    model.cooperation.set_levels(model.steps)  # interdiction's cut and the drug revenue at once


def _deploy_police(model: CityModel, plan: Parameters) -> None:
    """Match the force to the plan: units whose sector, strategy and arm are still wanted
    stay (community beats, on-duty order), the others are stood down, and new ones are
    raised; then the calls and cases the force can handle at full strength."""
    deployment = model.police_deployment(plan.police, plan.cooperation.metropolitan)
    serving: dict[tuple[int, PatrolStrategy, bool], list[PoliceUnit]] = defaultdict(list)
    for unit in model.police_units:
        serving[(unit.sector, unit.strategy, unit.military)].append(unit)
    raise_ = []
    for post in deployment:
        if serving[post]:
            serving[post].pop(0)
        else:
            raise_.append(post)
    for units in serving.values():
        for unit in units:
            unit.remove()
    for sector, strategy, military in raise_:
        PoliceUnit(model, sector=sector, strategy=strategy, military=military)
    model.full_capacity = model.police_capacity(plan.police, deployment)


def _reconstitute_municipality(model: CityModel, plan: Parameters) -> None:
    """A municipality with new capacity, coordination, data or authority: the councils it
    runs close (their trust gain at the old delivery goes) and reopen with the re-plan."""
    model.councils.resize(0)
    old = model.municipality
    model.municipality = prevention.Municipality(model, plan.prevention.municipality)
    old.remove()
