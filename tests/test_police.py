"""Police management and legitimacy: strategies, abuse, corruption, trust, reporting, the survey."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import CityModel, Parameters, run, with_overrides
from simulation.indicators import COLUMN
from simulation.params import PoliceParams
from simulation.perception import (
    corruption_equilibrium,
    update_corruption,
    victimisation_survey,
    wilson_interval,
)
from simulation.policing import unit_strategies, visit_guardianship, visits_per_day

CITY = {"population.residents": 30_000, "city.width": 60, "city.height": 60,
        "city.neighbourhoods": 9}
DAYS = 240


def simulate(days=DAYS, seed=3, **overrides):
    """Step a 30,000-resident city; return the model, police presence and crimes per block."""
    params = with_overrides(Parameters(), {**CITY, **overrides})
    model = CityModel(params, rng=seed, days=days)
    presence, crimes = np.zeros(model.city.cells), np.zeros(model.city.cells)
    for _ in range(params.warmup_days + days):
        model.step()
        if model.day >= 0:
            presence += model.police_visits
            crimes += model._street_crimes_today
    return model, presence, crimes


def daily_total(model, column):
    return model.indicators.daily[:DAYS, COLUMN[column]].sum()


def mean_trust(model):
    return model.trust_of(np.arange(model.population.size)).mean()


def willingness_to_report(model):
    """Mean chance that a resident would report a property crime, given his trust now (free
    of the noise of who happened to be victimised)."""
    from simulation.perception import report_probability

    reporting = model.params.reporting
    trust = model.trust_of(np.arange(model.population.size))
    base = np.full(len(trust), reporting.base.property)
    return report_probability(base, trust, reporting.trust_reference, reporting.trust_effect).mean()


@pytest.fixture(scope="module")
def random_patrol():
    return simulate()


def test_koper_dwell_time_gives_most_protection_near_10_to_15_minutes():
    def protection(dwell):
        params = PoliceParams(dwell_minutes=dwell, travel_minutes=10)
        return visits_per_day(params) * visit_guardianship(params)

    best = max(range(2, 61), key=protection)
    assert 8 <= best <= 15
    assert protection(best) > 1.1 * protection(40) and protection(best) > 1.1 * protection(3)


def test_mixed_strategy_splits_units_by_share():
    params = PoliceParams(strategy="mixed", mix={"random": 0.0, "hotspot": 0.5, "community": 0.3,
                                                  "saturation": 0.0, "reactive": 0.2})
    assert [s.value for s in unit_strategies(params, 10)].count("hotspot") == 5
    assert [s.value for s in unit_strategies(params, 10)].count("community") == 3
    assert len(unit_strategies(params, 7)) == 7


def test_saturation_cuts_crime_where_it_patrols_but_raises_abuse_and_costs_trust_and_reporting(
        random_patrol):
    baseline, _, random_crimes = random_patrol
    saturated, presence, crimes = simulate(**{"police.strategy": "saturation"})
    targeted = presence >= np.quantile(presence, 0.98)
    assert crimes[targeted].sum() < 0.9 * random_crimes[targeted].sum()
    assert daily_total(saturated, "abuse_incidents") > 5 * max(daily_total(baseline, "abuse_incidents"), 1)
    assert daily_total(saturated, "stops") > 0 == daily_total(baseline, "stops")
    assert mean_trust(saturated) < mean_trust(baseline) - 0.05
    # Residents would report less. (The share of today's crimes reported need not fall: the
    # show of force also deters offenders where trust is lowest, so victims shift elsewhere.)
    assert willingness_to_report(saturated) < willingness_to_report(baseline) - 0.01


def test_community_policing_raises_trust_and_reporting(random_patrol):
    baseline, _, _ = random_patrol
    community, _, _ = simulate(**{"police.strategy": "community"})
    assert mean_trust(community) > mean_trust(baseline) + 0.02
    assert willingness_to_report(community) > willingness_to_report(baseline) + 0.005
    assert daily_total(community, "contacts") > 0


def test_audits_lower_corruption_over_time():
    lax = PoliceParams(internal_audits=0.0, external_audits=0.0)
    audited = PoliceParams(internal_audits=1.0, external_audits=1.0)
    assert corruption_equilibrium(audited) < 0.25 * corruption_equilibrium(lax)
    share = audited.initial_corruption
    path = [share := update_corruption(share, audited) for _ in range(60)]
    assert all(later < earlier for earlier, later in zip(path, path[1:]))
    assert path[-1] < 0.5 * audited.initial_corruption
    model, _, _ = simulate(days=3 * 365, **{"police.internal_audits": 1.0, "police.external_audits": 1.0})
    assert model.corrupt_share < 0.5 * model.params.police.initial_corruption


def test_corruption_voids_arrests_and_weakens_deterrence():
    corrupt = {"police.corruption_base": 0.7, "police.initial_corruption": 0.7}
    clean = {"police.corruption_base": 0.0, "police.initial_corruption": 0.0}
    dirty_model, _, _ = simulate(**corrupt)
    clean_model, _, _ = simulate(**clean)
    assert daily_total(dirty_model, "bribes") > 0 == daily_total(clean_model, "bribes")
    assert daily_total(dirty_model, "arrests") < 0.6 * daily_total(clean_model, "arrests")
    offenders = lambda m: m.population.offences > 0  # noqa: E731
    risk = lambda m: m.population.perceived_risk[offenders(m)].mean()  # noqa: E731
    assert risk(dirty_model) < risk(clean_model) - 0.02
    true = lambda m: sum(daily_total(m, f"true_{c}") for c in ("property", "robbery", "assault"))  # noqa: E731
    assert true(dirty_model) > 1.03 * true(clean_model)


def test_lower_trust_means_less_recorded_crime_for_the_same_true_crime():
    # Legitimacy off, so that trust changes reporting only, not offending.
    common = {**CITY, "perception.legitimacy_effect": 0.0}
    low = run(with_overrides(Parameters(), {**common, "population.trust_mean": 0.15}), seed=5, days=365)
    high = run(with_overrides(Parameters(), {**common, "population.trust_mean": 0.55}), seed=5, days=365)
    # True crime moves somewhat (fewer reports, fewer arrests, less deterrence), recorded
    # crime per true crime a lot.
    assert abs(low.summary["true_crime_rate"] / high.summary["true_crime_rate"] - 1) < 0.2
    recorded_per_true = lambda r: r.summary["recorded_crime_rate"] / r.summary["true_crime_rate"]  # noqa: E731
    assert recorded_per_true(low) < 0.85 * recorded_per_true(high)
    assert low.summary["dark_figure"] > high.summary["dark_figure"] + 0.03


def test_hotspot_patrol_under_patrols_where_low_trust_hides_crime():
    # Reporting is steep in trust and trust varies a lot between residents: hot-spot patrol,
    # which follows recorded crime, visits low-trust blocks less for the same true crime.
    params = {"police.strategy": "hotspot", "reporting.trust_effect": 8.0,
              "population.trust_sd": 0.3, "population.trust_ses_gradient": 0.8}
    model, presence, crimes = simulate(days=365, **params)
    population = model.population
    blocks = np.bincount(population.home_cell, weights=model.trust_of(np.arange(population.size)),
                         minlength=model.city.cells) / np.maximum(population.block_count, 1)
    lived = (population.block_count > 0) & (crimes > 0)
    low = lived & (blocks <= np.quantile(blocks[lived], 0.25))
    high = lived & (blocks >= np.quantile(blocks[lived], 0.75))
    per_crime = lambda mask: presence[mask].sum() / crimes[mask].sum()  # noqa: E731
    assert per_crime(low) < 0.8 * per_crime(high)


def test_wilson_interval_covers_a_known_proportion_at_its_nominal_rate():
    rng = np.random.default_rng(0)
    truth, trials = 0.12, 500
    covered = 0
    for _ in range(2000):
        low, high = wilson_interval(int(rng.binomial(trials, truth)), trials)
        covered += low <= truth <= high
    assert 0.93 <= covered / 2000 <= 0.97


def test_survey_estimates_cover_the_true_victimisation_rate_across_seeds():
    covered = []
    for seed in range(16):
        result = run(with_overrides(Parameters(), {**CITY, "survey.sample_size": 800,
                                                   "warmup_days": 30}), seed=seed, days=365)
        year = result.annual.iloc[0]
        covered.append(year["survey_ci_low"] <= year["true_victimisation_prevalence"] <= year["survey_ci_high"])
        assert year["survey_sample"] == 800
    assert np.mean(covered) >= 0.8  # nominal 95%; 16 seeds leave room for sampling noise


def test_survey_reports_the_sample_and_its_interval():
    rng = np.random.default_rng(1)
    victimised = rng.random(10_000) < 0.2
    eligible = np.ones(10_000, dtype=bool)
    result = victimisation_survey(victimised, eligible, 1000, rng)
    assert result["survey_sample"] == 1000
    assert result["survey_ci_low"] < result["survey_victimisation_rate"] < result["survey_ci_high"]
    assert result["true_victimisation_prevalence"] == pytest.approx(victimised.mean())


def test_military_deployment_adds_presence_and_abuse_but_no_investigations(random_patrol):
    baseline, _, _ = random_patrol
    military, _, _ = simulate(**{"police.military_per_100k": 150})
    assert daily_total(military, "police_visits") > 1.5 * daily_total(baseline, "police_visits")
    assert daily_total(military, "abuse_incidents") > 5 * max(daily_total(baseline, "abuse_incidents"), 1)
    assert military.detective_capacity == baseline.detective_capacity


def test_the_survey_changes_nothing_else_in_the_run():
    small = {**CITY, "population.residents": 5000, "warmup_days": 30}
    seed = np.random.SeedSequence(9)
    first = run(with_overrides(Parameters(), {**small, "survey.sample_size": 300}), seed=seed, days=365)
    again = run(with_overrides(Parameters(), {**small, "survey.sample_size": 300}), seed=seed, days=365)
    bigger = run(with_overrides(Parameters(), {**small, "survey.sample_size": 3000}), seed=seed, days=365)
    assert first.annual.equals(again.annual)  # the same seed object twice: identical
    assert first.daily.equals(bigger.daily)  # a bigger survey changes nothing but the survey
    assert bigger.annual["survey_sample"].iloc[0] == 3000


def test_media_amplify_fear_and_fear_feeds_demand_for_mano_dura_and_private_security():
    small = {**CITY, "population.residents": 8000, "warmup_days": 60}
    quiet = run(with_overrides(Parameters(), {**small, "perception.media_intensity": 0.0}), seed=2, days=365)
    loud = run(with_overrides(Parameters(), {**small, "perception.media_intensity": 3.0}), seed=2, days=365)
    assert loud.summary["mean_fear"] > quiet.summary["mean_fear"] + 0.1
    assert loud.summary["punitive_support"] > quiet.summary["punitive_support"] + 0.05
    assert loud.summary["private_security_demand"] > quiet.summary["private_security_demand"]


def test_fear_keeps_people_off_the_street():
    def street_guardianship(effect):
        params = with_overrides(Parameters(), {**CITY, "population.residents": 8000,
                                               "perception.fear_street_effect": effect})
        model = CityModel(params, rng=1, days=40)
        for _ in range(params.warmup_days + 40):
            model.step()
        commercial = model.city.land_use == 1
        return model.informal_guardianship[commercial].mean()

    assert street_guardianship(1.0) < 0.9 * street_guardianship(0.0)
