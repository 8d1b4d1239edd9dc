"""The uncertain parameters: one specification shared by sensitivity analysis and calibration.

Each `Uncertain` parameter has a name (its dotted key in `simulation.params.Parameters`),
bounds, a distribution over them (uniform, or log-uniform for rates spanning orders of
magnitude), its unit, its group and its source. Groups put every parameter in a MISPA pillar
where its submodel belongs to one (police management, public-security management for courts
and prisons, prevention of crime and violence for youth, gangs and programmes, citizen and
community participation for trust, fear and reporting), and in "the city and its offenders"
otherwise (opportunity, offending, population). Grouped analyses report one index per group.

`default_specification` covers every uncertain parameter of the model: the floats of the
parameter tree that are neither policy levers (what scenarios set: capacities, strategies,
sentencing policy, programmes, governance, shocks), nor prices (``costs``), nor the size and
shape of the run (residents, years, the city's dimensions, the survey's sample). Bounds are
the default times 0.5 and 1.5 (a share stays within [0, 1], and every bound within the
parameter's valid range): a wide screen, to be narrowed where evidence allows.

A TOML file narrows it::

    only = ["offending.*", "police.visibility_deterrence"]   # optional: keep these (globs)
    exclude = ["offending.mix.*"]                             # optional: drop these

    [parameters."offending.attempt_rate"]
    low = 5.0
    high = 8.0
    distribution = "uniform"                                  # or "loguniform"
    source = "my prior"

Every mistake (an unknown key, bounds outside the parameter's valid range, low >= high, a
pattern that matches nothing) raises one `SpecificationError` naming the file and the key.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from simulation.governance import CAPACITY_LEVERS
from simulation.params import Parameters, leaf_fields

CITY = "the city and its offenders"
GROUPS: tuple[str, ...] = (
    CITY, "police management", "public-security management", "prevention of crime and violence",
    "citizen and community participation",
)
"""Groups of uncertain parameters (the MISPA pillars their submodels belong to)."""
_GROUP_OF_SECTION = {
    "city": CITY, "population": CITY, "opportunity": CITY, "offending": CITY, "firearms": CITY,
    "police": "police management",
    "justice": "public-security management", "private_security": "public-security management",
    "youth": "prevention of crime and violence", "prevention": "prevention of crime and violence",
    "reporting": "citizen and community participation",
    "perception": "citizen and community participation",
    "survey": "citizen and community participation",
}
DISTRIBUTIONS = ("uniform", "loguniform")
SPREAD = (0.5, 1.5)
"""Default bounds: the default value times these."""

# Levers (what a scenario sets) and the run's size and shape: not model uncertainty.
_NOT_UNCERTAIN_PREFIXES = ("costs.", "governance.", "shocks.", "police.mix.", "city.seed")
_NOT_UNCERTAIN = {
    *CAPACITY_LEVERS, "years", "warmup_days", "population.residents", "city.width", "city.height",
    "city.neighbourhoods", "police.training", "police.oversight", "police.internal_audits",
    "police.external_audits", "police.wage_ratio", "police.military_per_100k",
    "justice.prison.capacity_per_100k", "justice.prison.juvenile_capacity_per_100k",
    "justice.prison.separation", "justice.sentencing.severity", "justice.sentencing.alternatives",
    "justice.sentencing.adult_age", "justice.sentencing.min_age", "justice.court.witness_protection",
    "private_security.regulation", "reporting.recording_probability",
    "city.lighting_mean", "city.lighting_ses_gradient",
}


class SpecificationError(ValueError):
    """A parameter specification is invalid; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Uncertain:
    """One uncertain parameter."""

    name: str
    low: float
    high: float
    distribution: str = "uniform"
    unit: str = ""
    group: str = CITY
    source: str = ""
    default: float = float("nan")

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Values for quantiles ``u`` in [0, 1] of the distribution."""
        u = np.asarray(u, dtype=float)
        if self.distribution == "loguniform":
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return self.low + u * (self.high - self.low)


def _bounds_of(info: Any) -> tuple[float, float]:
    low, high = -np.inf, np.inf
    for meta in info.metadata:
        for attr in ("ge", "gt"):
            if getattr(meta, attr, None) is not None:
                low = float(getattr(meta, attr))
        for attr in ("le", "lt"):
            if getattr(meta, attr, None) is not None:
                high = float(getattr(meta, attr))
    return low, high


def _is_uncertain(key: str, info: Any, value: Any) -> bool:
    if info.annotation is not float or isinstance(value, bool) or not isinstance(value, float):
        return False
    if key in _NOT_UNCERTAIN or key.startswith(_NOT_UNCERTAIN_PREFIXES):
        return False
    source = (info.json_schema_extra or {}).get("source", "")
    return not source.startswith(("policy lever", "scenario setting")) and value != 0


def _defaults() -> dict[str, tuple[Any, float]]:
    values = Parameters().model_dump(mode="python")
    out = {}
    for key, info in leaf_fields():
        value: Any = values
        for part in key.split("."):
            value = value[part]
        out[key] = (info, value)
    return out


def default_specification() -> list[Uncertain]:
    """Every uncertain parameter of the model, with the default bounds (see the module doc)."""
    spec = []
    for key, (info, value) in _defaults().items():
        if not _is_uncertain(key, info, value):
            continue
        valid_low, valid_high = _bounds_of(info)
        low, high = sorted((value * SPREAD[0], value * SPREAD[1]))
        low, high = max(low, valid_low), min(high, valid_high)
        if valid_high == 1 and valid_low >= 0:  # a share or probability
            high = min(high, 1.0)
        if any(getattr(meta, "gt", None) is not None for meta in info.metadata) and low <= valid_low:
            low = valid_low + 1e-9 * max(1.0, abs(value))
        if not low < high:
            continue
        extra = info.json_schema_extra or {}
        spec.append(Uncertain(name=key, low=float(low), high=float(high), unit=extra.get("unit", ""),
                              group=_GROUP_OF_SECTION.get(key.split(".")[0], CITY),
                              source=extra.get("source", ""), default=float(value)))
    return spec


def load_specification(path: Path | str | None = None,
                       base: Sequence[Uncertain] | None = None) -> list[Uncertain]:
    """The default specification (or ``base``), narrowed by the TOML file at ``path``.

    Raises:
        SpecificationError: the file is missing or invalid.
    """
    spec = list(default_specification() if base is None else base)
    if path is None:
        return spec
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecificationError(f"{path}: no such parameter file; give the path of a TOML "
                                 "file (see calibration/parameters.py for the format).") from None
    except tomllib.TOMLDecodeError as error:
        raise SpecificationError(f"{path}: TOML syntax error: {error}.") from None
    unknown = set(document) - {"only", "exclude", "parameters"}
    if unknown:
        raise SpecificationError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}; "
                                 "a parameter file has `only`, `exclude` and [parameters.\"name\"] "
                                 "tables.")
    known = {item.name for item in spec}
    for key in ("only", "exclude"):
        if key in document:
            patterns = document[key]
            if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
                raise SpecificationError(f"{path}: {key} = {patterns!r}: give a list of parameter "
                                         'names or patterns, e.g. ["offending.*"].')
            for pattern in patterns:
                if not fnmatch.filter(known, pattern):
                    raise SpecificationError(
                        f"{path}: {key}: '{pattern}' matches no uncertain parameter. "
                        "`crimesim sensitivity --list` prints them.")
            matched = {item.name for item in spec
                       if any(fnmatch.fnmatch(item.name, p) for p in patterns)}
            spec = [item for item in spec if (item.name in matched) == (key == "only")]
    tables = document.get("parameters", {})
    if not isinstance(tables, dict):
        raise SpecificationError(f"{path}: parameters must be tables: [parameters.\"name\"].")
    return [_narrowed(item, tables.get(item.name), path) for item in spec] + \
        _new_entries(tables, {item.name for item in spec}, path)


def _narrowed(item: Uncertain, table: Mapping[str, Any] | None, path: Path) -> Uncertain:
    if table is None:
        return item
    return _entry(item.name, table, path, item)


def _new_entries(tables: Mapping[str, Any], present: set[str], path: Path) -> list[Uncertain]:
    """Parameters the file names that the specification does not hold (yet)."""
    defaults = _defaults()
    added = []
    for name, table in tables.items():
        if name in present:
            continue
        if name not in defaults:
            raise SpecificationError(f"{path}: parameters.\"{name}\": no such parameter. "
                                     "`crimesim params` lists every parameter.")
        info, value = defaults[name]
        if info.annotation is not float:
            raise SpecificationError(f"{path}: parameters.\"{name}\": only real-valued "
                                     "parameters can vary (this one is "
                                     f"{getattr(info.annotation, '__name__', info.annotation)}).")
        extra = info.json_schema_extra or {}
        base = Uncertain(name=name, low=float(value), high=float(value), unit=extra.get("unit", ""),
                         group=_GROUP_OF_SECTION.get(name.split(".")[0], CITY),
                         source=extra.get("source", ""), default=float(value))
        added.append(_entry(name, table, path, base, require_bounds=True))
    return added


def _entry(name: str, table: Any, path: Path, base: Uncertain,
           require_bounds: bool = False) -> Uncertain:
    where = f'{path}: parameters."{name}"'
    if not isinstance(table, dict):
        raise SpecificationError(f"{where}: write a table with low, high (and optionally "
                                 "distribution, group, source).")
    unknown = set(table) - {"low", "high", "distribution", "group", "source"}
    if unknown:
        raise SpecificationError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; valid: "
                                 "low, high, distribution, group, source.")
    if require_bounds and not {"low", "high"} <= set(table):
        raise SpecificationError(f"{where}: give both low and high.")
    low, high = table.get("low", base.low), table.get("high", base.high)
    for label, number in (("low", low), ("high", high)):
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise SpecificationError(f"{where}: {label} = {number!r}: give a number.")
    if not low < high:
        raise SpecificationError(f"{where}: low = {low} is not below high = {high}.")
    info = _defaults()[name][0]
    valid_low, valid_high = _bounds_of(info)
    if low < valid_low or high > valid_high:
        raise SpecificationError(f"{where}: [{low}, {high}] leaves the parameter's valid range "
                                 f"[{valid_low:g}, {valid_high:g}].")
    distribution = table.get("distribution", base.distribution)
    if distribution not in DISTRIBUTIONS:
        raise SpecificationError(f"{where}: distribution = {distribution!r}; valid: "
                                 f"{', '.join(DISTRIBUTIONS)}.")
    if distribution == "loguniform" and low <= 0:
        raise SpecificationError(f"{where}: a log-uniform distribution needs low > 0.")
    group = table.get("group", base.group)
    if group not in GROUPS:
        raise SpecificationError(f"{where}: group = {group!r}; valid: {', '.join(GROUPS)}.")
    return replace(base, low=float(low), high=float(high), distribution=distribution, group=group,
                   source=str(table.get("source", base.source)))


def specification_table(spec: Iterable[Uncertain]) -> list[dict[str, Any]]:
    """One row per parameter (for printing and for the reports)."""
    return [{"parameter": item.name, "default": item.default, "low": item.low, "high": item.high,
             "distribution": item.distribution, "unit": item.unit, "group": item.group,
             "source": item.source} for item in spec]
