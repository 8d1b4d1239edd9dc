"""The `crimesim` command line.

Commands: ``run`` (one city, one seed), ``compare`` (scenarios over paired replicates, with a
report), ``demo`` (the quick-start comparison), ``scenarios`` (the scenario library),
``params`` (the parameter table), ``short2008`` (Short et al.'s burglar model alone). Bad input gets one clear
message that names the problem and the fix, and exit status 2.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from experiments.provenance import provenance, write_atomic, write_json
from simulation.params import ParameterError, Parameters, parameter_table, parameter_table_markdown
from simulation.params import replace_parameter_table, with_overrides

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="crimesim: test public-security strategies on a simulated city.")
console = Console(soft_wrap=True)  # paths and counts stay whole on one line
errors = Console(stderr=True, soft_wrap=True)

USAGE_ERROR = 2


class InputError(Exception):
    """Bad input from the user: reported as one message with exit status 2."""


def fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(USAGE_ERROR)


def parse_settings(settings: list[str] | None) -> dict[str, str]:
    """``key=value`` strings to a dict; a malformed one is an `InputError`."""
    overrides: dict[str, str] = {}
    for item in settings or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set '{item}' is not key=value; write e.g. --set police.strategy=hotspot")
        overrides[key.strip()] = value.strip()
    return overrides


def build_parameters(settings: list[str] | None, residents: int | None, years: float | None) -> Parameters:
    overrides: dict[str, object] = parse_settings(settings)
    if residents is not None:
        overrides["population.residents"] = residents
    if years is not None:
        overrides["years"] = years
    return with_overrides(Parameters(), overrides, context="invalid parameter")


def prepare_output(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a directory")
    if (out / "manifest.json").exists() and not overwrite:
        raise InputError(f"{out} already holds results (manifest.json); choose another --out or "
                         "pass --overwrite to replace them")
    out.mkdir(parents=True, exist_ok=True)


def run_with_progress(params: Parameters, seed: int, quiet: bool):
    from simulation import run

    days = params.warmup_days + params.days
    with Progress(TextColumn("[bold]simulating[/]"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("days"), TimeRemainingColumn(), console=errors,
                  disable=quiet, transient=True) as progress:
        task = progress.add_task("run", total=days)
        return run(params, seed, progress=lambda day, _: progress.update(task, completed=day))


def write_run(result, out: Path) -> list[Path]:
    """Write a run's tables, manifest and figure into ``out``; return the written paths."""
    from experiments.plots import plot_run

    files = {
        "timeseries.parquet": result.daily,
        "annual.parquet": result.annual,
        "neighbourhoods.parquet": result.neighbourhoods,
        "age_profile.parquet": result.age_profile,
        "recidivism.parquet": result.recidivism,
    }
    written = []
    for name, frame in files.items():
        write_atomic(out / name, lambda path, frame=frame: frame.to_parquet(path, index=False))
        written.append(out / name)
    write_atomic(out / "indicators.png", lambda path: plot_run(result, path))
    written.append(out / "indicators.png")
    manifest = {
        "kind": "crimesim run",
        "seed": result.seed,
        "days": int(result.summary["days"]),
        "parameters": result.params.model_dump(mode="json"),
        "summary": result.summary,
        "timings": result.timings,
        "files": [path.name for path in written],
        **provenance(),
    }
    write_json(out / "manifest.json", manifest)
    written.append(out / "manifest.json")
    return written


SUMMARY_ROWS = (
    ("true_crime_rate", "true crimes per 100,000 per year", "{:,.0f}", ""),
    ("recorded_crime_rate", "recorded crimes per 100,000 per year", "{:,.0f}",
     "crime4 median 2,800 (North Carolina)"),
    ("homicide_rate", "homicides per 100,000 per year", "{:.1f}", "the Americas 17.2 (UNODC 2019)"),
    ("reporting_rate", "share of crimes reported", "{:.0%}", "Latin America ~25%"),
    ("dark_figure", "dark figure (1 - recorded/true)", "{:.0%}", ""),
    ("arrests_per_recorded_crime", "arrests per recorded crime", "{:.2f}", "crime4 median 0.28"),
    ("prisoners_per_100k", "prisoners per 100,000 (pre-trial included)", "{:.0f}",
     "the Americas ~376 (World Prison Brief, secondary)"),
    ("unsentenced_share", "share of prisoners unsentenced", "{:.0%}", "the Americas ~36%"),
    ("prison_occupancy", "prison occupancy", "{:.0%}", ""),
    ("rearrest_1y", "re-arrest within 1 year of release", "{:.0%}", "30.6% (Rossi et al. 1980)"),
    ("reimprisonment_3y", "back in prison within 3 years", "{:.0%}", "29.6% (recid)"),
    ("share_blocks_half_crime", "share of blocks with half the crime", "{:.1%}",
     "2.1-6.0% (Weisburd 2015)"),
    ("share_crime_top5_blocks", "share of crime in the top 5% of blocks", "{:.0%}", ""),
    ("repeat_victimisation_share", "victimisations of repeat victims", "{:.0%}", "above chance"),
    ("repeat_victimisation_chance", "  ... expected by chance", "{:.0%}", ""),
    ("victimisation_gap", "victimisation, poorest / richest quarter", "{:.2f}", ""),
    ("peak_offending_age_band", "peak offending age", "{}", "15-19 (Farrington 1986)"),
)


def print_summary(summary: dict, title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("indicator")
    table.add_column("model", justify="right")
    table.add_column("reference")
    for key, label, fmt, reference in SUMMARY_ROWS:
        value = summary.get(key)
        text = "n/a" if value is None or value != value else fmt.format(value)
        table.add_row(label, text, reference)
    console.print(table)


@app.command()
def run(
    out: Annotated[Path, typer.Option("--out", help="Directory for the results")],
    residents: Annotated[int | None, typer.Option(help="Residents (default 100,000)")] = None,
    years: Annotated[float | None, typer.Option(help="Years to simulate (default 10)")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same results")] = 0,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a parameter: --set police.strategy=hotspot (repeatable)")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace results already in --out")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar")] = False,
) -> None:
    """Run the city once and write its indicators, manifest and a figure to --out."""
    try:
        params = build_parameters(set_, residents, years)
        prepare_output(out, overwrite)
    except (ParameterError, InputError) as error:
        raise fail(str(error)) from None
    started = time.perf_counter()
    result = run_with_progress(params, seed, quiet)
    written = write_run(result, out)
    print_summary(result.summary, f"crimesim run: {params.population.residents:,} residents, "
                  f"{params.days} days, seed {seed} ({time.perf_counter() - started:.1f} s)")
    console.print(f"wrote {', '.join(path.name for path in written)} to {out}")


def resolve_scenarios(names: list[str], residents: int | None, years: float | None,
                      equal_budget: bool = False):
    """Load the named scenarios and apply the experiment-wide --residents and --years; with
    ``equal_budget``, rescale every scenario after the first to the first's planned budget."""
    from experiments.scenarios import ScenarioError, load_scenario
    from simulation.governance import planned_per_resident, rescale

    if not names:
        raise InputError("name at least one scenario, e.g. crimesim compare baseline punitive "
                         "comprehensive (`crimesim scenarios` lists them)")
    if len(set(names)) != len(names):
        raise InputError(f"a scenario is named twice: {' '.join(names)}")
    resolved = {}
    for name in names:
        try:
            scenario = load_scenario(name)
        except ScenarioError as error:
            raise InputError(str(error)) from None
        overrides: dict[str, object] = {}
        if residents is not None:
            overrides["population.residents"] = residents
        if years is not None:
            overrides["years"] = years
        params = with_overrides(scenario.params, overrides, context=f"scenario {scenario.name}")
        resolved[scenario.name] = (scenario, params)
    if equal_budget:
        reference, (_, reference_params) = next(iter(resolved.items()))
        target = planned_per_resident(reference_params)
        for name, (scenario, params) in list(resolved.items())[1:]:
            try:
                resolved[name] = (scenario, rescale(params, target, context=f"scenario {name}"))
            except ValueError as error:
                raise InputError(f"--equal-budget: {error} (the budget of {reference}, the "
                                 "reference)") from None
    return resolved


def run_comparison(
    names: list[str], reps: int, years: float | None, residents: int | None, seed: int,
    workers: int | None, dask: str | None, batch: int | None, out: Path, quiet: bool,
    equal_budget: bool = False, posterior: Path | None = None,
) -> None:
    """Resolve, run (resuming what --out holds), then write the report. With ``posterior`` (a
    calibration's --out), replicate r of every scenario runs at the posterior's r-th draw."""
    from experiments.design import build_design
    from experiments.executors import ExecutorError, make_executor
    from experiments.experiment import run_experiment
    from experiments.report import write_report
    from experiments.store import ResultsStore, StoreMismatch
    from simulation.governance import planned_per_resident

    try:
        if reps < 1:
            raise InputError(f"--reps {reps}: needs at least 1 replicate (20 is a good start)")
        if workers is not None and workers < 1:
            raise InputError(f"--workers {workers}: needs at least 1")
        if batch is not None and batch < 1:
            raise InputError(f"--batch {batch}: needs at least 1 run per task")
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out} is a file; give a directory")
        resolved = resolve_scenarios(names, residents, years, equal_budget)
        points = {name: params for name, (_, params) in resolved.items()}
        draws = posterior_draws_for(posterior, points, reps, seed) if posterior else None
        design = build_design(points, replicates=reps, root_seed=seed, replicate_overrides=(
            None if draws is None else draws.drop(columns=["draw", "particle"]).to_dict("records")))
    except (ParameterError, InputError) as error:
        raise fail(str(error)) from None
    first = next(iter(points.values()))
    configuration = {
        "scenarios": list(points),
        "descriptions": {name: scenario.description for name, (scenario, _) in resolved.items()},
        "replicates": reps, "years": first.years, "residents": first.population.residents,
        "root_seed": seed,
        "equal_budget": equal_budget,
        "planned_budget_per_resident": {name: planned_per_resident(params)
                                        for name, params in points.items()},
        "parameters": {name: params.model_dump(mode="json") for name, params in points.items()},
    }
    if draws is not None:
        from experiments.design import POSTERIOR_DRAW_KEY

        configuration["posterior"] = {
            "directory": str(posterior.resolve()),
            "rule": "replicate r of every scenario runs at draw r, drawn by weight from "
                    f"posterior.parquet with SeedSequence([seed, {POSTERIOR_DRAW_KEY}])",
            "draws": draws.to_dict("records")}
        console.print(f"over the posterior in {posterior}: {draws.shape[1] - 2} calibrated "
                      f"parameters, one draw per replicate (the same in every scenario)")
    store = ResultsStore(out)
    try:
        executor = make_executor(workers, dask)
    except ExecutorError as error:
        raise fail(str(error)) from None
    configuration["executor"] = executor.describe()
    if equal_budget:
        console.print("equal budget: " + ", ".join(
            f"{name} USD {value:,.2f}" for name, value in configuration["planned_budget_per_resident"].items())
            + " per resident a year (planned)")
    console.print(f"comparing {', '.join(points)}: {reps} replicates each, "
                  f"{first.population.residents:,} residents, {first.years:g} years, "
                  f"on {executor.describe()}")
    try:
        with executor:
            outcome = run_experiment(design, store, executor, configuration, batch_size=batch,
                                     show_progress=not quiet, console=errors)
    except StoreMismatch as error:
        raise fail(str(error)) from None
    if outcome.already_done:
        console.print(f"resumed: {outcome.already_done} runs were already in {out}, "
                      f"computed {outcome.computed}")
    report = write_report(store, list(points), reference=list(points)[0], out=out,
                          descriptions=configuration["descriptions"])
    console.print(f"{outcome.total - len(outcome.failures)} of {outcome.total} runs ok in "
                  f"{outcome.seconds:.0f} s; report: {report}")
    if outcome.failures:
        errors.print(f"[bold red]{len(outcome.failures)} runs failed[/] (listed in the report):")
        for failure in outcome.failures[:10]:
            errors.print(f"  run {failure.run_id} ({failure.point}, replicate {failure.replicate}): "
                         f"{failure.error}", highlight=False)
        raise typer.Exit(1)


@app.command()
def compare(
    scenarios: Annotated[list[str], typer.Argument(
        help="Scenario names (scenarios/*.toml) or paths; the first is the reference")],
    out: Annotated[Path, typer.Option("--out", help="Directory for results and report.html")],
    reps: Annotated[int, typer.Option(help="Replicates per scenario (common random numbers)")] = 20,
    years: Annotated[float | None, typer.Option(help="Years to simulate (default: scenarios')")] = None,
    residents: Annotated[int | None, typer.Option(help="Residents (default: scenarios')")] = None,
    seed: Annotated[int, typer.Option(help="Root seed of the replicates")] = 0,
    workers: Annotated[int | None, typer.Option(
        help="Worker processes (default: one per core; 1 runs in this process)")] = None,
    dask: Annotated[str | None, typer.Option(
        help="Run on Dask: 'local', a scheduler address tcp://host:8786, or a job-queue "
             "cluster file (TOML)")] = None,
    batch: Annotated[int | None, typer.Option(help="Runs per task (default: automatic)")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar")] = False,
    equal_budget: Annotated[bool, typer.Option(
        "--equal-budget", help="Rescale every scenario's capacity (officers, places, programmes) "
                               "to the first scenario's planned budget")] = False,
    posterior: Annotated[Path | None, typer.Option(
        help="A calibration's --out: each replicate runs at a parameter vector drawn from its "
             "posterior (the same draw in every scenario)")] = None,
) -> None:
    """Compare scenarios over paired replicates and write report.html with the tidy tables.

    Name an overlay after a scenario with '+' (punitive+disaster). Re-running with the same
    --out resumes: only runs not yet stored are computed.
    """
    run_comparison(scenarios, reps, years, residents, seed, workers, dask, batch, out, quiet,
                   equal_budget, posterior)


def posterior_draws_for(directory: Path, points: dict[str, Parameters], reps: int, seed: int):
    """One parameter vector per replicate, drawn by weight from the posterior in
    ``directory``; checked against every scenario's parameters."""
    from calibration.abc.diagnostics import load_posterior, posterior_draws, posterior_parameters
    from experiments.design import posterior_draw_seed

    try:
        frame = load_posterior(directory)
    except (FileNotFoundError, ValueError) as error:
        raise InputError(f"--posterior {error}") from None
    names = posterior_parameters(frame)
    draws = posterior_draws(frame, names, reps, posterior_draw_seed(seed))
    first = draws.drop(columns=["draw", "particle"]).iloc[0].to_dict()
    for name, params in points.items():
        with_overrides(params, first, context=f"--posterior {directory} on scenario {name}")
    return draws


DEMO_SCENARIOS = ["baseline", "punitive", "comprehensive"]


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Directory for results and report.html")] = Path(
        "crimesim-demo"),
    reps: Annotated[int, typer.Option(help="Replicates per scenario")] = 10,
    years: Annotated[float, typer.Option(help="Years to simulate")] = 10.0,
    residents: Annotated[int, typer.Option(help="Residents")] = 100_000,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: one per core)")] = None,
    seed: Annotated[int, typer.Option(help="Root seed")] = 0,
) -> None:
    """The quick-start job: baseline vs punitive vs comprehensive on the default city."""
    run_comparison(DEMO_SCENARIOS, reps, years, residents, seed, workers, None, None, out, False)


scenarios_app = typer.Typer(no_args_is_help=False, invoke_without_command=True,
                            help="The scenario library: list it, or show one scenario.")
app.add_typer(scenarios_app, name="scenarios")


@scenarios_app.callback()
def scenarios_list(context: typer.Context) -> None:
    """List the scenarios by pillar, with their one-line descriptions and planned cost."""
    if context.invoked_subcommand is not None:
        return
    from experiments.scenarios import PILLAR_CHOICES, ScenarioError, list_scenarios
    from simulation.governance import planned_per_resident

    try:
        library = list_scenarios()
    except ScenarioError as error:
        raise fail(str(error)) from None
    groups = [(pillar, [s for s in library if s.pillar == pillar and not s.overlay])
              for pillar in PILLAR_CHOICES]
    groups.append(("overlays: shocks and elections, laid over a scenario with + "
                   "(e.g. punitive+disaster)", [s for s in library if s.overlay]))
    for heading, members in groups:
        if not members:
            continue
        table = Table(title=heading, title_justify="left", title_style="bold")
        table.add_column("name")
        table.add_column("extends")
        table.add_column("USD per resident", justify="right")
        table.add_column("description", overflow="fold")
        for scenario in members:
            parent = scenario.chain[-2] if len(scenario.chain) > 1 else ""
            table.add_row(scenario.name, parent, f"{planned_per_resident(scenario.params):,.2f}",
                          scenario.description)
        console.print(table)
    console.print("USD per resident: the planned budget a year (capacity as budgeted, prisons "
                  "full). `crimesim scenarios show NAME` gives its levers and costs by pillar.")


@scenarios_app.command("show")
def scenarios_show(
    name: Annotated[str, typer.Argument(help="Scenario name, base+overlay, or path of a .toml file")],
) -> None:
    """Show a scenario's levers, its planned cost by pillar and dimension, and what differs
    from baseline (the model's defaults)."""
    from experiments.scenarios import ScenarioError, load_scenario
    from simulation import governance
    from simulation.params import Parameters, leaf_fields

    try:
        scenario = load_scenario(name)
    except ScenarioError as error:
        raise fail(str(error)) from None
    console.print(f"[bold]{scenario.name}[/]: {scenario.description}")
    console.print(f"file: {scenario.path}; chain: {' -> '.join(scenario.chain)}; "
                  f"pillar: {scenario.pillar}" + ("; an overlay" if scenario.overlay else ""))
    baseline = Parameters()
    defaults = baseline.model_dump(mode="json")
    resolved = scenario.params.model_dump(mode="json")
    rows = []
    for key, info in leaf_fields():
        default, value = defaults, resolved
        for part in key.split("."):
            default, value = default[part], value[part]
        if default != value:
            rows.append((key, json.dumps(default), json.dumps(value),
                         (info.json_schema_extra or {}).get("unit", "")))
    table = Table(title="levers that differ from baseline", title_justify="left")
    # Whole parameter names, so they can be copied into a scenario file or --set.
    table.add_column("parameter", no_wrap=True, min_width=max((len(r[0]) for r in rows), default=9))
    for column in ("baseline", scenario.name, "unit"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table if table.row_count else "(the model's defaults: nothing differs)")
    mine, theirs = governance.planned_lines(scenario.params), governance.planned_lines(baseline)
    per_mine, per_theirs = scenario.params.population.residents, baseline.population.residents
    for title, group in (("pillar", governance.by_pillar), ("dimension", governance.by_dimension),
                         ("line", lambda lines: lines)):
        costs = Table(title=f"planned cost by {title}, USD per resident a year", title_justify="left")
        for column in (title, "baseline", scenario.name, "difference"):
            costs.add_column(column, justify="left" if column == title else "right")
        a, b = group(theirs), group(mine)
        for key in a:
            if title == "line" and not (a[key] or b[key]):
                continue
            label = governance.LINE[key].label if title == "line" else key
            costs.add_row(label, f"{a[key] / per_theirs:,.2f}", f"{b[key] / per_mine:,.2f}",
                          f"{b[key] / per_mine - a[key] / per_theirs:+,.2f}")
        costs.add_row("[bold]total[/]", f"{sum(a.values()) / per_theirs:,.2f}",
                      f"{sum(b.values()) / per_mine:,.2f}",
                      f"{sum(b.values()) / per_mine - sum(a.values()) / per_theirs:+,.2f}")
        console.print(costs)


@app.command()
def sensitivity(
    out: Annotated[Path | None, typer.Option("--out", help="Directory for results, tables, figures "
                                                          "and report.html")] = None,
    method: Annotated[str, typer.Option(help="morris (screening) or sobol (indices)")] = "morris",
    n: Annotated[int, typer.Option("--n", help="Morris trajectories, or the Sobol base sample "
                                               "(a power of 2)")] = 10,
    reps: Annotated[int, typer.Option(help="Replicates per design point (common random "
                                           "numbers)")] = 2,
    outcomes: Annotated[str | None, typer.Option(
        help="Comma-separated outputs of the runs' summary (default: true_crime_rate,"
             "homicide_rate,prisoners_per_100k; y for the Ishigami function)")] = None,
    params_file: Annotated[Path | None, typer.Option("--params", help="TOML file narrowing the "
                                                     "uncertain parameters")] = None,
    scenario: Annotated[str, typer.Option(help="The scenario whose parameters vary")] = "baseline",
    residents: Annotated[int | None, typer.Option(help="Residents (default: the scenario's)")] = None,
    years: Annotated[float | None, typer.Option(help="Years to simulate (default: the scenario's)")] = None,
    warmup_days: Annotated[int | None, typer.Option(help="Warm-up days before recording (default: "
                                                         "the scenario's; a shorter one makes a "
                                                         "screen faster)")] = None,
    groups: Annotated[bool, typer.Option("--groups", help="Sample and analyse by pillar group")] = False,
    second_order: Annotated[bool, typer.Option("--second-order", help="Sobol second-order "
                                                                      "indices too")] = False,
    seed: Annotated[int, typer.Option(help="Root seed of the sample and the replicates")] = 0,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: one per core)")] = None,
    dask: Annotated[str | None, typer.Option(help="Run on Dask: 'local', tcp://host:8786, or a "
                                                  "job-queue cluster file")] = None,
    model: Annotated[str, typer.Option(help="city, or the ishigami test function")] = "city",
    list_: Annotated[bool, typer.Option("--list", help="Print the uncertain parameters and stop")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar")] = False,
) -> None:
    """Global sensitivity analysis (SALib): Morris screening or Sobol indices, with replicates
    and a dummy parameter as the noise floor. Re-running with the same --out resumes."""
    from calibration.parameters import SpecificationError, Uncertain, load_specification
    from calibration.sensitivity import SensitivityError
    from calibration.study import run_study
    from calibration.testmodels import ISHIGAMI_BOUNDS
    from experiments.executors import ExecutorError, make_executor
    from experiments.store import StoreMismatch

    try:
        if model not in ("city", "ishigami"):
            raise InputError(f"--model {model!r}: valid: city, ishigami")
        if outcomes is None:
            outcomes = "y" if model == "ishigami" else "true_crime_rate,homicide_rate,prisoners_per_100k"
        outcome_list = [o.strip() for o in outcomes.split(",") if o.strip()]
        if model == "ishigami":
            factors = [Uncertain(name, *ISHIGAMI_BOUNDS, group="Ishigami") for name in ("x1", "x2", "x3")]
            base: object = {"noise": 0.5}
        else:
            factors = load_specification(params_file)
            base = resolve_scenarios([scenario], residents, years)[scenario][1]
            if warmup_days is not None:
                base = with_overrides(base, {"warmup_days": warmup_days}, context="--warmup-days")
        if list_:
            table = Table(title=f"{len(factors)} uncertain parameters (narrow them with --params FILE)")
            table.add_column("parameter", no_wrap=True,
                             min_width=max(len(item.name) for item in factors))
            for column in ("default", "low", "high", "distribution", "group", "source"):
                table.add_column(column, overflow="fold")
            for item in factors:
                table.add_row(item.name, f"{item.default:g}", f"{item.low:g}", f"{item.high:g}",
                              item.distribution, item.group, item.source)
            console.print(table)
            return
        if out is None:
            raise InputError("--out: give a directory for the results (e.g. --out results/morris)")
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out} is a file; give a directory")
        if not outcome_list:
            raise InputError("--outcomes: name at least one output, e.g. homicide_rate")
        if workers is not None and workers < 1:
            raise InputError(f"--workers {workers}: needs at least 1")
        executor = make_executor(workers, dask)
    except (SpecificationError, ParameterError, InputError, ExecutorError) as error:
        raise fail(str(error)) from None
    console.print(f"{method} on {len(factors)} parameters + a dummy, n={n}, {reps} replicates, "
                  f"on {executor.describe()}")
    try:
        with executor:
            result = run_study(method, factors, n, reps, outcome_list, out, executor, base=base,
                               model=model, seed=seed, grouped=groups, second_order=second_order,
                               show_progress=not quiet, console=errors)
    except (SensitivityError, StoreMismatch) as error:
        raise fail(str(error)) from None
    done = result.outcome
    if done.already_done:
        console.print(f"resumed: {done.already_done} runs were already in {out}, computed {done.computed}")
    console.print(f"{done.total - len(done.failures)} of {done.total} runs ok in {done.seconds:.0f} s; "
                  f"report: {result.report}")


CONTEXTS = {"builtin:north-carolina": "calibration.builtin:north_carolina_context"}
"""Built-in target sets that come with parameter overrides fixing their setting."""


@app.command()
def calibrate(
    targets: Annotated[str, typer.Option(help="Target file (CSV, docs/calibration-data.md) or "
                                              "builtin:north-carolina")],
    out: Annotated[Path, typer.Option("--out", help="Directory for history.db, the posterior, "
                                                    "diagnostics and report.html")],
    population: Annotated[int, typer.Option(help="Particles per generation (100 or more for a "
                                                 "usable posterior)")],
    budget: Annotated[int, typer.Option(help="Model runs in all, the prior sample included")],
    params_file: Annotated[Path | None, typer.Option("--params", help="TOML file narrowing the "
                                                     "uncertain parameters (the priors)")] = None,
    scenario: Annotated[str, typer.Option(help="The scenario whose parameters are calibrated")] = "baseline",
    residents: Annotated[int | None, typer.Option(help="Residents (default: the scenario's)")] = None,
    years: Annotated[float | None, typer.Option(help="Years to simulate (default: the scenario's)")] = None,
    warmup_days: Annotated[int | None, typer.Option(help="Warm-up days before recording "
                                                         "(default: the scenario's)")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Fix a parameter of the base: --set city.seed=1 (repeatable)")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulations (and, with one worker, of "
                                           "the whole calibration)")] = 0,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: one per core; 1 "
                                                     "is reproducible)")] = None,
    dask: Annotated[str | None, typer.Option(help="Run on Dask: 'local', tcp://host:8786, or a "
                                                  "job-queue cluster file")] = None,
    min_epsilon: Annotated[float | None, typer.Option(help="Tolerance floor in standard errors "
                                                           "(default sqrt(targets + 2))")] = None,
    max_generations: Annotated[int, typer.Option(help="At most this many generations")] = 20,
    predictive_draws: Annotated[int, typer.Option(help="Posterior predictive simulations for "
                                                       "the checks")] = 40,
    reproducible: Annotated[bool, typer.Option(
        "--reproducible", help="A seeded sampler: the same posterior from the same --seed on any "
                               "number of workers (a generation waits for its slowest particle)")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress messages")] = False,
) -> None:
    """Calibrate uncertain parameters to observed targets by ABC-SMC (pyabc) and write the
    posterior, diagnostics and report.html. Re-running with the same --out resumes."""
    import importlib

    from calibration.abc.models import CalibrationError
    from calibration.parameters import SpecificationError, load_specification
    from calibration.targets import TargetError
    from experiments.executors import ExecutorError

    try:
        if population < 2:
            raise InputError(f"--population {population}: needs at least 2 particles per "
                             "generation (100 or more for a usable posterior)")
        if budget < population:
            raise InputError(f"--budget {budget} is below --population {population}: the prior "
                             f"sample alone takes one population; give at least {population} "
                             "(10-20 x the population is typical)")
        if workers is not None and workers < 1:
            raise InputError(f"--workers {workers}: needs at least 1")
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out} is a file; give a directory")
        from calibration.builtin import resolve_targets

        observed = resolve_targets(targets)
        factors = load_specification(params_file)
        base = resolve_scenarios([scenario], residents, years)[scenario][1]
        if warmup_days is not None:
            base = with_overrides(base, {"warmup_days": warmup_days}, context="--warmup-days")
        base = with_overrides(base, parse_settings(set_), context="--set")
        context: dict[str, float] = {}
        if targets in CONTEXTS:
            module, function = CONTEXTS[targets].split(":")
            context = getattr(importlib.import_module(module), function)()
            base = with_overrides(base, context, context=targets)
            factors = [item for item in factors if item.name not in context]
        from calibration.abc.smc import city_problem

        problem = city_problem(observed, factors, base, seed,
                               description={"scenario": scenario, "context": context,
                                            "settings": parse_settings(set_),
                                            "targets_argument": targets})
    except (InputError, TargetError, SpecificationError, ParameterError, CalibrationError) as error:
        raise fail(str(error)) from None
    if context:
        console.print(f"{targets}: fixed the setting of the data: "
                      + ", ".join(f"{key} = {value:g}" for key, value in context.items()))
    console.print(f"calibrating {len(problem.space)} parameters to {len(problem.observed)} targets "
                  f"({observed.origin}): population {population}, budget {budget:,} runs of "
                  f"{base.population.residents:,} residents for {base.years:g} years")
    if len(problem.space) > 12:
        errors.print(f"[yellow]note:[/] {len(problem.space)} parameters is many for ABC-SMC; "
                     "narrow them with --params FILE (only = [...])", highlight=False)

    def log(message: str) -> None:
        if not quiet or message.startswith(("resumed", "nothing to run")):
            errors.print(message, highlight=False)

    from calibration.abc.smc import calibrate as run_calibration

    try:
        result = run_calibration(problem, out, population, budget, seed=seed, workers=workers,
                                 dask=dask, min_epsilon=min_epsilon,
                                 max_generations=max_generations,
                                 predictive_draws=predictive_draws, log=log,
                                 reproducible=reproducible, configuration={"scenario": scenario})
    except (CalibrationError, ExecutorError) as error:
        raise fail(str(error)) from None
    console.print(f"stopped: {result.stop_reason}")
    table = Table(title="posterior", title_justify="left")
    table.add_column("parameter", no_wrap=True, min_width=max(len(n) for n in problem.space.names))
    for column in ("5%", "median", "95%", "verdict"):
        table.add_column(column, justify="left" if column == "verdict" else "right")
    for row in result.summary.itertuples():
        table.add_row(row.parameter, f"{row.q05:.4g}", f"{row.median:.4g}", f"{row.q95:.4g}",
                      row.verdict)
    console.print(table)
    if not result.checks.empty:
        fit = Table(title="fit: observed vs simulated 5-95% (posterior predictive)",
                    title_justify="left")
        fit.add_column("target", no_wrap=True, min_width=max(len(str(label)) for label in
                                                            result.checks["label"]))
        for column in ("observed", "simulated 5%", "simulated 95%", "fitted"):
            fit.add_column(column, justify="right", no_wrap=True)
        for row in result.checks.itertuples():
            fit.add_row(str(row.label), f"{row.observed:.4g}", f"{row.simulated_p05:.4g}",
                        f"{row.simulated_p95:.4g}",
                        "yes" if row.inside else f"no ({row.miss_se:.1f} se)")
        console.print(fit)
    generations = len(result.generations)
    console.print(f"{result.simulations:,} simulations in {generations} generation"
                  f"{'s' if generations != 1 else ''}; report: {result.report}")


@app.command()
def params(
    markdown: Annotated[bool, typer.Option(help="Print the table as Markdown")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the table as JSON")] = False,
    update_odd: Annotated[Path | None, typer.Option(
        help="Rewrite the parameter table between the markers of this document (docs/ODD.md)")] = None,
) -> None:
    """List every parameter with its default, unit, range and source."""
    if update_odd is not None:
        if not update_odd.is_file():
            raise fail(f"--update-odd {update_odd}: no such file")
        try:
            text = replace_parameter_table(update_odd.read_text())
        except ParameterError as error:
            raise fail(f"{update_odd}: {error}") from None
        update_odd.write_text(text)
        console.print(f"updated the parameter table in {update_odd}")
        return
    if markdown:
        print(parameter_table_markdown(), end="")
        return
    rows = parameter_table()
    if json_:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="crimesim parameters (set with --set key=value)")
    for column in ("parameter", "default", "unit", "range", "source"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["parameter"], row["default"], row["unit"], row["range"], row["source"])
    console.print(table)


@app.command()
def short2008(
    out: Annotated[Path, typer.Option("--out", help="Directory for the results")],
    preset: Annotated[str, typer.Option(
        help="Short et al. (2008) Fig. 3 set: a, b, c or d (overridden by --eta/--theta/--gamma)")] = "c",
    eta: Annotated[float | None, typer.Option(help="Diffusion of attractiveness")] = None,
    theta: Annotated[float | None, typer.Option(help="Rise of attractiveness per burglary")] = None,
    gamma: Annotated[float | None, typer.Option(help="Burglar arrival rate per site")] = None,
    size: Annotated[int, typer.Option(min=8, max=1024, help="Lattice side")] = 128,
    steps: Annotated[int, typer.Option(min=10, help="Time steps of dt = 0.01")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
) -> None:
    """Short et al.'s (2008) burglar model alone on its lattice: regimes of crime hotspots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simulation.short2008 import PUBLISHED_SETS, Short2008Params, run_short2008

    if preset not in PUBLISHED_SETS:
        raise fail(f"--preset {preset!r} is not one of {', '.join(PUBLISHED_SETS)}")
    base_eta, base_theta, base_gamma = PUBLISHED_SETS[preset]
    settings = {"eta": base_eta if eta is None else eta,
                "theta": base_theta if theta is None else theta,
                "gamma": base_gamma if gamma is None else gamma}
    for name, value in settings.items():
        if value < 0 or (name == "eta" and value > 1):
            raise fail(f"--{name} {value}: must be {'between 0 and 1' if name == 'eta' else '>= 0'}")
    out.mkdir(parents=True, exist_ok=True)
    model_params = Short2008Params(size=size, **settings)
    started = time.perf_counter()
    with console.status(f"running {steps:,} steps on a {size} x {size} lattice"):
        result = run_short2008(model_params, steps, seed)
    seconds = time.perf_counter() - started
    metrics = {
        "attractiveness_cv": result.attractiveness_cv,
        "peak_ratio": result.peak_ratio,
        "map_stability": result.map_stability,
        "burglary_rate": result.burglary_rate,
        "expected_burglary_rate": model_params.gamma,
        "seconds": seconds,
    }
    figure, axis = plt.subplots(figsize=(6, 5), constrained_layout=True)
    image = axis.imshow(result.mean_attractiveness, cmap="inferno", interpolation="nearest")
    figure.colorbar(image, ax=axis, label="mean attractiveness A")
    axis.set(title=f"Short et al. (2008): eta={settings['eta']}, theta={settings['theta']}, "
                   f"Gamma={settings['gamma']}", xticks=[], yticks=[])
    write_atomic(out / "attractiveness.png", lambda p: figure.savefig(p, format="png", dpi=100))
    plt.close(figure)
    write_json(out / "manifest.json", {"kind": "crimesim short2008", "seed": seed, "steps": steps,
                                       "parameters": model_params.model_dump(), "metrics": metrics,
                                       **provenance()})
    table = Table(title=f"short2008 ({seconds:.1f} s)", title_justify="left")
    table.add_column("statistic")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        table.add_row(key, f"{value:.4g}")
    console.print(table)
    console.print(f"wrote attractiveness.png, manifest.json to {out}")


from experiments.validation import (  # noqa: E402 - the validate command's help texts
    HELP as VALIDATE_HELP,
)
from experiments.validation import (  # noqa: E402
    HELP_CHECKS,
    HELP_OUT,
    HELP_QUICK,
    HELP_SEED,
    HELP_WORKERS,
    ROOT_SEED,
)


@app.command(help=VALIDATE_HELP)
def validate(
    out: Annotated[Path, typer.Option(help=HELP_OUT)],
    quick: Annotated[bool, typer.Option("--quick", help=HELP_QUICK)] = False,
    checks: Annotated[str | None, typer.Option(help=HELP_CHECKS)] = None,
    workers: Annotated[int | None, typer.Option(help=HELP_WORKERS)] = None,
    seed: Annotated[int, typer.Option(help=HELP_SEED)] = ROOT_SEED,
    quiet: Annotated[bool, typer.Option(help="No progress bar")] = False,
) -> None:
    from experiments.validation import ValidationOptionError, parse_checks, summary_line
    from experiments.validation import validate as run_validation

    try:
        selected = parse_checks(checks)
        with Progress(TextColumn("[bold]validating[/]"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("runs {task.description}"), TimeRemainingColumn(),
                      console=errors, disable=quiet, transient=True) as progress:
            task = progress.add_task("", total=None)

            def advance(done: int, total: int, label: str) -> None:
                progress.update(task, completed=done, total=total, description=label)

            table = run_validation(out, quick=quick, workers=workers, checks=selected,
                                   progress=advance, seed=seed)
    except ValidationOptionError as error:
        raise fail(str(error)) from None
    console.print(summary_line(table), highlight=False)
    console.print(f"report: {out / 'report.html'}", highlight=False)


@app.command("app")
def app_command(
    host: Annotated[str, typer.Option(help="Address to listen on: 127.0.0.1 (this computer only) "
                                      "or 0.0.0.0 (every network of this computer, for a classroom)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (1024-65535)")] = 8765,
    residents: Annotated[int, typer.Option(help="Residents of the city the app opens with")] = 25_000,
    seed: Annotated[int, typer.Option(help="Seed the app opens with")] = 0,
    years: Annotated[float, typer.Option(help="Horizon of the reproduce-this-run command")] = 10.0,
    classroom: Annotated[Path, typer.Option(help="Folder that keeps the classroom's games")] = Path(
        "crimesim-classroom"),
    classroom_residents: Annotated[int, typer.Option(help="Residents of the classroom's city")] = 25_000,
    classroom_seed: Annotated[int, typer.Option(help="Seed of the classroom's city (the same for "
                                                "every student)")] = 0,
    trainer_code: Annotated[str | None, typer.Option(help="Code that opens /trainer (default: a "
                                                     "random code, printed at start)")] = None,
    prepare_assets: Annotated[bool, typer.Option("--prepare-assets", help="Fetch the app's "
                                                 "JavaScript from the npm registry (once, needs npm) "
                                                 "and stop")] = False,
) -> None:
    """Start the teaching app (a browser city, the classroom exercise and the trainer page)."""
    import os
    import secrets
    import socket
    import subprocess
    import sys

    from simulation.appkit.assets import AssetsError, check_assets
    from simulation.appkit.assets import prepare_assets as provision

    if prepare_assets:
        try:
            provision(log=lambda message: console.print(message, highlight=False))
        except AssetsError as error:
            raise fail(str(error)) from None
        return
    if not 1024 <= port <= 65535:
        raise fail(f"--port {port} is not a usable port; choose one between 1024 and 65535, e.g. --port 8765")
    for name, value in (("--residents", residents), ("--classroom-residents", classroom_residents)):
        if not 1_000 <= value <= 1_000_000:
            raise fail(f"{name} {value} is out of range; give 1,000 to 1,000,000 (the app's default is 25,000)")
    if seed < 0 or classroom_seed < 0:
        raise fail("seeds must be 0 or more")
    if not 0 < years <= 100:
        raise fail(f"--years {years} is out of range; give more than 0 and at most 100")
    if trainer_code is not None and len(trainer_code.strip()) < 4:
        raise fail("--trainer-code is too short; give at least 4 characters")
    try:
        check_assets()
    except AssetsError:
        # First start in this environment: fetch them now (once) rather than serve a blank page.
        console.print("the app's offline assets are not in this environment yet: fetching them "
                      "once (later starts need no network)", highlight=False)
        try:
            provision(log=lambda message: console.print(message, highlight=False))
            check_assets()
        except AssetsError as error:
            raise fail(str(error)) from None
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, port))
    except OSError as error:
        raise fail(f"cannot listen on {host}:{port} ({error.strerror}); the port may be in use or "
                   f"the address not of this computer: choose another --port or --host") from None
    try:
        classroom.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise fail(f"--classroom {classroom}: cannot create the folder ({error.strerror}); give a "
                   "writable folder") from None
    from simulation.appkit.config import AppConfig

    existing = (classroom / "classroom.json").is_file()
    code = trainer_code.strip() if trainer_code else ("" if existing else secrets.token_hex(3))
    from simulation.classroom import Classroom, ClassroomError, ClassroomSettings

    try:  # a classroom folder with other settings is refused now, not when students arrive
        Classroom(classroom, code or None, ClassroomSettings(seed=classroom_seed, residents=classroom_residents))
    except (ClassroomError, ParameterError) as error:
        raise fail(f"--classroom {classroom}: {error}") from None
    config = AppConfig(residents=residents, seed=seed, years=years, classroom_residents=classroom_residents,
                       classroom_directory=classroom.resolve(), trainer_code=code,
                       classroom_seed=classroom_seed)
    environment = {**os.environ, **config.environment(), "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    shown = "localhost" if host in ("127.0.0.1", "localhost") else host
    code_text = f"code [bold]{code}[/]" if code else "the code set when this classroom was created"
    console.print(f"crimesim app: open http://{shown}:{port}/ (classroom: /classroom, trainer: "
                  f"/trainer with {code_text}); Ctrl+C stops it", highlight=False)
    command = [sys.executable, "-m", "solara", "run", "simulation.app", "--production",
               "--host", host, "--port", str(port), "--no-open", "--log-level", "warning"]
    try:
        status = subprocess.call(command, env=environment)
    except KeyboardInterrupt:
        status = 0
    raise typer.Exit(status)


def main() -> None:
    """Entry point of the `crimesim` console script."""
    app()


if __name__ == "__main__":
    main()
