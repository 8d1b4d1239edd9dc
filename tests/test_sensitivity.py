"""Global sensitivity analysis: the parameter specification, Morris and Sobol through the
experiment engine, checked on the Ishigami function (analytic indices) and run on a small city."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from calibration.parameters import (
    GROUPS,
    SpecificationError,
    Uncertain,
    default_specification,
    load_specification,
)
from calibration.sensitivity import SensitivityError, sample
from calibration.study import run_study
from calibration.testmodels import ISHIGAMI_BOUNDS, ishigami_indices
from experiments.cli import app
from experiments.executors import InProcessExecutor, make_executor
from simulation.governance import CAPACITY_LEVERS

ISHIGAMI = [Uncertain(name, *ISHIGAMI_BOUNDS, group="Ishigami") for name in ("x1", "x2", "x3")]


def ishigami_study(tmp_path, method, n, reps, noise, name="study", **options):
    return run_study(method, ISHIGAMI, n, reps, ["y"], tmp_path / name, InProcessExecutor(),
                     base={"noise": noise}, model="ishigami", show_progress=False, **options)


def by_factor(result, response="mean"):
    frame = result.indices
    return frame[frame["response"] == response].set_index("factor")


# -- the specification -----------------------------------------------------------------------

def test_the_default_specification_covers_the_uncertain_parameters_and_no_lever():
    spec = default_specification()
    names = {item.name for item in spec}
    assert len(spec) > 150
    assert {"offending.attempt_rate", "police.visibility_deterrence", "youth.recruitment",
            "justice.prison.crowding_effect", "reporting.trust_effect"} <= names
    assert not names & set(CAPACITY_LEVERS)
    assert not any(name.startswith(("costs.", "governance.", "shocks.")) for name in names)
    assert "population.residents" not in names and "justice.sentencing.severity" not in names
    for item in spec:
        assert item.low < item.default < item.high or item.low <= item.default <= item.high, item
        assert item.group in GROUPS and item.source, item
    # Shares stay shares.
    share = next(item for item in spec if item.name == "justice.sentencing.prison.homicide")
    assert share.high <= 1


def test_a_parameter_file_narrows_the_specification(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('only = ["offending.*", "police.visibility_deterrence"]\n'
                    'exclude = ["offending.mix.*"]\n'
                    '[parameters."offending.attempt_rate"]\nlow = 5.0\nhigh = 8.0\n'
                    '[parameters."police.visibility_deterrence"]\ndistribution = "loguniform"\n',
                    encoding="utf-8")
    spec = {item.name: item for item in load_specification(path)}
    assert "police.visibility_deterrence" in spec and "offending.mix.robbery_commercial" not in spec
    assert all(name.startswith("offending.") or name == "police.visibility_deterrence" for name in spec)
    assert (spec["offending.attempt_rate"].low, spec["offending.attempt_rate"].high) == (5.0, 8.0)
    log = spec["police.visibility_deterrence"]
    assert log.distribution == "loguniform"
    assert log.from_unit(np.array([0.5]))[0] == pytest.approx(np.sqrt(log.low * log.high))


@pytest.mark.parametrize("text, message", [
    ('only = ["nothing.*"]', "'nothing.*' matches no uncertain parameter"),
    ('[parameters."offending.attempt_rat"]\nlow = 1\nhigh = 2', 'parameters."offending.attempt_rat": no such parameter'),
    ('[parameters."offending.attempt_rate"]\nlow = 9\nhigh = 2', "low = 9 is not below high = 2"),
    ('[parameters."firearms.availability"]\nlow = 0.1\nhigh = 1.5', "leaves the parameter's valid range"),
    ('[parameters."offending.attempt_rate"]\nlow = 1\nhigh = 2\ndistribution = "normal"', "distribution = 'normal'"),
    ('colour = "red"', "unknown top-level key(s) colour"),
])
def test_a_malformed_parameter_file_names_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(SpecificationError, match="bad.toml") as error:
        load_specification(path)
    assert message in str(error.value)


# -- the machinery on the Ishigami function --------------------------------------------------

def test_sobol_reproduces_the_analytic_ishigami_indices_within_the_bootstrap_intervals(tmp_path):
    result = ishigami_study(tmp_path, "sobol", 1024, 1, noise=0.0)
    table = by_factor(result)
    analytic = ishigami_indices()
    for order in ("S1", "ST"):
        for factor, value in analytic[order].items():
            estimate, half = table.loc[factor, order], table.loc[factor, f"{order}_conf"]
            assert abs(estimate - value) <= half, (order, factor, estimate, half, value)
            assert half < 0.15  # intervals narrow enough for the check to mean something
    assert table.loc["dummy", "ST"] == pytest.approx(0.0, abs=1e-9)  # no noise: no floor
    assert (result.report.parent / "tables" / "indices.parquet").is_file()
    assert (result.report.parent / "figures" / "sobol_y.png").is_file()


def test_with_noise_the_dummy_is_the_floor_and_every_real_factor_stands_above_it(tmp_path):
    result = ishigami_study(tmp_path, "sobol", 512, 3, noise=0.5)
    table = by_factor(result)
    dummy = table.loc["dummy"]
    assert 0 < dummy["ST"] < 0.05
    for factor in ("x1", "x2", "x3"):
        assert table.loc[factor, "ST"] - table.loc[factor, "ST_conf"] > dummy["ST"] + dummy["ST_conf"]
        assert table.loc[factor, "distinguishable"]
    # The variance between replicates is pure noise here: nothing stands above the dummy.
    assert not by_factor(result, "variance")["distinguishable"].any()
    page = result.report.read_text()
    assert "3 of 3 parameters stand above the dummy" in page


def test_morris_ranks_the_ishigami_factors_and_the_dummy_last(tmp_path):
    result = ishigami_study(tmp_path, "morris", 40, 2, noise=0.2)
    table = by_factor(result)
    ranking = table["mu_star"].sort_values(ascending=False).index.tolist()
    assert set(ranking[:2]) == {"x1", "x2"} and ranking[2:] == ["x3", "dummy"]
    assert table.loc["dummy", "mu_star"] < 0.1 * table.loc["x3", "mu_star"]


def test_an_interrupted_study_resumes_to_the_same_indices(tmp_path):
    class Stop(Exception):
        pass

    seen = []

    def interrupt(record):
        seen.append(record.run_id)
        if len(seen) == 100:
            raise Stop

    with pytest.raises(Stop):
        ishigami_study(tmp_path, "sobol", 64, 2, noise=0.3, name="cut", on_record=interrupt,
                       batch_size=10)
    resumed = ishigami_study(tmp_path, "sobol", 64, 2, noise=0.3, name="cut")
    assert 0 < resumed.outcome.already_done < resumed.outcome.total
    fresh = ishigami_study(tmp_path, "sobol", 64, 2, noise=0.3, name="fresh")
    pd.testing.assert_frame_equal(resumed.indices, fresh.indices)


def test_bad_settings_get_one_clear_error():
    with pytest.raises(SensitivityError, match="power of 2"):
        sample("sobol", ISHIGAMI, 100)
    with pytest.raises(SensitivityError, match="valid: morris, sobol"):
        sample("fast", ISHIGAMI, 16)


# -- the city --------------------------------------------------------------------------------

SMALL = ["--residents", "2000", "--years", "0.25"]


def test_a_morris_screen_of_the_city_runs_from_the_command_line(tmp_path):
    params = tmp_path / "p.toml"
    params.write_text('only = ["offending.attempt_rate", "police.visibility_deterrence", '
                      '"reporting.trust_effect"]\n', encoding="utf-8")
    out = tmp_path / "morris"
    runner = CliRunner()
    result = runner.invoke(app, ["sensitivity", "--method", "morris", "--n", "2", "--reps", "2",
                                 "--params", str(params), "--outcomes",
                                 "true_crime_rate,recorded_crime_rate", "--workers", "1",
                                 "--quiet", "--out", str(out), *SMALL], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    indices = pd.read_parquet(out / "tables" / "indices.parquet")
    assert set(indices["outcome"]) == {"true_crime_rate", "recorded_crime_rate"}
    assert set(indices["factor"]) == {"offending.attempt_rate", "police.visibility_deterrence",
                                      "reporting.trust_effect", "dummy"}
    means = indices[(indices["response"] == "mean") & (indices["outcome"] == "true_crime_rate")]
    assert means.set_index("factor")["mu_star"].idxmax() == "offending.attempt_rate"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["configuration"]["method"] == "morris"
    assert (out / "report.html").is_file() and (out / "figures" / "heatmap.png").is_file()
    again = runner.invoke(app, ["sensitivity", "--method", "morris", "--n", "2", "--reps", "2",
                                "--params", str(params), "--outcomes",
                                "true_crime_rate,recorded_crime_rate", "--workers", "1",
                                "--quiet", "--out", str(out), *SMALL], catch_exceptions=False)
    assert "computed 0" in again.output


@pytest.mark.parametrize("args, message", [
    (["--method", "fast"], "valid: morris, sobol"),
    (["--outcomes", "nonsense_rate", "--n", "2"], "outcome 'nonsense_rate' is not an output"),
    (["--model", "lorenz"], "--model 'lorenz'"),
])
def test_bad_sensitivity_options_exit_2_with_one_message(tmp_path, args, message):
    params = tmp_path / "p.toml"
    params.write_text('only = ["offending.attempt_rate"]\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["sensitivity", *args, "--params", str(params), "--reps", "1",
                                      "--workers", "1", "--quiet", "--out", str(tmp_path / "o"),
                                      *SMALL], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_list_prints_the_uncertain_parameters():
    result = CliRunner().invoke(app, ["sensitivity", "--list"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "uncertain parameters" in result.output and "offending.attempt_rate" in " ".join(result.output.split())


def test_a_sobol_analysis_of_the_city_puts_the_dummy_below_the_factor_that_drives_crime(tmp_path):
    from simulation import Parameters, with_overrides

    spec = {item.name: item for item in default_specification()}
    factors = [spec[name] for name in ("offending.attempt_rate", "police.visibility_deterrence",
                                       "reporting.trust_effect")]
    # A city small enough for CI but not too noisy: 10,000 residents on 50 x 50 blocks (true
    # crime varies 3% between seeds, against a factor of 4 across the attempt rate's range).
    base = with_overrides(Parameters(), {"population.residents": 10_000, "years": 1.0,
                                         "warmup_days": 365, "city.width": 50, "city.height": 50,
                                         "city.neighbourhoods": 8})
    with make_executor(2) as executor:
        result = run_study("sobol", factors, 8, 2, ["true_crime_rate", "recorded_crime_rate"],
                           tmp_path / "city", executor, base=base, show_progress=False)
    frame = result.indices
    crime = frame[(frame["outcome"] == "true_crime_rate") & (frame["response"] == "mean")]
    crime = crime.set_index("factor")
    attempts, dummy = crime.loc["offending.attempt_rate"], crime.loc["dummy"]
    assert attempts["ST"] - attempts["ST_conf"] > dummy["ST"] + dummy["ST_conf"]
    assert attempts["distinguishable"] and not dummy["distinguishable"]
    assert crime["ST"].drop("dummy").idxmax() == "offending.attempt_rate"
    page = result.report.read_text()
    assert "stand above the dummy" in page and "true_crime_rate" in page
