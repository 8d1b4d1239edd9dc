"""The validation suite: the quick suite end to end, the statistics and rules, bad options.

The quick suite runs once for the module (about a minute on 2 cores); the other tests use
synthetic data or a few checks.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from experiments.validation import (
    CHECK_IDS,
    CHECKS,
    COLUMNS,
    ValidationOptionError,
    parse_checks,
    select_checks,
    validate,
)
from experiments.validation import measures
from experiments.validation.checks import BY_ID, Check, Measurement
from experiments.validation.rules import Above, AtLeast, AtMost, Below, InRange, Summary, summarise
from experiments.validation.runs import observe_city
from experiments.validation.suite import evaluate
from simulation import Parameters, run, with_overrides
from simulation.indicators import crime_concentration
from simulation.short2008 import PUBLISHED_SETS, Short2008Params

SUBSET = ["S1", "S10", "short2008-a"]


@pytest.fixture(scope="module")
def quick_suite(tmp_path_factory):
    out = tmp_path_factory.mktemp("validation")
    progress = []
    table = validate(out, quick=True, workers=2, progress=lambda done, total, label: progress.append(done))
    return out, table, progress


# -- the quick suite, end to end ---------------------------------------------------------------


def test_quick_suite_writes_a_table_with_one_row_per_check(quick_suite):
    out, table, progress = quick_suite
    assert list(table.columns) == list(COLUMNS)
    assert table["id"].tolist() == list(CHECK_IDS)
    for name in ("validation.parquet", "validation.csv"):
        assert (out / name).is_file()
    stored = pd.read_parquet(out / "validation.parquet")
    pd.testing.assert_frame_equal(stored, table)
    assert list(pd.read_csv(out / "validation.csv").columns) == list(COLUMNS)
    assert progress and progress[-1] == len(progress)  # one call per run, counting up
    judged = table[table["status"].isin(["pass", "fail"])]
    assert len(judged) >= 25 and not (table["status"] == "error").any(), table[["id", "note"]]
    assert (judged["passed"] == (judged["status"] == "pass")).all()
    assert judged["value"].notna().all() and (judged["replicates"] >= 1).all()
    assert (judged["interval"] != "").all() and (judged["rule"] != "").all()
    for frame in (table[table["status"].isin(["skipped", "not measured"])],):
        assert frame["passed"].isna().all() and frame["value"].isna().all()
    skipped = table.set_index("id").loc[["S6-3y", "S12-punishment", "S13"]]
    assert (skipped["status"] == "skipped").all()
    assert skipped["note"].str.startswith("Skipped in quick mode:").all()
    assert table.set_index("id").loc["S4-violence", "status"] == "not measured"


def test_quick_suite_measures_the_facts_the_model_is_built_to_show(quick_suite):
    # What the model reproduces by construction or by its tests must come out of the suite:
    # a broken measurement or a mixed-up run would miss these.
    _, table, _ = quick_suite
    rows = table.set_index("id")
    for check in ("S1", "S3", "S4", "conservation-population", "conservation-money",
                  "conservation-crime", "conservation-short2008", "short2008-a", "short2008-c",
                  "short2008-c-stability", "short2008-c-spacing"):
        assert rows.loc[check, "status"] == "pass", (check, rows.loc[check, "value"], rows.loc[check, "note"])
    assert rows.loc["S4", "value"] == 17.0  # the 15-19 band
    assert rows.loc["S8", "value"] < -0.1  # hot spots lose crime under hot-spot patrol


def test_quick_report_is_self_contained_and_says_how_many_checks_pass(quick_suite):
    out, table, _ = quick_suite
    page = (out / "report.html").read_text()
    judged = table["status"].isin(["pass", "fail", "error"]).sum()
    assert f"{(table['status'] == 'pass').sum()} of {judged} checks pass" in page
    assert page.count("data:image/png;base64,") >= 5  # concentration, Knox, age, policies, Short
    assert "http://" not in page and "https://" not in page  # nothing to fetch: opens offline
    for check in CHECKS:
        assert f'id="{check.id}"' in page
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "crimesim validation"
    assert manifest["options"]["quick"] is True and manifest["options"]["workers"] == 2
    assert manifest["seeds"]["root_seed"] == manifest["options"]["seed"]
    assert manifest["timings"]["total_seconds"] > 0 and manifest["packages"]["numpy"]
    assert manifest["configurations"]["baseline"]["residents"] == 25_000


def test_same_options_give_the_same_table_with_any_workers_and_selection(quick_suite, tmp_path):
    _, full, _ = quick_suite
    alone = validate(tmp_path / "one", quick=True, workers=1, checks=SUBSET)
    again = validate(tmp_path / "two", quick=True, workers=2, checks=SUBSET)
    pd.testing.assert_frame_equal(alone, again)
    # The rows are those of the whole quick suite: a check's value does not depend on which
    # other checks ran, nor on the workers.
    assert alone["id"].tolist() == ["S1", "S1-quarter", "S10", "short2008-a", "short2008-a-variation"]
    pd.testing.assert_frame_equal(alone, full[full["id"].isin(alone["id"])].reset_index(drop=True))


def test_stepped_runs_reproduce_the_model_s_own_run():
    params = with_overrides(Parameters(), {"population.residents": 4000, "city.width": 20,
                                           "city.height": 20, "city.neighbourhoods": 4,
                                           "warmup_days": 60, "years": 1.2})
    seed = np.random.SeedSequence(7, spawn_key=(1,))
    expected = run(params, seed)
    observed = observe_city(params, np.random.SeedSequence(7, spawn_key=(1,)), events=True)
    for name in ("annual", "age_profile", "recidivism", "neighbourhoods"):
        pd.testing.assert_frame_equal(getattr(observed, name), getattr(expected, name))
    assert pd.Series(observed.summary).equals(pd.Series(expected.summary))
    assert (observed.crime_map == expected.crime_map).all()
    # Every street crime is an event at its block, and every victimisation of a resident too.
    assert len(observed.street_days) == observed.crime_map.sum()
    assert np.array_equal(np.bincount(observed.street_blocks, minlength=400).reshape(20, 20),
                          observed.crime_map)
    assert len(observed.victim_days) <= observed.annual["true_crimes"].sum()
    assert observed.population_mismatch == 0


# -- bad options -------------------------------------------------------------------------------


def test_an_unknown_check_is_named_with_the_valid_ones(tmp_path):
    with pytest.raises(ValidationOptionError, match=r"unknown check 'S99'.*valid checks are S1, S1-quarter"):
        validate(tmp_path, quick=True, checks=["S1", "S99"])
    with pytest.raises(ValidationOptionError, match="did you mean short2008-a"):
        select_checks(["shorts2008-a"])
    assert not any(tmp_path.iterdir())  # nothing run, nothing written


def test_workers_below_one_and_an_out_that_is_a_file_are_refused(tmp_path):
    with pytest.raises(ValidationOptionError, match=r"--workers 0: give a whole number of 1 or more"):
        validate(tmp_path / "out", workers=0)
    target = tmp_path / "file.txt"
    target.write_text("not a directory")
    with pytest.raises(ValidationOptionError, match="is a file; give a directory"):
        validate(target, quick=True)
    other = tmp_path / "experiment"
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps({"kind": "crimesim experiment"}))
    with pytest.raises(ValidationOptionError, match="already holds other results"):
        validate(other, quick=True)
    assert issubclass(ValidationOptionError, ValueError)


def test_check_families_and_the_checks_option():
    assert [c.id for c in select_checks(["S6"])] == ["S6-1y", "S6-3y", "S6-5y", "S6-young"]
    assert [c.id for c in select_checks(["S1"])] == ["S1", "S1-quarter"]  # not S10-S13
    assert all(c.id.startswith("short2008-c") for c in select_checks(["short2008-c"]))
    assert len(select_checks(["conservation"])) == 4
    assert parse_checks(" S1, s4 ,short2008") == ["S1", "s4", "short2008"]
    assert [c.id for c in select_checks(parse_checks("s4"))] == ["S4", "S4-violence"]
    assert parse_checks(None) is None
    with pytest.raises(ValidationOptionError, match="names no check"):
        parse_checks(" , ")


def test_a_measurement_that_fails_is_an_error_row_not_a_crash():
    def broken(runs):
        raise KeyError("baseline")

    check = Check(id="X", title="broken", published="-", source="-", unit="", fmt=".1f",
                  about="", measure=broken, rule=InRange(0, 1))
    row = evaluate(check, runs=None, quick=False)
    assert row["status"] == "error" and row["passed"] is False and "KeyError" in row["note"]
    empty = Check(id="Y", title="empty", published="-", source="-", unit="", fmt=".1f", about="",
                  measure=lambda runs: Measurement([float("nan")]), rule=InRange(0, 1))
    row = evaluate(empty, runs=None, quick=False)
    assert row["status"] == "fail" and row["note"].startswith("No value")


# -- intervals and acceptance rules ------------------------------------------------------------


def test_summaries_give_the_t_interval_the_wilson_interval_the_range_or_the_exact_value():
    mean = summarise([1.0, 2.0, 3.0, 4.0])
    half = 3.182446 * np.std([1, 2, 3, 4], ddof=1) / 2  # t(0.975, 3) s / sqrt(4)
    assert mean.value == 2.5 and mean.low == pytest.approx(2.5 - half) and mean.high == pytest.approx(2.5 + half)
    assert mean.replicates == 4 and "95% t" in mean.interval
    assert math.isnan(summarise([5.0]).low)  # one replicate: no interval
    share = summarise([1, 1, 1, 0, 1], "share")
    assert share.value == 0.8 and share.low == pytest.approx(0.3755, abs=1e-3) and share.high == pytest.approx(0.9638, abs=1e-3)
    largest = summarise([0.0, 3.0, 1.0], "max")
    assert (largest.value, largest.low, largest.high) == (3.0, 0.0, 3.0)
    exact = summarise([7.0], "exact")
    assert exact.value == exact.low == exact.high == 7.0
    assert summarise([float("nan"), 2.0, 4.0]).replicates == 2  # runs without a value drop out


def summary(value: float, low: float = float("nan"), high: float = float("nan")) -> Summary:
    return Summary(value, low, high, 5, "mean")


def test_range_rules_judge_the_value_and_direction_rules_the_whole_interval():
    in_range = InRange(0.021, 0.060)
    assert in_range.passes(summary(0.04)) and in_range.passes(summary(0.021))
    assert not in_range.passes(summary(0.07)) and not in_range.passes(summary(float("nan")))
    below = Below(0.0)
    assert below.passes(summary(-0.05, -0.08, -0.01))
    assert not below.passes(summary(-0.05, -0.08, 0.02))  # the mean is below, the interval is not
    assert below.passes(summary(-0.05))  # one replicate: the value decides
    above = Above(1.0)
    assert above.passes(summary(1.1, 1.02, 1.2)) and not above.passes(summary(1.1, 0.98, 1.2))
    assert AtMost(0.0).passes(summary(0.0)) and not AtMost(0.0).passes(summary(1.0))
    assert AtLeast(0.8).passes(summary(0.8)) and not AtLeast(0.8).passes(summary(0.6))
    assert below.describe("+.1%") == "interval below 0" and in_range.describe(".1%") == "value within 2.1% to 6.0%"


@pytest.mark.parametrize("check", [c for c in CHECKS if isinstance(c.rule, InRange)], ids=lambda c: c.id)
def test_each_range_check_passes_inside_its_published_range_and_fails_outside(check):
    lower, upper = check.rule.lower, check.rule.upper
    assert check.rule.passes(summary((lower + upper) / 2))
    assert not check.rule.passes(summary(upper + (upper - lower)))
    assert not check.rule.passes(summary(lower - (upper - lower)))


def test_the_published_ranges_are_the_reference_figures():
    assert (BY_ID["S1"].rule.lower, BY_ID["S1"].rule.upper) == (0.021, 0.060)  # Weisburd 2015
    assert (BY_ID["S1-quarter"].rule.lower, BY_ID["S1-quarter"].rule.upper) == (0.004, 0.016)
    assert (BY_ID["S13"].rule.lower, BY_ID["S13"].rule.upper) == (0.06, 0.10)  # Chalfin et al.
    assert (BY_ID["S10"].rule.lower, BY_ID["S10"].rule.upper) == (10.0, 15.0)  # Koper 1995
    assert BY_ID["S6-1y"].rule.lower < 0.44 < BY_ID["S6-1y"].rule.upper  # BJS 2014
    for check in CHECKS:  # every measured check has a rule, a source and a paragraph
        assert check.source and check.about and check.title
        assert (check.measure is None) == (check.rule is None) == bool(check.not_measured)
        assert check.quick or check.quick_note


def test_a_regime_passes_when_four_of_five_runs_show_it():
    rule = BY_ID["short2008-c"].rule
    assert rule.passes(summarise([1, 1, 1, 1, 0], "share"))
    assert not rule.passes(summarise([1, 1, 1, 0, 0], "share"))


# -- the statistics ----------------------------------------------------------------------------


def test_concentration_at_half_equals_the_model_s_indicator():
    rng = np.random.default_rng(1)
    crimes = rng.negative_binomial(0.3, 0.05, size=2500)
    assert measures.share_of_blocks_holding(crimes, 0.5) == crime_concentration(crimes)[1]
    assert measures.share_of_blocks_holding(np.array([10, 0, 0, 0]), 0.25) == 0.25
    assert measures.share_of_blocks_holding(np.array([1, 1, 1, 1]), 0.5) == 0.5


def test_top_victims_share_of_a_known_distribution():
    counts = np.zeros(100)
    counts[:4] = 10  # 4% of people with 40 victimisations
    counts[4:64] = 1  # 60 others with one each
    assert measures.top_victims_share(counts) == pytest.approx(0.4)


def test_repeat_timing_is_one_for_random_victimisations_and_high_for_quick_repeats():
    rng = np.random.default_rng(2)
    residents = rng.integers(0, 500, 20_000)
    days = rng.integers(0, 3650, 20_000)
    assert measures.revictimisation_rate_ratio(days, residents, 3650) == pytest.approx(1.0, abs=0.15)
    # Every victimisation followed by a second three days later: the first week dominates.
    days_quick = np.concatenate([days, days + 3])
    residents_quick = np.concatenate([residents, residents])
    assert measures.revictimisation_rate_ratio(days_quick, residents_quick, 3660) > 3


def test_knox_ratios_are_one_for_independent_events_and_above_one_for_near_repeats():
    rng = np.random.default_rng(3)
    days = rng.integers(0, 1000, 20_000)
    blocks = rng.integers(0, 2500, 20_000)
    observed, expected = measures.knox_table(days, blocks, (50, 50), 6, 60)
    assert measures.knox_ratio(observed, expected, (0, 1), (1, 7)) == pytest.approx(1.0, abs=0.05)
    assert measures.knox_ratio(observed, expected, (2, 6), (8, 60)) == pytest.approx(1.0, abs=0.02)
    # A follow-up crime on the next block two days after half of 4,000 crimes.
    days, blocks = days[:4000], blocks[:4000]
    echo = rng.random(4000) < 0.5
    near = np.where(blocks[echo] % 50 < 49, blocks[echo] + 1, blocks[echo] - 1)
    observed, expected = measures.knox_table(np.concatenate([days, days[echo] + 2]),
                                             np.concatenate([blocks, near]), (50, 50), 6, 60)
    assert measures.knox_ratio(observed, expected, (0, 1), (1, 7)) > 1.5
    assert measures.knox_ratio(observed, expected, (4, 6), (31, 60)) == pytest.approx(1.0, abs=0.05)


def test_peak_offending_age_is_the_mid_point_of_the_peak_band():
    profile = pd.DataFrame({"age_band": ["10-14", "15-19", "20-24"], "offence_rate": [1.0, 3.0, 2.0]})
    assert measures.peak_offending_age(profile) == 17.0


def test_patrol_dosage_peaks_at_ten_minutes_with_ten_minutes_travel():
    police = Parameters().police
    assert measures.optimal_dwell_minutes(police.model_copy(update={"travel_minutes": 10.0})) == 10.0
    assert measures.optimal_dwell_minutes(police) == 7.0


def test_policy_arithmetic():
    assert measures.relative_difference(92.0, 100.0) == pytest.approx(-0.08)
    assert measures.elasticity(0.9 * 100, 100, 2.0, 1.0) == pytest.approx(np.log(0.9) / np.log(2))
    # 22.1 -> 18.5 homicides per 100,000 with 150 -> 200 officers per 100,000 (docs/ODD.md, S13).
    assert measures.homicides_averted_per_officer(18.5, 22.1, 200, 150) == pytest.approx(0.072)


def test_sector_diffusion_share_counts_rings_that_lose_crime():
    treated = np.zeros((10, 10), dtype=bool)
    treated[2, 2] = treated[7, 7] = True
    neighbourhood = np.zeros((10, 10), dtype=int)
    neighbourhood[5:, 5:] = 1
    control = np.ones((10, 10))
    after = control.copy()
    after[1, 1] = 0.0  # the ring of sector 0 loses a crime
    after[8, 8] = 3.0  # the ring of sector 1 gains two
    assert measures.sector_diffusion_share(treated, neighbourhood, after, control) == 0.5
    assert measures.ring_blocks(treated).sum() == 2 * 24


def test_the_continuum_predicts_hotspots_only_for_low_diffusion():
    # Sets a and b: the homogeneous state is stable; c and d: a band of wavelengths grows.
    for key, unstable in (("a", False), ("b", False), ("c", True), ("d", True)):
        eta, theta, gamma = PUBLISHED_SETS[key]
        wavelength = measures.continuum_wavelength(Short2008Params(eta=eta, theta=theta, gamma=gamma))
        assert np.isnan(wavelength) != unstable
    eta, theta, gamma = PUBLISHED_SETS["c"]
    assert measures.continuum_wavelength(Short2008Params(eta=eta, theta=theta, gamma=gamma)) == pytest.approx(33.7, abs=0.5)


def test_dominant_wavelength_of_a_known_pattern():
    side = np.arange(128)
    stripes = 1.0 + np.cos(2 * np.pi * side / 32)[:, None] * np.ones(128)[None, :]
    spots = stripes * stripes.T
    assert measures.dominant_wavelength([stripes]) == pytest.approx(32.0, rel=0.02)
    assert measures.dominant_wavelength([spots]) == pytest.approx(32.0, rel=0.15)
