"""README.md, run: every command, Python example and file the README shows works as written.

The README's fenced ```bash blocks are read into commands (continuation lines joined, trailing
``# comments`` kept apart), and so are its inline `crimesim ... --option` commands; each must
have an entry in `COMMANDS`, which says how this file runs it. A command is run with exactly the
README's subcommand and options, in a scratch folder (so ``results/...`` lands there), except
that options making it too large for a test are replaced (`Exercise.replace`) or appended
(`Exercise.add`), using only options the command itself documents (``--help``). The ```toml
blocks are the files the commands name (`TOML_FILES`); the ```python blocks are executed.

Each test checks what the README promises the command produces (report.html, manifest.json,
tables ...), not only that it exits 0. Most commands run in this process (typer's CliRunner);
the slowest (the two validations, the North Carolina calibration, the Sobol analysis: about half
the file's time, on about one core) run one after another in child processes through the
``crimesim`` console script, started with the first test, and are checked at the end.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import inspect
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from experiments.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

SMALL = ("--residents", "300", "--years", "0.1")
"""A city small and short enough for a test: 300 residents, 36 recorded days (the scenarios'
three-year warm-up stays: `compare` has no option to shorten it)."""
HERE = ("--workers", "1")
"""Runs in this process, with no worker processes to start, where the README leaves the executor
at its default (the process pool and Dask are exercised by the commands that name them)."""
SHORT_WARMUP = ("--warmup-days", "30")
NARROW = "tiny.toml"
"""This file's own parameter file (``--params``): two uncertain parameters instead of every one,
so a Morris screen takes a few runs."""
CALIBRATION_CITY = ("--set", "city.width=12", "--set", "city.height=12", "--set",
                    "city.neighbourhoods=4", *HERE, "--predictive-draws", "1",
                    "--reproducible", "--min-epsilon", "1000")
"""A calibration's small city (12 x 12 blocks), one generation and a seeded sampler. A tolerance
floor of 1,000 standard errors accepts every complete run of the first generation (which then
ends the calibration) instead of about one in eight. The targets include recidivism, which needs
released prisoners: with the residents set per command about one prior draw in six releases none
in time, and a prior sample of 3 in which none does stops the calibration, so the sample is
seeded (the same draws every time) rather than left to chance."""


@dataclass(frozen=True)
class Exercise:
    """How a README command is run here.

    Attributes:
        replace: README options whose values are replaced to make the command small.
        add: options appended (documented options of the command that the README leaves out).
        outputs: files the README promises, relative to the command's ``--out``.
        says: text the command prints (whitespace-normalised).
        test: the test that runs it; by default the parametrised one.
        background: run in a child process started with the module's first test (the slowest
            commands), with `test_readme_slow_command_runs_in_a_child_process` by default.
    """

    replace: Mapping[str, str] = field(default_factory=dict)
    add: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    says: tuple[str, ...] = ()
    test: str = ""
    background: bool = False

    def __post_init__(self) -> None:
        if not self.test:
            object.__setattr__(self, "test", SLOW_TEST if self.background else IN_PROCESS_TEST)


IN_PROCESS_TEST = "test_readme_command_runs_and_writes_what_the_readme_promises"
SLOW_TEST = "test_readme_slow_command_runs_in_a_child_process"


COMPARISON = ("report.html", "manifest.json", "tables/headline.parquet", "tables/headline.csv",
              "tables/differences.parquet", "runs/summary")
STUDY = ("report.html", "manifest.json", "tables/indices.parquet", "tables/indices.csv")
RUN = ("timeseries.parquet", "annual.parquet", "neighbourhoods.parquet", "age_profile.parquet",
       "indicators.png", "manifest.json")
CALIBRATION = ("posterior.parquet", "report.html", "history.db", "manifest.json")
VALIDATION = ("validation.csv", "validation.parquet", "report.html", "manifest.json")

COMMANDS: dict[str, Exercise] = {
    # Quick start
    "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/crimesim demo": Exercise(
        test="test_quick_start_installs_then_runs_the_demo_and_the_tests"),
    'python3 -m venv .venv && .venv/bin/pip install ".[test]" && .venv/bin/python -m pytest': Exercise(
        test="test_quick_start_installs_then_runs_the_demo_and_the_tests"),
    # Comparing strategies
    "crimesim scenarios": Exercise(says=("punitive", "comprehensive", "USD per resident",
                                         "overlays")),
    "crimesim scenarios show punitive": Exercise(says=("levers that differ from baseline",
                                                       "planned cost by pillar")),
    "crimesim compare baseline punitive comprehensive --reps 20 --out results/compare": Exercise(
        replace={"--reps": "2"}, add=(*SMALL, *HERE), outputs=COMPARISON),
    "crimesim compare baseline punitive comprehensive --equal-budget --out results/eq": Exercise(
        add=("--reps", "1", *SMALL, *HERE), outputs=COMPARISON,
        says=("equal budget: baseline USD",)),
    "crimesim compare comprehensive comprehensive+election_reversal --out results/el": Exercise(
        add=("--reps", "1", *SMALL, *HERE), outputs=COMPARISON,
        says=("comparing comprehensive, comprehensive+election_reversal",)),
    # Running many simulations
    "crimesim compare baseline punitive --reps 50 --workers 2 --out results/a": Exercise(
        replace={"--reps": "1"}, add=SMALL, outputs=COMPARISON, says=("process pool (2 workers)",)),
    "crimesim compare baseline punitive --reps 50 --dask local --out results/b": Exercise(
        replace={"--reps": "1"}, add=SMALL, outputs=COMPARISON, says=("dask local cluster",)),
    "crimesim compare baseline punitive --reps 50 --dask tcp://10.0.0.5:8786 --out results/c": Exercise(
        replace={"--reps": "1", "--dask": "the address of a LocalCluster started by the test"},
        add=SMALL, outputs=COMPARISON,
        test="test_readme_dask_scheduler_command_runs_on_a_real_scheduler"),
    "crimesim compare baseline punitive --reps 500 --dask slurm.toml --out results/d": Exercise(
        replace={"--reps": "1"}, add=SMALL,
        test="test_readme_job_queue_command_reads_slurm_toml_up_to_the_submission"),
    # Sensitivity analysis
    "crimesim sensitivity --list": Exercise(says=("uncertain parameters", "offending.attempt_rate")),
    "crimesim sensitivity --method morris --n 10 --reps 2 --years 2 --out results/morris": Exercise(
        replace={"--n": "2", "--years": "0.1"},
        add=("--residents", "300", *SHORT_WARMUP, "--params", NARROW, *HERE),
        outputs=(*STUDY, "figures/heatmap.png")),
    "crimesim sensitivity --method morris --n 4 --reps 1 --years 1 --warmup-days 365 --out results/screen":
        Exercise(replace={"--years": "0.1", "--warmup-days": "30"},
                 add=("--residents", "300", "--params", NARROW, *HERE), outputs=STUDY),
    "crimesim sensitivity --method sobol --n 256 --reps 4 --params top.toml --outcomes "
    "homicide_rate,true_crime_rate,prisoners_per_100k --out results/sobol": Exercise(
        replace={"--n": "2", "--reps": "1"},  # 50 runs; a smaller city has no homicide to vary
        add=("--residents", "1000", "--years", "0.5", *SHORT_WARMUP, *HERE),
        outputs=STUDY, background=True),
    "crimesim sensitivity --method morris --groups --out results/pillars": Exercise(
        add=("--n", "2", "--reps", "1", "--residents", "300", "--years", "0.1", *SHORT_WARMUP,
             *HERE), outputs=STUDY),
    "crimesim sensitivity --model ishigami --method sobol --n 1024 --out results/ishigami": Exercise(
        add=HERE, outputs=STUDY),
    # Calibration
    "crimesim calibrate --targets calibration/examples/latin_city_targets.csv --params priors.toml "
    "--residents 20000 --years 4 --warmup-days 365 --population 100 --budget 2000 --out "
    "results/calibration": Exercise(
        replace={"--residents": "3000", "--population": "3", "--budget": "3"}, add=CALIBRATION_CITY,
        outputs=CALIBRATION, test="test_readme_calibration_and_the_comparison_over_its_posterior"),
    "crimesim calibrate --targets builtin:north-carolina --params priors.toml --residents 100000 "
    "--years 4 --population 100 --budget 2000 --out results/nc": Exercise(
        replace={"--residents": "5000", "--population": "3", "--budget": "3"},
        add=CALIBRATION_CITY, outputs=CALIBRATION,
        says=("fixed the setting of the data: police.officers_per_100k",), background=True,
        test="test_readme_north_carolina_calibration_fixes_the_setting_of_the_data"),
    "crimesim compare baseline punitive comprehensive --posterior results/calibration --out "
    "results/over-posterior": Exercise(
        add=("--reps", "2", *SMALL, *HERE), outputs=COMPARISON,
        test="test_readme_calibration_and_the_comparison_over_its_posterior"),
    # Validation
    "crimesim validate --quick --out results/validation-quick": Exercise(
        outputs=VALIDATION, background=True,
        test="test_validate_quick_runs_the_reduced_suite_as_written"),
    "crimesim validate --out results/validation": Exercise(
        test="test_validate_full_suite_command_reaches_the_suite_with_its_options"),
    "crimesim validate --checks S1,S6,short2008 --out results/v": Exercise(
        add=("--quick",), outputs=VALIDATION, background=True,
        test="test_validate_chosen_checks_runs_those_checks_only"),
    # Teaching with the app
    "crimesim app": Exercise(add=("--port", "a free port"),
                             test="test_readme_app_commands_serve_the_city_and_the_trainer_page"),
    "crimesim app --host 0.0.0.0 --trainer-code class-2026": Exercise(
        add=("--port", "a free port"),
        test="test_readme_app_commands_serve_the_city_and_the_trainer_page"),
    "crimesim app --prepare-assets": Exercise(test="test_readme_app_prepare_assets_completes_them"),
    # One run
    "crimesim run --residents 100000 --years 10 --seed 1 --out results/run1": Exercise(
        replace={"--residents": "300", "--years": "0.1"}, outputs=RUN),
    "crimesim run --set police.strategy=hotspot --set police.officers_per_100k=300 --out "
    "results/hotspot": Exercise(add=SMALL, outputs=RUN),
    "crimesim params": Exercise(says=("crimesim parameters (set with --set key=value)",)),
    "crimesim short2008 --preset c --out results/short": Exercise(
        outputs=("attractiveness.png", "manifest.json")),
    # Reproducing a run
    "crimesim run --seed S": Exercise(
        replace={"--seed": "5"}, add=(*SMALL, "--out", "results/reproduce"),
        test="test_readme_run_is_reproduced_from_its_manifest_in_python"),
}
"""Every command of README.md and how it is exercised."""

TOML_FILES = {"slurm.toml": 'kind = "slurm"', "top.toml": "only = [", "priors.toml": "only = ["}
"""The files the README's commands name, each written from the ```toml block holding the text."""

PYTHON_SCALING = {'"population.residents": 50_000': '"population.residents": 300, "years": 0.1'}
"""Replacements that make the README's Python examples small (10 years of 50,000 residents)."""


# -- reading the README ----------------------------------------------------------------------

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
COMMENT = re.compile(r"\s+#(\s|$)")


def readme_text() -> str:
    return README.read_text(encoding="utf-8")


def fenced_blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(readme_text()) if lang == language]


def shell_lines() -> list[tuple[str, str]]:
    """(command, trailing comment) for every line of the ```bash blocks, continuations joined."""
    lines = []
    for block in fenced_blocks("bash"):
        pending = ""
        for line in block.splitlines():
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            line, pending = pending + line, ""
            match = COMMENT.search(line)
            command, comment = (line[:match.start()], line[match.end():]) if match else (line, "")
            if command.strip():
                lines.append((" ".join(command.split()), comment.strip()))
    return lines


def inline_commands() -> list[str]:
    """The `crimesim ...` code spans of the prose that carry an option (complete commands)."""
    prose = FENCE.sub("", readme_text())
    return [" ".join(span.split()) for span in re.findall(r"`(crimesim [^`]*)`", prose)
            if "--" in span]


def readme_commands() -> list[str]:
    return [command for command, _ in shell_lines()] + inline_commands()


def arguments(command: str, exercise: Exercise) -> list[str]:
    """The command's arguments after ``crimesim``, scaled as `exercise` says."""
    words = shlex.split(command)
    assert words[0] == "crimesim", command
    words = words[1:]
    for option, value in exercise.replace.items():
        assert option in words, f"{command}: no {option} to replace; update COMMANDS"
        words[words.index(option) + 1] = value
    for option in exercise.add:
        assert not option.startswith("--") or option not in words, (
            f"{command}: {option} is the README's; replace it rather than add it")
    return words + list(exercise.add)


def output_folder(words: list[str]) -> Path:
    return Path(words[words.index("--out") + 1])


def flat(text: str) -> str:
    return " ".join(text.split())


runner = CliRunner()


def invoke(words: list[str]):
    return runner.invoke(app, [str(word) for word in words], catch_exceptions=False)


def crimesim_command() -> list[str]:
    """The ``crimesim`` console script next to this Python (as a user's venv has it)."""
    script = Path(sys.executable).with_name("crimesim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "experiments.cli"]


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A scratch folder holding the README's files (the ```toml blocks), the project's example
    target file at its README path and this file's own narrow parameter file; the commands run
    here, as the README's run in the project's folder."""
    folder = tmp_path_factory.mktemp("readme")
    targets = Path("calibration/examples/latin_city_targets.csv")
    (folder / targets.parent).mkdir(parents=True)
    shutil.copy(ROOT / targets, folder / targets)
    for name, marker in TOML_FILES.items():
        (folder / name).write_text(next(b for b in fenced_blocks("toml") if marker in b))
    (folder / NARROW).write_text('only = ["offending.attempt_rate", "police.visibility_deterrence"]\n')
    return folder


@pytest.fixture
def here(workdir, monkeypatch) -> Path:
    monkeypatch.chdir(workdir)
    return workdir


class Background:
    """Commands run one after another in child processes while the tests go on here."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self.processes: list[subprocess.Popen] = []
        self.futures: dict[str, concurrent.futures.Future] = {}

    def start(self, command: str) -> None:
        words = arguments(command, COMMANDS[command])
        self.futures[command] = self.pool.submit(self._run, crimesim_command() + words)

    def _run(self, argv: list[str]) -> tuple[int, str]:
        process = subprocess.Popen(argv, cwd=self.directory, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.processes.append(process)
        output, _ = process.communicate()
        return process.returncode, output

    def result(self, command: str) -> tuple[int, str]:
        if command not in self.futures:
            self.start(command)
        return self.futures[command].result(timeout=1800)

    def stop(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module", autouse=True)
def background(request, workdir) -> Iterator[Background]:
    """Start the slowest commands now, in child processes, if their tests are selected."""
    jobs = Background(workdir)
    selected = {item.originalname for item in request.session.items
                if item.module is request.module}
    for command, exercise in COMMANDS.items():
        if exercise.background and exercise.test in selected:
            jobs.start(command)
    yield jobs
    jobs.stop()


# -- the registry ----------------------------------------------------------------------------


def test_every_readme_command_is_in_the_registry():
    shown, listed = set(readme_commands()), set(COMMANDS)
    missing = sorted(shown - listed)
    assert not missing, ("README.md shows commands this test does not run: "
                         + "; ".join(missing) + ". Add each to COMMANDS in tests/test_readme.py "
                         "with how to run it (the options that make it small).")
    stale = sorted(listed - shown)
    assert not stale, ("COMMANDS lists commands README.md no longer shows: " + "; ".join(stale)
                       + ". Remove them from COMMANDS in tests/test_readme.py.")
    assert len(readme_commands()) == len(shown), "README.md shows a command twice"
    for command, exercise in COMMANDS.items():
        assert callable(globals().get(exercise.test)), f"{command}: no test {exercise.test}"


def test_every_bash_line_is_a_command():
    for command, _ in shell_lines():
        assert command.startswith(("crimesim ", "python3 -m venv ")) or command == "crimesim", command


def test_toml_blocks_are_the_files_the_commands_name():
    blocks = fenced_blocks("toml")
    for name, marker in TOML_FILES.items():
        assert sum(marker in block for block in blocks) == 1, f"{name}: no single ```toml block"
        assert f"`{name}`" in readme_text(), f"README.md never names {name} outside a command"
    assert all(any(marker in block for marker in TOML_FILES.values()) for block in blocks), (
        "a ```toml block is no file a command names; add it to TOML_FILES")
    named = {word for command in readme_commands() for word in shlex.split(command)
             if word.endswith(".toml")}
    assert named == set(TOML_FILES)
    for block in blocks:
        tomllib.loads(block)


# -- quick start -----------------------------------------------------------------------------


def test_quick_start_installs_then_runs_the_demo_and_the_tests(here):
    """The install lines cannot run inside a test: their shape is checked, with the demo's
    defaults the README describes, and `crimesim demo` runs with its own options for a small
    city (--reps, --residents, --years; --workers 1)."""
    from experiments.cli import DEMO_SCENARIOS, demo
    from experiments.scenarios import load_scenario

    quick = [command for command, _ in shell_lines() if command.startswith("python3 -m venv")]
    assert len(quick) == 2
    assert quick[0].endswith(".venv/bin/crimesim demo")
    assert quick[1].endswith(".venv/bin/python -m pytest") and '".[test]"' in quick[1]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "test" in project["optional-dependencies"]
    assert project["scripts"]["crimesim"] == "experiments.cli:main"
    described = ("the built-in default city (100,000 residents, 16 neighbourhoods, 10 years after "
                 "a three-year warm-up), 10 paired replicates of the baseline, punitive and "
                 "comprehensive scenarios")
    assert described in flat(readme_text())
    defaults = {name: item.default for name, item in inspect.signature(demo).parameters.items()}
    assert (defaults["residents"], defaults["years"], defaults["reps"]) == (100_000, 10, 10)
    assert str(defaults["out"]) == "crimesim-demo"
    for name in DEMO_SCENARIOS:
        city = load_scenario(name).params
        assert (city.city.neighbourhoods, city.warmup_days) == (16, 3 * 365), name

    result = invoke(["demo", "--reps", "2", *SMALL, *HERE])
    assert result.exit_code == 0, result.output
    assert (here / "crimesim-demo" / "report.html").is_file()  # the README: open it
    headline = pd.read_parquet(here / "crimesim-demo" / "tables" / "headline.parquet")
    assert set(headline["scenario"]) == {"baseline", "punitive", "comprehensive"}


# -- the commands run in this process --------------------------------------------------------

IN_PROCESS = [command for command, exercise in COMMANDS.items() if exercise.test == IN_PROCESS_TEST]


@pytest.mark.parametrize("command", IN_PROCESS, ids=IN_PROCESS)
def test_readme_command_runs_and_writes_what_the_readme_promises(command, here):
    exercise = COMMANDS[command]
    words = arguments(command, exercise)
    result = invoke(words)
    assert result.exit_code == 0, result.output
    for text in exercise.says:
        assert text in flat(result.output), text
    for name in exercise.outputs:
        path = here / output_folder(words) / name
        assert path.exists() and (path.is_dir() or path.stat().st_size > 0), path


def test_readme_dask_scheduler_command_runs_on_a_real_scheduler(here):
    """No scheduler listens at tcp://10.0.0.5:8786 here: the test starts one (a LocalCluster with
    one worker process) and passes its address instead."""
    from distributed import LocalCluster

    command = "crimesim compare baseline punitive --reps 50 --dask tcp://10.0.0.5:8786 --out results/c"
    exercise = COMMANDS[command]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        words = arguments(command, Exercise(replace={**exercise.replace, "--dask": address},
                                            add=exercise.add))
        result = invoke(words)
    assert result.exit_code == 0, result.output
    assert f"dask scheduler {address} (1 worker)" in flat(result.output)
    for name in exercise.outputs:
        assert (here / "results/c" / name).exists(), name


class Submitted(Exception):
    """Raised where the job-queue cluster would submit its batch jobs."""


def test_readme_job_queue_command_reads_slurm_toml_up_to_the_submission(here, monkeypatch):
    """There is no SLURM here. Without dask-jobqueue (the `cluster` extra, which `.[test]` does
    not install) the command reads slurm.toml and stops with exit status 2 and the message that
    names the fix, `pip install 'crimesim[cluster]'`. With it, the README's slurm.toml builds a
    SLURMCluster whose job script carries the README's queue, walltime, cores, memory and one
    single-threaded worker per core, and the command gets as far as asking for its 10 jobs
    (intercepted here)."""
    command = "crimesim compare baseline punitive --reps 500 --dask slurm.toml --out results/d"
    words = arguments(command, COMMANDS[command])
    config = tomllib.loads((here / "slurm.toml").read_text())
    assert (config["kind"], config["jobs"]) == ("slurm", 10)
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(name.startswith("dask-jobqueue") for name in extras["cluster"])
    try:
        import dask_jobqueue
    except ImportError:
        result = invoke(words)
        assert result.exit_code == 2, result.output
        assert ("error: slurm.toml: a job-queue cluster needs dask-jobqueue: pip install "
                "'crimesim") in flat(result.output)
        assert "Traceback" not in result.output and not (here / "results/d").exists()
        return
    asked = {}
    construction_scale = dask_jobqueue.SLURMCluster.scale

    def scale(cluster, n=None, jobs=0, **options):
        if not (n or jobs):  # the cluster's own start, with no job
            return construction_scale(cluster, n, jobs, **options)
        asked.update(jobs=jobs, script=cluster.job_script())
        cluster.close()
        raise Submitted

    monkeypatch.setattr(dask_jobqueue.SLURMCluster, "scale", scale)
    with pytest.raises(Submitted):
        invoke(words)
    assert asked["jobs"] == 10
    script = asked["script"]
    for directive in ("#SBATCH -p normal", "#SBATCH -t 02:00:00", "#SBATCH --cpus-per-task=8",
                      "#SBATCH --mem=15G", "--nthreads 1", "--nworkers 8"):  # 16 GB = 14.9 GiB
        assert directive in script, (directive, script)


def test_readme_job_queue_error_names_the_extra_to_install(here):
    """Without dask-jobqueue the error names `pip install 'crimesim[cluster]'`, the README's."""
    if importlib.util.find_spec("dask_jobqueue") is not None:
        pytest.skip("dask-jobqueue is installed: the command does not stop for its absence")
    command = "crimesim compare baseline punitive --reps 500 --dask slurm.toml --out results/d"
    result = invoke(arguments(command, COMMANDS[command]))
    assert "pip install 'crimesim[cluster]'" in flat(result.output)


# -- calibration -----------------------------------------------------------------------------


def test_readme_calibration_and_the_comparison_over_its_posterior(here):
    """The README's target file and priors.toml with a tiny ABC-SMC (a population of 3, a budget
    of 3, one predictive draw) on a small city; the recorded years (4, which the target file's
    2019-2022 series needs) and the warm-up stay. Then the comparison over that posterior."""
    this = "test_readme_calibration_and_the_comparison_over_its_posterior"
    calibrate, over = [command for command, exercise in COMMANDS.items() if exercise.test == this]
    words = arguments(calibrate, COMMANDS[calibrate])
    result = invoke(words)
    assert result.exit_code == 0, result.output
    out = here / output_folder(words)
    for name in COMMANDS[calibrate].outputs:
        assert (out / name).exists(), name
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert posterior["offending.attempt_rate"].between(5, 8).all()  # priors.toml's bounds

    words = arguments(over, COMMANDS[over])
    result = invoke(words)
    assert result.exit_code == 0, result.output
    assert "over the posterior in results/calibration" in flat(result.output)
    for name in COMMANDS[over].outputs:
        assert (here / output_folder(words) / name).exists(), name
    manifest = json.loads((here / output_folder(words) / "manifest.json").read_text())
    draws = pd.DataFrame(manifest["configuration"]["posterior"]["draws"])
    assert len(draws) == 2 and set(draws["particle"]) <= set(range(len(posterior)))


# -- Python ----------------------------------------------------------------------------------


def test_readme_python_example_runs():
    """The ```python blocks, one after another as a reader runs them, on a small city."""
    namespace: dict = {}
    for index, code in enumerate(fenced_blocks("python")):
        for large, small in PYTHON_SCALING.items():
            code = code.replace(large, small)
        exec(compile(code, f"README.md python block {index + 1}", "exec"), namespace)
    result = namespace["result"]  # the block's own expressions read its columns and keys
    assert {"year", "true_crime_rate", "recorded_crime_rate", "homicide_rate"} <= set(result.annual)
    assert "share_blocks_half_crime" in result.summary
    assert result.params.police.strategy == "hotspot"


def test_python_scaling_applies_to_the_readme():
    code = "\n".join(fenced_blocks("python"))
    for large in PYTHON_SCALING:
        assert large in code, f"README.md's Python no longer holds {large}; update PYTHON_SCALING"


def test_readme_step_by_step_model_is_built_as_written():
    """`CityModel(params, rng=seed)` and `model.step()`, as the Python section says."""
    from simulation import CityModel, Parameters, with_overrides

    params = with_overrides(Parameters(), {"population.residents": 300})
    model = CityModel(params, rng=1)
    model.step()
    assert model.steps == 1


def test_readme_run_is_reproduced_from_its_manifest_in_python(here):
    """`crimesim run --seed S` (S = 5, a small city) and then, in Python,
    `run(validate(manifest["parameters"]), seed)`: the same days, number for number."""
    from simulation import run, validate

    words = arguments("crimesim run --seed S", COMMANDS["crimesim run --seed S"])
    assert invoke(words).exit_code == 0
    out = here / output_folder(words)
    manifest = json.loads((out / "manifest.json").read_text())
    again = run(validate(manifest["parameters"]), manifest["seed"])
    again.daily.to_parquet(here / "again.parquet", index=False)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "timeseries.parquet"),
                                  pd.read_parquet(here / "again.parquet"))


def test_readme_screen_comment_counts_its_runs():
    """The screen's comment gives its size as 4 x (parameters + 2) runs."""
    from calibration.parameters import load_specification
    from calibration.sensitivity import sample

    comments = dict(shell_lines())
    command = next(c for c in comments if "--out results/screen" in c)
    assert comments[command].startswith("4 x (parameters + 2) runs")
    factors = load_specification(None)
    design = sample("morris", factors, 4)
    assert design.points == 4 * (len(factors) + 2)


# -- the app ---------------------------------------------------------------------------------


def require_assets() -> None:
    """Skip when the app's offline assets are missing and cannot be fetched (no npm or no
    registry), as tests/app_browser.py does."""
    from simulation.appkit.assets import AssetsError, missing_packages, prepare_assets

    if missing_packages():
        try:
            prepare_assets(log=lambda _: None)
        except AssetsError as error:
            pytest.skip(f"the app's offline assets are missing and could not be fetched: {error}")


def test_readme_app_prepare_assets_completes_them():
    """As written; skipped, with the command's message, when it cannot reach npm's registry."""
    from simulation.appkit.assets import missing_packages

    result = invoke(["app", "--prepare-assets"])
    if result.exit_code == 2 and missing_packages():
        pytest.skip(f"the app's offline assets cannot be fetched here: {flat(result.output)}")
    assert result.exit_code == 0, result.output
    assert re.search(r"the app's offline assets are complete|unpacked \d+ package",
                     flat(result.output))
    assert missing_packages() == []


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def test_readme_app_commands_serve_the_city_and_the_trainer_page(workdir):
    """Both app commands start as written, on a free --port instead of 8765 (which may be taken),
    each in its own folder (the classroom folder is per folder), and answer / and /trainer.
    The README's http://localhost:8765/ is the default address."""
    from experiments.cli import app_command

    require_assets()
    defaults = inspect.signature(app_command).parameters
    assert (defaults["host"].default, defaults["port"].default) == ("127.0.0.1", 8765)
    servers = []
    try:
        for index, command in enumerate(("crimesim app",
                                         "crimesim app --host 0.0.0.0 --trainer-code class-2026")):
            port = free_port()
            words = arguments(command, Exercise(add=("--port", str(port))))
            folder = workdir / f"app{index}"
            folder.mkdir()
            log = folder / "server.log"
            with open(log, "w") as sink:
                process = subprocess.Popen(crimesim_command() + words, cwd=folder, stdout=sink,
                                           stderr=subprocess.STDOUT, start_new_session=True)
            servers.append((command, process, f"http://127.0.0.1:{port}", log))
        deadline = time.monotonic() + 180
        for command, process, url, log in servers:
            while not answers(url + "/"):
                assert process.poll() is None, f"{command} exited:\n{log.read_text()[-3000:]}"
                assert time.monotonic() < deadline, f"{command}: no answer:\n{log.read_text()[-3000:]}"
                time.sleep(0.5)
            assert answers(url + "/trainer"), command
        printed = [flat(log.read_text()) for *_, log in servers]
        assert re.search(r"open http://localhost:\d+/ .* /trainer with code \w+", printed[0])
        assert "/trainer with code class-2026" in printed[1]
        assert (workdir / "app0" / "crimesim-classroom").is_dir()  # the default --classroom
    finally:
        for _, process, _, _ in servers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


# -- the slowest commands (run in child processes from the start) ----------------------------


def child_result(background: Background, workdir: Path, command: str) -> str:
    """The output of a command run in the background, checked as the parametrised test checks
    those run here."""
    exercise = COMMANDS[command]
    status, output = background.result(command)
    assert status == 0, output[-3000:]
    for text in exercise.says:
        assert text in flat(output), text
    out = workdir / output_folder(arguments(command, exercise))
    for name in exercise.outputs:
        assert (out / name).stat().st_size > 0, name
    return output


SLOW = [command for command, exercise in COMMANDS.items() if exercise.test == SLOW_TEST]


@pytest.mark.parametrize("command", SLOW, ids=SLOW)
def test_readme_slow_command_runs_in_a_child_process(command, background, workdir):
    child_result(background, workdir, command)


def test_validate_quick_runs_the_reduced_suite_as_written(background, workdir):
    command = "crimesim validate --quick --out results/validation-quick"
    output = child_result(background, workdir, command)
    assert re.search(r"\d+ of \d+ checks pass", output)
    table = pd.read_parquet(workdir / "results/validation-quick/validation.parquet")
    assert table["id"].is_unique and len(table) > 20
    assert set(table["status"]) <= {"pass", "fail", "skipped", "not measured"}


def test_validate_chosen_checks_runs_those_checks_only(background, workdir):
    """The chosen checks at full size take many minutes: --quick is added."""
    command = "crimesim validate --checks S1,S6,short2008 --out results/v"
    child_result(background, workdir, command)
    ids = pd.read_parquet(workdir / "results/v/validation.parquet")["id"]
    assert {"S1", "S6-1y", "short2008-c"} <= set(ids)
    assert all(re.match(r"(S1|S6|short2008)(-|$)", check) for check in ids), list(ids)


def test_readme_north_carolina_calibration_fixes_the_setting_of_the_data(background, workdir):
    """The built-in North Carolina targets with the README's priors.toml and 4 recorded years
    (its 3-year re-imprisonment needs them), a tiny ABC-SMC on a small city."""
    command = ("crimesim calibrate --targets builtin:north-carolina --params priors.toml "
               "--residents 100000 --years 4 --population 100 --budget 2000 --out results/nc")
    child_result(background, workdir, command)
    manifest = json.loads((workdir / "results/nc/manifest.json").read_text())
    assert manifest["status"] == "finished"
    configuration = manifest["configuration"]
    assert list(configuration["context"]) == ["police.officers_per_100k"]
    labels = {target["label"] for target in configuration["targets"]}
    assert {"recorded_crime_rate", "reimprisonment_3y"} <= labels
    posterior = pd.read_parquet(workdir / "results/nc/posterior.parquet")
    assert "police.officers_per_100k" not in posterior  # fixed by the data, not calibrated


def test_validate_full_suite_command_reaches_the_suite_with_its_options(here, background,
                                                                        monkeypatch):
    """The full suite takes 19-41 minutes and is not run: the command is parsed and reaches
    the suite with the full options (quick off, every check, results/validation), where a
    stand-in returns the quick suite's table."""
    import experiments.validation

    quick = "crimesim validate --quick --out results/validation-quick"
    assert background.result(quick)[0] == 0
    table = pd.read_parquet(here / "results/validation-quick/validation.parquet")
    calls = []

    def suite(out, quick, workers, checks, progress, seed):
        calls.append({"out": out, "quick": quick, "workers": workers, "checks": checks})
        return table

    monkeypatch.setattr(experiments.validation, "validate", suite)
    command = "crimesim validate --out results/validation"
    result = invoke(arguments(command, COMMANDS[command]))
    assert result.exit_code == 0, result.output
    assert calls == [{"out": Path("results/validation"), "quick": False, "workers": None,
                      "checks": None}]
    assert "report: results/validation/report.html" in flat(result.output)
