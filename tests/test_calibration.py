"""Calibration by ABC-SMC: the machinery on a linear Gaussian model with a known posterior, then
recovery of known parameters of a small city, confounding of offending and reporting, resume
after a kill, the command line and comparisons over posterior draws."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from calibration.abc.diagnostics import (
    posterior_correlations,
    posterior_draws,
    posterior_summary,
    predictive_checks,
    weighted_quantile,
)
from calibration.abc.models import (
    FAILED_KEY,
    SE_PREFIX,
    CalibrationError,
    LinearGaussianSimulator,
    ParameterSpace,
    parameter_seed,
    recidivism_sampling_se,
)
from calibration.abc.smc import (
    FAILED_DISTANCE,
    Problem,
    StandardisedDistance,
    calibrate,
    city_problem,
)
from calibration.parameters import Uncertain
from calibration.builtin import load_builtin
from calibration.targets import targets_from_summary
from experiments.cli import app
from experiments.scenarios import DEFAULT_FOLDER
from simulation.params import Parameters, with_overrides
from simulation.run import run

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


# --------------------------------------------------------------------------------------------
# The machinery, on a linear Gaussian model: sum = a + b, difference = a - b; c is read by none
# --------------------------------------------------------------------------------------------

GAUSSIAN_TRUTH = {"a": 1.0, "b": 2.0, "c": 1.0}
GAUSSIAN_SE = 0.5


def gaussian_problem(statistics=("sum", "difference"), missing_below=None, seed=1):
    """The linear Gaussian model observed at a = 1, b = 2 (sum 3, difference -1), se 0.5."""
    space = ParameterSpace((Uncertain("a", -5, 5), Uncertain("b", -5, 5),
                            Uncertain("c", 0.1, 10, "loguniform")))
    matrix = {"sum": {"a": 1.0, "b": 1.0}, "difference": {"a": 1.0, "b": -1.0}}
    simulator = LinearGaussianSimulator(space, {s: matrix[s] for s in statistics}, seed=seed,
                                        missing_below=missing_below)
    observed = {"sum": 3.0, "difference": -1.0}
    return Problem(simulator, pd.Series({s: observed[s] for s in statistics}),
                   pd.Series(dict.fromkeys(statistics, GAUSSIAN_SE)), true_values=GAUSSIAN_TRUTH,
                   description={"model": "linear gaussian"})


def test_parameter_space_maps_dotted_names_and_samples_loguniform_on_the_log_scale():
    space = ParameterSpace((Uncertain("offending.attempt_rate", 2, 14),
                            Uncertain("reporting.base.property", 0.01, 1.0, "loguniform")))
    assert space.key("reporting.base.property") == "reporting__base__property"
    particle = space.to_particle({"offending.attempt_rate": 5.0, "reporting.base.property": 0.1})
    assert particle == {"offending__attempt_rate": 5.0,
                        "reporting__base__property": pytest.approx(np.log(0.1))}
    assert space.to_values(particle) == pytest.approx({"offending.attempt_rate": 5.0,
                                                       "reporting.base.property": 0.1})
    prior = space.prior()
    # Log-uniform on [0.01, 1]: uniform in the logarithm, so half the mass lies below the
    # geometric midpoint 0.1 (not the arithmetic one, 0.505).
    assert prior["reporting__base__property"].cdf(np.log(0.1)) == pytest.approx(0.5)
    assert prior["offending__attempt_rate"].cdf(8.0) == pytest.approx(0.5)
    np.random.seed(0)
    values = space.frame(pd.DataFrame([prior.rvs() for _ in range(200)]))
    assert values["offending.attempt_rate"].between(2, 14).all()
    assert values["reporting.base.property"].between(0.01, 1.0).all()
    with pytest.raises(CalibrationError, match="log-uniform prior needs low > 0"):
        ParameterSpace((Uncertain("x", 0.0, 1.0, "loguniform"),))


def test_simulation_seeds_depend_on_the_values_and_the_replicate_only():
    values = {"a": 1.0, "b": 2.0}
    first = parameter_seed(3, values).generate_state(2)
    assert (parameter_seed(3, {"b": 2.0, "a": 1.0}).generate_state(2) == first).all()
    assert not (parameter_seed(3, {"a": 1.0, "b": 2.0000001}).generate_state(2) == first).all()
    assert not (parameter_seed(3, values, replicate=1).generate_state(2) == first).all()
    assert not (parameter_seed(4, values).generate_state(2) == first).all()


def test_distance_counts_standard_errors_and_rejects_missing_statistics():
    distance = StandardisedDistance({"x": 2.0, "y": 0.5})
    observed = {"x": 10.0, "y": 1.0}
    assert distance({"x": 16.0, "y": 3.0}, observed) == pytest.approx(5.0)  # sqrt(3^2 + 4^2)
    assert distance({"x": np.nan, "y": 1.0}, observed) == FAILED_DISTANCE
    assert distance({"y": 1.0}, observed) == FAILED_DISTANCE
    with pytest.raises(CalibrationError, match="positive"):
        StandardisedDistance({"x": 0.0})


def test_a_share_measured_on_few_releases_counts_its_own_sampling_error():
    distance = StandardisedDistance({"share": 0.01})
    observed = {"share": 0.30}
    # 40 releases: sqrt(0.3 x 0.7 / 40) = 0.0725 of the run's own, beside the data's 0.01.
    own = {SE_PREFIX + "share": float(np.sqrt(0.3 * 0.7 / 40))}
    assert distance({"share": 0.40}, observed) == pytest.approx(10.0)
    assert distance({"share": 0.40, **own}, observed) == pytest.approx(0.1 / np.hypot(0.01, own[
        SE_PREFIX + "share"]))
    assert distance({"share": 0.40, **own}, observed) < 1.5

    targets = load_builtin("north-carolina")
    recidivism = pd.DataFrame({"cohort": ["all"] * 3 + ["1"] * 3,
                               "years_after_release": [1, 2, 3] * 2,
                               "releases_followed": [50, 30, 0, 20, 10, 0]})
    own = recidivism_sampling_se(recidivism, targets)
    share = float(targets.values["reimprisonment_1y"])
    assert own[SE_PREFIX + "reimprisonment_1y"] == pytest.approx(np.sqrt(share * (1 - share) / 50))
    assert SE_PREFIX + "reimprisonment_2y" in own
    assert SE_PREFIX + "reimprisonment_3y" not in own  # no release followed three years
    assert not any(key.endswith("recorded_crime_rate") for key in own)


def test_the_posterior_of_a_linear_gaussian_model_matches_the_analytic_one(tmp_path):
    problem = gaussian_problem()
    result = calibrate(problem, tmp_path, population=100, budget=3000, seed=2, workers=1,
                       predictive_draws=30)
    assert "floor" in result.stop_reason  # stopped at sqrt(k + 2) = 2 se, not by the budget
    assert result.generations["epsilon"].iloc[-1] == pytest.approx(2.0)
    names, mean, covariance = problem.simulator.analytic_posterior(problem.observed,
                                                                   problem.se)
    summary = result.summary.set_index("parameter")
    for name, centre, sd in zip(names, mean, np.sqrt(np.diag(covariance))):
        # At the floor, the acceptance ball's variance per statistic is one se^2: the ABC
        # posterior of this deterministic model has the analytic spread (0.35).
        assert abs(summary.loc[name, "mean"] - centre) < 0.5 * sd, name
        assert 0.75 * sd < summary.loc[name, "sd"] < 1.35 * sd, name
        assert summary.loc[name, "verdict"] == "identified"
        assert summary.loc[name, "true_in_interval"]
    assert summary.loc["c", "verdict"] == "not identifiable"  # no statistic reads c
    assert not result.correlations["flagged"].any()
    assert result.checks["inside"].all()
    for name in ("posterior.parquet", "particles.parquet", "generations.parquet",
                 "predictive.parquet", "history.db", "report.html", "manifest.json",
                 "figures/marginals.png", "figures/pairs.png", "figures/generations.png",
                 "figures/predictive.png", "tables/posterior_summary.csv",
                 "tables/correlations.csv", "tables/predictive_checks.csv",
                 "tables/cannot_fit.csv"):
        assert (tmp_path / name).stat().st_size > 0, name
    posterior = pd.read_parquet(tmp_path / "posterior.parquet")
    assert list(posterior.columns) == ["a", "b", "c", "weight", "generation"]
    assert posterior["weight"].sum() == pytest.approx(1.0)
    assert (posterior["generation"] == result.generations["generation"].iloc[-1]).all()
    generations = pd.read_parquet(tmp_path / "generations.parquet")
    assert {"epsilon", "particles", "effective_sample_size", "simulations",
            "acceptance_rate"} <= set(generations.columns)
    assert generations["epsilon"].is_monotonic_decreasing
    assert (generations["effective_sample_size"] <= 100 + 1e-9).all()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["configuration"]["seed"] == 2
    assert manifest["simulations"] == result.simulations >= generations["simulations"].sum()
    assert manifest["pyabc"] and manifest["packages"]["numpy"]
    report = (tmp_path / "report.html").read_text()
    assert "not identifiable" in report and "data:image/png;base64," in report
    assert "http://" not in report and "https://" not in report


def test_one_statistic_leaves_a_ridge_that_a_second_removes(tmp_path):
    ridge = calibrate(gaussian_problem(("sum",)), tmp_path / "sum", population=60,
                      budget=700, seed=3, workers=1, predictive_draws=0)
    pair = ridge.correlations.set_index(["first", "second"]).loc[("a", "b")]
    assert pair["r"] < -0.9 and pair["flagged"]
    both = calibrate(gaussian_problem(), tmp_path / "both", population=60, budget=700,
                     seed=3, workers=1, predictive_draws=0)
    sd = lambda result: result.summary.set_index("parameter").loc["a", "sd"]  # noqa: E731
    # On the ridge a spreads over the prior (sd up to 2.9); with both statistics about 0.4.
    assert sd(ridge) > 3 * sd(both)
    assert not both.correlations["flagged"].any()


def test_a_seeded_calibration_is_the_same_on_one_or_two_workers(tmp_path):
    results = [calibrate(gaussian_problem(), tmp_path / str(workers), population=30, budget=200,
                         seed=5, workers=workers, reproducible=True, predictive_draws=6)
               for workers in (1, 2)]
    pd.testing.assert_frame_equal(results[0].posterior, results[1].posterior)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "1" / "predictive.parquet"),
                                  pd.read_parquet(tmp_path / "2" / "predictive.parquet"))
    other = calibrate(gaussian_problem(), tmp_path / "other", population=30, budget=200, seed=6,
                      workers=1, reproducible=True, predictive_draws=0)
    assert not other.posterior.equals(results[0].posterior)


def test_a_rerun_resumes_and_a_larger_budget_continues(tmp_path):
    first = calibrate(gaussian_problem(), tmp_path, population=40, budget=200, seed=1, workers=1,
                      predictive_draws=0)
    # The budget stops it before a generation it cannot pay for: less than one generation's
    # cost (40 particles / the last acceptance rate) is left.
    assert first.resumed_from is None and "remaining budget" in first.stop_reason
    assert first.simulations <= 200
    generations = len(first.generations)
    messages = []
    again = calibrate(gaussian_problem(), tmp_path, population=40, budget=200, seed=1, workers=1,
                      predictive_draws=0, log=messages.append)
    assert messages[0] == (f"resumed from generation {generations}, {first.simulations} "
                           "simulations already spent")
    assert again.resumed_from == generations and again.simulations == first.simulations
    pd.testing.assert_frame_equal(again.posterior, first.posterior)
    more = calibrate(gaussian_problem(), tmp_path, population=40, budget=500, seed=1, workers=1,
                     predictive_draws=0)
    assert more.resumed_from == generations and len(more.generations) > generations
    if "remaining budget" in more.stop_reason:  # what is left would not pay for a generation
        assert 500 - more.simulations < 40 / more.generations["acceptance_rate"].iloc[-1]
    pd.testing.assert_frame_equal(more.generations.head(generations).drop(columns="seconds"),
                                  first.generations.drop(columns="seconds"))
    assert more.generations["epsilon"].iloc[-1] < first.generations["epsilon"].iloc[-1]
    with pytest.raises(CalibrationError, match="holds a different calibration"):
        calibrate(gaussian_problem(), tmp_path, population=40, budget=500, seed=2, workers=1)


def test_runs_missing_a_statistic_are_counted_and_never_accepted(tmp_path):
    problem = gaussian_problem(missing_below=("a", -1.0, "difference"))
    result = calibrate(problem, tmp_path, population=40, budget=300, seed=4, workers=1,
                       predictive_draws=0)
    missing = result.manifest["missing_statistics"]
    # 40% of the prior's draws have a < -1; fewer later, as the posterior moves away.
    assert missing["missing"] > 0.2 * 40 and missing["failed"] == 0
    assert (pd.read_parquet(tmp_path / "particles.parquet")["a"] >= -1.0).all()
    assert "could not produce every target" in (tmp_path / "report.html").read_text()


class Broken(LinearGaussianSimulator):
    def statistics(self, values, sequence):
        raise RuntimeError("a bug in the model")


def test_a_run_that_raises_gives_missing_statistics_and_is_marked_failed(capsys):
    problem = gaussian_problem()
    broken = Broken(problem.space, problem.simulator.matrix)
    statistics = broken.simulate({"a": 1.0, "b": 2.0, "c": 1.0})
    assert statistics[FAILED_KEY] == 1.0 and np.isnan(statistics["sum"])
    assert "a bug in the model" in capsys.readouterr().err
    assert problem.simulator.simulate({"a": 1.0, "b": 2.0, "c": 1.0}) == {
        "sum": 3.0, "difference": -1.0, FAILED_KEY: 0.0}


def test_a_target_no_run_can_produce_stops_the_calibration_at_the_prior_sample(tmp_path):
    problem = gaussian_problem(missing_below=("a", 99.0, "difference"))
    with pytest.raises(CalibrationError, match="could produce target\\(s\\) difference"):
        calibrate(problem, tmp_path, population=20, budget=1000, seed=1, workers=1)


@pytest.mark.parametrize(("population", "budget", "message"), [
    (1, 100, "--population 1"),
    (50, 20, "--budget 20 is below --population 50"),
])
def test_calibrate_refuses_too_small_a_population_or_budget(tmp_path, population, budget, message):
    with pytest.raises(CalibrationError, match=message):
        calibrate(gaussian_problem(), tmp_path, population=population, budget=budget)


def test_predictive_checks_name_the_targets_the_model_cannot_fit():
    simulated = pd.DataFrame({"near": np.linspace(9, 11, 21), "far": np.linspace(0, 2, 21)})
    checks = predictive_checks(pd.Series({"near": 10.0, "far": 5.0}),
                               pd.Series({"near": 1.0, "far": 0.5}), simulated).set_index("label")
    assert checks.loc["near", "inside"] and checks.loc["near", "miss_se"] == 0
    assert not checks.loc["far", "inside"]
    assert checks.loc["far", "miss_se"] == pytest.approx((5.0 - 1.9) / 0.5)
    assert checks.loc["far", "observed_low"] == pytest.approx(5.0 - 1.6448536 * 0.5)


def test_weighted_summaries_and_draws_follow_the_weights():
    space = ParameterSpace((Uncertain("x", 0, 10), Uncertain("y", 0, 10)))
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 4000)
    posterior = pd.DataFrame({"x": x, "y": 10 - x + rng.normal(0, 0.1, 4000),
                              "weight": np.where(x < 5, 3.0, 1.0)})
    posterior["weight"] /= posterior["weight"].sum()
    assert weighted_quantile(posterior["x"], posterior["weight"], 0.75) == pytest.approx(5, abs=0.2)
    summary = posterior_summary(posterior, space).set_index("parameter")
    assert summary.loc["x", "verdict"] == "not identifiable"
    pair = posterior_correlations(posterior, space).iloc[0]
    assert pair["r"] < -0.99 and pair["flagged"]
    draws = posterior_draws(posterior, ["x", "y"], 2000, seed=7)
    assert (draws["x"] < 5).mean() == pytest.approx(0.75, abs=0.03)
    pd.testing.assert_frame_equal(draws, posterior_draws(posterior, ["x", "y"], 2000, seed=7))


# --------------------------------------------------------------------------------------------
# The city: recovery of known parameters, and offending against reporting
# --------------------------------------------------------------------------------------------

SMALL_CITY = {"population.residents": 3000, "years": 1.0, "warmup_days": 30, "city.width": 20,
              "city.height": 20, "city.neighbourhoods": 4, "city.seed": 1}
"""About 0.5 s a run; one city (``city.seed``) for every run: the calibration is about the
parameters, not the layout."""
CITY_TRUTH = {"offending.attempt_rate": 8.0, "reporting.base.property": 0.22}
ATTEMPTS = Uncertain("offending.attempt_rate", 4.0, 12.0)
REPORTING = Uncertain("reporting.base.property", 0.02, 1.0)
"""Victims' reporting of property crime: over this range it moves recorded crime about as
much as the attempt rate does, and the victimisation survey not at all."""
DUMMY = Uncertain("perception.punitive_support_base", 0.1, 0.3)
"""Moves punitive support only, which no target sees: its posterior stays its prior."""
CITY_POPULATION = 30


@pytest.fixture(scope="module")
def city_truth():
    base = with_overrides(Parameters(), SMALL_CITY)
    return base, run(with_overrides(base, {**CITY_TRUTH, DUMMY.name: 0.2}), seed=2024)


@pytest.fixture(scope="module")
def with_survey(city_truth, tmp_path_factory):
    """Recorded crime and the victimisation survey; three parameters, one a dummy. It stops at
    the tolerance floor (about 390 runs)."""
    base, truth = city_truth
    targets = targets_from_summary(truth.summary, ["recorded_crime_rate",
                                                   "survey_victimisation_rate"], relative_se=0.1)
    problem = city_problem(targets, (ATTEMPTS, REPORTING, DUMMY), base, seed=11,
                           true_values={**CITY_TRUTH, DUMMY.name: 0.2})
    return calibrate(problem, tmp_path_factory.mktemp("survey"), CITY_POPULATION, 450, seed=5,
                     workers=2, reproducible=True, predictive_draws=10)


@pytest.fixture(scope="module")
def recorded_only(city_truth, tmp_path_factory):
    """Recorded crime alone; it stops at the tolerance floor (about 240 runs)."""
    base, truth = city_truth
    targets = targets_from_summary(truth.summary, ["recorded_crime_rate"], relative_se=0.1)
    problem = city_problem(targets, (ATTEMPTS, REPORTING), base, seed=11, true_values=CITY_TRUTH)
    return calibrate(problem, tmp_path_factory.mktemp("recorded"), CITY_POPULATION, 300, seed=5,
                     workers=2, reproducible=True, predictive_draws=0)


def test_a_city_run_is_fixed_by_the_seed_and_the_values(city_truth):
    base, truth = city_truth
    targets = targets_from_summary(truth.summary, ["recorded_crime_rate",
                                                   "survey_victimisation_rate"])
    simulator = city_problem(targets, (ATTEMPTS, REPORTING), base, seed=11).simulator
    first = simulator.simulate(CITY_TRUTH)
    assert simulator.simulate(CITY_TRUTH) == first
    assert simulator.simulate(CITY_TRUTH, replicate=1) != first
    assert first[FAILED_KEY] == 0.0 and 1000 < first["recorded_crime_rate"] < 10_000


def test_recovery_on_synthetic_city_data_covers_the_truth_and_flags_the_dummy(with_survey):
    assert "floor" in with_survey.stop_reason
    summary = with_survey.summary.set_index("parameter")
    for name in CITY_TRUTH:
        assert summary.loc[name, "true_in_interval"], summary.loc[name]
        assert summary.loc[name, "verdict"] != "not identifiable", summary.loc[name]
    assert summary.loc[ATTEMPTS.name, "interval_share"] < 0.7  # measured 0.59
    assert summary.loc[DUMMY.name, "verdict"] == "not identifiable"  # measured share 0.85
    assert with_survey.checks["inside"].all()


def test_recorded_crime_alone_confounds_offending_and_reporting_a_survey_separates_them(
        with_survey, recorded_only):
    alone = recorded_only.summary.set_index("parameter").loc[ATTEMPTS.name]
    surveyed = with_survey.summary.set_index("parameter").loc[ATTEMPTS.name]
    ridge = recorded_only.correlations.set_index(["first", "second"]).loc[
        (ATTEMPTS.name, REPORTING.name)]
    separated = with_survey.correlations.set_index(["first", "second"]).loc[
        (ATTEMPTS.name, REPORTING.name)]
    # More attempts and less reporting give the same recorded crime: a ridge (measured r =
    # -0.81), along which the attempt rate keeps its prior (interval share 0.93).
    assert ridge["flagged"] and ridge["r"] < -0.7
    assert alone["verdict"] == "not identifiable"
    # The survey sees offending and not reporting: the attempt rate's posterior sd falls from
    # 2.53 to 1.33 (measured; a factor 1.9).
    assert alone["sd"] > 1.5 * surveyed["sd"], (alone["sd"], surveyed["sd"])
    assert abs(separated["r"]) < abs(ridge["r"])


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------

TINY = ["--residents", "1500", "--years", "0.5", "--warmup-days", "20", "--set", "city.width=12",
        "--set", "city.height=12", "--set", "city.neighbourhoods=4", "--set", "city.seed=1"]


@pytest.fixture
def cli_inputs(tmp_path):
    """A target file (recorded crime) and a parameter file (the attempt rate only)."""
    targets = tmp_path / "targets.csv"
    targets.write_text("indicator,value,se,source\nrecorded_crime_rate,4000,400,made up\n")
    params = tmp_path / "params.toml"
    params.write_text('only = ["offending.attempt_rate"]\n'
                      '[parameters."offending.attempt_rate"]\nlow = 3.0\nhigh = 12.0\n')
    return targets, params


def generations_in(db) -> int:
    """Generations stored in a pyabc history (0 while it is being created)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
            return connection.execute("SELECT COUNT(*) FROM populations WHERE t >= 0").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_calibration_killed_part_way_resumes_from_its_history(tmp_path, cli_inputs):
    targets, params = cli_inputs
    out = tmp_path / "killed"
    command = ["calibrate", "--targets", targets, "--params", params, *TINY, "--population", "8",
               "--budget", "120", "--min-epsilon", "0", "--workers", "2", "--predictive-draws",
               "4", "--quiet", "--out", out]
    process = subprocess.Popen([sys.executable, "-m", "experiments.cli", *map(str, command)],
                               start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while generations_in(out / "history.db") < 1:
        assert process.poll() is None, "the calibration ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    stored = generations_in(out / "history.db")
    assert not (out / "report.html").exists()
    with sqlite3.connect(out / "history.db") as connection:
        spent = connection.execute("SELECT SUM(nr_samples) FROM populations").fetchone()[0]

    resumed = invoke(*command)
    assert resumed.exit_code == 0, resumed.output
    text = " ".join(resumed.output.split())
    assert f"resumed from generation {stored}, {spent} simulations already spent" in text
    generations = pd.read_parquet(out / "generations.parquet")
    assert generations["generation"].tolist() == list(range(len(generations)))
    assert len(generations) > stored
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "finished" and len(manifest["calls"]) == 2
    # The budget ends it: less than a generation's expected cost is left, or pyabc's own check
    # stopped it at or beyond the budget.
    assert "budget" in manifest["stop_reason"]
    assert 120 - 8 / generations["acceptance_rate"].iloc[-1] < manifest["simulations"]
    assert (out / "report.html").exists() and (out / "posterior.parquet").exists()


@pytest.mark.parametrize(("change", "message"), [
    ({"--targets": "nowhere.csv"}, "nowhere.csv: no such file"),
    ({"--targets": "builtin:atlantis"}, "no such built-in target set"),
    ({"--targets": "BAD"}, "'homicides' is not a model indicator; did you mean 'homicide_rate'?"),
    ({"--params": "nowhere.toml"}, "no such parameter file"),
    ({"--params": "BAD"}, "'offending.nothing' matches no uncertain parameter"),
    ({"--population": "1"}, "--population 1: needs at least 2"),
    ({"--budget": "5"}, "--budget 5 is below --population 8"),
    ({"--targets": "RECIDIVISM"}, "target rearrest_1y needs releases followed 1 year within "
                                  "the recorded run"),
    ({"--targets": "builtin:north-carolina", "--years": "1"}, "target reimprisonment_1y needs"),
    ({"--scenario": "nope"}, "no scenario 'nope'"),
    ({"--dask": "nowhere.toml"}, "no such cluster file"),
])
def test_calibrate_bad_input_exits_2_with_one_message(tmp_path, cli_inputs, change, message):
    targets, params = cli_inputs
    files = {"BAD": {"--targets": tmp_path / "bad.csv", "--params": tmp_path / "bad.toml"},
             "RECIDIVISM": {"--targets": tmp_path / "recidivism.csv"}}
    files["BAD"]["--targets"].write_text("indicator,value,se,source\nhomicides,20,2,made up\n")
    files["BAD"]["--params"].write_text('only = ["offending.nothing"]\n')
    files["RECIDIVISM"]["--targets"].write_text("indicator,value,se,source\nrearrest_1y,0.3,0.03,x\n")
    options = {"--targets": targets, "--params": params, "--population": "8", "--budget": "40",
               **change}
    options = {key: files[value][key] if value in files else value for key, value in options.items()}
    tiny = TINY[:2] + TINY[4:] if "--years" in options else TINY  # TINY[2:4]: --years 0.5
    result = invoke("calibrate", *[item for pair in options.items() for item in pair], *tiny,
                    "--quiet", "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "out" / "history.db").exists()


def test_compare_over_a_posterior_runs_each_replicate_at_its_draw(tmp_path):
    posterior = tmp_path / "calibrated"
    posterior.mkdir()
    # Two particles far apart: replicates drawn from the first offend far less.
    pd.DataFrame({"offending.attempt_rate": [2.0, 14.0], "weight": [0.5, 0.5],
                  "generation": [3, 3]}).to_parquet(posterior / "posterior.parquet")
    for name in ("baseline", "punitive"):  # the library's scenarios with a short warm-up
        (tmp_path / f"short_{name}.toml").write_text(
            f'description = "{name}, a short warm-up"\n'
            f'extends = "{Path(DEFAULT_FOLDER).resolve() / name}.toml"\nwarmup_days = 30\n')
    out = tmp_path / "compare"
    command = ["compare", tmp_path / "short_baseline.toml", tmp_path / "short_punitive.toml",
               "--reps", "4", "--residents", "1500", "--years", "0.3", "--workers", "1",
               "--posterior", posterior, "--quiet", "--out", out]
    result = invoke(*command)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    recorded = manifest["configuration"]["posterior"]
    assert recorded["directory"] == str(posterior.resolve())
    draws = pd.DataFrame(recorded["draws"])
    assert draws["draw"].tolist() == [0, 1, 2, 3]
    assert set(draws["offending.attempt_rate"]) == {2.0, 14.0}  # seed 0 draws both
    # The scenarios' own parameters are recorded as they are; the draws come on top.
    assert (manifest["configuration"]["parameters"]["short_baseline"]["offending"]
            ["attempt_rate"] == Parameters().offending.attempt_rate)
    from experiments.store import ResultsStore

    summary = ResultsStore(out).table("summary").merge(
        draws[["draw", "offending.attempt_rate"]], left_on="replicate", right_on="draw")
    low = summary[summary["offending.attempt_rate"] == 2.0]["true_crime_rate"]
    high = summary[summary["offending.attempt_rate"] == 14.0]["true_crime_rate"]
    assert high.min() > 2 * low.max()
    again = invoke(*command)
    assert "computed 0" in again.output  # the same draws: the store resumes, nothing to run


def test_compare_posterior_must_be_a_calibration_of_known_parameters(tmp_path):
    result = invoke("compare", "baseline", "--posterior", tmp_path, "--out", tmp_path / "x")
    assert result.exit_code == 2 and "no posterior.parquet" in result.output
    pd.DataFrame({"offending.nothing": [1.0], "weight": [1.0]}).to_parquet(
        tmp_path / "posterior.parquet")
    result = invoke("compare", "baseline", "--posterior", tmp_path, "--out", tmp_path / "x")
    assert result.exit_code == 2 and "offending.nothing" in result.output


def test_build_design_lays_one_draw_per_replicate_on_every_point():
    from experiments.design import build_design

    points = {"a": Parameters(), "b": with_overrides(Parameters(), {"police.strategy": "hotspot"})}
    design = build_design(points, 2, root_seed=1, replicate_overrides=[
        {"offending.attempt_rate": 3.0}, {"offending.attempt_rate": 9.0}])
    rates = [(spec.point, spec.replicate, spec.params["offending"]["attempt_rate"])
             for spec in design]
    assert rates == [("a", 0, 3.0), ("a", 1, 9.0), ("b", 0, 3.0), ("b", 1, 9.0)]
    assert design[2].params["police"]["strategy"] == "hotspot"
    assert design[0].seed.entropy == design[2].seed.entropy  # common random numbers kept
