"""What a posterior says, and whether the calibrated model fits the data.

* `posterior_summary`: per parameter, the weighted mean, sd, median and 90% credible interval
  (weighted 5% and 95% quantiles), and how much of the prior's range the interval still
  covers: the **interval share**, measured on the prior's uniform scale (the logarithm for a
  log-uniform prior). The identifiability rule:

  ==================  ==============================================================
  interval share      verdict
  ==================  ==============================================================
  <= 0.5              ``identified``: the data pin the parameter to half its range or less
  0.5 - 0.7           ``weakly identified``
  > 0.7               ``not identifiable``: the 90% interval still covers more than 70% of
                      the prior range: the targets say little about it, and its posterior
                      is mostly its prior
  ==================  ==============================================================

  Why 0.7 and not 0.9 (what a flat posterior covers exactly): a flat posterior estimated from
  a few dozen effective particles covers less. Its 5% and 95% quantiles each scatter by about
  sqrt(0.05 x 0.95 / ESS) of the range (0.05 at ESS = 20), and the perturbation kernel pulls
  the particles in a little: parameters that no target reads showed interval shares of 0.76 to
  0.94 (tests/test_calibration.py, benchmarks/calibration.py).

  A short calibration (a tolerance still above the data's uncertainty) narrows nothing much:
  read the verdicts with the final tolerance (the report says whether it reached the floor).
* `posterior_correlations`: weighted correlations of every pair (on the uniform scale).
  |r| > 0.7 flags a pair the targets cannot tell apart: a ridge along which one parameter
  makes up for the other (e.g. more offending and less reporting give the same recorded
  crime). Such a pair may be identified jointly although neither is alone.
* `predictive_checks`: posterior predictive checks. K parameter vectors drawn from the
  posterior (by weight) are simulated again, each with a fresh seed, through the same
  observation model. Per target: the simulated 5-95% interval against the observed value with
  its 90% interval (value +- 1.645 se). A target **cannot be fitted** when the observed value
  lies outside the simulated 5-95% interval; ``miss_se`` is how far outside, in its standard
  errors (0 inside).
* `posterior_draws`: parameter vectors drawn by weight, reproducibly from a seed, for
  `crimesim compare --posterior`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.abc.models import ParameterSpace

CREDIBLE = 0.9
"""Coverage of the credible and predictive intervals."""
Z90 = 1.6448536269514722
"""The standard normal's 95% quantile: value +- Z90 se is a 90% interval."""
IDENTIFIED_SHARE = 0.5
NOT_IDENTIFIABLE_SHARE = 0.7
CORRELATION_FLAG = 0.7
WEIGHT = "weight"
GENERATION = "generation"
POSTERIOR_FILE = "posterior.parquet"


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | Sequence[float],
                      ) -> np.ndarray:
    """Quantiles of a weighted sample (the inverse of the weighted empirical distribution,
    interpolated between the midpoints of the sorted values' weights)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    order = np.argsort(values)
    values, weights = values[order], weights[order]
    cumulative = (np.cumsum(weights) - 0.5 * weights) / weights.sum()
    return np.interp(q, cumulative, values)


def weighted_mean_sd(values: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    mean = float(np.sum(weights * values))
    return mean, float(np.sqrt(np.sum(weights * (values - mean) ** 2)))


def effective_sample_size(weights: np.ndarray) -> float:
    """(sum w)^2 / sum w^2 (Kish)."""
    weights = np.asarray(weights, dtype=float)
    return float(weights.sum() ** 2 / np.sum(weights**2)) if len(weights) else 0.0


def identifiability(share: float) -> str:
    """The verdict for an interval share (see the module doc)."""
    if share > NOT_IDENTIFIABLE_SHARE:
        return "not identifiable"
    return "identified" if share <= IDENTIFIED_SHARE else "weakly identified"


def posterior_summary(posterior: pd.DataFrame, space: ParameterSpace,
                      true_values: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per parameter: prior bounds and distribution, weighted mean, sd, median, 5% and
    95% quantiles, interval_share, verdict, and (with ``true_values``) the true value and
    whether the 90% interval holds it."""
    weights = posterior[WEIGHT].to_numpy(dtype=float)
    rows = []
    for item in space.parameters:
        values = posterior[item.name].to_numpy(dtype=float)
        mean, sd = weighted_mean_sd(values, weights)
        low, median, high = weighted_quantile(values, weights, [0.05, 0.5, 0.95])
        scaled = space.to_scale(item.name, np.array([low, high]))
        share = float((scaled[1] - scaled[0]) / space.prior_width(item.name))
        row = {"parameter": item.name, "distribution": item.distribution, "prior_low": item.low,
               "prior_high": item.high, "default": item.default, "mean": mean, "sd": sd,
               "median": float(median), "q05": float(low), "q95": float(high),
               "interval_share": share, "verdict": identifiability(share)}
        if true_values is not None and item.name in true_values:
            truth = float(true_values[item.name])
            row.update(true_value=truth, true_in_interval=bool(low <= truth <= high))
        rows.append(row)
    return pd.DataFrame(rows)


def posterior_correlations(posterior: pd.DataFrame, space: ParameterSpace) -> pd.DataFrame:
    """Weighted correlation of every pair of parameters (on the prior's uniform scale): columns
    first, second, r, flagged (|r| > `CORRELATION_FLAG`), sorted by |r|."""
    columns = ["first", "second", "r", "flagged"]
    names = space.names
    if len(names) < 2:
        return pd.DataFrame(columns=columns)
    weights = posterior[WEIGHT].to_numpy(dtype=float)
    matrix = np.vstack([space.to_scale(name, posterior[name].to_numpy(dtype=float))
                        for name in names])
    covariance = np.cov(matrix, aweights=weights)
    sd = np.sqrt(np.diag(covariance))
    rows = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            r = float(covariance[i, j] / (sd[i] * sd[j])) if sd[i] > 0 and sd[j] > 0 else np.nan
            rows.append({"first": names[i], "second": names[j], "r": r,
                         "flagged": bool(abs(r) > CORRELATION_FLAG)})
    frame = pd.DataFrame(rows, columns=columns)
    return frame.reindex(frame["r"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def correlation_matrix(posterior: pd.DataFrame, space: ParameterSpace) -> pd.DataFrame:
    """The weighted correlation matrix (parameters x parameters)."""
    names = space.names
    pairs = posterior_correlations(posterior, space)
    matrix = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for row in pairs.itertuples():
        matrix.loc[row.first, row.second] = matrix.loc[row.second, row.first] = row.r
    return matrix


def posterior_draws(posterior: pd.DataFrame, names: Sequence[str], n: int,
                    seed: int | np.random.SeedSequence) -> pd.DataFrame:
    """``n`` parameter vectors drawn by weight (with replacement), reproducibly from ``seed``.

    Returns:
        One row per draw: draw (0..n-1), particle (the posterior row drawn) and the parameters.
    """
    weights = posterior[WEIGHT].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(posterior), size=n, replace=True, p=weights / weights.sum())
    draws = posterior.iloc[chosen][list(names)].reset_index(drop=True)
    draws.insert(0, "particle", chosen.astype(int))
    draws.insert(0, "draw", np.arange(n))
    return draws


def predictive_checks(observed: pd.Series, se: pd.Series, simulated: pd.DataFrame,
                      targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Posterior predictive checks, one row per target.

    Args:
        observed, se: the targets' values and standard errors by label.
        simulated: one row per predictive draw, one column per label.
        targets: optionally `Targets.frame` (adds indicator, unit, period, source).

    Returns:
        label, observed, se, observed_low and observed_high (+- 1.645 se), draws (with a
        value), missing (draws without one), simulated_median, simulated_p05, simulated_p95,
        inside (observed within the simulated interval), miss_se (distance outside it in se,
        0 inside), z (observed - simulated median, in se), overlap (the two intervals meet).
    """
    rows = []
    for label in observed.index:
        values = simulated[label].to_numpy(dtype=float) if label in simulated else np.array([])
        known = values[np.isfinite(values)]
        value, error = float(observed[label]), float(se[label])
        if len(known):
            p05, median, p95 = np.quantile(known, [0.05, 0.5, 0.95])
        else:
            p05 = median = p95 = np.nan
        inside = bool(p05 <= value <= p95) if len(known) else False
        miss = 0.0 if inside else (float(max(p05 - value, value - p95) / error) if len(known)
                                   else np.nan)
        rows.append({
            "label": label, "observed": value, "se": error, "observed_low": value - Z90 * error,
            "observed_high": value + Z90 * error, "draws": int(len(known)),
            "missing": int(len(values) - len(known)), "simulated_median": float(median),
            "simulated_p05": float(p05), "simulated_p95": float(p95), "inside": inside,
            "miss_se": miss, "z": float((value - median) / error),
            "overlap": bool(len(known) and p05 <= value + Z90 * error and p95 >= value - Z90 * error),
        })
    frame = pd.DataFrame(rows)
    if targets is not None:
        extra = targets.set_index("label")[["indicator", "unit", "period", "source"]]
        frame = frame.join(extra, on="label")
    return frame


def cannot_fit(checks: pd.DataFrame) -> pd.DataFrame:
    """The targets whose observed value lies outside the simulated 5-95% interval, worst first."""
    return checks[~checks["inside"]].sort_values("miss_se", ascending=False).reset_index(drop=True)


def load_posterior(directory: str | Path) -> pd.DataFrame:
    """The posterior a calibration wrote (``posterior.parquet`` in ``directory``).

    Raises:
        FileNotFoundError: no such directory or file (the message says what to give).
        ValueError: the file has no weight column or no particle.
    """
    directory = Path(directory)
    path = directory / POSTERIOR_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{directory}: no {POSTERIOR_FILE} here; give the --out "
                                "directory of a finished `crimesim calibrate`")
    posterior = pd.read_parquet(path)
    if WEIGHT not in posterior or posterior.empty:
        raise ValueError(f"{path}: no particles with a '{WEIGHT}' column; is it a calibration's "
                         "posterior?")
    return posterior


def posterior_parameters(posterior: pd.DataFrame) -> list[str]:
    """The parameter columns of a posterior table (dotted names)."""
    return [column for column in posterior.columns if column not in (WEIGHT, GENERATION, "distance")]
