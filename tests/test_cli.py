"""The command line: outputs, manifests and clear errors with exit status 2."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from experiments.cli import app

runner = CliRunner()
SMALL = ["--residents", "2000", "--years", "0.25", "--set", "city.width=30", "--set", "city.height=30",
         "--set", "city.neighbourhoods=4", "--set", "warmup_days=10", "--quiet"]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_run_writes_tables_manifest_and_figure(tmp_path):
    out = tmp_path / "run"
    result = invoke("run", *SMALL, "--seed", 7, "--out", out)
    assert result.exit_code == 0, result.output
    for name in ("timeseries.parquet", "annual.parquet", "neighbourhoods.parquet",
                 "age_profile.parquet", "indicators.png", "manifest.json"):
        assert (out / name).stat().st_size > 0, name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7
    assert manifest["parameters"]["city"]["width"] == 30
    assert manifest["packages"]["mesa"].startswith("3.")
    assert "git_commit" in manifest and "timings" in manifest
    daily = pd.read_parquet(out / "timeseries.parquet")
    assert len(daily) == 91 and "recorded_property" in daily
    assert "peak offending age" in result.output


def test_run_is_reproducible_from_its_manifest(tmp_path):
    invoke("run", *SMALL, "--seed", 3, "--out", tmp_path / "a")
    invoke("run", *SMALL, "--seed", 3, "--out", tmp_path / "b")
    first = pd.read_parquet(tmp_path / "a" / "timeseries.parquet")
    pd.testing.assert_frame_equal(first, pd.read_parquet(tmp_path / "b" / "timeseries.parquet"))


def test_existing_results_are_not_overwritten(tmp_path):
    out = tmp_path / "run"
    invoke("run", *SMALL, "--out", out)
    before = (out / "timeseries.parquet").read_bytes()
    result = invoke("run", *SMALL, "--seed", 99, "--out", out)
    assert result.exit_code == 2
    assert "already holds results" in result.output and "--overwrite" in result.output
    assert (out / "timeseries.parquet").read_bytes() == before


@pytest.mark.parametrize(("args", "message"), [
    (["--residents", "5"], "population.residents = 5"),
    (["--set", "police.guardianship=2"], "police.guardianship = 2"),
    (["--set", "police.strategi=hotspot"], "Did you mean police.strategy"),
    (["--set", "police.strategy"], "is not key=value"),
    (["--set", "police.strategy=helicopter"], "one of random, hotspot, community"),
    (["--years", "-1"], "years = -1"),
])
def test_bad_input_gets_one_clear_message_and_exit_2(tmp_path, args, message):
    result = invoke("run", *args, "--out", tmp_path / "x")
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "x" / "manifest.json").exists()


def test_unknown_option_exits_2(tmp_path):
    result = runner.invoke(app, ["run", "--colour", "red", "--out", str(tmp_path)])
    assert result.exit_code == 2


def test_params_lists_every_parameter_with_sources():
    result = invoke("params", "--json")
    rows = json.loads(result.output)
    assert any(row["parameter"] == "opportunity.eta" for row in rows)
    assert all(row["source"] for row in rows)
    markdown = invoke("params", "--markdown").output
    assert markdown.startswith("| parameter | default |")


def test_short2008_writes_map_and_metrics(tmp_path):
    result = invoke("short2008", "--preset", "c", "--size", 32, "--steps", 2000, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["parameters"]["eta"] == 0.03
    assert (tmp_path / "attractiveness.png").stat().st_size > 0
    assert invoke("short2008", "--preset", "z", "--out", tmp_path).exit_code == 2


def test_demo_compares_baseline_punitive_and_comprehensive(tmp_path):
    out = tmp_path / "demo"
    result = invoke("demo", "--reps", 2, "--residents", 2000, "--years", 0.2, "--workers", 1,
                    "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "report.html").exists()
    summary = pd.read_parquet(out / "tables" / "headline.parquet")
    assert set(summary["scenario"]) == {"baseline", "punitive", "comprehensive"}


COMPARE = ["compare", "baseline", "punitive", "--reps", "3", "--residents", "3000", "--years",
           "0.3", "--workers", "1", "--quiet"]


def test_compare_killed_part_way_resumes_and_equals_an_uninterrupted_run(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "experiments.cli", *COMPARE, "--out", str(out)],
                               start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    from experiments.store import ResultsStore

    store = ResultsStore(out)
    summaries = out / "runs" / "summary"
    deadline = time.monotonic() + 300
    while not list(summaries.glob("part-*.parquet")):
        assert process.poll() is None, "the experiment ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done = len(store.completed())
    assert 1 <= done < 6
    assert not (out / "report.html").exists()

    resumed = invoke(*COMPARE, "--out", out)
    assert resumed.exit_code == 0, resumed.output
    assert f"resumed: {done} runs were already in" in " ".join(resumed.output.split())
    assert f"computed {6 - done}" in resumed.output
    fresh = invoke(*COMPARE, "--out", tmp_path / "fresh")
    assert fresh.exit_code == 0
    columns = lambda frame: frame.drop(columns=["seconds"]).sort_values("run_id").reset_index(drop=True)  # noqa: E731
    for table in ("summary", "monthly", "neighbourhoods"):
        killed, fresh = store.table(table), ResultsStore(tmp_path / "fresh").table(table)
        if table == "summary":
            killed, fresh = columns(killed), columns(fresh)
        pd.testing.assert_frame_equal(killed, fresh, obj=table)
    again = invoke(*COMPARE, "--out", out)
    assert "computed 0" in again.output


def test_compare_refuses_a_folder_holding_another_experiment(tmp_path):
    invoke(*COMPARE, "--out", tmp_path)
    result = invoke(*[a if a != "3" else "2" for a in COMPARE], "--out", tmp_path)
    assert result.exit_code == 2
    assert "different experiment" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["compare", "baseline", "nope"], "no scenario 'nope'"),
    (["compare", "baseline", "--reps", "0"], "--reps 0"),
    (["compare", "baseline", "baseline"], "named twice"),
    (["compare", "baseline", "--residents", "10"], "population.residents = 10"),
    (["compare", "baseline", "--dask", "nowhere.toml"], "no such cluster file"),
])
def test_compare_bad_input_exits_2_with_one_message(tmp_path, args, message):
    result = invoke(*args, "--out", tmp_path / "x")
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_scenarios_lists_the_library_by_pillar_with_costs_and_shows_levers():
    listing = " ".join(invoke("scenarios").output.split())
    for text in ("baseline", "punitive", "comprehensive", "hotspot_policing", "youth_prevention",
                 "police management", "prevention of crime and violence", "overlays",
                 "election_reversal", "59.00", "107.80"):
        assert text in listing, text
    shown = " ".join(invoke("scenarios", "show", "punitive").output.split())
    assert "police.officers_per_100k" in shown and "300.0" in shown
    assert "planned cost by pillar" in shown and "police management" in shown
    assert "+48.80" in shown  # 107.80 - 59.00 in total
    assert invoke("scenarios", "show", "nope").exit_code == 2
    overlaid = " ".join(invoke("scenarios", "show", "punitive+disaster").output.split())
    assert "shocks.disaster.duration_days" in overlaid and "punitive -> disaster" in overlaid


@pytest.mark.parametrize(("text", "messages"), [
    ('description = "x"\n[police]\nofficers_per_100 = 200\n',
     ["bad.toml", "unknown parameter 'police.officers_per_100'", "police.officers_per_100k"]),
    ('description = "x"\n[police]\nstrategy = "saturate"\n',
     ["bad.toml", "police.strategy = 'saturate'", "Valid: one of random, hotspot"]),
    ('description = "x"\n[justice.sentencing]\nseverity = -1\n',
     ["bad.toml", "justice.sentencing.severity = -1", "Valid: >="]),
    ('description = "x"\nextends = "basline"\n',
     ["bad.toml", "extends = 'basline'", "no scenario 'basline'", "give a path relative"]),
    ('description = "x"\npillar = "policing"\n',
     ["bad.toml", "pillar = 'policing'", "'police management'"]),
])
def test_a_malformed_scenario_gets_one_message_naming_file_key_and_choices(tmp_path, text, messages):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    for args in (["scenarios", "show", path], ["compare", "baseline", path, "--out", tmp_path / "o"]):
        result = invoke(*args)
        assert result.exit_code == 2, result.output
        output = " ".join(result.output.split())
        assert output.count("error:") == 1
        for message in messages:
            assert message in output, (message, output)
    assert not (tmp_path / "o").exists()


def test_compare_at_equal_budget_reports_costs_benefits_equity_and_human_rights(tmp_path):
    out = tmp_path / "equal"
    result = invoke("compare", "baseline", "punitive", "comprehensive", "--equal-budget", "--reps",
                    2, "--residents", 3000, "--years", 0.3, "--workers", 1, "--quiet", "--out", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    planned = manifest["configuration"]["planned_budget_per_resident"]
    assert manifest["configuration"]["equal_budget"] is True
    for name in ("punitive", "comprehensive"):
        assert planned[name] == pytest.approx(planned["baseline"], rel=1e-6)
    money = pd.read_parquet(out / "tables" / "costs_and_benefits.parquet").set_index("scenario")
    assert set(money.index) == {"punitive", "comprehensive"}
    assert money[["extra_spending_per_resident", "crimes_averted_per_100k", "net_benefit_per_resident",
                  "p_benefits_exceed_costs"]].notna().all().all()
    page = (out / "report.html").read_text()
    for text in ("Costs and benefits", "Cost per crime averted", "P(benefits exceed costs)",
                 "Equity and human rights", "Prison occupancy", "Incidents of police abuse",
                 "Victimisation gap", "rescaled"):
        assert text in page, text


@pytest.mark.parametrize(("args", "message"), [
    (["--checks", "S99"], "unknown check 'S99' (did you mean S9?)"),
    (["--workers", "0"], "--workers"),
])
def test_validate_bad_options_get_one_message_and_exit_2(tmp_path, args, message):
    result = invoke("validate", *args, "--quiet", "--out", tmp_path / "v")
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "v" / "validation.csv").exists()


def test_validate_writes_the_table_and_report_for_the_chosen_checks(tmp_path):
    result = invoke("validate", "--quick", "--checks", "conservation-short2008", "--workers", 1,
                    "--quiet", "--out", tmp_path / "v")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "v" / "validation.csv")
    assert list(table["id"]) == ["conservation-short2008"]
    assert "of 1 checks pass" in result.output
    assert (tmp_path / "v" / "report.html").is_file()
