"""Scenario files: one declarative TOML file per strategy, overriding the model's defaults.

A scenario file holds three top-level keys and then tables that mirror the parameter tree
(`simulation.params.Parameters`)::

    description = "Mano dura: more police, saturation of hot spots, longer custody"
    extends = "baseline"          # optional: a scenario in the same folder, or a path
    [police]
    officers_per_100k = 300
    strategy = "hotspot"
    [police.clearance]
    homicide = 0.5

``name`` is optional (the file's stem by default); ``description`` is one line and required.
A file that ``extends`` another starts from its parent's overrides and wins where both set a
parameter; chains may be as deep as needed, cycles are errors.

``pillar`` says which of the five MISPA pillars a focused strategy belongs to (``crimesim
scenarios`` groups by it). A file with ``overlay = true`` (a shock, an election) is laid over
another scenario by joining names with ``+``: ``punitive+disaster`` is punitive with the
disaster's parameters on top; an overlay named alone lies over the defaults.

A strategy can also be declared as an allocation of a total budget::

    [budget]
    per_resident = 75.0                        # planned USD per resident a year, all lines
    shares = { police = 0.5, youth_programmes = 0.3, reintegration = 0.2 }

The named lines (`ALLOCATABLE`) share what is left of ``per_resident`` after every line not
named (at the levels the scenario sets); each gets capacity at its unit cost. Every problem — a missing file,
a TOML syntax error, an unknown key, a value out of range, a table where a value belongs —
raises one `ScenarioError` that names the file, the key and the fix. Unknown keys are never
ignored: a misspelt lever would otherwise silently leave the default in place.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import scenarios
from simulation import governance
from simulation.params import ParameterError, Parameters, _describe_range, leaf_fields, with_overrides

DEFAULT_FOLDER = Path(scenarios.__file__).parent
"""The scenarios shipped with crimesim (the installed ``scenarios`` package)."""

HEADER_KEYS: tuple[str, ...] = ("name", "description", "extends", "pillar", "overlay", "budget")
"""Top-level keys of a scenario file that are not parameters."""
STRATEGIES = "strategies across the pillars"
"""The ``pillar`` of a scenario that is not focused on one pillar (the default)."""
PILLAR_CHOICES: tuple[str, ...] = (STRATEGIES, *governance.PILLARS)
ALLOCATABLE: dict[str, str] = {
    "police": "police.officers_per_100k",
    "investigation": "police.detectives_per_100k",
    "prosecution": "justice.court.prosecutors_per_100k",
    "prisons": "justice.prison.capacity_per_100k",
    "rehabilitation": "justice.prison.rehabilitation_places_per_100k",
    "reintegration": "justice.reintegration.places_per_100k",
    "victims": "justice.victims.assistance_places_per_100k",
    "youth_programmes": "prevention.programmes.youth_places_per_100k",
    "situational": "prevention.programmes.renewal_blocks_per_year",
    "interruption": "prevention.programmes.interrupters_per_100k",
    "domestic_violence": "prevention.programmes.dv_places_per_100k",
    "councils": "prevention.programmes.councils",
}
"""Spending lines a ``[budget]`` can allocate, and the capacity lever each buys."""

_LEAVES: dict[str, Any] = dict(leaf_fields())
_TABLES: set[str] = {key.rsplit(".", depth)[0] for key in _LEAVES
                     for depth in range(1, key.count(".") + 1)}


class ScenarioError(ValueError):
    """A scenario file is missing or invalid; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Scenario:
    """A loaded, validated scenario.

    Attributes:
        name: the scenario's name (its ``name`` key, or the file's stem).
        description: its one-line description.
        path: the resolved path of its file.
        chain: scenario names from the root ancestor to this one (``["baseline", "punitive"]``).
        overrides: dotted parameter key -> value, merged along the chain (the child wins).
        params: the validated parameters: the model's defaults with ``overrides`` applied.
        pillar: the MISPA pillar a focused strategy belongs to (`PILLAR_CHOICES`).
        overlay: whether it is an overlay (a shock, an election) laid over other scenarios.
    """

    name: str
    description: str
    path: Path
    chain: list[str]
    overrides: dict[str, Any]
    params: Parameters
    pillar: str = STRATEGIES
    overlay: bool = False


def scenario_names(folder: Path | str = DEFAULT_FOLDER) -> list[str]:
    """The names under which scenarios in ``folder`` can be loaded (the files' stems), sorted."""
    folder = Path(folder)
    return sorted(path.stem for path in folder.glob("*.toml")) if folder.is_dir() else []


def load_scenario(name_or_path: str | Path, folder: Path | str = DEFAULT_FOLDER) -> Scenario:
    """Load and validate a scenario by name (``<folder>/<name>.toml``) or by path to a file.

    A `Path`, or a string that ends in ``.toml`` or contains a directory separator, is a path
    (relative to the working directory); anything else is a name. ``base+overlay+...`` lays
    overlays over a scenario, in order.

    Raises:
        ScenarioError: the file is missing or invalid (the message names the file and the key).
    """
    folder = Path(folder)
    if isinstance(name_or_path, str) and "+" in name_or_path:
        return _compose(name_or_path, folder)
    if _is_path(name_or_path):
        path = Path(name_or_path)
        if not path.is_file():
            raise ScenarioError(
                f"{path}: no such scenario file. Give the path of a .toml file, or the name of a "
                f"scenario in {folder} ({_available(folder)}).")
    else:
        path = folder / f"{name_or_path}.toml"
        if not path.is_file():
            raise ScenarioError(
                f"no scenario '{name_or_path}' in {folder} (no file {path.name}). "
                f"Available: {_available(folder)}; or give the path of a .toml file.")
    return _load(path.resolve(), visited=())


def _compose(spec: str, folder: Path) -> Scenario:
    """``base+overlay+...``: the base scenario with each overlay's parameters on top."""
    parts = [part.strip() for part in spec.split("+")]
    if any(not part for part in parts):
        raise ScenarioError(f"{spec!r}: an empty name around '+'. Write a scenario and its "
                            "overlays joined by '+', e.g. punitive+disaster.")
    base = load_scenario(parts[0], folder)
    merged, chain, descriptions = dict(base.overrides), list(base.chain), [base.description]
    for part in parts[1:]:
        overlay = load_scenario(part, folder)
        if not overlay.overlay:
            overlays = [s.name for s in list_scenarios(folder) if s.overlay]
            raise ScenarioError(
                f"{overlay.path}: '{overlay.name}' is not an overlay, so it cannot be laid over "
                f"'{parts[0]}' with '+'. Overlays: {', '.join(overlays) or 'none'}; or set "
                "`overlay = true` in the file.")
        merged.update(overlay.overrides)
        chain.append(overlay.name)
        descriptions.append(overlay.description)
    try:
        params = with_overrides(Parameters(), merged, context=spec)
    except ParameterError as error:
        raise ScenarioError(str(error)) from None
    return Scenario(name="+".join([base.name, *chain[len(base.chain):]]),
                    description="; with ".join(descriptions), path=base.path, chain=chain,
                    overrides=merged, params=params, pillar=base.pillar)


def list_scenarios(folder: Path | str = DEFAULT_FOLDER) -> list[Scenario]:
    """Load and validate every scenario file in ``folder``, sorted by name.

    Raises:
        ScenarioError: one of the files is invalid.
    """
    loaded = [_load(Path(folder, f"{stem}.toml").resolve(), visited=())
              for stem in scenario_names(folder)]
    return sorted(loaded, key=lambda scenario: scenario.name)


# --------------------------------------------------------------------------------------------
# Loading one file and its ancestors
# --------------------------------------------------------------------------------------------


def _load(path: Path, visited: tuple[Path, ...]) -> Scenario:
    """Load ``path`` after its ancestors; ``visited`` are the files that extend it, outermost first."""
    document = _read_toml(path)
    name, description, extends = _header(document, path)
    pillar, overlay = _kind(document, path)
    if overlay and extends is not None:
        raise ScenarioError(f"{path}: an overlay cannot `extends` another scenario; it is laid "
                            "over one with '+' (e.g. punitive+disaster). Remove `extends` or "
                            "`overlay = true`.")
    own = _flatten(document, path)

    chain: list[str] = []
    merged: dict[str, Any] = {}
    if extends is not None:
        parent_path = _resolve_extends(extends, path)
        trail = (*visited, path)
        if parent_path in trail:
            cycle = [p.stem for p in trail[trail.index(parent_path):]] + [parent_path.stem]
            raise ScenarioError(
                f"{path}: extends = {extends!r} closes a cycle: {' -> '.join(cycle)} "
                "(each extends the next). A scenario cannot extend itself or one of its "
                "descendants; remove `extends` from one of these files.")
        parent = _load(parent_path, trail)
        chain = list(parent.chain)
        merged = dict(parent.overrides)
    merged.update(own)

    try:
        params = with_overrides(Parameters(), merged, context=str(path))
        if "budget" in document:
            merged.update(_allocate(document["budget"], params, path))
            params = with_overrides(Parameters(), merged, context=str(path))
    except ParameterError as error:
        raise ScenarioError(str(error)) from None
    return Scenario(name=name, description=description, path=path, chain=[*chain, name],
                    overrides=merged, params=params, pillar=pillar, overlay=overlay)


def _kind(document: Mapping[str, Any], path: Path) -> tuple[str, bool]:
    """The ``pillar`` and ``overlay`` keys, checked."""
    pillar = document.get("pillar", STRATEGIES)
    if pillar not in PILLAR_CHOICES:
        raise ScenarioError(f"{path}: pillar = {pillar!r}: not a pillar.{_suggest(str(pillar), list(PILLAR_CHOICES))} "
                            f"Valid: {', '.join(repr(p) for p in PILLAR_CHOICES)}.")
    overlay = document.get("overlay", False)
    if not isinstance(overlay, bool):
        raise ScenarioError(f"{path}: overlay = {overlay!r}: write true or false.")
    return pillar, overlay


def _allocate(budget: Any, params: Parameters, path: Path) -> dict[str, Any]:
    """The capacity levers a ``[budget]`` table buys (see the module's docstring)."""
    example = "[budget] with per_resident = 75.0 and shares = { police = 0.6, youth_programmes = 0.4 }"
    if not isinstance(budget, dict) or set(budget) != {"per_resident", "shares"}:
        keys = sorted(budget) if isinstance(budget, dict) else budget
        raise ScenarioError(f"{path}: budget = {keys!r}: a budget has exactly two keys, "
                            f"per_resident and shares; write {example}.")
    total, shares = budget["per_resident"], budget["shares"]
    if isinstance(total, bool) or not isinstance(total, (int, float)) or total <= 0:
        raise ScenarioError(f"{path}: budget.per_resident = {total!r}: give the planned budget "
                            "in US dollars per resident a year, a number above 0.")
    if not isinstance(shares, dict) or not shares:
        raise ScenarioError(f"{path}: budget.shares = {shares!r}: give a table of spending "
                            f"lines and shares; write {example}.")
    for line, share in shares.items():
        if line not in ALLOCATABLE:
            raise ScenarioError(
                f"{path}: budget.shares.{line}: not a spending line a budget can allocate."
                f"{_suggest(line, list(ALLOCATABLE))} Valid: {', '.join(ALLOCATABLE)}.")
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise ScenarioError(f"{path}: budget.shares.{line} = {share!r}: a share is a number "
                                "from 0 to 1.")
    if abs(sum(shares.values()) - 1) > 1e-6:
        raise ScenarioError(f"{path}: budget.shares add up to {sum(shares.values()):g}; make them "
                            "add up to 1.")
    residents = params.population.residents
    zeroed = with_overrides(params, {ALLOCATABLE[line]: 0 for line in shares}, context=str(path))
    rest = governance.planned_per_resident(zeroed)
    if total < rest:
        raise ScenarioError(
            f"{path}: budget.per_resident = {total:g} is below the USD {rest:,.2f} per resident "
            "that the lines not in budget.shares already cost; raise it or name more lines.")
    overrides: dict[str, Any] = {}
    for line, share in shares.items():
        lever = ALLOCATABLE[line]
        one = with_overrides(zeroed, {lever: 1}, context=str(path))
        unit = (governance.planned_per_resident(one) - rest) * residents  # USD a year per unit
        units = share * (total - rest) * residents / unit
        overrides[lever] = int(round(units)) if lever in governance.INTEGER_LEVERS else units
    return overrides


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file.") from None
    except UnicodeDecodeError as error:
        raise ScenarioError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); "
                            "save the scenario file as UTF-8.") from None
    except OSError as error:
        raise ScenarioError(f"{path}: cannot be read ({error.strerror}).") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: TOML syntax error: {error}. "
                            "See scenarios/README.md for the format.") from None


def _header(document: Mapping[str, Any], path: Path) -> tuple[str, str, str | None]:
    """The ``name``, ``description`` and ``extends`` of a file, checked."""
    name = document.get("name", path.stem)
    if not isinstance(name, str) or not name.strip() or "\n" in name:
        raise ScenarioError(f"{path}: name = {name!r}: the name must be a non-empty one-line "
                            "string, or left out to use the file's name.")
    if "description" not in document:
        raise ScenarioError(
            f"{path}: missing `description`. Add a one-line description at the top of the file, "
            'e.g. description = "More police on hot spots, longer custody".')
    description = document["description"]
    if not isinstance(description, str) or not description.strip() or "\n" in description.strip():
        raise ScenarioError(f"{path}: description = {description!r}: the description must be a "
                            "non-empty one-line string.")
    extends = document.get("extends")
    if extends is not None and (not isinstance(extends, str) or not extends.strip()):
        raise ScenarioError(f"{path}: extends = {extends!r}: give the name of a scenario in the "
                            "same folder (e.g. \"baseline\") or a relative path to a .toml file.")
    return name.strip(), description.strip(), extends


def _resolve_extends(extends: str, path: Path) -> Path:
    """The file ``extends`` names: a scenario next to ``path``, or a path relative to it."""
    folder = path.parent
    if _is_path(extends):
        parent = (folder / extends).resolve()
        if not parent.is_file():
            raise ScenarioError(f"{path}: extends = {extends!r}: no such file ({parent}). "
                                "Give a path relative to this file, or the name of a scenario in "
                                f"{folder} ({_available(folder, besides=path.stem)}).")
        return parent
    parent = folder / f"{extends}.toml"
    if not parent.is_file():
        raise ScenarioError(f"{path}: extends = {extends!r}: no scenario '{extends}' in {folder}. "
                            f"Available: {_available(folder, besides=path.stem)}; or give a "
                            "path relative to this file.")
    return parent.resolve()


# --------------------------------------------------------------------------------------------
# From nested TOML tables to dotted parameter keys
# --------------------------------------------------------------------------------------------


def _flatten(document: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """Dotted key -> value for every parameter the file sets, checking each key against the tree."""
    overrides: dict[str, Any] = {}
    for key, value in document.items():
        if key in HEADER_KEYS:
            continue
        if key not in _LEAVES and key not in _TABLES:
            top_level = [*HEADER_KEYS, *(k for k in _LEAVES if "." not in k),
                         *sorted(t for t in _TABLES if "." not in t)]
            raise ScenarioError(
                f"{path}: unknown top-level key '{key}'.{_suggest(key, top_level)} A scenario file "
                f"has {', '.join(f"`{k}`" for k in HEADER_KEYS)} and the parameters {', '.join(top_level[len(HEADER_KEYS):])} "
                "(as keys or [tables]); `crimesim params` lists every parameter.")
        _collect(key, value, path, overrides)
    return overrides


def _collect(key: str, value: Any, path: Path, overrides: dict[str, Any]) -> None:
    """Add the parameter ``key`` (a leaf) or every parameter under it (a table) to ``overrides``."""
    if key in _LEAVES:
        if isinstance(value, dict):
            parent, _, leaf = key.rpartition(".")
            where = f" under [{parent}]" if parent else " at the top of the file"
            raise ScenarioError(
                f"{path}: '{key}' is a single parameter, not a table: write `{leaf} = <value>`"
                f"{where} (valid: {_describe_range(_LEAVES[key])}).")
        overrides[key] = value  # lists (e.g. population.age_pyramid) are values too
        return
    if not isinstance(value, dict):
        children = [k.removeprefix(f"{key}.") for k in _LEAVES if k.startswith(f"{key}.")]
        raise ScenarioError(
            f"{path}: '{key}' is a table of parameters, not a single value ({value!r}): write "
            f"[{key}] followed by lines such as `{children[0]} = ...` "
            f"(its parameters: {', '.join(children)}).")
    for child, child_value in value.items():
        dotted = f"{key}.{child}"
        if dotted not in _LEAVES and dotted not in _TABLES:
            raise ScenarioError(
                f"{path}: unknown parameter '{dotted}'.{_suggest(dotted, [*_LEAVES, *_TABLES])} "
                "`crimesim params` lists every parameter.")
        _collect(dotted, child_value, path, overrides)


def _suggest(key: str, options: list[str]) -> str:
    """' Did you mean ...?' from close spellings, and from the same name elsewhere in the tree."""
    name = key.rsplit(".", 1)[-1]
    elsewhere = [option for option in options if option.rsplit(".", 1)[-1] == name and option != key]
    close = difflib.get_close_matches(key, options, n=3)
    matches = list(dict.fromkeys([*elsewhere, *close]))[:3]
    return f" Did you mean {', '.join(matches)}?" if matches else ""


def _is_path(name_or_path: str | Path) -> bool:
    if isinstance(name_or_path, Path):
        return True
    return name_or_path.endswith(".toml") or "/" in name_or_path or "\\" in name_or_path


def _available(folder: Path, besides: str | None = None) -> str:
    """The scenario names in ``folder`` (except ``besides``), for error messages."""
    names = [name for name in scenario_names(folder) if name != besides]
    return ", ".join(names) if names else f"none: {folder} holds no other .toml files"
