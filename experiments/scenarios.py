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
parameter; chains may be as deep as needed, cycles are errors. Every problem — a missing file,
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
from simulation.params import ParameterError, Parameters, _describe_range, leaf_fields, with_overrides

DEFAULT_FOLDER = Path(scenarios.__file__).parent
"""The scenarios shipped with crimesim (the installed ``scenarios`` package)."""

HEADER_KEYS: tuple[str, ...] = ("name", "description", "extends")
"""Top-level keys of a scenario file that are not parameters."""

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
    """

    name: str
    description: str
    path: Path
    chain: list[str]
    overrides: dict[str, Any]
    params: Parameters


def scenario_names(folder: Path | str = DEFAULT_FOLDER) -> list[str]:
    """The names under which scenarios in ``folder`` can be loaded (the files' stems), sorted."""
    folder = Path(folder)
    return sorted(path.stem for path in folder.glob("*.toml")) if folder.is_dir() else []


def load_scenario(name_or_path: str | Path, folder: Path | str = DEFAULT_FOLDER) -> Scenario:
    """Load and validate a scenario by name (``<folder>/<name>.toml``) or by path to a file.

    A `Path`, or a string that ends in ``.toml`` or contains a directory separator, is a path
    (relative to the working directory); anything else is a name.

    Raises:
        ScenarioError: the file is missing or invalid (the message names the file and the key).
    """
    folder = Path(folder)
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
    except ParameterError as error:
        raise ScenarioError(str(error)) from None
    return Scenario(name=name, description=description, path=path, chain=[*chain, name],
                    overrides=merged, params=params)


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
                f"has `name`, `description`, `extends` and the parameters {', '.join(top_level[3:])} "
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
