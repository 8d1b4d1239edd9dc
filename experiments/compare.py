"""Comparing scenarios: headline indicators, paired differences and the chance that A beats B.

An experiment runs every scenario with the same replicate seeds (common random numbers), so run
``r`` of scenario A and run ``r`` of scenario B share their random draws, and their difference
is mostly the difference of policy. The functions here use that pairing:

* `headline`: each scenario's mean over replicates with a 95% Student t interval of the mean,
  and the 2.5 and 97.5 percentiles of the replicates (the spread of single runs).
* `differences`: scenario minus reference, paired by replicate (only replicates that finished
  in both), with a 95% t interval of the mean paired difference, the relative difference and
  P(scenario beats reference): the share of pairs in which the scenario did better, ties
  counting one half. That share is the empirical common-language effect size of paired data
  (McGraw & Wong 1992, "A common language effect size statistic", Psychological Bulletin 111).
* `costs_and_benefits`: per scenario against the reference, the extra spending, crimes and
  homicides averted, cost per crime averted, the net benefit (the cost of crime averted minus
  the extra spending) and P(benefits exceed costs), the share of pairs with a positive net
  benefit.
* `monthly_bands`, `neighbourhood_differences`, `failures`: the time series, the map and the
  runs that failed.

Every function takes the store's tidy tables (`ResultsStore.table`) and returns a tidy
DataFrame with a ``scenario`` column (the store's ``point``). Indicators are declared once, in
`INDICATORS`; a row whose column is absent from the summary table is skipped, so adding a row
is all it takes for a new model output to appear in the comparison and the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from simulation.params import CRIME_TYPES

CONFIDENCE = 0.95
SPREAD = (2.5, 97.5)
"""Percentiles of single runs shown beside the interval of the mean."""
DAYS_PER_YEAR = 365

Direction = Literal["lower", "higher"] | None


@dataclass(frozen=True)
class Indicator:
    """A headline indicator: a column of the summary table and how to read it.

    Attributes:
        column: the column of the runs' summary table (simulation/indicators.py `summary`).
        label: what it measures, in plain words.
        format: a format spec for its values (``",.0f"``; ``".1%"`` for shares, whose
            differences are shown in percentage points).
        better: which direction is better for the public, or None where that is a matter of
            judgement (P(beats) is then not computed).
        group: the section it belongs to: "crime", "police and justice", "equity",
            "human rights", "information", "youth and prevention", "money" (or a new group a
            later issue adds).
    """

    column: str
    label: str
    format: str
    better: Direction
    group: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator("true_crime_rate", "Crimes committed per 100,000 residents a year (true crime)",
              ",.0f", "lower", "crime"),
    Indicator("recorded_crime_rate", "Crimes recorded by the police per 100,000 residents a year",
              ",.0f", "lower", "crime"),
    Indicator("homicide_rate", "Homicides per 100,000 residents a year", ",.1f", "lower", "crime"),
    Indicator("arrest_rate", "Arrests per 100,000 residents a year", ",.0f", None,
              "police and justice"),
    Indicator("survey_victimisation_rate",
              "Residents victimised in the last 12 months (victimisation survey)", ".1%", "lower",
              "crime"),
    Indicator("mean_fear", "Fear of crime (mean, 0-1)", ".2f", "lower", "crime"),
    Indicator("punitive_support", "Support for mano dura (share, driven by fear)", ".1%", None,
              "information"),
    Indicator("private_security_demand", "Demand for private security (0-1)", ".2f", None,
              "equity"),
    Indicator("arrests_per_recorded_crime", "Arrests per recorded crime", ".2f",
              "higher", "police and justice"),
    Indicator("clearance_rate", "Open cases cleared by investigation", ".1%", "higher",
              "police and justice"),
    Indicator("response_minutes", "Response time to calls (minutes)", ",.0f", "lower",
              "police and justice"),
    Indicator("rearrest_1y", "Re-arrested within a year of release from prison", ".1%", "lower",
              "police and justice"),
    Indicator("rearrest_3y", "Re-arrested within 3 years of release from prison", ".1%", "lower",
              "police and justice"),
    Indicator("reimprisonment_3y", "Back in prison within 3 years of release", ".1%", "lower",
              "police and justice"),
    Indicator("wait_days", "Days from arrest to verdict (mean)", ",.0f", "lower",
              "police and justice"),
    Indicator("conviction_rate", "Cases tried that end in conviction", ".1%", None,
              "police and justice"),
    Indicator("alternatives_share", "Convictions given an alternative to prison", ".1%", None,
              "police and justice"),
    Indicator("victims_assisted_per_100k", "Victims assisted per 100,000 residents a year",
              ",.0f", "higher", "police and justice"),
    Indicator("repeat_victimisation_share", "Share of victimisations suffered by repeat victims",
              ".1%", "lower", "crime"),
    Indicator("mean_trust", "Trust in the police (mean, 0-1)", ".2f", "higher",
              "police and justice"),
    Indicator("corrupt_share", "Share of officers who take bribes (end of run)", ".1%", "lower",
              "police and justice"),
    Indicator("gang_members_per_100k", "Young people in street gangs per 100,000 residents",
              ",.0f", "lower", "youth and prevention"),
    Indicator("youth_offences_per_100k", "Offences by 12-24-year-olds per 100,000 residents a year",
              ",.0f", "lower", "youth and prevention"),
    Indicator("network_homicide_share", "Share of homicides involving a gang member",
              ".1%", "lower", "youth and prevention"),
    Indicator("youth_in_programmes_per_100k", "Young people in prevention programmes per 100,000",
              ",.0f", None, "youth and prevention"),
    Indicator("guards_per_100k", "Private security guards per 100,000 residents", ",.0f", None,
              "equity"),
    Indicator("security_abuse_per_100k",
              "Abuses by private security guards per 100,000 residents a year", ",.1f", "lower",
              "human rights"),
    # No "better" direction: the ratio is best at 1 (equal victimisation), and may sit on
    # either side of it.
    Indicator("victimisation_gap",
              "Victimisation gap: poorest vs richest quarter of neighbourhoods (ratio; 1 = equal)",
              ".2f", None, "equity"),
    Indicator("share_crime_top5_blocks", "Share of crime in the 5% of blocks with most crime",
              ".1%", None, "equity"),
    Indicator("prisoners_per_100k", "Prisoners per 100,000 residents, pre-trial included",
              ",.0f", None, "human rights"),
    Indicator("unsentenced_share", "Share of prisoners held without sentence (SDG 16.3.2)",
              ".1%", "lower", "human rights"),
    Indicator("prison_occupancy", "Prison occupancy (prisoners per place)", ".0%", "lower",
              "human rights"),
    Indicator("abuse_per_100k", "Incidents of police abuse per 100,000 residents a year",
              ",.1f", "lower", "human rights"),
    Indicator("stops_per_100k", "Stop-and-searches per 100,000 residents a year", ",.0f",
              "lower", "human rights"),
    Indicator("spending_per_resident", "Public spending on security per resident a year (USD)",
              ",.2f", None, "money"),
    Indicator("crime_cost_per_resident",
              "Cost of crime to victims and society per resident a year (USD)", ",.0f", "lower",
              "money"),
    Indicator("social_cost_per_resident",
              "Spending plus the cost of crime per resident a year (USD)", ",.0f", "lower",
              "money"),
    *(Indicator(f"spending_pillar_{pillar.replace('-', '_').replace(' ', '_')}",
                f"Spending on {pillar} (USD a year)", ",.0f", None, "money")
      for pillar in ("public-security management", "prevention of crime and violence",
                     "police management", "citizen and community participation",
                     "international cooperation")),
    Indicator("reporting_rate", "Share of crimes that victims report", ".1%", "higher",
              "information"),
    Indicator("dark_figure", "Dark figure: share of crimes never recorded", ".1%", "lower",
              "information"),
)
"""The headline indicators, in the order the report shows them. Add a row to add one."""


@dataclass(frozen=True)
class MonthlySeries:
    """A monthly time series: the sum of some columns of the monthly table."""

    name: str
    label: str
    columns: tuple[str, ...]


MONTHLY_SERIES: tuple[MonthlySeries, ...] = (
    MonthlySeries("true_crimes", "Crimes committed per month (true)",
                  tuple(f"true_{crime}" for crime in CRIME_TYPES)),
    MonthlySeries("recorded_crimes", "Crimes recorded per month",
                  tuple(f"recorded_{crime}" for crime in CRIME_TYPES)),
    MonthlySeries("homicides", "Homicides per month", ("true_homicide",)),
    MonthlySeries("arrests", "Arrests per month", ("arrests",)),
    MonthlySeries("prisoners", "Prisoners, pre-trial included (monthly average)", ("prisoners",)),
)


@dataclass(frozen=True)
class NeighbourhoodMeasure:
    """A per-neighbourhood outcome compared between scenarios."""

    name: str
    label: str


NEIGHBOURHOOD_MEASURES: tuple[NeighbourhoodMeasure, ...] = (
    NeighbourhoodMeasure("victimisation_rate",
                         "Victimisations of residents per 1,000 residents a year"),
    NeighbourhoodMeasure("true_crimes_per_1000",
                         "Crimes committed in the neighbourhood per 1,000 residents a year"),
)


def available_indicators(summary: pd.DataFrame,
                         indicators: Iterable[Indicator] | None = None) -> list[Indicator]:
    """The indicators (by default `INDICATORS`) whose column the summary table has: the model
    may not produce them yet."""
    indicators = INDICATORS if indicators is None else indicators
    return [indicator for indicator in indicators if indicator.column in summary.columns]


def ok_runs(summary: pd.DataFrame, scenarios: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of runs that finished, optionally only of some scenarios."""
    if summary.empty:
        return summary
    rows = summary[summary["status"] == "ok"]
    if scenarios is not None:
        rows = rows[rows["point"].isin(scenarios)]
    return rows


def mean_interval(values: Sequence[float] | np.ndarray,
                  confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and Student t interval of the mean: mean +- t(1 - alpha/2, n - 1) * s / sqrt(n).

    NaN values are ignored. With no value everything is NaN; with one value the interval is
    NaN (a single replicate says nothing about the spread).

    Returns:
        (mean, low, high).
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    if n == 1:
        return mean, np.nan, np.nan
    half_width = stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return mean, float(mean - half_width), float(mean + half_width)


def beats_share(differences: np.ndarray, better: Direction) -> float:
    """Share of paired differences (scenario - reference) in which the scenario is better.

    A tie counts one half; NaN when no direction is better or there is no pair.
    """
    if better is None or len(differences) == 0:
        return np.nan
    sign = np.sign(differences) if better == "higher" else -np.sign(differences)
    return float(np.mean((sign + 1) / 2))


def paired_statistics(scenario: np.ndarray, reference: np.ndarray,
                      better: Direction = None) -> dict[str, float]:
    """Statistics of the paired differences ``scenario - reference`` (pairs with a NaN dropped).

    Returns:
        n_pairs, reference_mean, scenario_mean, mean_difference, ci_low, ci_high (95% t
        interval), relative_difference (percent of the reference mean over the same pairs)
        and p_beats_reference (see `beats_share`).
    """
    scenario, reference = np.asarray(scenario, dtype=float), np.asarray(reference, dtype=float)
    both = ~(np.isnan(scenario) | np.isnan(reference))
    scenario, reference = scenario[both], reference[both]
    difference = scenario - reference
    mean_difference, low, high = mean_interval(difference)
    reference_mean = float(reference.mean()) if len(reference) else np.nan
    relative = (100 * mean_difference / reference_mean
                if reference_mean and np.isfinite(reference_mean) else np.nan)
    return {
        "n_pairs": int(len(difference)),
        "reference_mean": reference_mean,
        "scenario_mean": float(scenario.mean()) if len(scenario) else np.nan,
        "mean_difference": mean_difference,
        "ci_low": low,
        "ci_high": high,
        "relative_difference": relative,
        "p_beats_reference": beats_share(difference, better),
    }


def headline(summary: pd.DataFrame, scenarios: Sequence[str],
             indicators: Iterable[Indicator] | None = None) -> pd.DataFrame:
    """Each scenario's headline indicators over its finished replicates.

    Args:
        summary: the store's summary table (one row per run).
        scenarios: the scenarios to show, in order.
        indicators: the indicators (by default `INDICATORS`; absent columns skipped).

    Returns:
        One row per scenario and indicator: scenario, indicator, label, group, better, n (runs
        with a value), mean, ci_low and ci_high (95% t interval of the mean), p2_5 and p97_5
        (percentiles of single runs).
    """
    finished = ok_runs(summary, scenarios)
    rows = []
    for scenario in scenarios:
        runs = finished[finished["point"] == scenario] if not finished.empty else finished
        for indicator in available_indicators(summary, indicators):
            values = runs[indicator.column].to_numpy(dtype=float)
            values = values[~np.isnan(values)]
            mean, low, high = mean_interval(values)
            spread = np.percentile(values, SPREAD) if len(values) else (np.nan, np.nan)
            rows.append({"scenario": scenario, **_describe(indicator), "n": len(values),
                         "mean": mean, "ci_low": low, "ci_high": high,
                         "p2_5": float(spread[0]), "p97_5": float(spread[1])})
    return pd.DataFrame(rows, columns=["scenario", "indicator", "label", "group", "better", "n",
                                       "mean", "ci_low", "ci_high", "p2_5", "p97_5"])


def differences(summary: pd.DataFrame, scenarios: Sequence[str], reference: str,
                indicators: Iterable[Indicator] | None = None) -> pd.DataFrame:
    """Each scenario minus the reference, paired by replicate (common random numbers).

    Only replicates that finished in both scenarios (and have a value in both) are paired.

    Args:
        summary: the store's summary table.
        scenarios: the scenarios to compare; the reference among them is skipped.
        reference: the scenario every other is compared with (e.g. "baseline").
        indicators: the indicators (by default `INDICATORS`; absent columns skipped).

    Returns:
        One row per scenario and indicator: scenario, reference, indicator, label, group,
        better, and the columns of `paired_statistics`.
    """
    finished = ok_runs(summary, [*scenarios, reference])
    reference_runs = _by_replicate(finished, reference)
    rows = []
    for scenario in scenarios:
        if scenario == reference:
            continue
        pairs = _by_replicate(finished, scenario).merge(
            reference_runs, left_index=True, right_index=True, suffixes=_PAIR_SUFFIXES)
        for indicator in available_indicators(summary, indicators):
            rows.append({
                "scenario": scenario, "reference": reference, **_describe(indicator),
                **paired_statistics(pairs[f"{indicator.column}_scenario"].to_numpy(dtype=float),
                                    pairs[f"{indicator.column}_reference"].to_numpy(dtype=float),
                                    indicator.better),
            })
    return pd.DataFrame(rows, columns=["scenario", "reference", "indicator", "label", "group",
                                       "better", *_PAIRED_COLUMNS])


def monthly_bands(monthly: pd.DataFrame, scenarios: Sequence[str],
                  series: Sequence[MonthlySeries] = MONTHLY_SERIES) -> pd.DataFrame:
    """Monthly series of each scenario: mean and 2.5-97.5 percentile band over replicates.

    Args:
        monthly: the store's monthly table (one row per run and month).
        scenarios: the scenarios to include.
        series: what to plot (by default `MONTHLY_SERIES`; a series with a missing column is
            skipped).

    Returns:
        One row per scenario, series and month: scenario, series, label, month, n (runs),
        mean, p2_5, p97_5.
    """
    columns = ["scenario", "series", "label", "month", "n", "mean", "p2_5", "p97_5"]
    if monthly.empty:
        return pd.DataFrame(columns=columns)
    runs = monthly[monthly["point"].isin(scenarios)]
    frames = []
    for one in series:
        if not set(one.columns) <= set(monthly.columns):
            continue
        value = runs[list(one.columns)].sum(axis=1)
        grouped = value.groupby([runs["point"], runs["month"]])
        bands = pd.DataFrame({"n": grouped.count(), "mean": grouped.mean(),
                              "p2_5": grouped.quantile(SPREAD[0] / 100),
                              "p97_5": grouped.quantile(SPREAD[1] / 100)}).reset_index()
        frames.append(bands.rename(columns={"point": "scenario"})
                      .assign(series=one.name, label=one.label))
    if not frames:
        return pd.DataFrame(columns=columns)
    bands = pd.concat(frames, ignore_index=True)[columns]
    order = {"scenario": list(scenarios), "series": [one.name for one in series]}
    return (bands.sort_values(["scenario", "series", "month"], key=_in_order(order))
            .reset_index(drop=True))


def neighbourhood_differences(neighbourhoods: pd.DataFrame, summary: pd.DataFrame,
                              scenarios: Sequence[str], reference: str) -> pd.DataFrame:
    """Per neighbourhood, each scenario minus the reference, paired by replicate.

    Compares the victimisation rate of the neighbourhood's residents and the crimes committed
    in the neighbourhood per 1,000 residents a year (the run's length from the summary's
    ``days``). Meaningful as a map when every replicate has the same city (``city.seed`` set).

    Args:
        neighbourhoods: the store's neighbourhoods table (one row per run and neighbourhood).
        summary: the store's summary table (which runs finished, and their days).
        scenarios: the scenarios to compare; the reference among them is skipped.
        reference: the scenario every other is compared with.

    Returns:
        One row per scenario, neighbourhood and measure: scenario, reference, neighbourhood,
        ses (the reference runs' mean), residents (idem), measure, label and the columns of
        `paired_statistics` (P(beats) taking lower as better).
    """
    columns = ["scenario", "reference", "neighbourhood", "ses", "residents", "measure", "label",
               *_PAIRED_COLUMNS]
    finished = ok_runs(summary, [*scenarios, reference])
    if neighbourhoods.empty or finished.empty:
        return pd.DataFrame(columns=columns)
    table = neighbourhoods.merge(finished[["run_id", "days"]], on="run_id", how="inner")
    years = table["days"].astype(float) / DAYS_PER_YEAR
    table["true_crimes_per_1000"] = (1000 * table["true_crimes"]
                                     / table["residents"].where(table["residents"] > 0) / years)
    reference_rows = table[table["point"] == reference]
    rows = []
    for scenario in scenarios:
        if scenario == reference:
            continue
        pairs = table[table["point"] == scenario].merge(
            reference_rows, on=["replicate", "neighbourhood"], suffixes=_PAIR_SUFFIXES)
        for neighbourhood, group in pairs.groupby("neighbourhood"):
            place = {"scenario": scenario, "reference": reference,
                     "neighbourhood": int(neighbourhood),
                     "ses": float(group["ses_reference"].mean()),
                     "residents": float(group["residents_reference"].mean())}
            for measure in NEIGHBOURHOOD_MEASURES:
                rows.append({**place, "measure": measure.name, "label": measure.label,
                             **paired_statistics(group[f"{measure.name}_scenario"].to_numpy(float),
                                                 group[f"{measure.name}_reference"].to_numpy(float),
                                                 "lower")})
    return pd.DataFrame(rows, columns=columns)


COSTS_AND_BENEFITS_COLUMNS = (
    "scenario", "reference", "n_pairs", "extra_spending_per_resident", "extra_spending_ci_low",
    "extra_spending_ci_high", "crimes_averted_per_100k", "crimes_averted_ci_low",
    "crimes_averted_ci_high", "homicides_averted_per_100k", "cost_per_crime_averted",
    "net_benefit_per_resident", "net_benefit_ci_low", "net_benefit_ci_high",
    "p_benefits_exceed_costs",
)


def costs_and_benefits(summary: pd.DataFrame, scenarios: Sequence[str],
                       reference: str) -> pd.DataFrame:
    """Money values of each scenario against the reference, paired by replicate.

    Per pair: extra spending = spending - the reference's (USD per resident a year); crimes
    averted = the reference's true crime rate - the scenario's (per 100,000 a year); net benefit
    = the cost of crime averted - the extra spending (USD per resident a year). Cost per crime
    averted is the mean extra spending over the mean crimes averted (USD per crime; NaN when no
    crime is averted on average). P(benefits exceed costs) is the share of pairs with a
    positive net benefit (ties count one half).

    Returns:
        One row per scenario other than the reference, columns `COSTS_AND_BENEFITS_COLUMNS`
        (``*_ci_*``: 95% t intervals of the paired means).
    """
    needed = {"spending_per_resident", "crime_cost_per_resident", "true_crime_rate", "homicide_rate"}
    finished = ok_runs(summary, [*scenarios, reference])
    if finished.empty or not needed <= set(summary.columns):
        return pd.DataFrame(columns=COSTS_AND_BENEFITS_COLUMNS)
    base = _by_replicate(finished, reference)
    rows = []
    for scenario in scenarios:
        if scenario == reference:
            continue
        pairs = pd.merge(_by_replicate(finished, scenario), base, left_index=True,
                         right_index=True, suffixes=("_s", "_r"))
        spend = (pairs["spending_per_resident_s"] - pairs["spending_per_resident_r"]).to_numpy(float)
        averted = (pairs["true_crime_rate_r"] - pairs["true_crime_rate_s"]).to_numpy(float)
        homicides = (pairs["homicide_rate_r"] - pairs["homicide_rate_s"]).to_numpy(float)
        net = (pairs["crime_cost_per_resident_r"] - pairs["crime_cost_per_resident_s"]).to_numpy(float) - spend
        spend_mean, spend_low, spend_high = mean_interval(spend)
        averted_mean, averted_low, averted_high = mean_interval(averted)
        net_mean, net_low, net_high = mean_interval(net)
        per_crime = (spend_mean * 100_000 / averted_mean
                     if len(averted) and averted_mean > 0 else np.nan)
        rows.append({
            "scenario": scenario, "reference": reference, "n_pairs": int(len(pairs)),
            "extra_spending_per_resident": spend_mean, "extra_spending_ci_low": spend_low,
            "extra_spending_ci_high": spend_high, "crimes_averted_per_100k": averted_mean,
            "crimes_averted_ci_low": averted_low, "crimes_averted_ci_high": averted_high,
            "homicides_averted_per_100k": float(homicides.mean()) if len(homicides) else np.nan,
            "cost_per_crime_averted": per_crime, "net_benefit_per_resident": net_mean,
            "net_benefit_ci_low": net_low, "net_benefit_ci_high": net_high,
            "p_benefits_exceed_costs": beats_share(net, "higher") if len(net) else np.nan,
        })
    return pd.DataFrame(rows, columns=COSTS_AND_BENEFITS_COLUMNS)


def failures(summary: pd.DataFrame) -> pd.DataFrame:
    """The runs that failed: run_id, scenario, replicate, error."""
    columns = ["run_id", "scenario", "replicate", "error"]
    if summary.empty:
        return pd.DataFrame(columns=columns)
    failed = summary[summary["status"] != "ok"].rename(columns={"point": "scenario"})
    return failed[columns].sort_values("run_id").reset_index(drop=True)


_PAIR_SUFFIXES = ("_scenario", "_reference")
_PAIRED_COLUMNS = ("n_pairs", "reference_mean", "scenario_mean", "mean_difference", "ci_low",
                   "ci_high", "relative_difference", "p_beats_reference")


def _describe(indicator: Indicator) -> dict[str, object]:
    return {"indicator": indicator.column, "label": indicator.label, "group": indicator.group,
            "better": indicator.better}


def _by_replicate(finished: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """One scenario's finished runs indexed by replicate (a replicate twice is an error)."""
    if finished.empty:
        return pd.DataFrame(index=pd.Index([], name="replicate"), columns=finished.columns)
    runs = finished[finished["point"] == scenario]
    if runs["replicate"].duplicated().any():
        raise ValueError(f"scenario {scenario!r} has several finished runs of one replicate; "
                         "the results store mixes experiments")
    return runs.set_index("replicate")


def _in_order(orders: dict[str, list[str]]):
    """A `sort_values` key sorting the named columns in the orders given, others naturally."""
    def key(column: pd.Series) -> pd.Series:
        if column.name not in orders:
            return column
        return column.map({name: index for index, name in enumerate(orders[column.name])})
    return key
