"""The city: a grid of street blocks grouped into neighbourhoods.

Each block has a land use (residential, commercial, nightlife), physical disorder, street
lighting and a residential weight; each neighbourhood has a socio-economic status (SES) and a
density. Neighbourhoods are Voronoi regions around jittered centres, so they have irregular
borders of similar size. Commerce clusters around the main centre and each neighbourhood's own
centre; nightlife sits near the main centre. Poorer neighbourhoods are denser, more disordered
and less lit (all gradients are parameters; see docs/ODD.md).

Blocks are indexed in raster order: ``cell = row * width + col``; every per-block array here is
flat, and `City.grid_shape` turns it into the 2-D map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.params import LAND_USES, CityParams, OpportunityParams

RESIDENTIAL, COMMERCIAL, NIGHTLIFE = range(len(LAND_USES))


@dataclass(frozen=True)
class City:
    """Static description of the city's blocks and neighbourhoods (flat per-block arrays)."""

    width: int
    height: int
    neighbourhood: np.ndarray  # int16 per block
    land_use: np.ndarray  # int8 per block (RESIDENTIAL, COMMERCIAL, NIGHTLIFE)
    disorder: np.ndarray  # float per block, 0-1
    lighting: np.ndarray  # float per block, 0-1
    residential_weight: np.ndarray  # float per block
    block_heterogeneity: np.ndarray  # float per block, lognormal with mean 1 and log-sd 1
    neighbourhood_ses: np.ndarray  # float per neighbourhood, 0-1
    neighbourhood_density: np.ndarray  # float per neighbourhood

    @property
    def cells(self) -> int:
        return self.width * self.height

    @property
    def grid_shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def neighbourhoods(self) -> int:
        return len(self.neighbourhood_ses)

    def rows_cols(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of flat block indices."""
        return np.divmod(cells, self.width)

    def base_attractiveness(self, opportunity: OpportunityParams) -> np.ndarray:
        """Static attractiveness A0 of every block.

        A0 = a(land use) * h^sigma * (1 + disorder_effect * disorder)
             * (1 - lighting_effect * lighting)

        with h the block's own lognormal draw (log-sd 1, mean 1), scaled to log-sd sigma and
        renormalised to mean 1.
        """
        by_use = np.array([getattr(opportunity.base, use) for use in LAND_USES])
        sigma = opportunity.block_sigma
        heterogeneity = np.exp(sigma * np.log(self.block_heterogeneity) + 0.5 * sigma - 0.5 * sigma**2)
        return (
            by_use[self.land_use]
            * heterogeneity
            * (1.0 + opportunity.disorder_effect * self.disorder)
            * (1.0 - opportunity.lighting_effect * self.lighting)
        )


def _jittered_centres(count: int, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` points spread over the grid: a jittered lattice, shuffled."""
    side = int(np.ceil(np.sqrt(count)))
    slots = rng.permutation(side * side)[:count]
    row, col = np.divmod(slots, side)
    y = (row + rng.uniform(0.2, 0.8, count)) * height / side
    x = (col + rng.uniform(0.2, 0.8, count)) * width / side
    return np.column_stack([y, x])


def build_city(params: CityParams, rng: np.random.Generator) -> City:
    """Draw a city from its parameters; all randomness from ``rng``."""
    width, height = params.width, params.height
    rows, cols = np.divmod(np.arange(width * height), width)
    y, x = rows + 0.5, cols + 0.5

    centres = _jittered_centres(params.neighbourhoods, width, height, rng)
    # Voronoi regions: nearest centre, computed in chunks of centres to bound memory.
    best = np.full(width * height, np.inf)
    neighbourhood = np.zeros(width * height, dtype=np.int16)
    for index, (cy, cx) in enumerate(centres):
        distance = (y - cy) ** 2 + (x - cx) ** 2
        closer = distance < best
        best[closer] = distance[closer]
        neighbourhood[closer] = index

    mean, concentration = params.ses_mean, params.ses_concentration
    ses = rng.beta(mean * concentration, (1 - mean) * concentration, params.neighbourhoods)
    density = np.maximum(0.1, 1.0 + params.density_poverty_gradient * (0.5 - ses) * 2.0)

    # Land use: nightlife near the main centre, commerce near the main and local centres.
    scale = max(width, height)
    from_centre = np.hypot(y - height / 2, x - width / 2)
    from_local = np.sqrt(best)
    noise = rng.lognormal(0.0, 0.5, width * height)
    land_use = np.full(width * height, RESIDENTIAL, dtype=np.int8)
    nightlife_score = np.exp(-from_centre / (0.08 * scale)) * noise
    n_nightlife = int(round(params.nightlife_share * width * height))
    if n_nightlife:
        land_use[np.argsort(-nightlife_score, kind="stable")[:n_nightlife]] = NIGHTLIFE
    commercial_score = (np.exp(-from_centre / (0.15 * scale))
                        + 0.6 * np.exp(-from_local / (0.05 * scale))) * noise
    commercial_score[land_use == NIGHTLIFE] = -np.inf
    n_commercial = int(round(params.commercial_share * width * height))
    if n_commercial:
        land_use[np.argsort(-commercial_score, kind="stable")[:n_commercial]] = COMMERCIAL

    block_ses = ses[neighbourhood]
    disorder = np.clip(params.disorder_poverty_gradient * (1 - block_ses)
                       + rng.normal(0, params.block_noise_sd, width * height), 0, 1)
    lighting = np.clip(params.lighting_mean + params.lighting_ses_gradient * (block_ses - 0.5)
                       + rng.normal(0, params.block_noise_sd, width * height), 0, 1)
    by_use = np.array([getattr(params.residential_weight, use) for use in LAND_USES])
    residential_weight = density[neighbourhood] * by_use[land_use]
    block_heterogeneity = rng.lognormal(-0.5, 1.0, width * height)
    return City(
        width=width,
        height=height,
        neighbourhood=neighbourhood,
        land_use=land_use,
        disorder=disorder,
        lighting=lighting,
        residential_weight=residential_weight,
        block_heterogeneity=block_heterogeneity,
        neighbourhood_ses=ses,
        neighbourhood_density=density,
    )
