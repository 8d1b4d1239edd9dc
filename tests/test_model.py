"""The city with default parameters shows the stylized facts of REFERENCE.md (seeded runs)."""

import numpy as np
import pandas as pd
import pytest

from simulation import CityModel, Parameters, run, with_overrides
from simulation.population import Status
from tests.conftest import small_params


def test_same_seed_same_outputs_different_seed_different_outputs():
    params = small_params()
    first, second = run(params, seed=5, days=120), run(params, seed=5, days=120)
    pd.testing.assert_frame_equal(first.daily, second.daily)
    pd.testing.assert_frame_equal(first.annual, second.annual)
    pd.testing.assert_frame_equal(first.neighbourhoods, second.neighbourhoods)
    assert pd.Series(first.summary).equals(pd.Series(second.summary))  # NaN-aware
    other = run(params, seed=6, days=120)
    assert not first.daily.equals(other.daily)


def test_seed_sequence_runs_are_reproducible():
    params = small_params()
    seed = np.random.SeedSequence(42).spawn(3)[2]
    first = run(params, seed=seed, days=60)
    second = run(params, seed=np.random.SeedSequence(42).spawn(3)[2], days=60)
    pd.testing.assert_frame_equal(first.daily, second.daily)
    assert first.seed == {"entropy": 42, "spawn_key": [2]}


def test_police_units_are_mesa_agents_with_a_sector():
    model = CityModel(small_params(), rng=1, days=10)
    from simulation.policing import PoliceUnit

    units = model.agents_by_type[PoliceUnit]
    assert len(units) >= 1
    model.step()
    tipped = 1 - model.params.police.tipoff_effect * model.corrupt_share
    assert model.police_visits.sum() == pytest.approx(len(units) * model.visits_per_unit * tipped)
    for unit in units:
        assert np.all(model.city.neighbourhood[unit.blocks_today] == unit.sector)


def test_fields_are_mesa_property_layers_sharing_the_model_arrays():
    model = CityModel(small_params(), rng=1, days=40)
    for _ in range(40):
        model.step()
    layer = model.grid.attractiveness
    assert np.shares_memory(layer.data, model.attractiveness)
    assert np.allclose(layer.data.ravel(), model.base_attractiveness + model.dynamic_attractiveness.ravel())


# -- stylized facts on the default city ----------------------------------------------------


def test_crime_concentrates_in_the_law_of_concentration_range(default_run):
    # S1: 50% of crime at 2.1-6.0% of street segments (Weisburd 2015), every year.
    half = default_run.annual["share_blocks_half_crime"]
    assert half.between(0.021, 0.060).all(), half.tolist()


def test_offending_peaks_at_ages_15_to_19_with_a_long_tail(default_run):
    # S4: prevalence peaks at 15-19 and falls from the early 20s (Farrington 1986).
    profile = default_run.age_profile.set_index("age_band")["offence_rate"]
    assert profile.idxmax() == "15-19"
    assert profile["15-19"] > 2.5 * profile["35-39"]
    assert profile["10-14"] < profile["15-19"]
    assert profile["35-39"] > 0.1 * profile["15-19"]  # a long tail, not a cliff


def test_a_few_offenders_commit_a_large_share_of_crime(default_run):
    # S5: 6% of a birth cohort committed 52% of its offences (Wolfgang, Figlio & Sellin 1972).
    summary = default_run.summary
    assert summary["cohort_size"] > 3000
    assert 0.40 < summary["cohort_offences_by_top_6pct"] < 0.70


def test_repeat_victimisation_is_well_above_chance(default_run):
    # S2: repeat victims suffer far more than their chance share (Farrell & Pease 1993).
    annual = default_run.annual
    assert (annual["repeat_victimisation_share"] > 2.0 * annual["repeat_victimisation_chance"]).all()


def test_levels_are_plausible_for_a_latin_american_city(default_run):
    summary = default_run.summary
    assert 0.15 < summary["reporting_rate"] < 0.35  # ~3 in 4 crimes unreported
    assert 1_500 < summary["recorded_crime_rate"] < 4_500  # crime4 median 2,800 per 100,000
    assert 10 < summary["homicide_rate"] < 40  # the Americas 17.2
    assert 0.15 < summary["arrests_per_recorded_crime"] < 0.45  # crime4 median 0.28
    daily = default_run.daily
    assert (daily[[c for c in daily if c.startswith("recorded_")]].sum(axis=1)
            <= daily[[c for c in daily if c.startswith("true_")]].sum(axis=1)).all()


def test_hotspot_patrol_reduces_crime_in_treated_blocks_against_random_patrol():
    # S8: hot-spots policing lowers crime where it patrols (Braga et al. 2019).
    def patrol(strategy):
        params = with_overrides(Parameters(), {"police.strategy": strategy,
                                               "population.residents": 50_000})
        model = CityModel(params, rng=4, days=730)
        visits, crimes = np.zeros(model.city.cells), np.zeros(model.city.cells)
        for _ in range(params.warmup_days + 730):
            model.step()
            if model.day >= 0:
                visits += model.police_visits
                crimes += model._street_crimes_today
        return visits, crimes

    hot_visits, hot_crimes = patrol("hotspot")
    _, random_crimes = patrol("random")
    treated = hot_visits >= np.quantile(hot_visits, 0.98)
    assert hot_crimes[treated].sum() < 0.85 * random_crimes[treated].sum()
    # No city-wide rise: what is prevented in the hot spots is not all displaced elsewhere.
    assert hot_crimes.sum() < random_crimes.sum()
    # S9: in the ring of blocks within 2 of a treated block, diffusion of benefits (less crime
    # than under random patrol) is at least as common, sector by sector, as displacement.
    model = CityModel(with_overrides(Parameters(), {"population.residents": 50_000}), rng=4, days=1)
    grid = np.pad(treated.reshape(model.city.grid_shape), 2)
    height, width = model.city.grid_shape
    near = np.zeros((height, width), dtype=bool)
    for shift_row in range(5):
        for shift_col in range(5):
            near |= grid[shift_row:shift_row + height, shift_col:shift_col + width]
    ring = near.ravel() & ~treated
    sectors = model.city.neighbourhood
    change = [hot_crimes[ring & (sectors == n)].sum() - random_crimes[ring & (sectors == n)].sum()
              for n in range(model.city.neighbourhoods) if (ring & (sectors == n)).any()]
    assert sum(c < 0 for c in change) >= sum(c > 0 for c in change), change




def test_side_streams_accept_any_seed_sequence():
    # A seed whose entropy is a list (as SeedSequence([a, b]) makes) gives the survey and the
    # voters their own streams like an integer seed does, and the run stays reproducible.
    from simulation.streams import side_stream

    listed = np.random.default_rng(np.random.SeedSequence([7, 3], spawn_key=(2,)))
    again = np.random.default_rng(np.random.SeedSequence([7, 3], spawn_key=(2,)))
    assert side_stream(listed, 5).random() == side_stream(again, 5).random()
    assert side_stream(listed, 5).random() != side_stream(listed, 6).random()
    plain = np.random.default_rng(np.random.SeedSequence(7))
    expected = np.random.default_rng(np.random.SeedSequence(entropy=[7, 5], spawn_key=()))
    assert side_stream(plain, 5).random() == expected.random()  # integer seeds: as before
