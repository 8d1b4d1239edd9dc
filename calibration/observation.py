"""The observation model: what the data would show if the simulated city were the real one.

Calibration compares targets (calibration/targets.py) with statistics of a run. Between the
two stands the process that produced the data, which the model's own indicators do not
always include:

* Recorded crime. The model's ``recorded_crime_rate`` already carries the city's own dark
  figure: a crime is recorded if the police witness it, answer it with an arrest attempt, it
  is a homicide, or a victim reports it (``reporting_rate``, moved by trust) and the police
  write it down (``reporting.recording_probability``). Published statistics may still miss
  some of the crimes the police recorded (agencies that do not send their figures, crimes
  reclassified). `ObservationModel.recording_completeness` c is that share:
  observed recorded rate = c x the model's recorded rate, and the observed dark figure
  1 - c (1 - the model's dark figure). Arrests per recorded crime are left as the model counts
  them: the data take arrests and offences from the same agencies, so the missing share
  cancels. The default c = 1 adds nothing.
* Surveys. A survey estimate carries sampling error. For a survey indicator (the
  victimisation survey's ``survey_victimisation_rate``) the observation is drawn as
  Binomial(n, p) / n from the run's true prevalence p (``true_victimisation_prevalence``,
  which a real survey never sees), with n the target's ``sample_size`` or, without one, the
  model's survey sample (``survey.sample_size``). A target over several years is one survey of
  n respondents of the period's mean prevalence.
* Population. Every rate of the model is per resident of the simulated city (per 100,000 or
  per 1,000); the loader has put each target on that scale (its ``per`` column).
* Periods. A target with a period is compared with the day-weighted mean of the simulated
  years it maps to (``year_start`` to ``year_end`` of `Targets.frame`); a target for the whole
  run with the run's summary, or, for indicators of the annual table only, the day-weighted
  mean of all its years (as the summary averages).

`observe` takes a `simulation.run.RunResult` or plain data (a summary mapping and the annual
table as a DataFrame or list of row mappings), so that workers can ship runs between processes
as plain data. A statistic the run cannot give (no release followed for three years, no
crime) comes back NaN: the calibration's distance decides what to do with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibration.targets import SURVEY_INDICATORS, Targets
from simulation.params import SurveyParams


@dataclass(frozen=True)
class ObservationModel:
    """How the data see the simulated city.

    Attributes:
        recording_completeness: share of police-recorded crimes that reach the published
            statistics (0 < c <= 1; 1: all of them).
        survey_sampling: draw survey indicators with sampling error (False: the true
            prevalence, for tests of the rest of the pipeline).
    """

    recording_completeness: float = 1.0
    survey_sampling: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.recording_completeness <= 1:
            raise ValueError(f"recording_completeness must lie in (0, 1], got "
                             f"{self.recording_completeness}: it is the share of recorded "
                             "crimes that the published statistics contain")


RunData = Any
"""A RunResult, a mapping with keys ``summary`` and ``annual``, or a (summary, annual) pair."""


def run_data(run: RunData) -> tuple[Mapping[str, Any], pd.DataFrame, int]:
    """The summary, annual table and survey sample size of a run given in any accepted form."""
    params = getattr(run, "params", None)
    if hasattr(run, "summary") and hasattr(run, "annual"):
        summary, annual = run.summary, run.annual
    elif isinstance(run, Mapping):
        summary, annual = run["summary"], run.get("annual")
    elif isinstance(run, Sequence) and len(run) == 2:
        summary, annual = run
    else:
        raise TypeError("observe needs a RunResult, a mapping with 'summary' and 'annual', or a "
                        f"(summary, annual) pair; got {type(run).__name__}")
    annual = pd.DataFrame(annual if annual is not None else [])
    if params is not None:
        sample = params.survey.sample_size
    elif "survey_sample" in annual and annual["survey_sample"].notna().any():
        sample = int(round(float(annual["survey_sample"].max())))
    else:
        sample = SurveyParams().sample_size
    return summary, annual, sample


def _mean_over(annual: pd.DataFrame, column: str) -> float:
    """Mean over the rows weighted by their days, ignoring years without a value (as the
    run's summary averages)."""
    if column not in annual or annual.empty:
        return float("nan")
    values = annual[column].to_numpy(dtype=float)
    days = annual["days"].to_numpy(dtype=float) if "days" in annual else np.ones(len(values))
    known = ~np.isnan(values)
    return float((values[known] * days[known]).sum() / days[known].sum()) if known.any() else float("nan")


def _statistic(indicator: str, start: Any, end: Any, summary: Mapping[str, Any],
               annual: pd.DataFrame, label: str) -> float:
    """The run's value of ``indicator`` over simulated years start..end (None: whole run)."""
    if pd.isna(start):
        if indicator in summary:
            return float(summary[indicator])
        return _mean_over(annual, indicator)
    start, end = int(start), int(end)
    recorded = 0 if annual.empty else int(annual["year"].max())
    if end > recorded:
        raise ValueError(f"target {label} needs simulated years {start}-{end}, but the run "
                         f"recorded {recorded}; run at least {end} years")
    if indicator not in annual:
        raise ValueError(f"target {label}: the annual table has no column '{indicator}'")
    return _mean_over(annual[(annual["year"] >= start) & (annual["year"] <= end)], indicator)


def observe(
    run: RunData,
    targets: Targets,
    rng: np.random.Generator,
    model: ObservationModel | None = None,
) -> pd.Series:
    """The simulated statistics the targets are compared with, one per target.

    Args:
        run: a `simulation.run.RunResult`, or plain data: ``{"summary": ..., "annual": ...}``
            or ``(summary, annual)``, the annual table as a DataFrame or list of row mappings.
        targets: what to observe (`calibration.targets.Targets`).
        rng: draws the survey sampling error (reproducible for a given generator state).
        model: the observation model; default `ObservationModel()`.

    Returns:
        A float Series indexed by ``targets.labels``, in the targets' unit (the model's).

    Raises:
        ValueError: a target's period lies beyond the years the run recorded.
    """
    model = model or ObservationModel()
    summary, annual, default_sample = run_data(run)
    completeness = model.recording_completeness
    frame = targets.frame
    values = []
    for name, start, end, sample, label in zip(
            *(frame[column].tolist() for column in
              ("indicator", "year_start", "year_end", "sample_size", "label"))):
        if name in SURVEY_INDICATORS and model.survey_sampling:
            prevalence = _statistic(SURVEY_INDICATORS[name], start, end, summary, annual, label)
            sample = default_sample if pd.isna(sample) else int(sample)
            value = (rng.binomial(sample, prevalence) / sample if np.isfinite(prevalence)
                     else float("nan"))
        elif name in SURVEY_INDICATORS:
            value = _statistic(SURVEY_INDICATORS[name], start, end, summary, annual, label)
        else:
            value = _statistic(name, start, end, summary, annual, label)
            if name == "recorded_crime_rate":
                value *= completeness
            elif name == "dark_figure":
                value = 1.0 - completeness * (1.0 - value)
        values.append(value)
    return pd.Series(values, index=targets.labels, dtype=float, name="simulated")

