"""Shared fixtures: seeded runs reused by several tests (each is computed once per session)."""

from __future__ import annotations

import pytest

from simulation import Parameters, run, with_overrides


def small_params(**overrides) -> Parameters:
    """A small city for fast tests: 30 x 30 blocks, 4 neighbourhoods, 3,000 residents."""
    base = {"city.width": 30, "city.height": 30, "city.neighbourhoods": 4,
            "population.residents": 3000, "warmup_days": 30}
    return with_overrides(Parameters(), {**base, **overrides})


@pytest.fixture(scope="session")
def default_run():
    """The default city (100,000 residents) for 10 years after the warm-up, seed 1."""
    return run(Parameters(), seed=1)


def stepped(params: Parameters, days: int, seed: int = 1):
    """A city model stepped through its warm-up and ``days`` recorded days."""
    from simulation.model import CityModel

    model = CityModel(params, rng=seed, days=days)
    for _ in range(params.warmup_days + days):
        model.step()
    return model
