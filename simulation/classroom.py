"""The classroom exercise of the teaching app (issue 10), without the UI.

Each student governs the same city for a few simulated years (five by default) with a fixed
budget. Once a year they set the policy levers (`simulation.levers`); the city then lives the
year and they see its indicators, named as in the model's annual table (crime by type, the
homicide rate, the victimisation survey against recorded crime, fear, trust, prisoners and
prison occupancy, spending by pillar). At the end a debrief sets their years beside the
punitive and comprehensive strategies, and the status quo, played on the same city from the
same seed: the only difference is the decisions. A trainer sees every student's results side
by side and exports them as CSV.

**The game is its decisions.** A run is a pure function of (parameters, seed), and levers moved
on the same days give the same run, so a game is stored as plain data — the classroom's
settings and each year's decision — in a JSON file per session, written atomically. `Game.load`
rebuilds a game by replaying its decisions, so a student who reloads the page loses nothing,
and sessions share nothing but the (read-only) warmed-up city they all start from.

**Every student starts from the same city.** The classroom's city is built and warmed up once
per process (``warmup_days``, three years by default, so that prisons, hot spots and perceived
risks have settled under the status quo) and copied for each game, which is exactly the same as
warming it up again. The presets of the debrief start from that same copy: a preset is chosen
in the first year and kept, as a student would. Their trajectories are computed once per
classroom and kept in its folder for every student.

**The budget is a hard limit.** A decision whose planned cost (`levers.budget_per_resident`:
capacity as budgeted, prisons full) is over the budget is refused with a message saying by how
much and which lines cost most. Allowing and flagging it would teach little: the model has no
debt or tax to make overspending cost anything, so a plan over budget would simply buy more of
everything, and the exercise is about choosing. What the running city actually spends (prisoners
held, supervision, witness protection and regulation are paid as used) is an indicator.
The default budget is what the dearer of the punitive and comprehensive presets plans for the
classroom's city, so either can be chosen.

**The classroom's city** defaults to 25,000 residents on 50 x 50 blocks in 9 neighbourhoods
(the app's city: the default city's density of ten residents a block, a quarter of its size).
Measured on the project's 2-core machine, it lives a simulated year in 1.0-1.4 s, so a student's
decision returns at once and a class of 30 deciding together costs about 30-40 s of one core;
the warm-up takes ~3 s once per process, the presets' five years ~17 s once per classroom
(`Classroom.prepare`), and replaying a five-year game ~7 s (a reload within the same server
process gets the game from memory through `Classroom.game`). The city is large enough for five
patrol units to work its neighbourhoods and for ~3,500 crimes a year, but homicides are few
(about five a year), so the debrief says when a difference is within what chance alone
produces. Two costs do not scale with the city: renewed blocks and community councils are
priced per block and per council, so at this size the comprehensive preset plans USD 128 per
resident against the punitive preset's 108 (in the default 100,000-resident city both plan 108).
A class that can wait 2-4 s a year can have the default city:
``ClassroomSettings(residents=100_000, width=100, height=100, neighbourhoods=16)``.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd

from simulation import governance, levers
from simulation.model import CityModel
from simulation.params import CRIME_TYPES, Parameters, with_overrides

FORMAT = 1
"""Version of the files a classroom writes."""
DEBRIEF_PRESETS: tuple[str, ...] = ("baseline", "punitive", "comprehensive")
"""The strategies a student's years are compared with."""
YOU = "you"
"""The student's rows in the debrief table."""
INDICATORS: tuple[str, ...] = (
    "true_crime_rate", "recorded_crime_rate", "homicide_rate",
    *(f"true_{crime}" for crime in CRIME_TYPES), *(f"recorded_{crime}" for crime in CRIME_TYPES),
    "survey_victimisation_rate", "survey_ci_low", "survey_ci_high",
    "true_victimisation_prevalence", "reporting_rate", "dark_figure",
    "mean_fear", "mean_trust", "punitive_support",
    "prisoners_per_100k", "prison_occupancy", "unsentenced_share", "abuse_per_100k",
    "programme_level",
    *(f"spending_pillar_{governance.column_name(pillar)}" for pillar in governance.PILLARS),
    "spending_total", "spending_per_resident", "crime_cost_per_resident", "residents",
)
"""A year's indicators, named as in the model's annual table: crime by type (counts), rates per
100,000, the survey's victimisation (with its 95% interval) against what police record, fear,
trust, prisons, abuse, programmes in force after elections, spending by pillar (US dollars a
year) and per resident."""
RESULT_INDICATORS: tuple[str, ...] = (
    "homicide_rate", "true_crime_rate", "recorded_crime_rate", "survey_victimisation_rate",
    "mean_trust", "mean_fear", "prisoners_per_100k", "prison_occupancy", "spending_per_resident",
)
"""The final-year indicators of the trainer's table."""
RESIDENTS_PER_BLOCK = 10
"""Density of a classroom city whose blocks are not given: the default city's (100,000
residents on 100 x 100 blocks)."""
_SESSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_PLAYER_LENGTH = 80
_BUDGET_TOLERANCE = 0.005  # half a cent per resident: rounding of a plan priced at the budget


class ClassroomError(ValueError):
    """A classroom or game request that cannot be met; the message says why and what to do."""


class BudgetError(ClassroomError):
    """A decision over the budget.

    Attributes:
        cost: the plan's planned cost, US dollars per resident a year.
        budget: the budget, US dollars per resident a year.
    """

    def __init__(self, message: str, cost: float, budget: float) -> None:
        super().__init__(message)
        self.cost, self.budget = cost, budget

    @property
    def over_by(self) -> float:
        """US dollars per resident a year over the budget."""
        return self.cost - self.budget


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassroomSettings:
    """The classroom's city and rules: every student's game uses the same.

    Attributes:
        seed: the seed of every game (one city, one chance, for the whole class).
        residents: residents of the city (assumption: 25,000, see the module docstring).
        width: blocks east-west (None: a square city of ten residents a block, the default
            city's density: 50 x 50 for 25,000 residents, 100 x 100 for 100,000).
        height: blocks north-south (None: as ``width``).
        neighbourhoods: neighbourhoods of the city (9, as in the app's city).
        warmup_days: days the status quo runs before the first decision (None: the
            parameters' default, three years).
        years: years each student governs (5, issue 10).
        budget_per_resident: US dollars per resident a year a plan may cost (None: the
            planned cost of the dearer of the punitive and comprehensive presets on this city,
            rounded up to a whole dollar, so that either fits).
    """

    seed: int = 0
    residents: int = 25_000
    width: int | None = None
    height: int | None = None
    neighbourhoods: int = 9
    warmup_days: int | None = None
    years: int = 5
    budget_per_resident: float | None = None

    def __post_init__(self) -> None:
        for name in ("seed", "residents", "width", "height", "neighbourhoods", "years"):
            value = getattr(self, name)
            if value is None and name in ("width", "height"):
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ClassroomError(f"classroom setting {name} = {value!r}: give a whole number")
        if self.seed < 0:
            raise ClassroomError(f"classroom setting seed = {self.seed}: give 0 or more")
        if not 1 <= self.years <= 20:
            raise ClassroomError(f"classroom setting years = {self.years}: give 1 to 20 years")
        if self.budget_per_resident is not None and not self.budget_per_resident > 0:
            raise ClassroomError(f"classroom setting budget_per_resident = {self.budget_per_resident!r}: "
                                 "give US dollars per resident a year, above 0 (or None for the "
                                 "presets' budget)")
        self.params()  # the city's parameters are valid

    def grid(self) -> tuple[int, int]:
        """(width, height) in blocks: as set, or square at ten residents a block."""
        side = max(8, round(math.sqrt(self.residents / RESIDENTS_PER_BLOCK)))
        return self.width or side, self.height or self.width or side

    def params(self) -> Parameters:
        """The city every game starts from: the baseline preset (the status quo) on this city."""
        width, height = self.grid()
        city = {"population.residents": self.residents, "city.width": width,
                "city.height": height, "city.neighbourhoods": self.neighbourhoods,
                "years": float(self.years)}
        if self.warmup_days is not None:
            city["warmup_days"] = self.warmup_days
        return levers.with_levers(with_overrides(Parameters(), city, context="classroom setting"),
                                  levers.preset("baseline"), context="classroom setting")

    def resolved(self) -> ClassroomSettings:
        """These settings with the warm-up and the budget filled in."""
        params = self.params()
        budget = self.budget_per_resident
        if budget is None:
            budget = float(math.ceil(max(
                levers.budget_per_resident(levers.with_levers(params, levers.preset(name)))
                for name in ("punitive", "comprehensive")) - 1e-9))
        width, height = self.grid()
        return ClassroomSettings(**{**asdict(self), "width": width, "height": height,
                                    "warmup_days": params.warmup_days,
                                    "budget_per_resident": float(budget)})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "classroom settings") -> ClassroomSettings:
        names = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ClassroomError(f"{source}: unknown setting(s) {', '.join(unknown)}; the settings "
                                 f"are {', '.join(sorted(names))}")
        return cls(**data)

    def key(self) -> str:
        """A text that identifies these (resolved) settings, for caches."""
        return json.dumps(self.resolved().to_dict(), sort_keys=True)


# --------------------------------------------------------------------------------------------
# The shared, warmed-up city
# --------------------------------------------------------------------------------------------

_WARM: dict[str, CityModel] = {}
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock(key: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def warm_city(settings: ClassroomSettings) -> CityModel:
    """A copy of the classroom's city after its warm-up, ready for the first decision.

    The warm city is built once per process and settings (one warm-up for the whole class);
    each caller gets its own deep copy, which continues exactly as the original would.
    """
    settings = settings.resolved()
    key = settings.key()
    with _lock("warm:" + key):
        if key not in _WARM:
            params = settings.params()
            model = CityModel(params, rng=settings.seed, days=settings.years * 365)
            for _ in range(params.warmup_days):
                model.step()
            _WARM[key] = model
        return copy.deepcopy(_WARM[key])


# --------------------------------------------------------------------------------------------
# A student's game
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanCheck:
    """A plan priced against the budget (for a budget meter).

    Attributes:
        cost: planned US dollars per resident a year.
        by_pillar: the same by pillar (`governance.PILLARS` order).
        budget: the budget per resident a year.
        over_by: US dollars per resident a year over the budget (0 within it).
        message: what to tell the student ('' within the budget).
    """

    cost: float
    by_pillar: dict[str, float]
    budget: float
    over_by: float
    message: str

    @property
    def within_budget(self) -> bool:
        return self.over_by <= 0


@dataclass(frozen=True)
class Debrief:
    """A student's years beside the presets'.

    Attributes:
        table: one row per (strategy, year): ``strategy`` (``you`` or a preset's name),
            ``year``, and the `INDICATORS`.
        findings: short sentences in plain language comparing them.
    """

    table: pd.DataFrame
    findings: tuple[str, ...]


class Game:
    """One student's (or team's) game: a city governed a year at a time.

    Args:
        settings: the classroom's settings.
        player: the student's or team's name, as the trainer will see it.
        session_id: the browser session's id (letters, digits, ``_``, ``.``, ``-``); the game's
            file name.
        directory: the classroom's folder; the game is saved there after every decision (and
            at once). None keeps it in memory only.

    Raises:
        ClassroomError: a bad session id or name, or the session already has a game in the
            folder (open it with `Game.load`).
    """

    def __init__(self, settings: ClassroomSettings, player: str, session_id: str,
                 directory: str | Path | None = None, *, _replaying: bool = False) -> None:
        self.settings = settings.resolved()
        self.player = _check_player(player)
        self.session_id = _check_session(session_id)
        self.directory = Path(directory) if directory is not None else None
        if self.directory is not None and not _replaying and self.path.exists():
            raise ClassroomError(f"session {self.session_id!r} already has a game in "
                                 f"{self.directory}; open it with Game.load(directory, session_id)")
        self.model = warm_city(self.settings)
        self.decisions: list[dict[str, Any]] = []
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        if self.directory is not None and not _replaying:
            self._save()

    # -- state -------------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The game's file in the classroom's folder."""
        if self.directory is None:
            raise ClassroomError("this game is kept in memory only (no classroom folder)")
        return game_path(self.directory, self.session_id)

    @property
    def year(self) -> int:
        """Years governed so far (0 before the first decision)."""
        return len(self.decisions)

    @property
    def years(self) -> int:
        """Years in the game."""
        return self.settings.years

    @property
    def finished(self) -> bool:
        return self.year >= self.years

    @property
    def budget_per_resident(self) -> float:
        """The budget: US dollars per resident a year a plan may cost."""
        return float(self.settings.budget_per_resident)

    @property
    def params(self) -> Parameters:
        """The city's parameters in force (the base for pricing a plan with `levers.with_levers`)."""
        return self.model.params

    @property
    def levers(self) -> dict[str, Any]:
        """The levers in force: the starting point of the next decision (programmes as
        elections left them)."""
        return levers.lever_values(self.model.params)

    @property
    def history(self) -> pd.DataFrame:
        """One row per year governed: ``year``, the levers decided (by key), the plan's
        ``planned_per_resident`` and the ``budget_per_resident``, then the year's `INDICATORS`."""
        return pd.DataFrame(self._rows, columns=_history_columns())

    # -- deciding ----------------------------------------------------------------------------

    def check(self, values: Mapping[str, Any]) -> PlanCheck:
        """Price the plan these lever values make (the others as in force) against the budget.

        Raises:
            ParameterError: an unknown lever or an invalid value.
        """
        plan = levers.with_levers(self.model.government.plan_after_cuts(), values,
                                  context=f"year {self.year + 1}")
        cost = levers.budget_per_resident(plan)
        budget = self.budget_per_resident
        over = cost - budget if cost > budget + _BUDGET_TOLERANCE else 0.0
        message = _over_budget_message(plan, cost, budget) if over > 0 else ""
        return PlanCheck(cost=cost, by_pillar=levers.spending_by_pillar(plan), budget=budget,
                         over_by=over, message=message)

    def decide(self, values: Mapping[str, Any]) -> dict[str, float]:
        """Set the levers for the next year, live it, and return its indicators.

        Args:
            values: lever key -> value; levers not named keep their levels in force.

        Returns:
            The year's `INDICATORS` (also the last row of `history`).

        Raises:
            ParameterError: an unknown lever or an invalid value.
            BudgetError: the plan costs more than the budget (the message says by how much).
            ClassroomError: the game is over.
        """
        with self._lock:
            if self.finished:
                raise ClassroomError(f"the game is over: {self.years} years governed; see "
                                     "debrief() for the comparison with the presets")
            checked = levers.check_levers(values)
            plan = self.check(checked)
            if not plan.within_budget:
                raise BudgetError(plan.message, plan.cost, plan.budget)
            indicators = self._govern(checked, plan.cost)
            if self.directory is not None:
                self._save()
            return indicators

    def _govern(self, values: dict[str, Any], planned: float) -> dict[str, float]:
        """Put the levers in force and live a year (no budget check)."""
        model = self.model
        levers.apply_levers(model, values)
        decided = levers.lever_values(model.government.plan)
        for _ in range(365):
            model.step()
        annual = model.indicators.annual
        if len(annual) != self.year + 1:
            raise RuntimeError(f"the model closed {len(annual)} years after {self.year + 1} governed")
        indicators = {name: float(annual[-1][name]) for name in INDICATORS}
        self.decisions.append(values)
        self._rows.append({"year": self.year, **decided, "planned_per_resident": planned,
                           "budget_per_resident": self.budget_per_resident, **indicators})
        return indicators

    # -- saving and loading ------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The game as plain data: settings, player, session, decisions (and the years'
        rows, which `load` recomputes and checks)."""
        return {"format": FORMAT, "session": self.session_id, "player": self.player,
                "settings": self.settings.to_dict(), "decisions": self.decisions,
                "history": [_plain_row(row) for row in self._rows]}

    def _save(self) -> None:
        _write_json(self.path, self.to_dict())

    @classmethod
    def load(cls, directory: str | Path, session_id: str) -> Game:
        """Rebuild a session's game from its file by replaying its decisions.

        Raises:
            FileNotFoundError: the session has no game in this folder.
            ClassroomError: the file is not a game this version can read.
        """
        path = game_path(Path(directory), _check_session(session_id))
        if not path.is_file():
            raise FileNotFoundError(f"no game for session {session_id!r} in {directory} (no file "
                                    f"{path.name}); start one with Classroom.new_game")
        data = _read_json(path)
        if data.get("format") != FORMAT or data.get("session") != session_id:
            raise ClassroomError(f"{path}: not a crimesim classroom game of format {FORMAT} for "
                                 f"session {session_id!r}")
        settings = ClassroomSettings.from_dict(data["settings"], source=str(path))
        game = cls(settings, data["player"], session_id, directory, _replaying=True)
        for values in data["decisions"]:
            game._govern(levers.check_levers(values), game.check(values).cost)
        saved = [_plain_row(row) for row in data.get("history", [])]
        replayed = [_plain_row(row) for row in game._rows]
        if saved and saved != replayed:
            warnings.warn(f"{path}: the replayed years differ from those saved (the model has "
                          "changed since the game was played); the replayed ones are used",
                          stacklevel=2)
        return game

    # -- the debrief -------------------------------------------------------------------------

    def debrief(self) -> Debrief:
        """The student's years beside the presets' (`DEBRIEF_PRESETS`) on the same city and
        seed, over the years governed so far.

        Raises:
            ClassroomError: no year has been governed yet.
        """
        if self.year == 0:
            raise ClassroomError("govern at least one year before the debrief")
        presets = preset_trajectories(self.settings, self.directory)
        frames = [_indicator_frame(YOU, self._rows)]
        frames += [_indicator_frame(name, presets[name][:self.year]) for name in DEBRIEF_PRESETS]
        table = pd.concat(frames, ignore_index=True)
        return Debrief(table=table, findings=tuple(_findings(table, self.settings, self.year)))


def _history_columns() -> list[str]:
    return ["year", *levers.LEVER, "planned_per_resident", "budget_per_resident", *INDICATORS]


def _indicator_frame(strategy: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame([{name: row[name] for name in ("year", *INDICATORS)} for row in rows],
                         columns=["year", *INDICATORS])
    frame.insert(0, "strategy", strategy)
    return frame


def _over_budget_message(plan: Parameters, cost: float, budget: float) -> str:
    lines = governance.planned_lines(plan)
    residents = plan.population.residents
    largest = sorted(lines.items(), key=lambda item: -item[1])[:3]
    named = ", ".join(f"{governance.LINE[name].label.lower()} (USD {value / residents:,.2f})"
                      for name, value in largest)
    return (f"This plan costs USD {cost:,.2f} per resident a year, USD {cost - budget:,.2f} over "
            f"the budget of USD {budget:,.2f}. Free that much by lowering levers that cost money; "
            f"the largest lines are {named}.")


# --------------------------------------------------------------------------------------------
# The presets' trajectories (shared by every student of a classroom)
# --------------------------------------------------------------------------------------------

_TRAJECTORIES: dict[str, dict[str, list[dict[str, Any]]]] = {}


def preset_trajectories(settings: ClassroomSettings,
                        directory: str | Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """Each debrief preset played on the classroom's city for all its years: chosen in the
    first year and kept. Computed once per settings, kept in memory and in ``directory``
    (``presets.json``) for every student and every later process."""
    settings = settings.resolved()
    key = settings.key()
    path = Path(directory) / "presets.json" if directory is not None else None
    with _lock("presets:" + key):
        if key not in _TRAJECTORIES and path is not None and path.is_file():
            data = _read_json(path)
            if (data.get("format") == FORMAT and data.get("settings") == settings.to_dict()
                    and set(DEBRIEF_PRESETS) <= set(data.get("presets", {}))):
                _TRAJECTORIES[key] = {name: [_row_from_json(row) for row in rows]
                                      for name, rows in data["presets"].items()}
        if key not in _TRAJECTORIES:
            trajectories = {}
            for name in DEBRIEF_PRESETS:
                game = Game(settings, name, f"preset-{name}")
                for year in range(settings.years):
                    values = levers.preset(name) if year == 0 else {}
                    game._govern(values, game.check(values).cost)
                trajectories[name] = game._rows
            _TRAJECTORIES[key] = trajectories
            if path is not None:
                _write_json(path, {"format": FORMAT, "settings": settings.to_dict(),
                                   "presets": {name: [_plain_row(row) for row in rows]
                                               for name, rows in trajectories.items()}})
        return _TRAJECTORIES[key]


# --------------------------------------------------------------------------------------------
# The debrief's findings
# --------------------------------------------------------------------------------------------


def _findings(table: pd.DataFrame, settings: ClassroomSettings, years: int) -> list[str]:
    """Plain-language comparisons of the student's years with the presets'."""
    by = {strategy: frame.reset_index(drop=True) for strategy, frame in table.groupby("strategy", sort=False)}
    you = by[YOU]
    last = {name: frame.iloc[-1] for name, frame in by.items()}
    homicides = {name: float(frame["true_homicide"].sum()) for name, frame in by.items()}
    crimes = {name: float(sum(frame[f"true_{crime}"].sum() for crime in CRIME_TYPES))
              for name, frame in by.items()}
    spending = {name: float(frame["spending_per_resident"].mean()) for name, frame in by.items()}
    span = "the year" if years == 1 else f"{years} years"
    findings = []
    for preset in ("comprehensive", "punitive"):
        rate, theirs = last[YOU]["homicide_rate"], last[preset]["homicide_rate"]
        sentence = (f"Against the {preset} preset: your homicide rate ended {_relative(rate, theirs)} "
                    f"({rate:.1f} vs {theirs:.1f} per 100,000 in year {years}) and crime "
                    f"{_relative(last[YOU]['true_crime_rate'], last[preset]['true_crime_rate'])}, "
                    f"at {_relative(spending[YOU], spending[preset], 'more', 'less')} spending (USD "
                    f"{spending[YOU]:,.0f} vs {spending[preset]:,.0f} per resident a year).")
        findings.append(sentence)
    chance = [preset for preset in ("comprehensive", "punitive")
              if abs(homicides[YOU] - homicides[preset]) < 2 * math.sqrt(homicides[YOU] + homicides[preset])]
    counts = (f"the comprehensive preset's {homicides['comprehensive']:.0f}, the punitive preset's "
              f"{homicides['punitive']:.0f} and the status quo's {homicides['baseline']:.0f}")
    note = (f"Over {span} your city counted {homicides[YOU]:.0f} homicides and {crimes[YOU]:,.0f} crimes "
            f"(against {counts} homicides).")
    if chance:
        note += (f" With so few homicides, the difference from the {' and the '.join(chance)} "
                 f"preset{'s' if len(chance) > 1 else ''} is within what chance alone produces in a "
                 f"city of {settings.residents:,} residents; crime as a whole is the steadier guide.")
    findings.append(note)
    survey, recorded = last[YOU]["survey_victimisation_rate"], 1.0 - last[YOU]["dark_figure"]
    findings.append(f"In year {years} the victimisation survey found {survey:.0%} of adults victimised "
                    f"(95% interval {last[YOU]['survey_ci_low']:.0%}-{last[YOU]['survey_ci_high']:.0%}), "
                    f"while the police recorded only {recorded:.0%} of the crimes committed: the dark "
                    "figure is why recorded crime alone misleads.")
    prisons = (f"Your prisons ended at {last[YOU]['prison_occupancy']:.0%} occupancy with "
               f"{last[YOU]['prisoners_per_100k']:,.0f} prisoners per 100,000 (punitive preset "
               f"{last['punitive']['prisoners_per_100k']:,.0f}, comprehensive "
               f"{last['comprehensive']['prisoners_per_100k']:,.0f}).")
    if last[YOU]["prison_occupancy"] > 1:
        prisons += " Above 100%, prisons rehabilitate less and release people more likely to offend."
    findings.append(prisons)
    findings.append(f"Trust in the police ended at {last[YOU]['mean_trust']:.2f} and fear at "
                    f"{last[YOU]['mean_fear']:.2f} (punitive {last['punitive']['mean_trust']:.2f} and "
                    f"{last['punitive']['mean_fear']:.2f}, comprehensive "
                    f"{last['comprehensive']['mean_trust']:.2f} and {last['comprehensive']['mean_fear']:.2f}, "
                    f"status quo {last['baseline']['mean_trust']:.2f} and {last['baseline']['mean_fear']:.2f}).")
    pillars = {pillar: float(you[f"spending_pillar_{governance.column_name(pillar)}"].sum())
               for pillar in governance.PILLARS}
    total = sum(pillars.values())
    if total > 0:
        top = max(pillars, key=pillars.get)
        findings.append(f"You spent USD {spending[YOU]:,.0f} per resident a year on average (budget "
                        f"USD {settings.budget_per_resident:,.0f}), {pillars[top] / total:.0%} of it on "
                        f"{top}.")
    cut = you[you["programme_level"] < 1]
    if len(cut):
        first = cut.iloc[0]
        findings.append(f"An election cut your programmes to {first['programme_level']:.0%} of what you "
                        f"planned in year {int(first['year'])}; a cross-party agreement keeps them "
                        "whoever wins.")
    return findings


def _relative(yours: float, theirs: float, above: str = "higher", below: str = "lower") -> str:
    if not (math.isfinite(yours) and math.isfinite(theirs)) or theirs == 0:
        return "about the same" if yours == theirs else f"{above if yours > theirs else below}"
    change = yours / theirs - 1
    if abs(change) < 0.005:
        return "about the same"
    return f"{abs(change):.0%} {above if change > 0 else below}"


# --------------------------------------------------------------------------------------------
# The classroom
# --------------------------------------------------------------------------------------------

_LIVE: OrderedDict[tuple[str, str], Game] = OrderedDict()
_LIVE_GUARD = threading.Lock()
LIVE_GAMES = 64
"""Games a process keeps in memory, so that a reload does not replay them (the oldest go
first; a game not in memory is replayed from its file)."""


class Classroom:
    """A classroom: its settings, its trainer's code and every student's game, in one folder.

    Args:
        directory: the classroom's folder (created if missing). It holds ``classroom.json``
            (settings, the trainer code's salted hash), ``games/<session>.json`` and
            ``presets.json``.
        trainer_code: the code that opens the trainer's page. Required to create a classroom;
            given for an existing one, it replaces the stored code (the trainer who starts the
            server sets it); empty or None keeps it.
        settings: the classroom's settings for a new classroom (defaults if None); for an
            existing one they must match the stored ones, or be None.

    Raises:
        ClassroomError: a new classroom without a code, or settings that differ from the
            classroom's.
    """

    def __init__(self, directory: str | Path, trainer_code: str | None = None,
                 settings: ClassroomSettings | None = None) -> None:
        self.directory = Path(directory)
        file = self.directory / "classroom.json"
        if file.is_file():
            data = _read_json(file)
            if data.get("format") != FORMAT:
                raise ClassroomError(f"{file}: not a crimesim classroom of format {FORMAT}")
            stored = ClassroomSettings.from_dict(data["settings"], source=str(file))
            if settings is not None and settings.resolved() != stored:
                differ = [name for name, value in settings.resolved().to_dict().items()
                          if value != stored.to_dict()[name]]
                raise ClassroomError(
                    f"{self.directory} is a classroom with other settings ({', '.join(differ)} "
                    f"differ: {', '.join(f'{name} = {stored.to_dict()[name]!r}' for name in differ)}); "
                    "open it without settings, or start a new classroom in another folder")
            self.settings = stored
            self._code = data["trainer_code"]
            if trainer_code and not self.check_code(trainer_code):
                self._code = _hash_code(_check_code_text(trainer_code))
                self._save()
        else:
            if not trainer_code:
                raise ClassroomError(f"{self.directory} holds no classroom yet: a new classroom needs "
                                     "a trainer code, e.g. Classroom(directory, trainer_code='...')")
            self.settings = (settings or ClassroomSettings()).resolved()
            self._code = _hash_code(_check_code_text(trainer_code))
            self._save()

    def _save(self) -> None:
        _write_json(self.directory / "classroom.json",
                    {"format": FORMAT, "settings": self.settings.to_dict(), "trainer_code": self._code})

    def check_code(self, code: str) -> bool:
        """Whether ``code`` is the trainer's code (compared in constant time)."""
        if not isinstance(code, str):
            return False
        salt = bytes.fromhex(self._code["salt"])
        digest = _digest(code, salt, self._code["iterations"])
        return hmac.compare_digest(digest, bytes.fromhex(self._code["hash"]))

    # -- games -------------------------------------------------------------------------------

    def sessions(self) -> list[str]:
        """Sessions with a game, sorted."""
        folder = self.directory / "games"
        return sorted(path.stem for path in folder.glob("*.json")) if folder.is_dir() else []

    def new_game(self, session_id: str, player: str) -> Game:
        """Start a session's game (saved at once).

        Raises:
            ClassroomError: the session already has a game (use `game`), or a bad id or name.
        """
        game = Game(self.settings, player, session_id, self.directory)
        self._remember(game)
        return game

    def game(self, session_id: str) -> Game:
        """A session's game: the one this process already holds, else rebuilt from its file.

        Raises:
            FileNotFoundError: the session has no game.
        """
        key = (str(self.directory.resolve()), _check_session(session_id))
        with _LIVE_GUARD:
            game = _LIVE.get(key)
            if game is not None:
                _LIVE.move_to_end(key)
        if game is not None and self._saved_years(session_id) == game.year:
            return game
        game = Game.load(self.directory, session_id)
        self._remember(game)
        return game

    def join(self, session_id: str, player: str) -> Game:
        """A session's game, started under ``player`` if it has none yet."""
        try:
            return self.game(session_id)
        except FileNotFoundError:
            return self.new_game(session_id, player)

    def prepare(self) -> None:
        """Do the slow work before the class arrives: warm up the city and play the presets."""
        warm_city(self.settings)
        preset_trajectories(self.settings, self.directory)

    def _remember(self, game: Game) -> None:
        key = (str(self.directory.resolve()), game.session_id)
        with _LIVE_GUARD:
            _LIVE[key] = game
            _LIVE.move_to_end(key)
            while len(_LIVE) > LIVE_GAMES:
                _LIVE.popitem(last=False)

    def _saved_years(self, session_id: str) -> int:
        try:
            return len(_read_json(game_path(self.directory, session_id))["decisions"])
        except (FileNotFoundError, KeyError, ValueError):
            return -1

    # -- the trainer's view ------------------------------------------------------------------

    def results(self) -> pd.DataFrame:
        """One row per student: ``player``, ``session``, ``years_played``, ``finished``, the
        final year's indicators (``final_<indicator>``, `RESULT_INDICATORS`), the years'
        spending (``total_spending``, US dollars; ``mean_spending_per_resident``) and the mean
        share of spending on each pillar (``share_<pillar>``). Read from the saved games."""
        pillar_columns = [f"spending_pillar_{governance.column_name(p)}" for p in governance.PILLARS]
        columns = (["player", "session", "years_played", "finished"]
                   + [f"final_{name}" for name in RESULT_INDICATORS]
                   + ["total_spending", "mean_spending_per_resident"]
                   + [f"share_{governance.column_name(p)}" for p in governance.PILLARS])
        rows = []
        for session in self.sessions():
            path = game_path(self.directory, session)
            try:
                data = _read_json(path)
                history = [_row_from_json(row) for row in data["history"]]
                player, years = str(data["player"]), int(data["settings"]["years"])
            except (KeyError, TypeError, ValueError) as error:
                warnings.warn(f"{path}: skipped, not a readable game ({error})", stacklevel=2)
                continue
            row: dict[str, Any] = {"player": player, "session": session,
                                   "years_played": len(history), "finished": len(history) >= years}
            last = history[-1] if history else {}
            for name in RESULT_INDICATORS:
                row[f"final_{name}"] = last.get(name, math.nan)
            row["total_spending"] = float(sum(year["spending_total"] for year in history))
            row["mean_spending_per_resident"] = (
                sum(year["spending_per_resident"] for year in history) / len(history) if history else math.nan)
            spent = {column: sum(year[column] for year in history) for column in pillar_columns}
            total = sum(spent.values())
            for pillar, column in zip(governance.PILLARS, pillar_columns):
                row[f"share_{governance.column_name(pillar)}"] = spent[column] / total if total else math.nan
            rows.append(row)
        table = pd.DataFrame(rows, columns=columns)
        return table.sort_values(["player", "session"], kind="stable", ignore_index=True)

    def results_csv(self) -> str:
        """`results` as CSV text (one row per student, a header)."""
        return self.results().to_csv(index=False)


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def game_path(directory: Path, session_id: str) -> Path:
    return Path(directory) / "games" / f"{session_id}.json"


def _check_session(session_id: str) -> str:
    if not isinstance(session_id, str) or not _SESSION.fullmatch(session_id):
        raise ClassroomError(f"session id {session_id!r}: use 1-128 letters, digits, '_', '.' or '-', "
                             "starting with a letter or digit")
    return session_id


def _check_player(player: str) -> str:
    name = " ".join(str(player).split()) if isinstance(player, str) else ""
    if not name:
        raise ClassroomError("write the student's (or team's) name")
    if len(name) > _PLAYER_LENGTH:
        raise ClassroomError(f"the name {name[:20]!r}... is longer than {_PLAYER_LENGTH} characters; "
                             "shorten it")
    return name


def _check_code_text(code: str) -> str:
    if not isinstance(code, str) or len(code.strip()) < 4:
        raise ClassroomError("the trainer code needs at least 4 characters")
    return code


_ITERATIONS = 100_000


def _digest(code: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", code.encode("utf-8"), salt, iterations)


def _hash_code(code: str) -> dict[str, Any]:
    salt = secrets.token_bytes(16)
    return {"salt": salt.hex(), "iterations": _ITERATIONS, "hash": _digest(code, salt, _ITERATIONS).hex()}


def _plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row with NaN as None (strict JSON)."""
    return {key: (None if isinstance(value, float) and math.isnan(value) else value)
            for key, value in row.items()}


def _row_from_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: (math.nan if value is None else value) for key, value in row.items()}


def _write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON atomically: a reader sees the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=1, allow_nan=False)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ClassroomError(f"{path}: not valid JSON ({error}); restore it or remove it") from None
