import numpy as np
import pytest

from simulation.city import build_city
from simulation.params import AGE_BANDS, CityParams, PopulationParams
from simulation.population import annual_demography, build_population, update_labour_and_school


@pytest.fixture(scope="module")
def city_and_population():
    rng = np.random.default_rng(11)
    city = build_city(CityParams(), rng)
    params = PopulationParams(residents=50_000)
    return city, params, build_population(params, city, 0.2, rng), rng


def test_age_pyramid_is_reproduced(city_and_population):
    _, params, population, _ = city_and_population
    bands = np.minimum(population.age // 5, len(AGE_BANDS) - 1).astype(int)
    observed = np.bincount(bands, minlength=len(AGE_BANDS)) / population.size
    expected = np.asarray(params.age_pyramid) / sum(params.age_pyramid)
    assert np.abs(observed - expected).max() < 0.006


def test_every_household_has_an_adult_and_lives_on_one_block(city_and_population):
    _, params, population, _ = city_and_population
    adults = np.bincount(population.household, weights=population.age >= 18)
    assert adults.min() >= 1
    assert abs(population.size / len(population.household_size) - params.household_size_mean) < 0.3
    cells = population.home_cell
    first = population.household_start[population.household]
    assert np.array_equal(cells, cells[first])


def test_residents_are_contiguous_by_block_and_neighbourhood(city_and_population):
    city, _, population, _ = city_and_population
    assert population.block_count.sum() == population.size
    for block in np.flatnonzero(population.block_count)[::97]:
        start = population.block_first[block]
        stop = start + population.block_count[block]
        assert np.all(population.home_cell[start:stop] == block)
    for n in range(city.neighbourhoods):
        start, stop = population.neighbourhood_start[n], population.neighbourhood_start[n + 1]
        assert np.all(population.neighbourhood[start:stop] == n)


def test_peers_live_in_the_same_neighbourhood_and_are_close_in_age(city_and_population):
    _, _, population, _ = city_and_population
    peers = population.peers
    assert np.all(population.neighbourhood[peers] == population.neighbourhood[:, None])
    assert np.all(peers != np.arange(population.size)[:, None])
    age_gap = np.abs(population.age[peers] - population.age[:, None]).mean()
    random_gap = np.abs(population.age - np.random.default_rng(0).permutation(population.age)).mean()
    assert age_gap < 0.25 * random_gap


def test_propensity_is_heavy_tailed_with_mean_one_for_men(city_and_population):
    _, _, population, _ = city_and_population
    men = population.propensity[population.male]
    assert abs(men.mean() - 1) < 0.1
    top = np.sort(men)[::-1][: len(men) // 20].sum() / men.sum()
    assert top > 0.3  # the top 5% of men hold > 30% of propensity


def test_unemployment_settles_near_its_target(city_and_population):
    _, params, population, rng = city_and_population
    for _ in range(24):
        update_labour_and_school(population, params, rng)
    age = population.age
    adults = (age >= 25) & (age < 65) & ~population.in_school
    rate = 1 - population.employed[adults].mean()
    assert 0.5 * params.unemployment_rate < rate < 2.0 * params.unemployment_rate
    youth = (age >= 15) & (age < 25) & ~population.in_school
    assert 1 - population.employed[youth].mean() > rate


def test_demography_keeps_the_population_size_and_makes_newborns(city_and_population):
    _, params, population, rng = city_and_population
    size = population.size
    newborn = annual_demography(population, params, day=365, rng=rng)
    assert population.size == size
    assert len(newborn) == population.births
    assert abs(len(newborn) / size - params.birth_rate) < 0.004
    assert np.all(population.age[newborn] < 1.0)


def test_memory_per_resident_is_within_budget(city_and_population):
    _, _, population, _ = city_and_population
    assert population.nbytes_per_resident() <= 200
