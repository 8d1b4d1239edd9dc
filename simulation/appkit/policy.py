"""The app's view of the policy levers: a thin layer over `simulation.levers`.

The levers (their labels, pillars, ranges), the presets and the pricing are the model's
(`simulation.levers`, `simulation.governance`); this module adds what the screens need: the
cost of each lever at the values shown, the planned spending per resident for the budget meter,
and the parameters of a city with those values.
"""

from __future__ import annotations

from functools import lru_cache

from simulation import governance
from simulation.params import Parameters, with_overrides

PRESETS: tuple[str, ...] = (
    "baseline", "punitive", "comprehensive", "hotspot_policing", "community_policing",
    "youth_prevention", "prison_reform", "private_security_regulation",
)
"""The presets the app offers, in the order it lists them."""


def _levers():
    from simulation import levers

    return levers


def preset_label(name: str) -> str:
    return name.replace("_", " ")


def levers_by_pillar() -> dict[str, list]:
    """The levers grouped by pillar (every pillar present, in MISPA's order)."""
    grouped = {pillar: [] for pillar in governance.PILLARS}
    for pillar, levers in _levers().levers_by_pillar().items():
        grouped.setdefault(pillar, []).extend(levers)
    return grouped


def lever_values(params: Parameters) -> dict[str, object]:
    """The levers' values in a parameter tree."""
    return dict(_levers().lever_values(params))


def preset(name: str) -> dict[str, object]:
    """The levers' values of a preset."""
    return dict(_levers().preset(name))


def with_levers(params: Parameters, values: dict[str, object]) -> Parameters:
    """A parameter tree with the levers set to ``values`` (lever keys are parameter keys)."""
    return with_overrides(params, {key: value for key, value in values.items()}, context="lever")


def apply(model, values: dict[str, object]) -> None:
    """Put the levers in force on a running city from its next day."""
    _levers().apply_levers(model, values)


@lru_cache(maxsize=1)
def _base() -> Parameters:
    from simulation.appkit.live import app_parameters

    return app_parameters()


def planned_per_resident(values: dict[str, object], base: Parameters | None = None) -> float:
    """Planned spending per resident a year (US dollars) with the levers at ``values``."""
    params = with_levers(base or _base(), values)
    return sum(governance.planned_lines(params).values()) / params.population.residents


def lever_costs(values: dict[str, object], base: Parameters | None = None) -> dict[str, float]:
    """What each lever costs per resident a year at ``values``: the planned spending with the
    lever as shown minus that with the lever at its lowest setting (zero for levers without a
    price of their own)."""
    base = base or _base()
    levers = [lever for group in levers_by_pillar().values() for lever in group]
    total = planned_per_resident(values, base)
    costs = {}
    for lever in levers:
        if getattr(lever, "choices", None) or getattr(lever, "kind", "") == "bool":
            low = lever.choices[0] if getattr(lever, "choices", None) else False
        else:
            low = lever.low
        try:
            costs[lever.key] = max(0.0, total - planned_per_resident({**values, lever.key: low}, base))
        except ValueError:
            costs[lever.key] = 0.0
    return costs


def budget_per_resident(base: Parameters | None = None) -> float:
    """The budget: the baseline preset's planned spending per resident a year."""
    return planned_per_resident(preset("baseline"), base)
