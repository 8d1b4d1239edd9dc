"""Calibration targets: observed figures the simulated city should reproduce, with uncertainty.

A target file is a CSV with one row per target (and per period, for a time series). Its
columns (docs/calibration-data.md gives the full schema and an example):

=============  =========  ================================================================
column         required   meaning
=============  =========  ================================================================
indicator      yes        a model indicator (`INDICATORS`), e.g. ``homicide_rate``
value          yes        the observed figure, in the unit given by ``per``
se             one form   its standard error (same unit as ``value``)
low, high      one form   an interval instead of ``se``; ``level`` is its coverage (0.9)
level          no         coverage of ``low``-``high`` (0 < level < 1; default 0.9)
period         no         a year (2019), a range (2015-2019), or empty / ``all``: the whole run
per            no         the population base: a number N (per N residents) for rates, or
                          ``share`` / ``probability`` / ``percent`` for 0-1 quantities
geography      no         free text: where the figure was measured
source         yes        free text: who published it
sample_size    no         survey indicators only: respondents (the observation model's n)
note           no         free text
=============  =========  ================================================================

Every row needs an uncertainty: ``se``, or ``low`` and ``high`` (not both forms). An interval
becomes a standard error with the normal quantile of its level:
``se = (high - low) / (2 z)``, ``z = Phi^-1(0.5 + level / 2)`` (1.645 for 0.9).

Periods: the earliest year named in the file is simulated year 1 (the first recorded year
after the warm-up) unless ``first_year`` is given; year Y is simulated year Y - first + 1. A
row without a period is compared with the whole run.

Every mistake raises one `TargetError` naming the file, the data row (1 is the first row
under the header; the file's line number is given too), the column and the fix.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from simulation.indicators import LEVELS, SPENDING_GROUPS, SPENDING_LEVERS
from simulation.params import CRIME_TYPES


class TargetError(ValueError):
    """A target file or record is invalid; the message names the file, row, column and fix.

    Attributes:
        problems: one message per problem found (all rows are checked before raising).
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


# --------------------------------------------------------------------------------------------
# The model's indicators
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """A model indicator a target can name.

    Attributes:
        name: its key in the run's summary and/or a column of the annual table.
        kind: ``rate`` (per ``base`` residents), ``share`` (a 0-1 quantity) or ``quantity``
            (any other unit, given in ``unit``).
        base: for rates, the model's population base (100,000 or 1,000 residents).
        unit: the model's unit in words.
        where: ``both`` (summary and annual table), ``summary`` (whole run only) or
            ``annual`` (annual table only; the whole run is the day-weighted mean of years).
    """

    name: str
    kind: str
    unit: str
    base: int = 0
    where: str = "both"


_FLOWS_PER_100K = (
    "true_crime_rate", "recorded_crime_rate", "homicide_rate", "arrest_rate", "charged_per_100k",
    "convictions_per_100k", "prison_sentences_per_100k", "alternatives_per_100k",
    "releases_per_100k", "programmes_completed_per_100k", "supported_per_100k",
    "victims_assisted_per_100k", "reparations_per_100k", "averted_by_assistance_per_100k",
    "gang_joined_per_100k", "retaliations_per_100k", "youth_offences_per_100k",
    "disputes_defused_per_100k", "security_abuse_per_100k", "stops_per_100k", "abuse_per_100k",
    "bribes_per_100k", "expected_homicide_rate", "arrivals_per_100k", "border_crossings_per_100k",
    "extraditions_per_100k", "record_arrests_per_100k", "wanted_arrests_per_100k",
    "wanted_identified_per_100k",
)
_STOCKS_PER_100K = (
    "backlog_per_100k", "prisoners_per_100k", "pretrial_per_100k", "juveniles_held_per_100k",
    "supervised_per_100k", "gang_members_per_100k", "youth_in_programmes_per_100k",
    "guards_per_100k",
)
_PER_1000 = ("victimisation_poorest_quartile", "victimisation_richest_quartile")
_SHARES = (
    "reporting_rate", "dark_figure", "arrests_per_recorded_crime", "conviction_rate",
    "unsentenced_share", "alternatives_share", "network_violence_share", "network_homicide_share",
    "retaliation_homicide_share", "firearm_homicide_share", "firearms_availability",
    "share_crime_top5_blocks", "share_blocks_half_crime", "share_crime_top5_blocks_whole_run",
    "share_blocks_half_crime_whole_run", "repeat_victimisation_share",
    "repeat_victimisation_chance", "clearance_rate", "corrupt_share", "survey_victimisation_rate",
    "true_victimisation_prevalence", "cohort_chronic_share", "cohort_offences_by_chronic",
    "cohort_offences_by_top_6pct", "mean_trust", "mean_fear", "punitive_support",
    "private_security_demand", "programme_level", "record_arrest_share", "record_clearance",
    *(f"rearrest_{k}y" for k in (1, 2, 3)), *(f"reimprisonment_{k}y" for k in (1, 2, 3)),
)
_QUANTITIES = {
    "wait_days": "days from arrest to verdict", "retaliation_lag_mean": "days",
    "response_minutes": "minutes", "victimisation_gap": "ratio (poorest / richest quarter)",
    "prison_occupancy": "ratio (adult prisoners / places)",
    "spending_per_resident": "US dollars per resident a year",
    "crime_cost_per_resident": "US dollars per resident a year",
    "social_cost_per_resident": "US dollars per resident a year",
    "firearms_stock": "level (1 = the status quo's illegal firearms)",
    "drug_revenue": "level (1 = the status quo's drug-market revenue)",
}
_SUMMARY_ONLY = {
    "share_crime_top5_blocks_whole_run", "share_blocks_half_crime_whole_run",
    "cohort_chronic_share", "cohort_offences_by_chronic", "cohort_offences_by_top_6pct",
    *(f"rearrest_{k}y" for k in (1, 2, 3)), *(f"reimprisonment_{k}y" for k in (1, 2, 3)),
}
_ANNUAL_ONLY = {"convictions_per_100k", "alternatives_per_100k", *_PER_1000}


def _where(name: str) -> str:
    return "summary" if name in _SUMMARY_ONLY else "annual" if name in _ANNUAL_ONLY else "both"


INDICATORS: dict[str, Indicator] = {
    **{n: Indicator(n, "rate", "per 100,000 residents a year", 100_000, _where(n))
       for n in _FLOWS_PER_100K},
    **{n: Indicator(n, "rate", "per 100,000 residents (mean over the year)", 100_000, _where(n))
       for n in _STOCKS_PER_100K},
    **{n: Indicator(n, "rate", "victimisations per 1,000 residents a year", 1_000, _where(n))
       for n in _PER_1000},
    **{n: Indicator(n, "share", "share (0-1)", where=_where(n)) for n in _SHARES},
    **{n: Indicator(n, "quantity", unit, where=_where(n)) for n, unit in _QUANTITIES.items()},
}
"""The indicators a target may name: the numeric keys of the run's summary and columns of its
annual table that do not grow with the size of the simulated city. tests/test_targets.py
checks this list against a real run, so a new indicator must be added here (or to
`NOT_TARGETS`)."""

NOT_TARGETS: frozenset[str] = frozenset({
    "year", "days", "residents", "true_crimes", "reported_crimes", "recorded_crimes",
    *(f"{level}_{crime}" for level in LEVELS for crime in CRIME_TYPES),
    "arrests", "births", "deaths", "renewed_blocks", "cohort_size", "survey_ci_low",
    "survey_ci_high", "survey_sample", "crime_cost", "spending_total",
    *(f"spending_{lever}" for lever in SPENDING_LEVERS), *SPENDING_GROUPS,
})
"""Numeric summary keys and annual columns that cannot be targets: counts and money totals of
the simulated city (which is smaller than a real one: use the rate instead), the survey's
own interval and sample, and bookkeeping (year, days, residents)."""

SURVEY_INDICATORS: dict[str, str] = {"survey_victimisation_rate": "true_victimisation_prevalence"}
"""Survey estimates and the true prevalence the observation model samples them from."""

COLUMNS = ("indicator", "value", "se", "low", "high", "level", "period", "per", "geography",
           "source", "sample_size", "note")
"""Columns of a target file, in the order `write_targets` writes them."""
REQUIRED = ("indicator", "value", "source")
DEFAULT_LEVEL = 0.9
_SHARE_FORMS = {"share": 1, "probability": 1, "proportion": 1, "percent": 100, "%": 100}
"""Accepted ``per`` of a share, and what the value is divided by."""
_YEAR = r"(\d{4})"
_GROUPED_NUMBER = re.compile(r"^\d{1,3}(?:[.,\s]\d{3})+$")
_PERIOD = re.compile(rf"^{_YEAR}(?:\s*[-\u2013\u2014]\s*{_YEAR})?$")

FRAME_COLUMNS = ("label", "indicator", "value", "se", "low", "high", "level", "period",
                 "period_start", "period_end", "year_start", "year_end", "unit", "geography",
                 "source", "sample_size", "note", "row")
"""Columns of `Targets.frame`: values, se and interval in the model's unit; ``period_start``
and ``period_end`` the calendar years (empty for the whole run); ``year_start`` and
``year_end`` the simulated recorded years they map to (1 = the first year after warm-up);
``row`` the data row the target came from."""


# --------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Targets:
    """A validated set of targets.

    Attributes:
        frame: one row per target, columns `FRAME_COLUMNS`, in the model's units.
        origin: where they came from (a file path, ``builtin:north-carolina``, ...).
        first_year: the calendar year that is simulated year 1 (None if no row has a period).
    """

    frame: pd.DataFrame
    origin: str
    first_year: int | None = None

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def labels(self) -> list[str]:
        """One unique label per target: ``indicator`` or ``indicator@period``."""
        return list(self.frame["label"])

    @property
    def values(self) -> pd.Series:
        """The observed values, indexed by label."""
        return pd.Series(self.frame["value"].to_numpy(), index=self.labels, name="value")

    @property
    def se(self) -> pd.Series:
        """The standard errors, indexed by label."""
        return pd.Series(self.frame["se"].to_numpy(), index=self.labels, name="se")

    def to_csv(self, path: str | Path) -> Path:
        """Write the targets as a target file (see `write_targets`)."""
        return write_targets(self, path)


def _location(origin: str, row: int | None, line: int | None, column: str | None) -> str:
    where = origin
    if row is not None:
        where += f", data row {row}" + (f" (line {line})" if line is not None else "")
    elif line is not None:
        where += f", line {line}"
    if column:
        where += f", column {column}"
    return where


def _is_empty(cell: Any) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float) and math.isnan(cell):
        return True
    return isinstance(cell, str) and cell.strip() == ""


def _text(cell: Any) -> str:
    return "" if _is_empty(cell) else str(cell).strip()


class _RowChecker:
    """Collects the problems of one record."""

    def __init__(self, origin: str, row: int, line: int | None, decimal_comma: bool) -> None:
        self.origin, self.row, self.line, self.decimal_comma = origin, row, line, decimal_comma
        self.problems: list[str] = []

    def fail(self, column: str | None, message: str) -> None:
        self.problems.append(f"{_location(self.origin, self.row, self.line, column)}: {message}")

    def number(self, record: Mapping[str, Any], column: str) -> float | None:
        cell = record.get(column)
        if _is_empty(cell):
            return None
        if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
            value = float(cell)
        else:
            text = str(cell).strip()
            if self.decimal_comma:
                text = text.replace(",", ".")
            try:
                value = float(text)
            except ValueError:
                self.fail(column, f"'{cell}' is not a number; write digits with a decimal point "
                                  "and no thousands separator, e.g. 2800 or 0.28")
                return None
        if not math.isfinite(value):
            self.fail(column, f"'{cell}' is not a finite number")
            return None
        return value


def _parse_period(text: str) -> tuple[int, int] | None | str:
    """(start, end) calendar years, None for the whole run, or an error message."""
    if text == "" or text.lower() == "all":
        return None
    match = _PERIOD.match(text)
    if not match:
        return (f"bad period '{text}': use a year like 2019, a range like 2015-2019, or leave it "
                "empty (or write all) for the whole run")
    start = int(match.group(1))
    end = int(match.group(2) or start)
    if end < start:
        return f"period '{text}' runs backwards: write the earlier year first, e.g. {end}-{start}"
    return start, end


def _suggest(name: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.6)
    return f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""


def _check_indicator(name: str, fail: Any) -> Indicator | None:
    indicator = INDICATORS.get(name)
    valid = f"(valid: {', '.join(INDICATORS)})"
    if not name:
        fail("indicator", "the indicator is empty; write a model indicator such as "
                          "recorded_crime_rate (docs/calibration-data.md lists them)")
    elif indicator is None and name in NOT_TARGETS:
        close = difflib.get_close_matches(name, list(INDICATORS), n=2, cutoff=0.6)
        example = f", such as {' or '.join(repr(c) for c in close)}" if close else ""
        fail("indicator", f"'{name}' is a count or total of the simulated city, which is smaller "
                          "than a real one, so it cannot be compared with data; use a rate or a "
                          f"share instead{example} {valid}")
    elif indicator is None:
        fail("indicator", f"'{name}' is not a model indicator; {_suggest(name, INDICATORS)}{valid}")
    return indicator


def _check_uncertainty(record: Mapping[str, Any], checker: _RowChecker, value: float | None,
                       ) -> tuple[float | None, float | None, float | None, float | None]:
    """se, low, high and level as given (any may be None)."""
    fail = checker.fail
    se, low, high, level = (checker.number(record, c) for c in ("se", "low", "high", "level"))
    has_se, has_low, has_high = (not _is_empty(record.get(c)) for c in ("se", "low", "high"))
    if has_se and (has_low or has_high):
        fail("se", "give either se or low and high, not both")
    elif not has_se and not has_low and not has_high:
        fail("se", "missing uncertainty: give se, or low and high (a target without uncertainty "
                   "cannot be weighed against the others)")
    elif not has_se and has_low != has_high:
        fail("high" if has_low else "low", "an interval needs both low and high")
    if se is not None and se <= 0:
        fail("se", f"se must be positive, got {se:g}; give the standard error of the value")
    if not _is_empty(record.get("level")) and not (has_low or has_high):
        fail("level", "level is the coverage of low and high; leave it empty when giving se")
    if level is not None and not 0 < level < 1:
        hint = f" (write {level / 100:g} for {level:g}%)" if 1 < level < 100 else ""
        fail("level", f"level must lie strictly between 0 and 1, got {level:g}{hint}")
    if low is not None and high is not None:
        if low > high:
            fail("low", f"low ({low:g}) is greater than high ({high:g}); swap them")
        elif low == high:
            fail("high", "low equals high: an interval needs a width (that is its uncertainty)")
        elif value is not None and not low <= value <= high:
            fail("value", f"value {value:g} lies outside its interval [{low:g}, {high:g}]")
    return se, low, high, level


def _scale(record: Mapping[str, Any], indicator: Indicator, fail: Any) -> tuple[float, float]:
    """(multiplier, divisor) that put a value given ``per`` on the model's scale."""
    given = record.get("per")
    per = _text(given).lower().replace("_", "")
    if _GROUPED_NUMBER.match(per):  # 100,000 or 100.000 or 100 000: a whole number
        per = re.sub(r"[.,\s]", "", per)
    if indicator.kind == "rate":
        if per in ("", str(indicator.base)):
            return 1.0, 1.0
        try:
            residents = float(per)
        except ValueError:
            residents = 0.0
        if residents > 0:
            return float(indicator.base), residents
        fail("per", f"'{given}' is not a population base for the rate '{indicator.name}'; write a "
                    f"number of residents (1 per person, 1000, 100000) or leave it empty for "
                    f"{indicator.base}")
    elif indicator.kind == "share":
        if per in ("", *_SHARE_FORMS):
            return 1.0, float(_SHARE_FORMS.get(per, 1))
        fail("per", f"'{given}' does not apply to '{indicator.name}', a 0-1 share; write share, "
                    "probability or percent, or leave it empty")
    elif per:
        fail("per", f"'{indicator.name}' is measured in {indicator.unit}; leave per empty")
    return 1.0, 1.0


def _check_record(record: Mapping[str, Any], checker: _RowChecker) -> dict[str, Any] | None:
    """Validate one record; return its tidy row (before periods become simulated years), or
    None after recording its problems in ``checker``."""
    fail = checker.fail
    name = _text(record.get("indicator"))
    indicator = _check_indicator(name, fail)
    value = checker.number(record, "value")
    if value is None and _is_empty(record.get("value")):
        fail("value", "the value is empty; write the observed figure")
    se, low, high, level = _check_uncertainty(record, checker, value)
    multiplier, divisor = _scale(record, indicator, fail) if indicator else (1.0, 1.0)
    period = _parse_period(_text(record.get("period")))
    if isinstance(period, str):
        fail("period", period)
        period = None
    elif period is not None and indicator is not None and indicator.where == "summary":
        fail("period", f"'{name}' exists only for the whole run; leave period empty or write all")
    sample_size = checker.number(record, "sample_size")
    if sample_size is not None and (sample_size < 1 or sample_size != int(sample_size)):
        fail("sample_size", f"sample_size must be a positive whole number, got "
                            f"{record.get('sample_size')}")
    elif sample_size is not None and indicator is not None and name not in SURVEY_INDICATORS:
        fail("sample_size", f"sample_size is used only for survey indicators "
                            f"({', '.join(SURVEY_INDICATORS)}); leave it empty for '{name}'")
    source = _text(record.get("source"))
    if not source:
        fail("source", "source is required: say who published the figure (or 'made-up example')")
    if checker.problems or indicator is None or value is None:
        return None

    value, low, high, se = (None if x is None else x * multiplier / divisor
                            for x in (value, low, high, se))
    if se is None:
        level = DEFAULT_LEVEL if level is None else level
        se = (high - low) / (2 * norm.ppf(0.5 + level / 2))
    if value < 0:
        fail("value", f"'{name}' cannot be negative, got {value:g}")
    elif indicator.kind == "share" and value > 1:
        hint = f" (write {value / 100:g}, or set per to percent)" if divisor == 1 and value <= 100 else ""
        fail("value", f"'{name}' is a share between 0 and 1, got {value:g}{hint}")
    if checker.problems:
        return None
    start, end = period if period is not None else (None, None)
    return {
        "indicator": name, "value": value, "se": se, "low": low, "high": high,
        "level": level if low is not None else None,
        "period": "" if period is None else (f"{start}" if start == end else f"{start}-{end}"),
        "period_start": start, "period_end": end, "unit": indicator.unit,
        "geography": _text(record.get("geography")), "source": source,
        "sample_size": None if sample_size is None else int(sample_size),
        "note": _text(record.get("note")), "row": checker.row,
    }


def targets_from_records(
    records: Iterable[Mapping[str, Any]],
    origin: str = "targets",
    first_year: int | None = None,
    lines: Sequence[int] | None = None,
    decimal_comma: bool = False,
) -> Targets:
    """Validate records (mappings with the columns of a target file) into `Targets`.

    Cells may be strings as read from a CSV or numbers; empty strings, None and NaN are empty.
    This is what `load_targets` does after reading the file.

    Args:
        records: one mapping per target, keys among `COLUMNS`.
        origin: the name used in error messages (the file).
        first_year: the calendar year that is simulated year 1; default: the earliest year
            named in the records' periods.
        lines: the file line of each record, for error messages.
        decimal_comma: numbers use a decimal comma (semicolon-separated files).

    Raises:
        TargetError: every problem found, each naming origin, data row, column and fix.
    """
    records = list(records)
    if not records:
        raise TargetError(f"{origin}: there are no targets; add one row per target under the "
                          f"header ({','.join(COLUMNS)})")
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        unknown = [key for key in record if key not in COLUMNS]
        line = lines[index] if lines is not None else None
        checker = _RowChecker(origin, index + 1, line, decimal_comma)
        for key in unknown:
            checker.fail(str(key), f"unknown column '{key}'; {_suggest(str(key), COLUMNS)}"
                                   f"(valid columns: {', '.join(COLUMNS)})")
        row = _check_record(record, checker)
        problems += checker.problems
        if row is not None:
            row["line"] = line
            rows.append(row)
    problems += _overlaps(rows, origin)
    years = [row["period_start"] for row in rows if row["period_start"] is not None]
    if first_year is None and years:
        first_year = min(years)
    for row in rows:
        if row["period_start"] is None:
            row["year_start"] = row["year_end"] = None
            continue
        if row["period_start"] < first_year:
            problems.append(f"{_location(origin, row['row'], row['line'], 'period')}: period "
                            f"{row['period']} starts before the first simulated year {first_year}")
        row["year_start"] = row["period_start"] - first_year + 1
        row["year_end"] = row["period_end"] - first_year + 1
    if problems:
        raise TargetError(problems)
    for row in rows:
        row["label"] = row["indicator"] + (f"@{row['period']}" if row["period"] else "")
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    for column in ("value", "se", "low", "high", "level"):
        frame[column] = frame[column].astype(float)
    for column in ("period_start", "period_end", "year_start", "year_end", "sample_size", "row"):
        frame[column] = frame[column].astype("Int64")
    for column in ("label", "indicator", "period", "unit", "geography", "source", "note"):
        frame[column] = frame[column].astype(str)
    return Targets(frame=frame, origin=origin, first_year=first_year if years else None)


def _overlaps(rows: list[dict[str, Any]], origin: str) -> list[str]:
    """Two rows of one indicator whose periods overlap count the same data twice."""
    problems = []
    seen: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        for other in seen.get(row["indicator"], []):
            whole = row["period_start"] is None or other["period_start"] is None
            if whole or (row["period_start"] <= other["period_end"]
                         and other["period_start"] <= row["period_end"]):
                what = row["period"] or "the whole run"
                problems.append(
                    f"{_location(origin, row['row'], row['line'], 'period')}: duplicated target: "
                    f"'{row['indicator']}' for {what} overlaps data row {other['row']} "
                    f"({other['period'] or 'the whole run'}); keep one row per indicator and "
                    "period")
                break
        seen.setdefault(row["indicator"], []).append(row)
    return problems


def load_targets(path: str | Path, first_year: int | None = None) -> Targets:
    """Read and validate a target file (CSV; comma-, semicolon- or tab-separated, UTF-8).

    A semicolon- or tab-separated file may use a decimal comma (``0,25``). Header names are
    matched without regard to case or surrounding spaces; rows whose cells are all empty are
    skipped.

    Args:
        path: the CSV file.
        first_year: the calendar year that is simulated year 1 (default: the earliest year in
            the file's periods).

    Raises:
        TargetError: the file is missing, empty, has unknown or missing columns, or invalid
            rows; the message names the file, data row (and line), column and fix.
    """
    path = Path(path)
    origin = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TargetError(f"{origin}: no such file; give the path of a target CSV or "
                          "builtin:north-carolina") from None
    except UnicodeDecodeError:
        raise TargetError(f"{origin}: the file is not UTF-8 text; save it as CSV UTF-8") from None
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise TargetError(f"{origin}: the file is empty; it needs a header line "
                          f"({','.join(COLUMNS)}) and one row per target")
    header_line = next(line for line in lines if line.strip())
    delimiter = max((",", ";", "\t"), key=header_line.count)
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter)
    header: list[str] = []
    records, record_lines = [], []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if not header:
            header = [cell.strip().lower() for cell in cells]
            header_at = reader.line_num
            _check_header(header, origin, header_at)
            continue
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
            raise TargetError(f"{_location(origin, len(records) + 1, reader.line_num, None)}: "
                              f"{len(cells)} cells but the header has {len(header)} columns; a "
                              "value containing the separator must be quoted")
        records.append(dict(zip(header, cells)))
        record_lines.append(reader.line_num)
    return targets_from_records(records, origin, first_year, record_lines,
                                decimal_comma=delimiter != ",")


def _check_header(header: list[str], origin: str, line: int) -> None:
    problems = []
    for column in header:
        if column not in COLUMNS:
            problems.append(f"{origin}, header (line {line}), column {column or '(empty)'}: "
                            f"unknown column '{column}'; {_suggest(column, COLUMNS)}"
                            f"(valid columns: {', '.join(COLUMNS)})")
    for column in sorted({c for c in header if header.count(c) > 1}):
        problems.append(f"{origin}, header (line {line}), column {column}: the column appears "
                        "twice; keep one")
    for column in REQUIRED:
        if column not in header:
            problems.append(f"{origin}, header (line {line}), column {column}: required column "
                            f"'{column}' is missing (required: {', '.join(REQUIRED)})")
    if "se" not in header and not {"low", "high"} <= set(header):
        problems.append(f"{origin}, header (line {line}), column se: no uncertainty columns; "
                        "add se, or low and high")
    if problems:
        raise TargetError(problems)


def _cell(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)


def write_targets(targets: Targets, path: str | Path) -> Path:
    """Write targets as a target file that `load_targets` reads back to the same frame.

    Values are written in the model's unit with ``per`` spelled out; intervals as ``low``,
    ``high`` and ``level``, other rows with ``se``; periods as calendar years.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in targets.frame.itertuples(index=False):
            indicator = INDICATORS[row.indicator]
            interval = not pd.isna(row.low)
            per = str(indicator.base) if indicator.kind == "rate" else (
                "share" if indicator.kind == "share" else "")
            writer.writerow([
                row.indicator, _cell(row.value), "" if interval else _cell(row.se),
                _cell(row.low), _cell(row.high), _cell(row.level) if interval else "",
                row.period, per, row.geography, row.source, _cell(row.sample_size), row.note,
            ])
    return path


def targets_from_summary(
    summary: Mapping[str, Any],
    indicators: Iterable[str] | None = None,
    relative_se: float = 0.1,
    source: str = "synthetic: a simulated run's summary",
    origin: str = "synthetic",
) -> Targets:
    """Synthetic whole-run targets from a run's summary, each with se = relative_se x |value|.

    For recovery tests: calibrate against a run whose parameters are known.

    Args:
        summary: a `RunResult.summary`.
        indicators: which summary keys to use; default every indicator of `INDICATORS` in the
            summary whose value is finite and non-zero (a zero value would get a zero se).
        relative_se: the standard error as a share of the value.
        source, origin: recorded in every row and in the result.

    Raises:
        ValueError: relative_se is not positive, or a requested indicator is missing, NaN or
            zero in the summary.
        TargetError: a requested name is not a target indicator.
    """
    if not relative_se > 0:
        raise ValueError(f"relative_se must be positive, got {relative_se}")
    if indicators is None:
        names = [name for name in INDICATORS if name in summary
                 and np.isfinite(summary[name]) and summary[name] != 0]
    else:
        names = list(indicators)
        for name in names:
            if name in INDICATORS and name not in summary:
                raise ValueError(f"'{name}' is not in the run's summary (it is in the annual "
                                 "table only); choose a summary indicator")
            if name in summary and not (np.isfinite(summary[name]) and summary[name] != 0):
                raise ValueError(f"'{name}' is {summary[name]} in this run: a synthetic target "
                                 "needs a finite, non-zero value (run longer or larger)")
    records = [{"indicator": name, "value": float(summary[name]) if name in summary else None,
                "se": relative_se * abs(float(summary[name])) if name in summary else None,
                "source": source, "note": f"relative se {relative_se:g}"} for name in names]
    return targets_from_records(records, origin)
