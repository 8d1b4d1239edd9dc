"""Comparing scenarios: statistics against hand-computed answers, and the HTML report."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from experiments import compare
from experiments.compare import (
    Indicator,
    differences,
    failures,
    headline,
    mean_interval,
    monthly_bands,
    neighbourhood_differences,
)
from experiments.design import build_design, design_fingerprint
from experiments.engine import RunRecord, execute
from experiments.report import (
    MapUnavailable,
    blocks_by_neighbourhood,
    reference_city,
    write_report,
)
from experiments.store import ResultsStore
from simulation import Parameters, with_overrides

SCENARIOS = ["baseline", "hotspot"]


def summary_table(rows: list[dict]) -> pd.DataFrame:
    """A synthetic summary table: rows of (point, replicate, values), status ok unless given."""
    table = pd.DataFrame([{"status": "ok", "error": "", **row} for row in rows])
    table.insert(0, "run_id", range(len(table)))
    return table


def paired(reference: list[float], scenario: list[float], column: str = "true_crime_rate"):
    """Two scenarios with one value per replicate each."""
    return summary_table(
        [{"point": "baseline", "replicate": r, column: v} for r, v in enumerate(reference)]
        + [{"point": "policy", "replicate": r, column: v} for r, v in enumerate(scenario)])


def row_of(table: pd.DataFrame, indicator: str, scenario: str = "policy") -> pd.Series:
    return table[(table["indicator"] == indicator) & (table["scenario"] == scenario)].iloc[0]


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def test_mean_interval_is_the_hand_computed_student_t_interval():
    # mean 2.5, s = sqrt(5/3) = 1.290994, s / sqrt(4) = 0.645497, t(0.975, 3) = 3.182446:
    # half-width 2.054260
    mean, low, high = mean_interval([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5
    assert (low, high) == pytest.approx((0.445740, 4.554260), abs=1e-6)


def test_one_replicate_has_a_mean_but_no_interval_and_none_has_neither():
    mean, low, high = mean_interval([7.0])
    assert mean == 7.0 and np.isnan(low) and np.isnan(high)
    assert all(np.isnan(value) for value in mean_interval([]))


def test_headline_gives_mean_interval_and_percentiles_of_finished_runs_only():
    rows = [{"point": "baseline", "replicate": r, "true_crime_rate": float(v)}
            for r, v in enumerate([1, 2, 3, 4, 5])]
    rows.append({"point": "baseline", "replicate": 5, "status": "failed", "error": "boom",
                 "true_crime_rate": np.nan})
    table = headline(summary_table(rows), ["baseline"])
    row = row_of(table, "true_crime_rate", "baseline")
    mean, low, high = mean_interval([1, 2, 3, 4, 5])
    assert row["n"] == 5 and row["mean"] == 3.0
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert (row["p2_5"], row["p97_5"]) == pytest.approx((1.1, 4.9))  # linear interpolation
    assert row["group"] == "crime" and row["better"] == "lower"


def test_headline_skips_indicators_the_model_does_not_produce_yet():
    table = headline(paired([1.0, 2.0], [1.0, 2.0]), ["baseline"])
    assert set(table["indicator"]) == {"true_crime_rate"}


def test_a_new_indicator_row_is_all_it_takes_to_compare_a_new_column():
    summary = paired([10.0, 12.0], [7.0, 9.0], column="abuse_incidents")
    abuse = Indicator("abuse_incidents", "Police abuse incidents", ",.0f", "lower", "human rights")
    table = differences(summary, ["baseline", "policy"], "baseline",
                        indicators=(*compare.INDICATORS, abuse))
    assert row_of(table, "abuse_incidents")["mean_difference"] == -3.0


def test_a_constant_shift_gives_the_exact_difference_and_certain_p_beats():
    reference = [100.0, 250.0, 175.0, 90.0]
    summary = summary_table(
        [{"point": "baseline", "replicate": r, "true_crime_rate": v, "reporting_rate": v / 1000}
         for r, v in enumerate(reference)]
        + [{"point": "policy", "replicate": r, "true_crime_rate": v + 5,
            "reporting_rate": v / 1000 + 0.5} for r, v in enumerate(reference)])
    table = differences(summary, ["baseline", "policy"], "baseline")
    crime = row_of(table, "true_crime_rate")
    assert crime["n_pairs"] == 4
    assert crime["mean_difference"] == 5.0
    assert crime["ci_low"] == crime["ci_high"] == 5.0
    assert crime["relative_difference"] == pytest.approx(100 * 5 / np.mean(reference))
    assert crime["p_beats_reference"] == 0.0  # more crime is worse in every replicate
    reporting = row_of(table, "reporting_rate")
    assert reporting["mean_difference"] == pytest.approx(0.5)
    assert reporting["p_beats_reference"] == 1.0  # more reporting is better in every replicate
    assert set(table["scenario"]) == {"policy"}  # the reference is not compared with itself


def test_differences_interval_is_the_t_interval_of_the_paired_differences():
    reference, scenario = [10.0, 20.0, 30.0, 40.0], [9.0, 18.0, 31.0, 36.0]  # diffs -1 -2 1 -4
    row = row_of(differences(paired(reference, scenario), ["policy"], "baseline"),
                 "true_crime_rate")
    mean, low, high = mean_interval([-1.0, -2.0, 1.0, -4.0])
    assert row["mean_difference"] == mean == -1.5
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert row["p_beats_reference"] == 0.75


def test_ties_count_one_half_in_p_beats():
    # differences: -1 (better), 0, 0, 0 -> (1 + 3 * 0.5) / 4
    row = row_of(differences(paired([5.0, 5, 5, 5], [4.0, 5, 5, 5]), ["policy"], "baseline"),
                 "true_crime_rate")
    assert row["p_beats_reference"] == 0.625


def test_p_beats_is_not_computed_without_a_better_direction():
    row = row_of(differences(paired([0.5, 0.6], [0.4, 0.5], "share_crime_top5_blocks"),
                             ["policy"], "baseline"), "share_crime_top5_blocks")
    assert np.isnan(row["p_beats_reference"])
    assert row["mean_difference"] == pytest.approx(-0.1)


def test_a_replicate_failed_in_one_scenario_is_left_out_of_the_pairs():
    summary = paired([10.0, 20.0, 30.0], [11.0, 21.0, 1000.0])
    summary.loc[(summary["point"] == "baseline") & (summary["replicate"] == 2),
                ["status", "true_crime_rate"]] = ["failed", np.nan]
    row = row_of(differences(summary, ["policy"], "baseline"), "true_crime_rate")
    assert row["n_pairs"] == 2
    assert row["mean_difference"] == 1.0 and row["p_beats_reference"] == 0.0
    assert row["reference_mean"] == 15.0 and row["scenario_mean"] == 16.0


def test_a_replicate_run_twice_is_refused():
    summary = paired([1.0, 2.0], [1.0, 2.0])
    summary = pd.concat([summary, summary.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="several finished runs of one replicate"):
        differences(summary, ["policy"], "baseline")


def test_monthly_bands_sum_crime_types_and_summarise_replicates():
    rows = []
    for replicate, level in enumerate([10.0, 20.0, 30.0]):
        for month in range(2):
            row = {"run_id": replicate, "point": "baseline", "replicate": replicate,
                   "month": month, "true_homicide": 1.0, "arrests": level, "prisoners": level / 10}
            row.update({f"true_{crime}": level + month for crime in
                        ("property", "robbery", "assault", "domestic")})
            rows.append(row)
    bands = monthly_bands(pd.DataFrame(rows), ["baseline"])
    true = bands[(bands["series"] == "true_crimes") & (bands["month"] == 1)].iloc[0]
    # true crimes in month 1: 4 * (level + 1) + 1 homicide = 45, 85, 125
    assert true["n"] == 3 and true["mean"] == 85.0
    assert (true["p2_5"], true["p97_5"]) == pytest.approx(
        tuple(np.percentile([45.0, 85.0, 125.0], [2.5, 97.5])))
    assert set(bands["series"]) == {"true_crimes", "homicides", "arrests", "prisoners"}  # no recorded


def test_neighbourhood_differences_are_paired_rates_per_1000_residents_a_year():
    summary = summary_table([{"point": point, "replicate": r, "days": 730}
                             for point in ("baseline", "policy") for r in range(2)])
    rows = []
    for run in summary.itertuples():
        for neighbourhood in range(2):
            shift = 10 if run.point == "policy" and neighbourhood == 1 else 0
            rows.append({"run_id": run.run_id, "point": run.point, "replicate": run.replicate,
                         "neighbourhood": neighbourhood, "ses": 0.3, "residents": 1000,
                         "true_crimes": 100 + 50 * run.replicate + shift,
                         "victimisation_rate": 40.0 + shift + run.replicate})
    table = neighbourhood_differences(pd.DataFrame(rows), summary, ["baseline", "policy"],
                                      "baseline")
    crimes = table[table["measure"] == "true_crimes_per_1000"].set_index("neighbourhood")
    assert crimes.loc[0, "mean_difference"] == 0.0
    assert crimes.loc[1, "mean_difference"] == 5.0  # 10 crimes / 1,000 residents / 2 years
    assert crimes.loc[0, "reference_mean"] == 62.5  # (100 + 150) / 2 per 1,000 over 2 years
    victims = table[table["measure"] == "victimisation_rate"].set_index("neighbourhood")
    assert victims.loc[1, "mean_difference"] == 10.0 and victims.loc[1, "p_beats_reference"] == 0


def test_failures_lists_failed_runs_with_their_error():
    summary = paired([1.0, 2.0], [1.0, 2.0])
    summary.loc[3, ["status", "error"]] = ["failed", "ValueError: boom"]
    table = failures(summary)
    assert table.to_dict("records") == [{"run_id": 3, "scenario": "policy", "replicate": 1,
                                         "error": "ValueError: boom"}]


# --------------------------------------------------------------------------------------------
# The report, on a small real experiment
# --------------------------------------------------------------------------------------------


SMALL = {"population.residents": 2000, "city.width": 30, "city.height": 30,
         "city.neighbourhoods": 4, "warmup_days": 30}


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> ResultsStore:
    """Baseline vs hot-spot patrol: 2 scenarios x 4 replicates of a 2,000-resident city, 1 year."""
    points = {"baseline": with_overrides(Parameters(), SMALL),
              "hotspot": with_overrides(Parameters(), {**SMALL, "police.strategy": "hotspot",
                                                      "police.officers_per_100k": 600})}
    design = build_design(points, replicates=4, root_seed=1, days=365)
    store = ResultsStore(tmp_path_factory.mktemp("experiment") / "exp")
    configuration = {"scenarios": list(points), "replicates": 4, "years": 1, "residents": 2000,
                     "root_seed": 1, "executor": "serial",
                     "parameters": {name: params.model_dump(mode="json")
                                    for name, params in points.items()}}
    store.open(configuration, design_fingerprint(design))
    for spec in design:
        store.append(execute(spec))
    return store


def copy_of(store: ResultsStore, tmp_path) -> ResultsStore:
    return ResultsStore(shutil.copytree(store.root, tmp_path / "copy"))


def images(page: str) -> list[str]:
    return re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]+"', page)


def test_report_is_self_contained_with_figures_tables_and_every_scenario(experiment, tmp_path):
    path = write_report(experiment, SCENARIOS, "baseline", tmp_path / "report",
                        descriptions={"hotspot": "Hot-spot patrol with 600 officers"})
    assert path == tmp_path / "report" / "report.html"
    page = path.read_text(encoding="utf-8")
    for remote in ('src="http', "src='http", 'href="http', "href='http", "<script src", "@import",
                   "url("):
        assert remote not in page
    assert len(images(page)) >= 3  # differences, map, time series
    assert "Map of the difference in victimisation rate" in page
    for scenario in SCENARIOS:
        assert scenario in page
    assert "Hot-spot patrol with 600 officers" in page
    assert "P(hotspot beats baseline)" in page
    assert "Prisoners per 100,000 residents" in page and "Victimisation gap" in page
    for name in ("headline", "differences", "monthly_bands", "neighbourhood_differences",
                 "failures"):
        for suffix in (".parquet", ".csv"):
            assert (tmp_path / "report" / "tables" / f"{name}{suffix}").stat().st_size > 0
    headline_table = pd.read_parquet(tmp_path / "report" / "tables" / "headline.parquet")
    assert set(headline_table["scenario"]) == set(SCENARIOS)
    # Every indicator with values has all 4 runs; recidivism within k years is undefined (n 0)
    # in these one-year runs, and the gang share of homicides in a run without homicides.
    defined = ~headline_table["indicator"].str.startswith(("rearrest_", "reimprisonment_"))
    sometimes = headline_table["indicator"] == "network_homicide_share"
    assert (headline_table.loc[defined & ~sometimes, "n"] == 4).all()
    assert headline_table.loc[sometimes, "n"].between(0, 4).all()
    assert (headline_table.loc[~defined, "n"] == 0).all()
    assert "Young people in street gangs" in page


def test_report_is_written_when_a_run_failed_and_lists_the_failure(experiment, tmp_path):
    store = copy_of(experiment, tmp_path)
    store.append(RunRecord(run_id=999, point="hotspot", replicate=9, status="failed",
                           seconds=0.0, error="ValueError: boom"))
    page = write_report(store, SCENARIOS, "baseline", tmp_path / "report").read_text()
    assert "Failed runs" in page and "ValueError: boom" in page
    assert "1 of 9 runs failed" in page
    listed = pd.read_csv(tmp_path / "report" / "tables" / "failures.csv")
    assert listed[["scenario", "replicate"]].values.tolist() == [["hotspot", 9]]


def test_a_new_summary_column_reaches_the_report_through_one_indicator_row(
        experiment, tmp_path, monkeypatch):
    store = copy_of(experiment, tmp_path)
    for path in (store.root / "runs" / "summary").glob("part-*.parquet"):
        summary = pd.read_parquet(path)
        summary["cost_per_crime_averted"] = 900.0 + 300.0 * (summary["point"] == "hotspot")
        summary.to_parquet(path, index=False)
    monkeypatch.setattr(compare, "INDICATORS", (*compare.INDICATORS, Indicator(
        "cost_per_crime_averted", "Cost per crime averted (US dollars)", ",.0f", "lower",
        "human rights")))
    page = write_report(store, SCENARIOS, "baseline", tmp_path / "report").read_text()
    assert page.count("Cost per crime averted (US dollars)") >= 3  # headline, differences, equity
    assert "cost per crime averted and P(benefits exceed costs) (the governance" not in page


def test_report_without_stored_parameters_explains_why_the_map_is_missing(experiment, tmp_path):
    store = copy_of(experiment, tmp_path)
    manifest = store.manifest()
    store.update_manifest(configuration={"scenarios": manifest["configuration"]["scenarios"]})
    page = write_report(store, SCENARIOS, "baseline", tmp_path / "report").read_text()
    assert "The map cannot be drawn" in page
    assert "not recorded" in page  # root seed and executor unknown, the report still reads
    assert "2,000" in page  # residents read from the runs themselves


def test_no_map_when_every_replicate_had_its_own_city():
    params = with_overrides(Parameters(), {**SMALL, "city.seed": None})
    with pytest.raises(MapUnavailable, match="each replicate had its own city"):
        reference_city({"parameters": {"baseline": params.model_dump(mode="json")}}, "baseline")


def test_the_rebuilt_city_is_the_one_the_runs_had(experiment):
    configuration = experiment.manifest()["configuration"]
    blocks = blocks_by_neighbourhood(experiment.table("neighbourhoods"), "baseline")
    city = reference_city(configuration, "baseline", blocks)
    assert city.neighbourhoods == 4 and city.grid_shape == (30, 30)
    with pytest.raises(MapUnavailable, match="does not match"):
        reference_city({}, "baseline", blocks)  # the default city is not the runs' city
