"""The `crimesim` command line.

Commands: ``run`` (one city, one seed), ``demo`` (the quick-start job), ``params`` (the
parameter table), ``short2008`` (Short et al.'s burglar model alone). Bad input gets one clear
message that names the problem and the fix, and exit status 2.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from experiments.provenance import provenance, write_atomic, write_json
from simulation.params import ParameterError, Parameters, parameter_table, parameter_table_markdown
from simulation.params import replace_parameter_table, with_overrides

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="crimesim: test public-security strategies on a simulated city.")
console = Console()
errors = Console(stderr=True, soft_wrap=True)

USAGE_ERROR = 2


class InputError(Exception):
    """Bad input from the user: reported as one message with exit status 2."""


def fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
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
    ("custody_per_100k", "in custody per 100,000", "{:.0f}", ""),
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


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Directory for the results")] = Path("crimesim-demo"),
    residents: Annotated[int, typer.Option(help="Residents")] = 100_000,
    years: Annotated[float, typer.Option(help="Years to simulate")] = 10.0,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
) -> None:
    """The quick-start job: the default city for 10 years, its summary and results in --out."""
    run(out=out, residents=residents, years=years, seed=seed, set_=None, overwrite=True, quiet=False)


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


def main() -> None:
    """Entry point of the `crimesim` console script."""
    app()


if __name__ == "__main__":
    main()
