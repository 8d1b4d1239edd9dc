"""A running city for the teaching app: the model, its seed, and the series the screens show.

`LiveCity` wraps one `CityModel` built exactly as `simulation.run` builds it (same parameters,
same seed, same warm-up), so the numbers on screen are those of ``crimesim run`` with the same
options: the seed box and the command the app prints reproduce them. Every ``sample_days``
simulated days it records a point of the charts' series (rates over the last four weeks, stocks
of the day), and it gives the per-block layers the map shades.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field

import numpy as np

from simulation import governance
from simulation.indicators import COLUMN
from simulation.model import CityModel
from simulation.params import CRIME_TYPES, Parameters, with_overrides

WINDOW_DAYS = 28
"""Rates on the charts are over the last four weeks, scaled to a year."""
SAMPLE_DAYS = 7
"""A point of the charts every week of simulated time."""
APP_CITY: dict[str, object] = {
    "population.residents": 25_000,
    "city.width": 50,
    "city.height": 50,
    "city.neighbourhoods": 9,
}
"""The app's default city: a quarter of the default city's residents on a quarter of its
blocks (docs/app.md says why: a classroom server runs one city per student on 2 cores)."""
RESIDENTS_PER_BLOCK = 10
"""Another number of residents gets a square city at this density (the default city's)."""
MAP_LAYERS: dict[str, str] = {
    "crime": "Recent crime (last month)",
    "fear": "Fear of crime",
    "trust": "Trust in the police",
    "security": "Private-security coverage",
}
"""What the map can shade blocks by."""


def app_parameters(overrides: dict[str, object] | None = None, residents: int | None = None,
                   years: float | None = None) -> Parameters:
    """The app's default city with ``overrides`` (dotted keys) on top."""
    settings: dict[str, object] = dict(APP_CITY)
    if residents is not None:
        # A square city at the default city's density, ten residents a block (as the classroom's).
        side = max(8, round(math.sqrt(residents / RESIDENTS_PER_BLOCK)))
        settings.update({"population.residents": residents, "city.width": side, "city.height": side})
    if years is not None:
        settings["years"] = years
    settings.update(overrides or {})
    return with_overrides(Parameters(), settings, context="app setting")


def parse_seed(text: str | int | float) -> int:
    """The seed box's text as an integer seed (the box hands over a string)."""
    try:
        seed = int(str(text).strip())
    except ValueError:
        raise ValueError(f"the seed must be a whole number, got {text!r}") from None
    if seed < 0:
        raise ValueError(f"the seed must be 0 or more, got {seed}")
    return seed


def command_line(params: Parameters, seed: int) -> str:
    """The ``crimesim run`` command that reproduces a city with these parameters and seed."""
    defaults = Parameters().model_dump()
    current = params.model_dump()
    options = ["crimesim", "run", "--residents", str(params.population.residents),
               "--years", f"{params.years:g}", "--seed", str(seed)]
    for key, value in sorted(_flat_differences(defaults, current).items()):
        if key in ("population.residents", "years"):
            continue
        options += ["--set", f"{key}={_format(value)}"]
    options += ["--out", "results/app-run"]
    return shlex.join(options)


def _format(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return str(value)


def _flat_differences(default: dict, current: dict, prefix: str = "") -> dict[str, object]:
    differences: dict[str, object] = {}
    for key, value in current.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            differences.update(_flat_differences(default.get(key, {}), value, name + "."))
        elif default.get(key) != value:
            differences[name] = value
    return differences


@dataclass
class Series:
    """The charts' time series: one entry per sampled day."""

    day: list[int] = field(default_factory=list)
    columns: dict[str, list[float]] = field(default_factory=dict)

    def append(self, day: int, values: dict[str, float]) -> None:
        self.day.append(day)
        for name, value in values.items():
            self.columns.setdefault(name, []).append(float(value))

    def __len__(self) -> int:
        return len(self.day)

    def last(self, name: str, default: float = float("nan")) -> float:
        values = self.columns.get(name)
        return values[-1] if values else default


class LiveCity:
    """One city the app animates: a `CityModel` and what its screens show.

    Args:
        params: the parameter tree (the app's default city if omitted).
        seed: the run's seed (an integer, as ``crimesim run --seed``).
        warm_up: run the warm-up now (as `simulation.run` does before recording).
    """

    def __init__(self, params: Parameters | None = None, seed: int = 0, warm_up: bool = True) -> None:
        self.params = params or app_parameters()
        self.seed = int(seed)
        self.model = CityModel(self.params, rng=self.seed)
        self.series = Series()
        self.lever_changes: list[int] = []  # days on which levers changed mid-run
        if warm_up:
            self.warm_up()

    # -- time ----------------------------------------------------------------------------------

    @property
    def day(self) -> int:
        """Recorded days so far (0 before the first day after the warm-up)."""
        return max(self.model.day + 1, 0)

    @property
    def year(self) -> float:
        return self.day / 365

    def warm_up(self) -> None:
        """Step through the warm-up (indicators are recorded from the day after)."""
        while self.model.day < -1:
            self.model.step()

    def advance(self, days: int) -> None:
        """Simulate ``days`` more days, sampling the series every `SAMPLE_DAYS`."""
        self.warm_up()
        for _ in range(days):
            self.model.step()
            if self.day % SAMPLE_DAYS == 0:
                self.sample()

    def daily(self) -> np.ndarray:
        """The recorded daily indicator table so far (rows = days)."""
        return self.model.indicators.daily[: self.day]

    def note_lever_change(self) -> None:
        """Levers changed now: a command-line run reproduces the city only up to this day."""
        if self.day > 0:
            self.lever_changes.append(self.day)

    def command(self) -> str:
        """The ``crimesim run`` command that reproduces this city from its start."""
        return command_line(self.params, self.seed)

    # -- indicators ----------------------------------------------------------------------------

    def current(self) -> dict[str, float]:
        """Indicators of the last four weeks (rates per 100,000 a year) and of today."""
        model, daily = self.model, self.daily()
        window = daily[-WINDOW_DAYS:]
        residents = model.population.size
        if len(window) == 0:
            window = np.zeros((1, daily.shape[1]))
            scale = 0.0
        else:
            scale = 100_000 / residents * 365 / len(window)
        totals = window.sum(axis=0)
        today = window[-1]
        values: dict[str, float] = {}
        for crime in CRIME_TYPES:
            values[f"true_{crime}"] = totals[COLUMN[f"true_{crime}"]] * scale
            values[f"recorded_{crime}"] = totals[COLUMN[f"recorded_{crime}"]] * scale
        values["true_crime_rate"] = sum(values[f"true_{c}"] for c in CRIME_TYPES)
        values["recorded_crime_rate"] = sum(values[f"recorded_{c}"] for c in CRIME_TYPES)
        values["reported_crime_rate"] = sum(totals[COLUMN[f"reported_{c}"]] for c in CRIME_TYPES) * scale
        values["homicide_rate"] = values["true_homicide"]
        true_total = values["true_crime_rate"]
        values["dark_figure"] = 1 - values["recorded_crime_rate"] / true_total if true_total else float("nan")
        values["mean_fear"] = float(model.population.fear.mean())
        values["mean_trust"] = float(model.trust_of(np.arange(residents)).mean())
        values["prisoners_per_100k"] = today[COLUMN["prisoners"]] * 100_000 / residents
        places = today[COLUMN["adult_prison_places"]]
        values["prison_occupancy"] = today[COLUMN["adult_prisoners"]] / places if places else float("nan")
        values["abuse_per_100k"] = totals[COLUMN["abuse_incidents"]] * scale
        values["arrest_rate"] = totals[COLUMN["arrests"]] * scale
        values["guards_per_100k"] = today[COLUMN["guards"]] * 100_000 / residents
        for pillar, dollars in self.spending_by_pillar(window, totals).items():
            values[f"spending_{governance.column_name(pillar)}"] = dollars / residents
        values["spending_per_resident"] = sum(
            values[f"spending_{governance.column_name(p)}"] for p in governance.PILLARS)
        annual = model.indicators.annual
        if annual:
            survey = annual[-1]
            values["survey_victimisation_rate"] = survey["survey_victimisation_rate"]
            values["survey_ci_low"] = survey["survey_ci_low"]
            values["survey_ci_high"] = survey["survey_ci_high"]
            values["true_victimisation_prevalence"] = survey["true_victimisation_prevalence"]
        return values

    def spending_by_pillar(self, window: np.ndarray, totals: np.ndarray) -> dict[str, float]:
        """Spending a year by pillar at the levers in force and the last weeks' use (US dollars)."""
        days = max(len(window), 1)

        def level(column: str) -> float:
            return float(window[:, COLUMN[column]].mean()) if len(window) else 0.0

        demand = governance.Demand(
            prisoners=level("prisoners"), supervised=level("supervised"),
            witness_cases=totals[COLUMN["witness_protected"]] * 365 / days,
            reparations=totals[COLUMN["reparations"]] * 365 / days, guards=level("guards"))
        return governance.by_pillar(governance.cost_lines(self.model.params, demand))

    def sample(self) -> None:
        """Record a point of the charts' series for today."""
        values = self.current()
        values.setdefault("survey_victimisation_rate", float("nan"))
        values.setdefault("survey_ci_low", float("nan"))
        values.setdefault("survey_ci_high", float("nan"))
        values.setdefault("true_victimisation_prevalence", float("nan"))
        self.series.append(self.day, values)

    # -- the map -------------------------------------------------------------------------------

    def block_layer(self, layer: str) -> np.ndarray:
        """Per-block values (flat, raster order) of one of `MAP_LAYERS`, scaled 0-1."""
        model, population, cells = self.model, self.model.population, self.model.city.cells
        if layer == "crime":
            values = np.asarray(model.recent_crime, dtype=float)
            top = np.quantile(values, 0.99) if values.any() else 1.0
            return np.clip(values / max(top, 1e-9), 0.0, 1.0)
        if layer == "security":
            return np.clip(np.asarray(model.private_security.coverage, dtype=float), 0.0, 1.0)
        living = np.bincount(population.home_cell, minlength=cells)
        if layer == "fear":
            weights = population.fear
        elif layer == "trust":
            weights = model.trust_of(np.arange(population.size))
        else:
            raise ValueError(f"unknown map layer {layer!r}; choose one of {', '.join(MAP_LAYERS)}")
        totals = np.bincount(population.home_cell, weights=weights, minlength=cells)
        values = np.divide(totals, living, out=np.full(cells, np.nan), where=living > 0)
        return np.clip(values, 0.0, 1.0)

    def police_blocks(self) -> tuple[np.ndarray, np.ndarray]:
        """Where police units and soldiers on duty were last seen today (block ids)."""
        police, military = [], []
        for unit in self.model.police_units:
            if unit.on_duty and unit.block is not None:
                (military if unit.military else police).append(unit.block)
        return np.array(police, dtype=np.int64), np.array(military, dtype=np.int64)

    def programme_blocks(self) -> np.ndarray:
        """Blocks with a prevention programme: renewed blocks, and the homes of youth in a
        programme (flat boolean mask)."""
        model = self.model
        sites = model.renewal.renewed_day >= 0
        youth = model.youth_programme.ids
        if len(youth):
            sites[model.population.home_cell[youth]] = True
        return sites

    def council_blocks(self) -> np.ndarray:
        """Blocks of neighbourhoods with a community council (flat boolean mask)."""
        blocks = getattr(self.model.councils, "blocks", None)
        return np.zeros(self.model.city.cells, dtype=bool) if blocks is None else np.asarray(blocks, dtype=bool)
