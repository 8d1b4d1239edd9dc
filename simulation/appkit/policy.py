"""The app's view of the policy levers: a thin layer over `simulation.levers`.

The levers (labels in the policy papers' words, pillars, ranges, costs), the presets and the
pricing of a plan are the model's (`simulation.levers`, `simulation.governance`); this module
binds them to the app's city: the parameters of a city with the levers shown, each lever's
cost there, the plan's spending per resident for the budget meter, and the budget.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from simulation import levers
from simulation.params import Parameters

PRESET_LABELS = {"hotspot_policing": "hot-spot policing"}


def preset_names() -> tuple[str, ...]:
    """The presets: baseline, punitive, comprehensive, then the focused variants."""
    return levers.preset_names()


def preset_label(name: str) -> str:
    return PRESET_LABELS.get(name, name.replace("_", " "))


def levers_by_pillar() -> dict[str, tuple[levers.Lever, ...]]:
    """The levers of each of the five pillars (every pillar present, in MISPA's order)."""
    return levers.levers_by_pillar()


def preset(name: str) -> dict[str, Any]:
    """Every lever's value in a preset."""
    return levers.preset(name)


@lru_cache(maxsize=4)
def _base(residents: int) -> Parameters:
    from simulation.appkit.live import app_parameters

    return app_parameters(residents=residents)


def plan(values: dict[str, Any], base: Parameters | None = None) -> Parameters:
    """The app's city (or ``base``) with the levers at ``values``."""
    return levers.with_levers(base or _base(25_000), values, context="lever")


def apply(model, values: dict[str, Any]) -> None:
    """Put the levers in force on a running city from its next day."""
    levers.apply_levers(model, values)


def planned_per_resident(values: dict[str, Any], base: Parameters | None = None) -> float:
    """Planned spending per resident a year (US dollars) with the levers at ``values``."""
    return levers.budget_per_resident(plan(values, base))


def spending_by_pillar(values: dict[str, Any], base: Parameters | None = None) -> dict[str, float]:
    """Planned spending per resident a year by pillar with the levers at ``values``."""
    return levers.spending_by_pillar(plan(values, base))


def lever_costs(values: dict[str, Any], base: Parameters | None = None) -> dict[str, float]:
    """What each lever adds to the planned budget per resident a year at ``values``, over the
    value at which it buys nothing (`simulation.levers.Lever.cost`)."""
    params = plan(values, base)
    return {lever.key: lever.cost(values.get(lever.key), params)
            for lever in levers.LEVERS if lever.key in values}


def budget_per_resident(base: Parameters | None = None) -> float:
    """The budget, as the classroom's (`simulation.classroom.ClassroomSettings`): what the
    dearer of the punitive and comprehensive presets plans per resident a year in this city,
    rounded up to a whole dollar, so that either fits and more of everything does not."""
    return float(math.ceil(max(planned_per_resident(preset(name), base)
                               for name in ("punitive", "comprehensive")) - 1e-9))
