"""Test models with the city model's interface: parameters and a seed in, a summary out.

They let the sensitivity and calibration machinery be checked against known answers through
the same experiment engine (executors, store, resume) that runs the city.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1
ISHIGAMI_BOUNDS = (-np.pi, np.pi)


def ishigami(params: Mapping[str, float], seed: np.random.SeedSequence | int) -> dict[str, float]:
    """The Ishigami function y = sin x1 + a sin^2 x2 + b x3^4 sin x1 (a = 7, b = 0.1; Ishigami
    & Homma 1990), plus ``noise`` times a standard normal draw from ``seed`` (a replicate's
    noise, as a stochastic model has; 0 by default). Inputs ``x1``-``x3`` on [-pi, pi]; other
    keys (a dummy parameter) change only the noise draw, as any input of a simulation would."""
    x1, x2, x3 = (float(params[name]) for name in ("x1", "x2", "x3"))
    y = np.sin(x1) + ISHIGAMI_A * np.sin(x2) ** 2 + ISHIGAMI_B * x3**4 * np.sin(x1)
    noise = float(params.get("noise", 0.0))
    if noise:
        # Like a simulation's noise under common random numbers: the same replicate seed at
        # other inputs gives another draw (the inputs are mixed into the seed).
        words = np.frombuffer(np.array([x1, x2, x3, *(float(params.get(k, 0.0)) for k in
                                                     sorted(set(params) - {"x1", "x2", "x3"}))],
                                       dtype=np.float64).tobytes(), dtype=np.uint32)
        sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        y += noise * np.random.default_rng([*sequence.generate_state(4), *words]).standard_normal()
    return {"y": float(y)}


def ishigami_indices() -> dict[str, dict[str, float]]:
    """The analytic first-order (S1) and total (ST) Sobol indices of the Ishigami function."""
    a, b, pi = ISHIGAMI_A, ISHIGAMI_B, np.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    variance = v1 + v2 + v13
    return {"S1": {"x1": v1 / variance, "x2": v2 / variance, "x3": 0.0},
            "ST": {"x1": (v1 + v13) / variance, "x2": v2 / variance, "x3": v13 / variance}}
