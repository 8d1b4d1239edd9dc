"""`validate`: run the validation suite and write its table, report and manifest.

The suite picks the checks asked for, makes the runs they need once (shared between checks,
on a pool of worker processes), measures every check, and writes to ``out``:

    validation.parquet, validation.csv   one row per check (`COLUMNS`)
    report.html                          self-contained: summary, table, a paragraph and figures
    manifest.json                        options, configurations and seeds, timings, versions

The table depends only on the options (mode, checks, seed): not on the number of workers or
the order in which runs finish. Timings are in the manifest, never in the table.
"""

from __future__ import annotations

import difflib
import json
import os
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.provenance import provenance, write_atomic, write_json
from experiments.validation.checks import CHECK_IDS, CHECKS, Check
from experiments.validation.rules import summarise
from experiments.validation.runs import CONFIGS, RunSet, run_all, tasks_for

ROOT_SEED = 20_260_611
"""Root seed of the suite's replicates (replicate r: SeedSequence(ROOT_SEED, spawn_key=(r,)))."""

COLUMNS: tuple[str, ...] = ("id", "title", "published", "source", "value", "low", "high",
                            "replicates", "unit", "rule", "passed", "note", "status", "interval")
"""Columns of the validation table, in order. ``passed`` is empty (NA) for checks that were
skipped or not measured; ``status`` is pass, fail, error, skipped or not measured; ``interval``
says what ``low`` and ``high`` are."""

MANIFEST_KIND = "crimesim validation"

HELP = ("Check the model against what criminology knows: the stylized facts S1-S13 (crime "
        "concentration, repeat and near-repeat victimisation, the age-crime curve, ...), Short "
        "et al.'s (2008) four regimes, and conservation of residents, money and crime counts. "
        "Writes validation.parquet and validation.csv (one row per check: published figure, "
        "model value with its 95% interval over replicates, pass or fail, source), report.html "
        "(opens offline) and manifest.json (options, seeds, timings, versions) to --out.")
"""Help text of ``crimesim validate``."""
HELP_QUICK = ("Run a reduced suite for CI (a few minutes on 2 cores): a 25,000-resident city, 2 "
              "recorded years, 3 replicates, Short's model on 64 x 64; checks that need long runs "
              "are listed as skipped, with the reason.")
HELP_CHECKS = ("Comma-separated checks to run, by id or family: S1,S4,S6 runs S1, S4 and every "
               "S6 check (S6-1y, S6-3y, ...); short2008 or conservation select those families. "
               "Default: every check. The ids are listed in docs/validation.md.")
HELP_WORKERS = ("Worker processes (default: one per core; 1 runs in this process). The results "
                "do not depend on it.")
HELP_OUT = ("Directory for validation.parquet, validation.csv, report.html and manifest.json "
            "(created if missing; a previous validation there is replaced).")
HELP_SEED = f"Root seed of the replicates (default {ROOT_SEED}); the same seed gives the same table."


class ValidationOptionError(ValueError):
    """A bad option of the validation suite; the message names the problem and the fix."""


def parse_checks(text: str | None) -> list[str] | None:
    """The value of ``--checks`` ("S1,S4, short2008") as a list of ids (None: every check)."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ValidationOptionError(f"--checks {text!r} names no check; give ids such as "
                                    "S1,S4,short2008, or leave --checks out to run every check")
    return names


def select_checks(names: Iterable[str] | None) -> list[Check]:
    """The checks named (ids or families: ``S6`` is S6-1y, S6-3y ...), in report order.

    Raises:
        ValidationOptionError: a name matches no check.
    """
    if names is None:
        return list(CHECKS)
    names = list(names)
    if not names:
        raise ValidationOptionError("no check selected; give ids such as S1,S4,short2008, or "
                                    "none to run every check")
    chosen: set[str] = set()
    for name in names:
        matches = {check.id for check in CHECKS
                   if check.id.lower() == name.lower() or check.id.lower().startswith(name.lower() + "-")}
        if not matches:
            close = difflib.get_close_matches(name, CHECK_IDS, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ValidationOptionError(
                f"unknown check {name!r}{hint}; valid checks are {', '.join(CHECK_IDS)}, or a "
                "family such as S6, short2008 or conservation")
        chosen |= matches
    return [check for check in CHECKS if check.id in chosen]


def check_options(out: Path | str, workers: int | None) -> Path:
    """Validate ``out`` and ``workers``; return ``out`` as a Path.

    Raises:
        ValidationOptionError: ``workers`` below 1, ``out`` is a file, or ``out`` holds results
            that are not a validation.
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValidationOptionError(f"--workers {workers!r}: give a whole number of 1 or more "
                                    "(1 runs everything in this process)")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValidationOptionError(f"--out {out} is a file; give a directory (it is created if missing)")
    manifest = out / "manifest.json"
    if manifest.exists():
        try:
            kind = json.loads(manifest.read_text()).get("kind")
        except (OSError, ValueError):
            kind = None
        if kind != MANIFEST_KIND:
            raise ValidationOptionError(f"--out {out} already holds other results (its manifest.json "
                                        "is not a validation's); choose another directory")
    return out


def validate(
    out: Path | str,
    quick: bool = False,
    workers: int | None = None,
    checks: Iterable[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    seed: int = ROOT_SEED,
) -> pd.DataFrame:
    """Run the validation suite and write its table, report and manifest into ``out``.

    Args:
        out: directory for validation.parquet, validation.csv, report.html, manifest.json.
        quick: the reduced suite for CI (smaller city, fewer years and replicates; checks that
            need long runs are skipped, with the reason in their note).
        workers: worker processes (default: one per core; 1 runs in this process).
        checks: ids or families of the checks to run (default: all), e.g. ``["S1", "S6"]``.
        progress: called as ``progress(runs_done, runs_total, label)`` after each run.
        seed: root seed of the replicates.

    Returns:
        The validation table (one row per check, `COLUMNS`).

    Raises:
        ValidationOptionError: an unknown check, ``workers`` < 1, or ``out`` is a file or holds
            other results.
    """
    started = time.perf_counter()
    out = check_options(out, workers)
    selected = select_checks(checks)
    tasks = tasks_for(configurations_needed(selected, quick), quick, seed)
    workers = workers or os.cpu_count() or 1
    runs = run_all(tasks, min(workers, max(len(tasks), 1)), progress)
    return write_validation(out, runs, selected, quick, workers, checks, seed, started)


def configurations_needed(selected: Iterable[Check], quick: bool) -> list[str]:
    """The configurations the measured checks need (skipped and unmeasured ones need none)."""
    measured = [check for check in selected if check.measure is not None and (check.quick or not quick)]
    return sorted({name for check in measured for name in check.runs})


def write_validation(out: Path, runs: RunSet, selected: list[Check], quick: bool, workers: int,
                     requested: Iterable[str] | None, seed: int, started: float) -> pd.DataFrame:
    """Measure every selected check on the runs; write the table, the report and the manifest."""
    measuring = time.perf_counter()
    table = pd.DataFrame([evaluate(check, runs, quick) for check in selected], columns=list(COLUMNS))
    table["passed"] = table["passed"].astype("boolean")
    table["replicates"] = table["replicates"].astype("int64")
    measured_seconds = time.perf_counter() - measuring
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "validation.parquet", lambda path: table.to_parquet(path, index=False))
    write_atomic(out / "validation.csv", lambda path: table.to_csv(path, index=False))
    reporting = time.perf_counter()
    timings = {"runs_seconds": round(runs.seconds, 2),
               "run_cpu_seconds": {name: round(value, 2) for name, value in runs.cpu_seconds().items()},
               "measure_seconds": round(measured_seconds, 2)}
    manifest = build_manifest(table, runs, quick, workers, requested, selected, seed, timings)
    from experiments.validation.report import render_report

    page = render_report(table, runs, manifest)
    write_atomic(out / "report.html", lambda path: path.write_text(page, encoding="utf-8"))
    manifest["timings"]["report_seconds"] = round(time.perf_counter() - reporting, 2)
    manifest["timings"]["total_seconds"] = round(time.perf_counter() - started, 2)
    write_json(out / "manifest.json", manifest)
    return table


def evaluate(check: Check, runs: RunSet, quick: bool) -> dict[str, Any]:
    """One row of the table: measure the check on the runs and apply its rule."""
    row: dict[str, Any] = {"id": check.id, "title": check.title, "published": check.published,
                           "source": check.source, "value": np.nan, "low": np.nan, "high": np.nan,
                           "replicates": 0, "unit": check.unit, "rule": check.rule_text(),
                           "passed": pd.NA, "note": "", "status": "", "interval": ""}
    if check.measure is None:
        return {**row, "status": "not measured", "note": f"Not measured: {check.not_measured}."}
    if quick and not check.quick:
        return {**row, "status": "skipped", "note": f"Skipped in quick mode: {check.quick_note}."}
    try:
        measurement = check.measure(runs)
        summary = summarise(measurement.values, check.summary)
    except Exception as error:  # noqa: BLE001 - one broken check must not lose the others
        message = "".join(traceback.format_exception_only(error)).strip()
        return {**row, "passed": False, "status": "error", "note": f"The measurement failed: {message}"}
    passed = bool(check.rule.passes(summary)) if check.rule is not None else pd.NA
    note = measurement.note
    if np.isnan(summary.value):
        note = ("No value: the runs gave nothing to measure. " + note).strip()
    return {**row, "value": summary.value, "low": summary.low, "high": summary.high,
            "replicates": summary.replicates, "passed": passed,
            "status": "pass" if passed else "fail", "note": note, "interval": summary.interval}


def outcome_counts(table: pd.DataFrame) -> dict[str, int]:
    """Checks by status, and how many were judged (pass, fail or error)."""
    counts = {status: int((table["status"] == status).sum())
              for status in ("pass", "fail", "error", "skipped", "not measured")}
    counts["judged"] = counts["pass"] + counts["fail"] + counts["error"]
    return counts


def summary_line(table: pd.DataFrame) -> str:
    """"N of M checks pass", with what was skipped or not measured."""
    counts = outcome_counts(table)
    line = f"{counts['pass']} of {counts['judged']} checks pass"
    extras = [f"{counts[status]} {status}" for status in ("skipped", "not measured") if counts[status]]
    if counts["error"]:
        extras.insert(0, f"{counts['error']} could not be measured (error)")
    return line + (f" ({'; '.join(extras)})" if extras else "")


def build_manifest(table: pd.DataFrame, runs: RunSet, quick: bool, workers: int,
                   requested: Iterable[str] | None, selected: list[Check], seed: int,
                   timings: dict[str, Any]) -> dict[str, Any]:
    """What was run, with which seeds and versions, and how long it took."""
    configurations = {}
    for name in sorted(runs.observations):
        config = CONFIGS[name]
        size = config.size(quick)
        entry: dict[str, Any] = {"description": config.description, "kind": config.kind,
                                 "replicates": size.replicates, "overrides": dict(size.overrides)}
        if config.kind == "city":
            params = config.parameters(quick)
            entry.update(residents=params.population.residents,
                         blocks=f"{params.city.width} x {params.city.height}",
                         neighbourhoods=params.city.neighbourhoods, warmup_days=params.warmup_days,
                         recorded_days=params.days)
        else:
            params, steps = config.short_parameters(quick)
            entry.update(lattice=f"{params.size} x {params.size}", steps=steps)
        configurations[name] = entry
    return {
        "kind": MANIFEST_KIND,
        "summary": summary_line(table),
        "counts": outcome_counts(table),
        "options": {"quick": quick, "workers": workers,
                    "checks": None if requested is None else list(requested),
                    "checks_run": [check.id for check in selected], "seed": seed},
        "seeds": {"root_seed": seed,
                  "rule": "replicate r of every configuration: numpy.random.SeedSequence(root_seed, "
                          "spawn_key=(r,)) (common random numbers)"},
        "configurations": configurations,
        "runs": sum(len(observations) for observations in runs.observations.values()),
        "timings": timings,
        "files": ["validation.parquet", "validation.csv", "report.html", "manifest.json"],
        **provenance(),
    }
