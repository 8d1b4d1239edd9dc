"""Short et al. (2008): burglars on a lattice of houses, alone — the `short2008` mode.

Short, D'Orsogna, Pasour, Tita, Brantingham, Bertozzi & Chayes (2008), "A statistical model
of criminal behavior", Math. Models Methods Appl. Sci. 18:1249-1267. Each step (length dt):

1. a burglar at site s burgles with probability 1 - exp(-A_s dt) and is removed; E_s counts
   the burglaries at s;
2. every other burglar moves to one of the 4 neighbours with probability proportional to the
   neighbour's A;
3. B_s <- [(1 - eta) B_s + (eta / 4) sum of neighbours' B](1 - omega dt) + theta E_s, and
   A = A0 + B (the same kernel as the city's field, `simulation.offending.update_attractiveness`);
4. new burglars arrive at each site at rate Gamma: Gamma dt per site per step.

The lattice is periodic. At equilibrium B = theta Gamma / omega and the mean number of burglars
per site is Gamma dt / (1 - exp(-A dt)). Burglars are kept as an array of positions (there are
~0.1 per site), so a step costs O(burglars + sites) numpy work.

Published regimes (their Fig. 3; A0 = 1/30, omega = 1/15, dt = 0.01, 128 x 128):
(eta, theta, Gamma) = (0.2, 0.56, 0.019) spatially homogeneous; (0.2, 5.6, 0.002) dynamic
hotspots; (0.03, 0.56, 0.019) stationary hotspots; (0.03, 5.6, 0.002) dynamic hotspots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from simulation.offending import update_attractiveness

PUBLISHED_SETS: dict[str, tuple[float, float, float]] = {
    "a": (0.2, 0.56, 0.019),
    "b": (0.2, 5.6, 0.002),
    "c": (0.03, 0.56, 0.019),
    "d": (0.03, 5.6, 0.002),
}
"""Short et al. (2008) parameter sets (eta, theta, Gamma), panels a-d of their Fig. 3."""


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
    mean_attractiveness: np.ndarray  # 2-D, A averaged over the second half of the run
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


def neighbour_table(size: int) -> np.ndarray:
    """Flat indices of the 4 neighbours (up, down, left, right) of every site of a periodic lattice."""
    row, col = np.divmod(np.arange(size * size), size)
    return np.column_stack([
        ((row - 1) % size) * size + col,
        ((row + 1) % size) * size + col,
        row * size + (col - 1) % size,
        row * size + (col + 1) % size,
    ])


def run_short2008(params: Short2008Params, steps: int, seed: int | np.random.SeedSequence = 0) -> Short2008Result:
    """Run the bare burglar model for ``steps`` steps from its homogeneous equilibrium."""
    rng = np.random.default_rng(seed)
    size, dt = params.size, params.dt
    sites = size * size
    neighbours = neighbour_table(size)
    dynamic = np.full((size, size), params.equilibrium_dynamic)
    attractiveness = params.a0 + dynamic.reshape(-1)
    burglars = rng.integers(0, sites, rng.poisson(params.equilibrium_burglars * sites))
    arrivals = params.gamma * dt * sites
    half, three_quarters = steps // 2, (3 * steps) // 4
    summed = np.zeros(sites)
    quarters = [np.zeros(sites), np.zeros(sites)]
    burglaries = np.zeros(sites, dtype=np.int64)
    per_step = np.zeros(steps, dtype=np.int64)
    population = np.zeros(steps, dtype=np.int64)
    for step in range(steps):
        burgle = rng.random(len(burglars)) < 1.0 - np.exp(-attractiveness[burglars] * dt)
        events = np.bincount(burglars[burgle], minlength=sites)
        movers = burglars[~burgle]
        options = neighbours[movers]
        weights = np.cumsum(attractiveness[options], axis=1)
        pick = (weights < rng.random(len(movers))[:, None] * weights[:, -1:]).sum(axis=1)
        moved = options[np.arange(len(movers)), np.minimum(pick, 3)]
        update_attractiveness(dynamic, events.reshape(size, size), params.eta, params.omega,
                              params.theta, dt=dt, periodic=True)
        np.add(params.a0, dynamic.reshape(-1), out=attractiveness)
        burglars = np.concatenate([moved, rng.integers(0, sites, rng.poisson(arrivals))])
        per_step[step] = burgle.sum()
        population[step] = len(burglars)
        if step >= half:
            summed += attractiveness
            burglaries += events
            quarters[step >= three_quarters] += attractiveness
    kept = steps - half
    return Short2008Result(
        params=params,
        steps=steps,
        mean_attractiveness=(summed / max(kept, 1)).reshape(size, size),
        final_attractiveness=attractiveness.reshape(size, size).copy(),
        burglaries=burglaries.reshape(size, size),
        burglaries_per_step=per_step,
        burglars_per_step=population,
        half_maps=tuple(q.reshape(size, size) / max(kept // 2, 1) for q in quarters),
    )
