"""Governance: the budget by line, pillar and dimension; equal-budget rescaling; budget
allocations in scenario files; overlays; elections that cut programmes; shocks."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from experiments.scenarios import ScenarioError, load_scenario
from simulation import Parameters, governance, with_overrides
from simulation.indicators import SPENDING_GROUPS, SPENDING_LEVERS
from simulation.params import leaf_fields
from simulation.run import run


# -- the budget ------------------------------------------------------------------------------

def test_every_line_has_a_pillar_and_a_dimension_and_every_cost_a_source():
    assert {line.pillar for line in governance.LINES} <= set(governance.PILLARS)
    assert {line.dimension for line in governance.LINES} == set(governance.DIMENSIONS)
    assert len(governance.LINE) == len(governance.LINES)
    for key, info in leaf_fields():
        if key.startswith(("costs.", "governance.", "shocks.")):
            assert (info.json_schema_extra or {}).get("source"), key


def test_spending_adds_up_by_line_by_pillar_and_by_dimension(default_run):
    annual = default_run.annual
    lines = annual[[f"spending_{name}" for name in SPENDING_LEVERS]].sum(axis=1)
    pillars = annual[[c for c in SPENDING_GROUPS if c.startswith("spending_pillar_")]].sum(axis=1)
    dimensions = annual[[c for c in SPENDING_GROUPS if c.startswith("spending_dimension_")]].sum(axis=1)
    np.testing.assert_allclose(lines, annual["spending_total"], rtol=1e-9)
    np.testing.assert_allclose(pillars, annual["spending_total"], rtol=1e-9)
    np.testing.assert_allclose(dimensions, annual["spending_total"], rtol=1e-9)
    # Police, prisons and courts are most of the status quo's budget; prevention next to none.
    assert annual["spending_pillar_police_management"].mean() > 0.4 * annual["spending_total"].mean()
    assert annual["spending_pillar_prevention_of_crime_and_violence"].mean() == 0


def test_the_cost_of_crime_prices_each_offence_at_its_unit_cost(default_run):
    params, annual = default_run.params, default_run.annual
    unit = params.costs.crime
    expected = sum(annual[f"true_{crime}"] * getattr(unit, crime)
                   for crime in ("property", "robbery", "assault", "homicide", "domestic"))
    np.testing.assert_allclose(annual["crime_cost"], expected * 365 / annual["days"], rtol=1e-9)
    # Homicide dominates: at USD 1.5 m each, a few dozen cost more than thousands of thefts.
    assert (annual["true_homicide"] * unit.homicide).sum() > 0.25 * (annual["crime_cost"]).sum()


def test_the_planned_budget_counts_capacity_and_full_prisons():
    params = Parameters()
    lines = governance.planned_lines(params)
    per = params.population.residents / 100_000
    costs = params.costs
    assert lines["investigation"] == pytest.approx(15 * per * costs.detective_year)
    places = (params.justice.prison.capacity_per_100k + params.justice.prison.juvenile_capacity_per_100k) * per
    assert lines["prisons"] == pytest.approx(places * (costs.prisoner_year + costs.prison_place_year))
    assert lines["supervision"] == lines["witness_protection"] == lines["restorative"] == 0
    # Paying officers as much as similar jobs costs more than the default 0.8 of it.
    better_paid = with_overrides(params, {"police.wage_ratio": 1.0})
    assert governance.planned_lines(better_paid)["police"] == pytest.approx(lines["police"] / 0.86 * 1.0)


def test_punitive_and_comprehensive_cost_the_same_and_more_than_baseline():
    planned = {name: governance.planned_per_resident(load_scenario(name).params)
               for name in ("baseline", "punitive", "comprehensive")}
    assert planned["comprehensive"] == pytest.approx(planned["punitive"], rel=0.01)
    assert planned["punitive"] > 1.5 * planned["baseline"]
    # ...but spent differently: punitive on police, comprehensive across the pillars.
    pillars = {name: governance.by_pillar(governance.planned_lines(load_scenario(name).params))
               for name in ("punitive", "comprehensive")}
    prevention = "prevention of crime and violence"
    assert pillars["punitive"][prevention] == 0
    assert pillars["comprehensive"][prevention] > 0.15 * sum(pillars["comprehensive"].values())
    assert pillars["punitive"]["police management"] > 1.4 * pillars["comprehensive"]["police management"]


def test_rescale_meets_the_target_and_keeps_the_allocation():
    comprehensive = load_scenario("comprehensive").params
    target = governance.planned_per_resident(Parameters())
    rescaled = governance.rescale(comprehensive, target)
    assert governance.planned_per_resident(rescaled) == pytest.approx(target, rel=1e-9)
    factor = rescaled.police.officers_per_100k / comprehensive.police.officers_per_100k
    assert 0.3 < factor < 0.7
    assert (rescaled.prevention.programmes.youth_places_per_100k
            / comprehensive.prevention.programmes.youth_places_per_100k) == pytest.approx(factor)
    # Prisons are buildings: a rescaled budget keeps them.
    assert rescaled.justice.prison.capacity_per_100k == comprehensive.justice.prison.capacity_per_100k
    with pytest.raises(ValueError, match="below the USD"):
        governance.rescale(comprehensive, 5.0)


# -- scenario files: budgets and overlays ----------------------------------------------------

def _write(folder, name, text):
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_budget_allocation_buys_capacity_at_unit_costs(tmp_path):
    _write(tmp_path, "base", 'description = "defaults"\n')
    path = _write(tmp_path, "plan", 'description = "an allocation"\nextends = "base"\n'
                  "[budget]\nper_resident = 80.0\n"
                  "shares = { police = 0.5, youth_programmes = 0.3, councils = 0.2 }\n")
    scenario = load_scenario(path)
    params = scenario.params
    assert governance.planned_per_resident(params) == pytest.approx(80.0, rel=0.01)
    lines = governance.planned_lines(params)
    named = lines["police"] + lines["police_quality"] + lines["youth_programmes"] + lines["councils"]
    assert (lines["youth_programmes"] / named) == pytest.approx(0.3, rel=0.02)
    assert isinstance(params.prevention.programmes.councils, int)
    assert params.prevention.programmes.councils > 0


@pytest.mark.parametrize("budget, message", [
    ("per_resident = 80.0\nshares = { police = 0.5, youth_programmes = 0.3 }", "add up to 0.8"),
    ("per_resident = 80.0\nshares = { polise = 1.0 }", "budget.shares.polise: not a spending line"),
    ("per_resident = 10.0\nshares = { police = 1.0 }", "below the USD"),
    ("per_resident = 80.0", "exactly two keys"),
    ("per_resident = -3\nshares = { police = 1.0 }", "budget.per_resident = -3"),
])
def test_a_malformed_budget_names_the_file_and_the_fix(tmp_path, budget, message):
    path = _write(tmp_path, "plan", f'description = "x"\n[budget]\n{budget}\n')
    with pytest.raises(ScenarioError, match=message) as error:
        load_scenario(path)
    assert str(path) in str(error.value)


def test_an_overlay_lies_over_a_scenario_with_plus(tmp_path):
    _write(tmp_path, "base", 'description = "defaults"\n[police]\nofficers_per_100k = 200\n')
    _write(tmp_path, "quake", 'description = "a quake"\noverlay = true\n'
           "[shocks.disaster]\nstart_year = 1.0\nduration_days = 90\n")
    combined = load_scenario("base+quake", folder=tmp_path)
    assert combined.name == "base+quake"
    assert combined.params.police.officers_per_100k == 200
    assert combined.params.shocks.disaster.duration_days == 90
    alone = load_scenario("quake", folder=tmp_path)
    assert alone.overlay and alone.params.police.officers_per_100k == Parameters().police.officers_per_100k


def test_overlay_errors_name_the_file_and_the_fix(tmp_path):
    _write(tmp_path, "base", 'description = "defaults"\n')
    with pytest.raises(ScenarioError, match="not an overlay"):
        load_scenario("base+base", folder=tmp_path)
    path = _write(tmp_path, "bad", 'description = "x"\noverlay = true\nextends = "base"\n')
    with pytest.raises(ScenarioError, match="an overlay cannot `extends`"):
        load_scenario(path)
    path = _write(tmp_path, "pill", 'description = "x"\npillar = "police"\n')
    with pytest.raises(ScenarioError, match="pillar = 'police': not a pillar"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="empty name"):
        load_scenario("base+", folder=tmp_path)


# -- elections -------------------------------------------------------------------------------

ELECTION_BASE = {
    "population.residents": 40_000, "years": 6, "prevention.programmes.youth_places_per_100k": 600,
    "prevention.programmes.interrupters_per_100k": 10, "prevention.programmes.councils": 4,
    "governance.first_election_year": 2.0, "governance.election_interval_years": 10,
    "governance.reversal_probability": 1.0, "governance.cut_share": 1.0,
}
ELECTION = {"reversal": {}, "agreement": {"governance.cross_party_agreement": True}}
ELECTION_SEEDS = (1, 2, 3, 4)


def _election_run(job):
    name, seed = job
    result = run(with_overrides(Parameters(), {**ELECTION_BASE, **ELECTION[name]}), seed=seed)
    return name, seed, result.annual


@pytest.fixture(scope="module")
def elections():
    jobs = [(name, seed) for name in ELECTION for seed in ELECTION_SEEDS]
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        return {(name, seed): annual for name, seed, annual in pool.map(_election_run, jobs)}


def test_an_election_cut_removes_a_programme_after_a_lag_and_an_agreement_keeps_it(elections):
    def youth(name, years):
        return sum(elections[name, seed]["youth_offences_per_100k"].iloc[list(years)].sum()
                   for seed in ELECTION_SEEDS)

    for seed in ELECTION_SEEDS:
        cut, kept = elections["reversal", seed], elections["agreement", seed]
        # The same city up to the election (common random numbers: elections draw apart).
        np.testing.assert_array_equal(cut["true_crimes"].iloc[:2], kept["true_crimes"].iloc[:2])
        assert cut["programme_level"].iloc[2:].max() == 0 and kept["programme_level"].min() == 1
        assert cut["youth_in_programmes_per_100k"].iloc[3:].max() == 0
        assert cut["spending_youth_programmes"].iloc[2:].max() == 0
    # Young people offend more once the programme is gone, and the gap opens over years: the
    # programme's lasting effect on those who finished it fades as new cohorts come of age.
    late = youth("reversal", (4, 5)) / youth("agreement", (4, 5))
    first = youth("reversal", (2,)) / youth("agreement", (2,))
    assert late > 1.1
    assert first - 1 < 2 / 3 * (late - 1)


# -- shocks ----------------------------------------------------------------------------------

SHOCK_BASE = {"years": 4, "governance.reversal_probability": 0.0}
SHOCK = {"none": {}, "disaster": {"shocks.disaster.start_year": 2.0,
                                  "shocks.disaster.duration_days": 182}}
QUARTER = 91


def _shock_run(job):
    name, seed = job
    result = run(with_overrides(Parameters(), {**SHOCK_BASE, **SHOCK[name]}), seed=seed)
    return name, seed, result.daily


@pytest.fixture(scope="module")
def shocks():
    jobs = [(name, seed) for name in SHOCK for seed in (1, 2)]
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        return {(name, seed): daily for name, seed, daily in pool.map(_shock_run, jobs)}


def test_a_disaster_raises_crime_and_fear_while_it_lasts_and_the_city_recovers(shocks):
    crimes = [f"true_{c}" for c in ("property", "robbery", "assault", "homicide", "domestic")]
    start, end = 730, 730 + 182
    during, after = slice(start, end), slice(end + 365, None)  # after: from a year after it ended
    fear_gap = {"during": [], "after": []}
    for seed in (1, 2):
        hit, calm = shocks["disaster", seed], shocks["none", seed]
        np.testing.assert_array_equal(hit[crimes].iloc[:start], calm[crimes].iloc[:start])
        assert hit["police_on_duty"].iloc[start:end].mean() < 0.65 * calm["police_on_duty"].iloc[0]
        assert (hit["police_on_duty"].iloc[end:] == calm["police_on_duty"].iloc[end:]).all()
        assert hit[crimes].iloc[during].to_numpy().sum() > 1.15 * calm[crimes].iloc[during].to_numpy().sum()
        ratio = hit[crimes].iloc[after].to_numpy().sum() / calm[crimes].iloc[after].to_numpy().sum()
        assert abs(ratio - 1) < 0.1
        for window, days in (("during", during), ("after", after)):
            fear_gap[window].append(hit["mean_fear"].iloc[days].mean() - calm["mean_fear"].iloc[days].mean())
    # Fear follows the homicides the media report, so one city's fear swings by several points
    # from month to month: compare the two seeds' mean gaps. Neighbourhood victimisation is
    # remembered for about a year (Section 7.15), so fear recovers more slowly than crime.
    assert np.mean(fear_gap["during"]) > 0.03
    assert np.mean(fear_gap["after"]) < 0.5 * np.mean(fear_gap["during"])
