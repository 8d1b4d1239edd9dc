"""A sensitivity study from start to report: sample, run through the experiment engine (any
executor; a store that resumes), analyse, and write tables, figures and an HTML report.

    <out>/manifest.json, runs/          the results store (experiments/store.py): resumes
    <out>/tables/indices.parquet, .csv  one row per outcome, response, factor (sensitivity.py)
    <out>/tables/design.parquet, .csv   the design points
    <out>/tables/parameters.csv         the specification used (bounds, groups, sources)
    <out>/figures/*.png                 Morris mu*-sigma, Sobol bars with intervals, a heatmap
    <out>/report.html                   what matters for which outcome, and whether the sample
                                        was large enough, in words
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from calibration.parameters import Uncertain, specification_table  # noqa: E402
from calibration.sensitivity import (  # noqa: E402
    DUMMY,
    DUMMY_GROUP,
    Design,
    build_runs,
    design_table,
    indices_table,
    sample,
)
from experiments.executors import Executor  # noqa: E402
from experiments.experiment import ExperimentOutcome, run_experiment  # noqa: E402
from experiments.provenance import write_atomic  # noqa: E402
from experiments.report import CSS, PAGE, png_data_uri  # noqa: E402
from experiments.store import ResultsStore, write_tables  # noqa: E402
from simulation.params import Parameters  # noqa: E402

TOP = 15
"""Factors shown in the bar charts and named in the report, per outcome."""


@dataclass
class StudyResult:
    design: Design
    outcome: ExperimentOutcome
    indices: pd.DataFrame
    report: Path


def run_study(
    method: str, factors: Sequence[Uncertain], n: int, replicates: int, outcomes: Sequence[str],
    out: Path, executor: Executor, base: Parameters | dict[str, float] | None = None,
    model: str = "city", seed: int = 0, grouped: bool = False, second_order: bool = False,
    days: int | None = None, show_progress: bool = True, console: Any = None,
    on_record: Callable | None = None, batch_size: int | None = None,
) -> StudyResult:
    """Sample, run (resuming what ``out`` holds), analyse and report.

    Raises:
        calibration.sensitivity.SensitivityError: bad settings, or runs missing for the analysis.
        experiments.store.StoreMismatch: ``out`` holds another experiment.
    """
    base = Parameters() if base is None and model == "city" else (base or {})
    design = sample(method, factors, n, seed=seed, grouped=grouped, second_order=second_order)
    runs = build_runs(design, base, replicates, root_seed=seed, model=model, days=days)
    configuration = {
        "kind": "sensitivity", "method": method, "n": n, "replicates": replicates,
        "root_seed": seed, "grouped": grouped, "second_order": second_order, "model": model,
        "outcomes": list(outcomes), "points": design.points, "runs": len(runs),
        "parameters": specification_table(factors), "executor": executor.describe(),
    }
    store = ResultsStore(out)
    outcome = run_experiment(runs, store, executor, configuration, batch_size=batch_size,
                             show_progress=show_progress, on_record=on_record, console=console)
    summary = store.table("summary")
    indices = indices_table(summary, design, replicates, outcomes, seed=seed)
    tables = {"indices": indices, "design": design_table(design),
              "parameters": pd.DataFrame(specification_table(factors))}
    write_tables(tables, Path(out) / "tables")
    report = write_report(design, indices, configuration, summary, Path(out))
    return StudyResult(design=design, outcome=outcome, indices=indices, report=report)


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def _index_columns(method: str) -> tuple[str, str]:
    return ("mu_star", "mu_star_conf") if method == "morris" else ("ST", "ST_conf")


def morris_figure(frame: pd.DataFrame, outcome: str) -> plt.Figure:
    """mu* against sigma, one point per factor, the dummy in red, the top factors named."""
    figure, axis = plt.subplots(figsize=(6.5, 4.5))
    real = frame[~frame["dummy"]]
    axis.errorbar(real["mu_star"], real["sigma"], xerr=real["mu_star_conf"], fmt="o", ms=4,
                  color="#4e79a7", ecolor="#bbbbbb", lw=0.8)
    dummy = frame[frame["dummy"]]
    axis.scatter(dummy["mu_star"], dummy["sigma"], color="#e15759", zorder=3, label="dummy (noise floor)")
    for _, row in real.nlargest(6, "mu_star").iterrows():
        axis.annotate(_short(row["factor"]), (row["mu_star"], row["sigma"]), fontsize=7,
                      xytext=(3, 3), textcoords="offset points")
    axis.set_xlabel("mu* (mean absolute elementary effect)")
    axis.set_ylabel("sigma (interactions, non-linearity)")
    axis.set_title(f"Morris screening: {outcome}")
    axis.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    return figure


def sobol_figure(frame: pd.DataFrame, outcome: str) -> plt.Figure:
    """First-order and total indices with their intervals, the top factors and the dummy."""
    shown = pd.concat([frame[~frame["dummy"]].nlargest(TOP, "ST"), frame[frame["dummy"]]])
    figure, axis = plt.subplots(figsize=(7, 0.35 * len(shown) + 1.5))
    y = np.arange(len(shown))
    axis.barh(y - 0.2, shown["S1"], height=0.4, xerr=shown["S1_conf"], color="#4e79a7", label="first order S1")
    axis.barh(y + 0.2, shown["ST"], height=0.4, xerr=shown["ST_conf"], color="#f28e2b", label="total ST")
    axis.set_yticks(y, [_short(f) for f in shown["factor"]], fontsize=7)
    axis.invert_yaxis()
    axis.set_xlabel("Sobol index (95% bootstrap interval)")
    axis.set_title(f"Sobol indices: {outcome}")
    axis.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    return figure


def heatmap_figure(indices: pd.DataFrame, method: str) -> plt.Figure:
    """The index of each factor over the outcomes (mean response), scaled per outcome."""
    index, _ = _index_columns(method)
    means = indices[(indices["response"] == "mean") & ~indices["dummy"]]
    table = means.pivot_table(index="factor", columns="outcome", values=index, aggfunc="first")
    table = table / table.max().replace(0, np.nan)
    table = table.loc[table.max(axis=1).sort_values(ascending=False).index[:30]]
    figure, axis = plt.subplots(figsize=(1.2 * len(table.columns) + 4, 0.3 * len(table) + 1.5))
    image = axis.imshow(table.to_numpy(dtype=float), aspect="auto", cmap="viridis", vmin=0, vmax=1)
    axis.set_yticks(range(len(table)), [_short(f) for f in table.index], fontsize=7)
    axis.set_xticks(range(len(table.columns)), table.columns, rotation=30, ha="right", fontsize=8)
    figure.colorbar(image, ax=axis, label=f"{index} / largest {index} of the outcome")
    axis.set_title("Which parameters matter for which outcome")
    figure.tight_layout()
    return figure


def _short(name: str) -> str:
    parts = str(name).split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else str(name)


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def verdict(frame: pd.DataFrame, method: str) -> str:
    """In words: which factors matter, and whether the sample was large enough."""
    index, conf = _index_columns(method)
    real = frame[~frame["dummy"]].sort_values(index, ascending=False)
    dummy = frame[frame["dummy"]].iloc[0]
    above = real[real["distinguishable"]]
    label = "mu*" if method == "morris" else "total index ST"
    if above.empty:
        return (f"No parameter's {label} stands above the dummy's ({dummy[index]:.3g} ± "
                f"{dummy[conf]:.3g}): with this sample the model's noise hides every effect. "
                "Increase --reps (noise) or --n (sample size).")
    names = ", ".join(f"<code>{html.escape(str(r['factor']))}</code> ({r[index]:.3g} ± {r[conf]:.2g})"
                      for _, r in above.head(8).iterrows())
    more = f" and {len(above) - 8} more" if len(above) > 8 else ""
    top = float(above[index].iloc[0])
    floor = float(dummy[index] + dummy[conf])
    if floor > 0.1 * top:
        size = (f"The noise floor (the dummy's {label}, {dummy[index]:.3g} ± {dummy[conf]:.2g}) is "
                f"above a tenth of the largest index: the ranking below the top factors is "
                f"uncertain; more replicates (--reps) or a larger sample (--n) would sharpen it.")
    else:
        size = (f"The noise floor (the dummy's {label}, {dummy[index]:.3g} ± {dummy[conf]:.2g}) is "
                "small against the factors that matter: the sample was large enough to rank them.")
    return (f"{len(above)} of {len(real)} parameters stand above the dummy: {names}{more}. {size}")


def write_report(design: Design, indices: pd.DataFrame, configuration: dict[str, Any],
                 summary: pd.DataFrame, out: Path) -> Path:
    """The HTML report (figures inline) and the PNG figures."""
    method = design.method
    figures_dir = out / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    sections = [f"<h1>crimesim sensitivity analysis: {html.escape(method.capitalize())}</h1>",
                _overview(configuration, summary, design)]
    for outcome in dict.fromkeys(indices["outcome"]):
        parts = [f"<section><h2>{html.escape(outcome)}</h2>"]
        for response in ("mean", "variance"):
            frame = indices[(indices["outcome"] == outcome) & (indices["response"] == response)]
            if frame.empty:
                continue
            what = ("the mean over replicates" if response == "mean"
                    else "the variance between replicates (the model's own noise)")
            parts.append(f"<h3>{html.escape(what.capitalize())}</h3><p>{verdict(frame, method)}</p>")
            if response == "mean":
                figure = (morris_figure(frame, outcome) if method == "morris"
                          else sobol_figure(frame, outcome))
                name = f"{method}_{outcome}.png".replace("/", "_")
                figure.savefig(figures_dir / name, dpi=110)
                parts.append(f'<img src="{png_data_uri(figure)}" alt="{html.escape(name)}">')
            parts.append(_table(frame, method))
        parts.append("</section>")
        sections.append("".join(parts))
    if indices["outcome"].nunique() > 1:
        figure = heatmap_figure(indices, method)
        figure.savefig(figures_dir / "heatmap.png", dpi=110)
        sections.insert(2, "<section><h2>Over the outcomes</h2>"
                           f'<img src="{png_data_uri(figure)}" alt="heatmap"></section>')
    page = PAGE.format(title=f"crimesim sensitivity ({method})", css=CSS, body="\n".join(sections))
    path = out / "report.html"
    write_atomic(path, lambda temporary: temporary.write_text(page, encoding="utf-8"))
    plt.close("all")
    return path


def _overview(configuration: dict[str, Any], summary: pd.DataFrame, design: Design) -> str:
    rows = {
        "method": configuration["method"] + (" (grouped by pillar)" if configuration["grouped"] else ""),
        "uncertain parameters": f"{len(design.factors)} (+ a dummy the model never reads)",
        "sample": (f"{configuration['n']} trajectories" if design.method == "morris"
                   else f"base sample {configuration['n']}") + f", {design.points} design points",
        "replicates per point": str(configuration["replicates"]),
        "runs": f"{int((summary['status'] == 'ok').sum())} of {configuration['runs']} ok",
        "root seed": str(configuration["root_seed"]),
        "model": configuration["model"],
    }
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                    for k, v in rows.items())
    how = ("<p>Each parameter varied over its range (tables/parameters.csv); every design point "
           "ran with the same replicate seeds (common random numbers). Morris: mu* is the mean "
           "absolute change of the outcome when one parameter moves across its range, sigma its "
           "spread (interactions and non-linearity). Sobol: S1 is the share of the outcome's "
           "variance a parameter explains alone, ST with all its interactions. The "
           f"<code>{DUMMY}</code> parameter changes nothing in the model: its index is what noise "
           "and the finite sample produce, and a parameter counts only when its interval lies "
           "above the dummy's.</p>")
    return f'<section><h2>What was run</h2><table class="facts">{table}</table>{how}</section>'


def _table(frame: pd.DataFrame, method: str) -> str:
    index, conf = _index_columns(method)
    frame = frame.sort_values(index, ascending=False)
    shown = pd.concat([frame[~frame["dummy"]].head(TOP), frame[frame["dummy"]]])
    columns = (["mu_star", "mu_star_conf", "mu", "sigma"] if method == "morris"
               else ["S1", "S1_conf", "ST", "ST_conf"])
    header = "".join(f"<th>{c}</th>" for c in ["parameter", "group", *columns, "above the dummy"])
    rows = []
    for _, row in shown.iterrows():
        cells = "".join(f"<td>{row[c]:.3g}</td>" for c in columns)
        flag = "yes" if row["distinguishable"] else ("(dummy)" if row["dummy"] else "no")
        rows.append(f"<tr><th>{html.escape(str(row['factor']))}</th>"
                    f"<td>{html.escape(str(row['group']) if row['group'] != DUMMY_GROUP else '')}</td>"
                    f"{cells}<td>{flag}</td></tr>")
    return f'<table class="results"><tr>{header}</tr>{"".join(rows)}</table>'
