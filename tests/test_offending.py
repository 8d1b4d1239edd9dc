import numpy as np
import pytest

from simulation.offending import (
    age_crime_curve,
    choose_targets,
    draw_crime_types,
    draw_weighted,
    go_ahead_probability,
    guardian_block_probability,
    learn_perceived_risk,
    update_attractiveness,
    crime_type_table,
    deterrence_exponent,
    HOMICIDE, PROPERTY,
)
from simulation.city import build_city
from simulation.params import CityParams, OffendingParams, Parameters, with_overrides


@pytest.mark.parametrize("periodic", [True, False])
def test_diffusion_alone_conserves_attractiveness(periodic):
    rng = np.random.default_rng(0)
    field = rng.random((20, 30))
    total = field.sum()
    update_attractiveness(field, np.zeros((20, 30)), eta=0.2, omega=0.0, theta=0.0, periodic=periodic)
    assert field.sum() == pytest.approx(total, rel=1e-12)


def test_attractiveness_follows_short_update_exactly():
    field = np.zeros((5, 5))
    field[2, 2] = 1.0
    crimes = np.zeros((5, 5))
    crimes[0, 0] = 2
    update_attractiveness(field, crimes, eta=0.2, omega=0.1, theta=0.5, dt=1.0, periodic=True)
    assert field[2, 2] == pytest.approx(0.8 * 0.9)
    assert field[1, 2] == pytest.approx(0.05 * 0.9)
    assert field[0, 0] == pytest.approx(1.0)
    assert field[3, 3] == 0.0


def test_decay_without_crime_follows_omega():
    field = np.full((8, 8), 2.0)
    for _ in range(10):
        update_attractiveness(field, np.zeros((8, 8)), eta=0.1, omega=0.05, theta=1.0)
    assert np.allclose(field, 2.0 * 0.95**10)


def test_age_crime_curve_peaks_at_the_peak_age_with_a_long_tail():
    params = OffendingParams()
    ages = np.arange(0, 80, 0.25)
    curve = age_crime_curve(ages, params)
    assert ages[np.argmax(curve)] == pytest.approx(params.age_peak, abs=0.25)
    assert curve.max() == pytest.approx(1.0, abs=1e-6)
    assert np.all(curve[ages <= params.age_onset] == 0)
    at = lambda age: float(age_crime_curve(np.array([age]), params)[0])  # noqa: E731
    assert 0.1 < at(35) < 0.5  # the long tail of the early-adult years
    assert at(60) < 0.05


def test_draw_weighted_follows_the_weights():
    rng = np.random.default_rng(1)
    weights = np.array([0.0, 1.0, 3.0, 0.0, 6.0])
    draws = draw_weighted(np.cumsum(weights), 100_000, rng)
    share = np.bincount(draws, minlength=5) / 100_000
    assert share[0] == 0 and share[3] == 0
    assert np.allclose(share, weights / weights.sum(), atol=0.01)


def test_deterrence_and_guardianship_probabilities():
    assert np.allclose(go_ahead_probability(np.array([0.0, 0.5, 1.0]), 1.0), [1.0, 0.5, 0.0])
    block = guardian_block_probability(np.array([0, 1, 2]), np.array([0.0, 0.0, 0.5]), 0.4)
    assert np.allclose(block, [0.0, 0.4, 1 - 0.36 * 0.5])


def test_targets_are_near_home_and_favour_attractive_blocks():
    rng = np.random.default_rng(2)
    city = build_city(CityParams(width=60, height=60, neighbourhoods=4), rng)
    attractiveness = np.ones(city.cells)
    hot = np.arange(city.cells).reshape(60, 60)[25:35, 25:35].ravel()
    attractiveness[hot] = 20.0
    home = np.full(5000, 30 * 60 + 30)
    targets = choose_targets(home, attractiveness, city, OffendingParams(), rng)
    rows, cols = city.rows_cols(targets)
    distance = np.hypot(rows - 30, cols - 30)
    assert np.median(distance) < 10
    assert np.isin(targets, hot).mean() > 0.7  # 100 of 3,600 blocks, chosen > 70% of the time


def test_crime_types_follow_land_use_and_lethality():
    rng = np.random.default_rng(3)
    table = crime_type_table(OffendingParams())
    homes = draw_crime_types(np.zeros(50_000, dtype=int), table, 0.0, rng)
    nightlife = draw_crime_types(np.full(50_000, 2), table, 0.0, rng)
    assert (homes == PROPERTY).mean() == pytest.approx(0.65, abs=0.01)
    assert (nightlife == PROPERTY).mean() == pytest.approx(0.30, abs=0.01)
    lethal = draw_crime_types(np.full(50_000, 2), table, 0.1, rng)
    assert (lethal == HOMICIDE).mean() == pytest.approx(0.7 * 0.1, abs=0.005)


def test_perceived_risk_moves_toward_outcomes_of_self_and_peers():
    risk = np.full(6, 0.2, dtype=np.float32)
    peers = np.array([[1, 2], [0, 2], [0, 1], [4, 5], [3, 5], [3, 4]])
    params = OffendingParams(learning_own=0.5, learning_peer=0.25)
    learn_perceived_risk(risk, peers, np.array([0, 3]), np.array([True, False]), params)
    assert risk[0] == pytest.approx(0.2 + 0.5 * 0.8)
    assert risk[1] == pytest.approx(0.2 + 0.25 * 0.8)
    assert risk[3] == pytest.approx(0.2 - 0.5 * 0.2)
    assert risk[4] == pytest.approx(0.2 - 0.25 * 0.2)
    assert np.all((risk >= 0) & (risk <= 1))


def test_sentences_weigh_in_the_decision_discounted_and_not_at_all_at_the_defaults():
    """d u(S)^w: exactly d at the default sentences; longer sentences add almost nothing,
    shorter ones take away more (offenders discount future prison time); w = 0 or S = 1 leave
    the decision as it was."""

    def exponent(severity, **more):
        return deterrence_exponent(with_overrides(Parameters(), {"justice.sentencing.severity": severity, **more}))

    d = Parameters().offending.deterrence_exponent
    assert exponent(1.0) == d
    assert exponent(2.0, **{"offending.severity_weight": 0.0}) == d
    gain, loss = exponent(2.0) / d - 1, 1 - exponent(0.5) / d
    assert 0 < gain < 0.005 and 0.015 < loss < 0.03  # 0.3% and 2.1% at the defaults
    assert exponent(0.5) < exponent(1.5) < exponent(1.8) < exponent(2.0) < exponent(10.0)
    undiscounted = exponent(2.0, **{"offending.sentence_discounting": 0.0}) / d - 1
    assert undiscounted == pytest.approx(2.0 ** 0.17 - 1)
