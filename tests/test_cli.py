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
    (["--set", "police.strategy=saturation"], "one of random, hotspot"),
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
