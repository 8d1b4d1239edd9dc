"""Short et al. (2008): the bare burglar model shows its published regimes."""

import pytest

from simulation.short2008 import PUBLISHED_SETS, Short2008Params, run_short2008

STEPS = 20_000  # 200 time units at dt = 0.01; hotspots form well within that on 64 x 64


def short(key: str, seed: int = 1):
    eta, theta, gamma = PUBLISHED_SETS[key]
    return run_short2008(Short2008Params(size=64, eta=eta, theta=theta, gamma=gamma), STEPS, seed)


@pytest.fixture(scope="module")
def homogeneous():
    return short("a")


@pytest.fixture(scope="module")
def stationary():
    return short("c")


def test_high_diffusion_gives_near_uniform_crime(homogeneous):
    assert homogeneous.attractiveness_cv < 0.1
    assert homogeneous.peak_ratio < 1.3


def test_low_diffusion_gives_stationary_hotspots(stationary):
    assert stationary.attractiveness_cv > 0.5
    assert stationary.peak_ratio > 4
    assert stationary.map_stability > 0.9  # the same hotspots in the 3rd and 4th quarter


@pytest.mark.parametrize("fixture", ["homogeneous", "stationary"])
def test_burglary_rate_equals_arrival_rate(fixture, request):
    result = request.getfixturevalue(fixture)
    assert result.burglary_rate == pytest.approx(result.params.gamma, rel=0.05)


def test_equilibrium_burglar_density_matches_theory(homogeneous):
    density = homogeneous.burglars_per_step[STEPS // 2:].mean() / 64**2
    assert density == pytest.approx(homogeneous.params.equilibrium_burglars, rel=0.05)


def test_compiled_field_update_matches_the_city_kernel():
    import numpy as np

    from simulation.offending import update_attractiveness
    from simulation.short2008 import _simulate

    rng = np.random.default_rng(5)
    field = rng.random((16, 16))
    expected = update_attractiveness(field.copy(), np.zeros((16, 16)), eta=0.2, omega=1 / 15,
                                     theta=0.56, dt=0.01, periodic=True)
    tallies = (np.zeros((2, 256)), np.zeros(2, dtype=np.int64), np.zeros(256, dtype=np.int64),
               np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64))
    # No burglars and no arrivals: one step is the field update alone.
    _simulate(field, np.zeros(8, dtype=np.int64), 0, 1, 1 / 30, 0.2, 1 / 15, 0.56, 0.01, 0.0,
              rng, *tallies)
    assert np.allclose(field, expected, rtol=1e-12)
