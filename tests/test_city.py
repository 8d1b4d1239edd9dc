import numpy as np

from simulation.city import COMMERCIAL, NIGHTLIFE, build_city
from simulation.params import CityParams, OpportunityParams


def make_city(seed=0, **overrides):
    return build_city(CityParams(**overrides), np.random.default_rng(seed))


def test_city_has_the_requested_neighbourhoods_and_land_use_shares():
    city = make_city()
    assert city.cells == 10_000
    assert set(np.unique(city.neighbourhood)) == set(range(16))
    sizes = np.bincount(city.neighbourhood)
    assert sizes.min() > 0.3 * sizes.mean()  # Voronoi regions of comparable size
    assert abs((city.land_use == COMMERCIAL).mean() - 0.10) < 0.005
    assert abs((city.land_use == NIGHTLIFE).mean() - 0.02) < 0.005


def test_poorer_neighbourhoods_are_denser_more_disordered_and_darker():
    city = make_city(seed=3)
    ses = city.neighbourhood_ses[city.neighbourhood]
    poor, rich = ses < np.quantile(ses, 0.25), ses > np.quantile(ses, 0.75)
    assert city.disorder[poor].mean() > city.disorder[rich].mean() + 0.1
    assert city.lighting[poor].mean() < city.lighting[rich].mean() - 0.05
    assert city.neighbourhood_density[city.neighbourhood[poor]].mean() > \
        city.neighbourhood_density[city.neighbourhood[rich]].mean()


def test_nightlife_is_more_attractive_than_homes_and_lighting_lowers_a0():
    city = make_city(seed=1)
    a0 = city.base_attractiveness(OpportunityParams())
    assert np.median(a0[city.land_use == NIGHTLIFE]) > 2 * np.median(a0[city.land_use == 0])
    dark = city.base_attractiveness(OpportunityParams(lighting_effect=0.0))
    assert np.all(a0 <= dark) and (1 - a0.sum() / dark.sum()) > 0.05


def test_same_seed_same_city():
    first, second = make_city(seed=7), make_city(seed=7)
    assert np.array_equal(first.neighbourhood, second.neighbourhood)
    assert np.array_equal(first.disorder, second.disorder)
    assert not np.array_equal(first.disorder, make_city(seed=8).disorder)
