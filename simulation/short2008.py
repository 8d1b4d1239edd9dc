"""Short et al. (2008): burglars on a lattice of houses, alone — the `short2008` mode.

Short, D'Orsogna, Pasour, Tita, Brantingham, Bertozzi & Chayes (2008), "A statistical model
of criminal behavior", Math. Models Methods Appl. Sci. 18:1249-1267. Each step (length dt):

1. a burglar at site s burgles with probability 1 - exp(-A_s dt) and is removed; E_s counts
   the burglaries at s;
2. every other burglar moves to one of the 4 neighbours with probability proportional to the
   neighbour's A;
3. B_s <- [(1 - eta) B_s + (eta / 4) sum of neighbours' B](1 - omega dt) + theta E_s, and
   A = A0 + B (the update of the city's field, `simulation.offending.update_attractiveness`,
   written as a loop; a test checks that the two agree);
4. new burglars arrive at each site at rate Gamma: Gamma dt per site per step.

The lattice is periodic. At equilibrium B = theta Gamma / omega and the mean number of burglars
per site is Gamma / (A0 + B). Burglars are an array of site indices (there are ~0.1 per site).
The whole time loop is compiled with numba: a step is a few hundred burglar moves and one
pass over the sites, where numpy would pay call overhead on every small array operation
(measured: 23 against 128 microseconds per step on 64 x 64; see benchmarks/short2008_mesa.py).
Random numbers come from a numpy Generator seeded by ``seed``.

Published regimes (their Fig. 3; A0 = 1/30, omega = 1/15, dt = 0.01, 128 x 128):
(eta, theta, Gamma) = (0.2, 0.56, 0.019) spatially homogeneous; (0.2, 5.6, 0.002) dynamic
hotspots; (0.03, 0.56, 0.019) stationary hotspots; (0.03, 5.6, 0.002) dynamic hotspots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from numba import njit

PUBLISHED_SETS: dict[str, tuple[float, float, float]] = {
    "a": (0.2, 0.56, 0.019),
    "b": (0.2, 5.6, 0.002),
    "c": (0.03, 0.56, 0.019),
    "d": (0.03, 5.6, 0.002),
}
"""Short et al. (2008) parameter sets (eta, theta, Gamma), panels a-d of their Fig. 3."""

SAMPLE_EVERY = 10
"""Time-averaged maps sample the field every this many steps (it changes slowly: omega dt is
1/1500 per step)."""


class Short2008Params(BaseModel):
    """Parameters of the bare burglar model, with Short et al.'s (2008) defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: int = 128
    eta: float = 0.03
    theta: float = 0.56
    gamma: float = 0.019
    omega: float = 1 / 15
    a0: float = 1 / 30
    dt: float = 0.01

    @property
    def equilibrium_dynamic(self) -> float:
        """B_bar = theta Gamma / omega."""
        return self.theta * self.gamma / self.omega

    @property
    def equilibrium_burglars(self) -> float:
        """Mean burglars per site at the homogeneous equilibrium: Gamma dt / (1 - exp(-A dt))."""
        attractiveness = self.a0 + self.equilibrium_dynamic
        return self.gamma * self.dt / (1.0 - np.exp(-attractiveness * self.dt))


@dataclass
class Short2008Result:
    """Time-averaged fields and statistics of a bare burglar run."""

    params: Short2008Params
    steps: int
    mean_attractiveness: np.ndarray  # 2-D, A averaged over the second half of the run (sampled)
    final_attractiveness: np.ndarray  # 2-D
    burglaries: np.ndarray  # 2-D, burglaries per site over the second half
    burglaries_per_step: np.ndarray  # total burglaries of each step
    burglars_per_step: np.ndarray
    half_maps: tuple[np.ndarray, np.ndarray]  # mean A in the 3rd and 4th quarter of the run

    @property
    def attractiveness_cv(self) -> float:
        """Spatial coefficient of variation of time-averaged A (homogeneous -> near 0)."""
        return float(self.mean_attractiveness.std() / self.mean_attractiveness.mean())

    @property
    def peak_ratio(self) -> float:
        """Highest time-averaged A over the mean: hotspots stand far above the rest."""
        return float(self.mean_attractiveness.max() / self.mean_attractiveness.mean())

    @property
    def map_stability(self) -> float:
        """Correlation of the A map between the 3rd and 4th quarter of the run (stationary
        hotspots -> near 1; homogeneous noise or moving hotspots -> lower)."""
        first, second = (m - m.mean() for m in self.half_maps)
        denominator = np.sqrt((first**2).sum() * (second**2).sum())
        return float((first * second).sum() / denominator) if denominator > 0 else float("nan")

    @property
    def burglary_rate(self) -> float:
        """Mean burglaries per site per unit time over the second half (equilibrium: Gamma)."""
        half = len(self.burglaries_per_step) // 2
        per_step = self.burglaries_per_step[half:].mean()
        return float(per_step / (self.params.size**2 * self.params.dt))


def run_short2008(params: Short2008Params, steps: int, seed: int | np.random.SeedSequence = 0) -> Short2008Result:
    """Run the bare burglar model for ``steps`` steps from its homogeneous equilibrium."""
    rng = np.random.default_rng(seed)
    size = params.size
    sites = size * size
    dynamic = np.full((size, size), params.equilibrium_dynamic)
    initial = rng.poisson(params.equilibrium_burglars * sites)
    burglars = np.empty(max(4 * initial, 1024), dtype=np.int64)
    burglars[:initial] = rng.integers(0, sites, initial)
    half = steps // 2
    maps = np.zeros((2, sites))  # A summed over samples of the 3rd and of the 4th quarter
    samples = np.zeros(2, dtype=np.int64)
    burglaries = np.zeros(sites, dtype=np.int64)
    per_step = np.zeros(steps, dtype=np.int64)
    population = np.zeros(steps, dtype=np.int64)
    _simulate(dynamic, burglars, initial, steps, params.a0, params.eta, params.omega, params.theta,
              params.dt, params.gamma, rng, maps, samples, burglaries, per_step, population)
    attractiveness = params.a0 + dynamic
    quarters = tuple(m.reshape(size, size) / max(n, 1) for m, n in zip(maps, samples))
    return Short2008Result(
        params=params,
        steps=steps,
        mean_attractiveness=maps.sum(axis=0).reshape(size, size) / max(samples.sum(), 1),
        final_attractiveness=attractiveness,
        burglaries=burglaries.reshape(size, size),
        burglaries_per_step=per_step,
        burglars_per_step=population,
        half_maps=quarters,
    )


@njit(cache=True)
def _simulate(dynamic, burglars, count, steps, a0, eta, omega, theta, dt, gamma, rng,
              maps, samples, burglaries, per_step, population):  # pragma: no cover - compiled
    """The time loop of `run_short2008` (compiled). Updates ``dynamic`` and the tallies in place."""
    size = dynamic.shape[0]
    sites = size * size
    attractiveness = a0 + dynamic.ravel()
    scratch = np.empty_like(dynamic)
    events = np.zeros(sites, dtype=np.int64)
    decay = 1.0 - omega * dt
    arrivals = gamma * dt * sites
    half, three_quarters = steps // 2, (3 * steps) // 4
    for step in range(steps):
        # 1-2. Each burglar burgles with probability 1 - exp(-A dt) and leaves, or moves to a
        # neighbour chosen in proportion to its attractiveness.
        kept = 0
        for index in range(count):
            site = burglars[index]
            if rng.random() < -np.expm1(-attractiveness[site] * dt):
                events[site] += 1
                continue
            row, col = site // size, site % size
            up = ((row - 1) % size) * size + col
            down = ((row + 1) % size) * size + col
            left = row * size + (col - 1) % size
            right = row * size + (col + 1) % size
            w_up, w_down, w_left = attractiveness[up], attractiveness[down], attractiveness[left]
            draw = rng.random() * (w_up + w_down + w_left + attractiveness[right])
            if draw < w_up:
                site = up
            elif draw < w_up + w_down:
                site = down
            elif draw < w_up + w_down + w_left:
                site = left
            else:
                site = right
            burglars[kept] = site
            kept += 1
        struck = count - kept
        # 3. The field: B <- [(1 - eta) B + eta/4 * neighbours' B] (1 - omega dt) + theta E.
        for row in range(size):
            above, below = (row - 1) % size, (row + 1) % size
            for col in range(size):
                neighbours = (dynamic[above, col] + dynamic[below, col]
                              + dynamic[row, (col - 1) % size] + dynamic[row, (col + 1) % size])
                scratch[row, col] = ((1.0 - eta) * dynamic[row, col] + 0.25 * eta * neighbours) * decay
        for row in range(size):
            for col in range(size):
                site = row * size + col
                dynamic[row, col] = scratch[row, col] + theta * events[site]
                attractiveness[site] = a0 + dynamic[row, col]
                if step >= half:
                    burglaries[site] += events[site]
                events[site] = 0
        # 4. New burglars at random sites (the array grows when it must).
        arriving = rng.poisson(arrivals)
        if kept + arriving > burglars.shape[0]:
            grown = np.empty(2 * (kept + arriving), dtype=burglars.dtype)
            grown[:kept] = burglars[:kept]
            burglars = grown
        for index in range(arriving):
            burglars[kept + index] = rng.integers(0, sites)
        count = kept + arriving
        per_step[step] = struck
        population[step] = count
        if step >= half and step % SAMPLE_EVERY == 0:  # time averages from every 10th step
            quarter = 1 if step >= three_quarters else 0
            maps[quarter] += attractiveness
            samples[quarter] += 1
