"""Youth networks, gangs, retaliation and firearms: rules first, then what they add up to."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_params

from simulation import Parameters, run, with_overrides
from simulation.model import CityModel
from simulation.youth import NO_GANG, Retaliations, lag_days, network_graph, recruit_and_leave


def test_gangs_start_in_the_poorest_neighbourhoods_among_young_men():
    model = CityModel(small_params(**{"population.residents": 20_000}), rng=1, days=10)
    population, gang = model.population, model.population.gang
    members = gang != NO_GANG
    assert members.sum() > 20
    assert population.male[members].all()
    assert ((population.age[members] >= 14) & (population.age[members] < 21)).all()
    poorest = np.argsort(model.city.neighbourhood_ses)[:model.params.youth.gangs]
    assert np.isin(population.neighbourhood[members], poorest).all()
    # One gang per home neighbourhood.
    for gang_id in np.unique(gang[members]):
        assert len(np.unique(population.neighbourhood[gang == gang_id])) == 1


def test_young_men_join_only_through_gang_peers_and_age_out():
    model = CityModel(small_params(**{"population.residents": 20_000}), rng=2, days=10)
    population = model.population
    gang = population.gang.copy()
    before = gang.copy()
    rng = np.random.default_rng(0)
    params = with_overrides(model.params, {"youth.recruitment": 0.5}).youth
    joined, left = recruit_and_leave(population, gang, params, rng)
    assert joined > 10 and left >= 0
    new = np.flatnonzero((before == NO_GANG) & (gang != NO_GANG))
    # Every recruit had a peer in the gang he joined.
    peer_gangs = before[population.peers[new]]
    assert (peer_gangs == gang[new][:, None]).any(axis=1).all()
    population.age[new[:5]] = 27.0
    recruit_and_leave(population, gang, params.model_copy(update={"recruitment": 0.0}), rng)
    assert (gang[new[:5]] == NO_GANG).all()


def test_retaliation_lags_are_lognormal_with_the_s11_median_and_mean():
    lags = lag_days(200_000, Parameters().youth, np.random.default_rng(3))
    assert 80 <= np.median(lags) <= 86  # Green, Horel & Papachristos (2017): 83
    assert 120 <= lags.mean() <= 130  # and 125


def test_due_retaliations_are_taken_once_and_forgotten_with_their_residents():
    pending = Retaliations()
    pending.add(10, np.array([1, 2, 3]), np.array([4, 5, 6]), np.array([5, 20, 40]))
    avenger, target, lag = pending.take_due(20)
    assert avenger.tolist() == [1] and target.tolist() == [4] and lag.tolist() == [5]
    pending.forget(np.array([6]))
    assert pending.avenger.tolist() == [2]
    assert len(pending.take_due(29)[0]) == 0 and len(pending.take_due(30)[0]) == 1


def test_the_network_is_a_networkx_graph_of_the_peer_ties():
    model = CityModel(small_params(**{"population.residents": 3000}), rng=1, days=10)
    graph = network_graph(model.population)
    assert graph.number_of_nodes() == 3000
    a, b = 7, int(model.population.peers[7, 0])
    assert graph.has_edge(a, b)
    young = np.flatnonzero(model.population.age < 25)
    sub = network_graph(model.population, young)
    assert set(sub.nodes) == set(young.tolist())


def test_friendships_rewire_toward_fellow_gang_members():
    params = small_params(**{"population.residents": 20_000, "warmup_days": 0,
                             "youth.rewiring": 0.2, "youth.recruitment": 0.0,
                             "youth.exit_rate": 0.0, "youth.exit_age": 100.0})
    model = CityModel(params, rng=4, days=400)

    def gang_tie_share() -> float:
        population = model.population
        members = np.flatnonzero(population.gang != NO_GANG)
        ties = population.peers[members, -1]
        return float((population.gang[ties] == population.gang[members]).mean())

    before = gang_tie_share()
    for _ in range(365):
        model.step()
    assert gang_tie_share() > before + 0.1


@pytest.fixture(scope="module")
def violent_city():
    return run(with_overrides(Parameters(), {"population.residents": 50_000, "years": 3}), seed=1)


def test_violence_spreads_on_the_network_with_the_s11_lag(violent_city):
    summary = violent_city.summary
    # S11: gunshot violence concentrates in a network of under 6% of residents and follows
    # earlier violence by a mean of 125 days (median 83).
    assert 0.002 < summary["gang_members_per_100k"] / 100_000 < 0.06
    assert 0.25 < summary["network_homicide_share"] < 0.8
    assert summary["network_violence_share"] > 5 * summary["gang_members_per_100k"] / 100_000
    assert summary["retaliation_homicide_share"] > 0.05
    assert 90 < summary["retaliation_lag_mean"] < 140  # avengers in prison or dead drop out


def test_firearms_raise_homicide_far_more_than_other_violence():
    def rates(availability: float) -> dict:
        params = with_overrides(Parameters(), {"population.residents": 30_000, "years": 2,
                                               "warmup_days": 365,
                                               "firearms.availability": availability})
        return run(params, seed=2).summary

    few, many = rates(0.05), rates(0.6)
    assert many["homicide_rate"] > 2.0 * few["homicide_rate"]
    assert many["firearm_homicide_share"] > few["firearm_homicide_share"] + 0.3
    assert abs(many["true_crime_rate"] / few["true_crime_rate"] - 1) < 0.15


def test_a_prison_record_in_the_household_raises_the_young_members_motivation():
    from simulation.youth import family_at_risk

    params = small_params(**{"population.residents": 5000, "youth.family_risk": 1.0,
                             "youth.gangs": 0})
    model = CityModel(params, rng=1, days=10)
    population = model.population
    before = np.diff(model.motivation_cumsum, prepend=0.0)
    household = population.household[np.flatnonzero(population.age < 18)[0]]
    members = np.flatnonzero(population.household == household)
    adult = members[population.age[members] >= 18][0]
    population.prison_spells[adult] = 1
    at_risk = family_at_risk(population)
    young = members[population.age[members] < 25]
    assert at_risk[young].all() and at_risk.sum() == len(young)
    model.refresh_hazards()
    after = np.diff(model.motivation_cumsum, prepend=0.0)
    np.testing.assert_allclose(after[young], 2 * before[young], rtol=1e-6, atol=1e-12)
    others = np.setdiff1d(np.arange(population.size), young)
    np.testing.assert_allclose(after[others], before[others], rtol=1e-6, atol=1e-12)
