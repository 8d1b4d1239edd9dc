"""What ABC-SMC samples and simulates: the parameter space and the model functions.

The parameter space turns the uncertain-parameter specification (`calibration.parameters`)
into pyabc priors. pyabc names parameters with identifiers, so a dotted key becomes
``offending__attempt_rate`` (dots to double underscores; `ParameterSpace.key`). A log-uniform
parameter is sampled as its natural logarithm, uniform between the logs of its bounds, so that
pyabc's perturbation kernel moves it by factors rather than by amounts; everything this package
writes is on the parameter's own scale, under its dotted name.

A model function takes a pyabc particle (a mapping of those names) and returns a dict of
summary statistics keyed by target label. It travels to worker processes (pyabc's samplers
fork or pickle it), so it is a module-level class holding plain data only.

Seeds. Each simulation's seed is drawn from the calibration's seed and the particle's
parameter values (`parameter_seed`): the same values give the same run, in any process, in any
order, so any particle of a posterior can be re-simulated exactly. A posterior predictive
draw adds a replicate number, so repeated draws of one particle are different runs.

A run that fails (an exception in the model) returns NaN for every statistic and
``FAILED_KEY`` = 1; the distance gives it a large value and the calibration counts it.

A model function may also say how precise a statistic of its own run is: ``SE_PREFIX +
label`` holds the run's sampling standard error of that statistic. The city does so for
recidivism shares, which a small city measures on a few dozen releases while the data count
thousands (`recidivism_sampling_se`); the distance then scales that target by the standard
error of the difference, sqrt(se_data^2 + se_run^2) (`calibration.abc.smc`).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from calibration.parameters import Uncertain
from calibration.targets import Targets

FAILED_KEY = "_failed"
"""Statistic set to 1.0 when the model raised (its other statistics are then NaN)."""

SE_PREFIX = "_se:"
"""Prefix of a statistic holding the run's own sampling standard error of a target."""

SEPARATOR = "__"
"""What replaces a dot in a pyabc parameter name."""


class CalibrationError(ValueError):
    """Settings or inputs a calibration cannot use; the message says what to change."""


@dataclass(frozen=True)
class ParameterSpace:
    """The calibrated parameters, their priors and the names pyabc knows them by.

    Attributes:
        parameters: the uncertain parameters (bounds and uniform / log-uniform distribution).
    """

    parameters: tuple[Uncertain, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", tuple(self.parameters))
        if not self.parameters:
            raise CalibrationError("no parameter to calibrate: the specification is empty "
                                   "(check `only` and `exclude` in the --params file)")
        names = [item.name for item in self.parameters]
        if len(set(names)) != len(names):
            raise CalibrationError(f"a parameter is named twice: {', '.join(names)}")
        for item in self.parameters:
            if SEPARATOR in item.name:
                raise CalibrationError(f"parameter '{item.name}' contains '{SEPARATOR}', which "
                                       "the pyabc names reserve for dots")
            if not item.low < item.high:
                raise CalibrationError(f"parameter '{item.name}': low {item.low} is not below "
                                       f"high {item.high}")
            if item.distribution == "loguniform" and item.low <= 0:
                raise CalibrationError(f"parameter '{item.name}': a log-uniform prior needs "
                                       "low > 0")

    @property
    def names(self) -> list[str]:
        """The dotted names, in order."""
        return [item.name for item in self.parameters]

    def __len__(self) -> int:
        return len(self.parameters)

    def __getitem__(self, name: str) -> Uncertain:
        for item in self.parameters:
            if item.name == name:
                return item
        raise KeyError(name)

    @staticmethod
    def key(name: str) -> str:
        """The pyabc name of a dotted parameter name."""
        return name.replace(".", SEPARATOR)

    @staticmethod
    def dotted(key: str) -> str:
        """The dotted name of a pyabc parameter name."""
        return key.replace(SEPARATOR, ".")

    def sampling_bounds(self, item: Uncertain) -> tuple[float, float]:
        """The prior's bounds on the scale pyabc samples (log for a log-uniform prior)."""
        if item.distribution == "loguniform":
            return float(np.log(item.low)), float(np.log(item.high))
        return float(item.low), float(item.high)

    def prior(self):
        """The pyabc prior: independent uniforms on the sampling scale."""
        from pyabc import RV, Distribution

        rvs = {}
        for item in self.parameters:
            low, high = self.sampling_bounds(item)
            rvs[self.key(item.name)] = RV("uniform", low, high - low)
        return Distribution(**rvs)

    def to_values(self, particle: Mapping[str, float]) -> dict[str, float]:
        """A pyabc particle as parameter values: dotted names, the parameters' own scale."""
        values = {}
        for item in self.parameters:
            x = float(particle[self.key(item.name)])
            values[item.name] = float(np.exp(x)) if item.distribution == "loguniform" else x
        return values

    def to_particle(self, values: Mapping[str, float]) -> dict[str, float]:
        """The inverse of `to_values`."""
        particle = {}
        for item in self.parameters:
            x = float(values[item.name])
            particle[self.key(item.name)] = float(np.log(x)) if item.distribution == "loguniform" else x
        return particle

    def to_scale(self, name: str, values: np.ndarray | float) -> np.ndarray:
        """Values on the prior's uniform scale (log for a log-uniform parameter): where
        spreads and intervals are compared with the prior's range."""
        values = np.asarray(values, dtype=float)
        return np.log(values) if self[name].distribution == "loguniform" else values

    def prior_width(self, name: str) -> float:
        """The prior range's width on the uniform scale."""
        low, high = self.sampling_bounds(self[name])
        return high - low

    def frame(self, particles: pd.DataFrame) -> pd.DataFrame:
        """A frame of pyabc parameter columns as dotted columns on the parameters' scale."""
        out = pd.DataFrame(index=particles.index)
        for item in self.parameters:
            column = particles[self.key(item.name)].to_numpy(dtype=float)
            out[item.name] = np.exp(column) if item.distribution == "loguniform" else column
        return out

    def describe(self) -> list[dict[str, Any]]:
        """One plain row per parameter (for manifests)."""
        return [{"parameter": item.name, "low": item.low, "high": item.high,
                 "distribution": item.distribution, "default": item.default, "unit": item.unit,
                 "group": item.group, "source": item.source, "pyabc_name": self.key(item.name)}
                for item in self.parameters]


def parameter_seed(seed: int, values: Mapping[str, float], replicate: int = 0,
                   ) -> np.random.SeedSequence:
    """The seed of a simulation at ``values``: a function of the calibration's seed, the
    values (their float64 bits, by sorted name) and a replicate number (0 inside ABC-SMC)."""
    bits = np.array([float(values[name]) for name in sorted(values)], dtype=np.float64)
    words = np.frombuffer(bits.tobytes(), dtype=np.uint32).tolist()
    mixed = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(replicate), *words])
    # One integer of entropy: the city derives its survey stream from the run seed's entropy
    # and accepts an integer there, not a list.
    return np.random.SeedSequence(int.from_bytes(mixed.generate_state(4).tobytes(), "little"))


class Simulator:
    """A model function: parameter values in, statistics keyed by target label out.

    Subclasses implement `statistics`; `simulate` adds the failure handling and `__call__` the
    pyabc particle interface.
    """

    space: ParameterSpace
    labels: list[str]
    seed: int

    def statistics(self, values: dict[str, float], sequence: np.random.SeedSequence,
                   ) -> dict[str, float]:
        raise NotImplementedError

    def simulate(self, values: Mapping[str, float], replicate: int = 0) -> dict[str, float]:
        """The statistics at ``values`` (dotted names), with ``FAILED_KEY``; NaN where a run
        could not produce a statistic, and everywhere if the model raised."""
        values = {name: float(values[name]) for name in self.space.names}
        sequence = parameter_seed(self.seed, values, replicate)
        try:
            statistics = self.statistics(values, sequence)
        except Exception:  # noqa: BLE001 - a failed run is data for the distance, not a crash
            print(f"calibration: a model run failed at {values}:\n{traceback.format_exc()}",
                  file=sys.stderr)
            return {**dict.fromkeys(self.labels, float("nan")), FAILED_KEY: 1.0}
        own_se = {key: float(value) for key, value in statistics.items()
                  if key.startswith(SE_PREFIX)}
        return {**{label: float(statistics[label]) for label in self.labels}, **own_se,
                FAILED_KEY: 0.0}

    def __call__(self, particle: Mapping[str, float]) -> dict[str, float]:
        return self.simulate(self.space.to_values(particle))


class CitySimulator(Simulator):
    """The city: base parameters with the particle's values on top, one run, then the
    observation model.

    Args:
        base: the parameters the calibrated values are laid on (a scenario, the size of the
            run, context such as `calibration.builtin.north_carolina_context`).
        targets: what to observe.
        space: the calibrated parameters.
        seed: the calibration's seed (see `parameter_seed`).
        observation: the observation model (default: `ObservationModel()`).
    """

    def __init__(self, base: Any, targets: Targets, space: ParameterSpace, seed: int,
                 observation: Any = None) -> None:
        from calibration.observation import ObservationModel

        self.base = base.model_dump(mode="json")
        self.targets = targets
        self.space = space
        self.labels = targets.labels
        self.seed = int(seed)
        self.observation = observation or ObservationModel()

    def parameters(self, values: Mapping[str, float]):
        """The run's parameters at ``values``."""
        from simulation.params import Parameters, with_overrides

        return with_overrides(Parameters.model_validate(self.base), dict(values),
                              context="calibrated parameter")

    def statistics(self, values: dict[str, float], sequence: np.random.SeedSequence,
                   ) -> dict[str, float]:
        from calibration.observation import observe
        from simulation.run import run

        run_seed, observation_seed = sequence.spawn(2)
        result = run(self.parameters(values), seed=run_seed)
        observed = observe(result, self.targets, np.random.default_rng(observation_seed),
                           self.observation)
        return {**observed.to_dict(), **recidivism_sampling_se(result.recidivism, self.targets)}


RECIDIVISM_PREFIXES = ("rearrest_", "reimprisonment_")


def recidivism_sampling_se(recidivism: pd.DataFrame, targets: Targets) -> dict[str, float]:
    """The run's own sampling standard error of each recidivism target, keyed
    ``SE_PREFIX + label``.

    A run measures the share of releases back in prison (or re-arrested) within k years on the
    n releases it followed that long: a binomial share with standard error sqrt(p (1 - p) / n).
    p is the target's observed share, not the run's, so that a run whose few releases all
    happened to stay out (a share of 0) is not taken as exact. No entry where the run followed
    no release (its statistic is then missing anyway), or for a target over a period.
    """
    frame = targets.frame
    everyone = recidivism[recidivism["cohort"] == "all"].set_index("years_after_release")
    out = {}
    for indicator, period, value, label in zip(frame["indicator"], frame["year_start"],
                                               frame["value"], frame["label"]):
        if not indicator.startswith(RECIDIVISM_PREFIXES) or not pd.isna(period):
            continue
        years = int(indicator.split("_")[1].removesuffix("y"))
        followed = int(everyone["releases_followed"].get(years, 0))
        if followed > 0:
            share = min(max(float(value), 0.0), 1.0)
            out[SE_PREFIX + label] = float(np.sqrt(share * (1 - share) / followed))
    return out


def check_producible(targets: Targets, params: Any) -> None:
    """Refuse targets that runs of ``params`` cannot produce at all.

    Raises:
        CalibrationError: a target's period lies beyond the recorded years, or a recidivism
            target needs releases followed longer than the run records.
    """
    recorded_days = params.days
    recorded_years = int(np.ceil(recorded_days / 365 - 1e-9))
    problems = []
    for row in targets.frame.itertuples(index=False):
        if not pd.isna(row.year_end) and int(row.year_end) > recorded_years:
            problems.append(f"target {row.label} (period {row.period}) needs {int(row.year_end)} "
                            f"simulated years, but the run records {params.years:g}: pass "
                            f"--years {int(row.year_end)} or more")
        for prefix in RECIDIVISM_PREFIXES:
            if row.indicator.startswith(prefix):
                follow = int(row.indicator.removeprefix(prefix).removesuffix("y"))
                if recorded_days <= follow * 365:
                    problems.append(
                        f"target {row.label} needs releases followed {follow} year"
                        f"{'s' if follow > 1 else ''} within the recorded run, but it records "
                        f"{params.years:g}: pass --years {follow + 1} or more, or drop the target")
    if problems:
        raise CalibrationError("; ".join(problems))


# --------------------------------------------------------------------------------------------
# A test model with a known posterior
# --------------------------------------------------------------------------------------------


@dataclass
class LinearGaussianSimulator(Simulator):
    """A linear model with Gaussian noise: statistic_j = sum_i A[j][i] theta_i + noise_j N(0, 1).

    For plumbing tests: with flat priors wide enough and no noise, the posterior given
    observations with standard errors se is Gaussian with covariance (A' W A)^-1 and mean
    (A' W A)^-1 A' W y, W = diag(1 / se^2) (`analytic_posterior`). A parameter no statistic
    reads is not identifiable; one statistic reading a + b leaves a and b on a ridge.

    Attributes:
        space: the parameters.
        matrix: per statistic label, its coefficients by parameter name (missing: 0).
        noise: per statistic label, the standard deviation of its noise (missing: 0).
        seed: the calibration's seed.
        missing_below: (parameter, threshold, label): the statistic is NaN where the parameter
            is below the threshold (a run that cannot produce a target).
    """

    space: ParameterSpace
    matrix: dict[str, dict[str, float]]
    noise: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    missing_below: tuple[str, float, str] | None = None

    @property
    def labels(self) -> list[str]:  # type: ignore[override]
        return list(self.matrix)

    def coefficients(self) -> np.ndarray:
        return np.array([[self.matrix[label].get(name, 0.0) for name in self.space.names]
                         for label in self.labels])

    def statistics(self, values: dict[str, float], sequence: np.random.SeedSequence,
                   ) -> dict[str, float]:
        theta = np.array([values[name] for name in self.space.names])
        draws = np.random.default_rng(sequence).standard_normal(len(self.labels))
        mean = self.coefficients() @ theta
        out = {label: float(mean[j] + self.noise.get(label, 0.0) * draws[j])
               for j, label in enumerate(self.labels)}
        if self.missing_below is not None:
            name, threshold, label = self.missing_below
            if values[name] < threshold:
                out[label] = float("nan")
        return out

    def analytic_posterior(self, observed: Sequence[float], se: Sequence[float],
                           ) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The parameters some statistic reads, and the mean and covariance of their posterior
        under flat priors without noise (their coefficients must have full column rank)."""
        a = self.coefficients()
        read = np.any(a != 0, axis=0)
        a = a[:, read]
        weights = np.diag(1 / np.asarray(se, dtype=float) ** 2)
        covariance = np.linalg.inv(a.T @ weights @ a)
        mean = covariance @ a.T @ weights @ np.asarray(observed, dtype=float)
        return [name for name, used in zip(self.space.names, read) if used], mean, covariance
