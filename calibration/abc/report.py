"""A calibration's outputs: tables, figures and the HTML report, in words.

    <out>/posterior.parquet        the last generation: one column per parameter, weight, generation
    <out>/particles.parquet        every generation's particles (the same columns)
    <out>/generations.parquet      per generation: epsilon, particles, effective sample size,
                                   simulations, acceptance rate
    <out>/predictive.parquet       the posterior predictive draws: parameters and statistics
    <out>/tables/*.parquet, .csv   posterior_summary, correlations, predictive_checks,
                                   cannot_fit, generations
    <out>/figures/*.png            marginals, pairs, generations, predictive
    <out>/report.html              everything above in plain words; figures inline, it loads
                                   nothing (opens offline)
    <out>/manifest.json            settings, seeds, versions, why it stopped
    <out>/history.db               pyabc's history (SQLite): what a resume continues from
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from calibration.abc.diagnostics import (  # noqa: E402
    CORRELATION_FLAG,
    IDENTIFIED_SHARE,
    NOT_IDENTIFIABLE_SHARE,
    WEIGHT,
    Z90,
    cannot_fit,
    posterior_correlations,
    posterior_summary,
    predictive_checks,
    weighted_quantile,
)
from calibration.abc.models import ParameterSpace  # noqa: E402
from experiments.provenance import write_atomic  # noqa: E402
from experiments.report import CSS, PAGE  # noqa: E402
from experiments.store import write_tables  # noqa: E402

PAIRS_MAX = 6
"""At most this many parameters in the pairwise figure (the best identified)."""


def write_outputs(problem: Any, out: Path, history: Any, backend: Any, manifest: dict[str, Any],
                  reason: str, resumed_from: int | None, spent_before: int, seed: int,
                  predictive_draws: int, log: Callable[[str], None]) -> Any:
    """Write every output of a calibration whose history is ``history``; return the
    `calibration.abc.smc.CalibrationResult`."""
    from calibration.abc.smc import (
        CalibrationResult,
        _write_manifest,
        all_particles,
        generations_table,
        missing_summary,
        posterior_table,
        predictive_simulations,
    )

    space: ParameterSpace = problem.space
    posterior = posterior_table(history, space)
    generations = generations_table(history, out)
    particles = all_particles(history, space)
    summary = posterior_summary(posterior, space, problem.true_values)
    correlations = posterior_correlations(posterior, space)
    for name, frame in (("posterior", posterior), ("particles", particles),
                        ("generations", generations)):
        write_atomic(out / f"{name}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))

    predictive = _cached_predictive(out, int(posterior["generation"].iloc[0]), predictive_draws)
    if predictive is None and predictive_draws:
        log(f"posterior predictive checks: {predictive_draws} simulations")
        predictive = predictive_simulations(problem, posterior, predictive_draws, seed, backend)
        predictive["generation"] = int(posterior["generation"].iloc[0])
        write_atomic(out / "predictive.parquet", lambda p: predictive.to_parquet(p, index=False))
    if predictive is not None:
        checks = predictive_checks(problem.observed, problem.se, predictive, problem.targets)
    else:
        checks = pd.DataFrame(columns=["label", "observed", "se", "inside", "miss_se"])
    misfits = cannot_fit(checks) if not checks.empty else checks
    write_tables({"posterior_summary": summary, "correlations": correlations,
                  "predictive_checks": checks, "cannot_fit": misfits,
                  "generations": generations}, out / "tables")

    missing = missing_summary(out)
    simulations = int(history.total_nr_simulations or 0)
    final_epsilon = float(generations["epsilon"].iloc[-1]) if len(generations) else float("nan")
    floor = manifest["configuration"]["min_epsilon"]
    figures = ["figures/marginals.png", "figures/generations.png"]
    figures += ["figures/pairs.png"] if len(space) > 1 else []
    figures += ["figures/predictive.png"] if not checks.empty else []
    manifest.update(status="finished", stop_reason=reason, generations=len(generations),
                    simulations=simulations, final_epsilon=final_epsilon,
                    predictive_simulations=0 if predictive is None else len(predictive),
                    missing_statistics=missing,
                    files=sorted({*(str(p.relative_to(out)) for p in out.rglob("*")
                                    if p.is_file() and not p.name.startswith(".")
                                    and p.parent.name != "figures"),
                                  *figures, "report.html", "manifest.json"}))
    report = write_report(problem, out, summary, correlations, generations, checks, misfits,
                          posterior, manifest)
    _write_manifest(out, manifest)
    return CalibrationResult(out=out, posterior=posterior, generations=generations,
                             summary=summary, correlations=correlations, checks=checks,
                             resumed_from=resumed_from, spent_before=spent_before,
                             simulations=simulations, stop_reason=reason, min_epsilon=floor,
                             report=report, manifest=manifest)


def _cached_predictive(out: Path, generation: int, draws: int) -> pd.DataFrame | None:
    path = out / "predictive.parquet"
    if not path.exists() or not draws:
        return None
    frame = pd.read_parquet(path)
    if len(frame) == draws and (frame["generation"] == generation).all():
        return frame
    return None


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def _grid(n: int, columns: int = 3, size: tuple[float, float] = (3.4, 2.6)):
    columns = min(columns, n)
    rows = int(np.ceil(n / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(size[0] * columns, size[1] * rows),
                                squeeze=False)
    for axis in axes.flat[n:]:
        axis.set_visible(False)
    return figure, axes.flat


def marginals_figure(posterior: pd.DataFrame, space: ParameterSpace,
                     true_values: dict[str, float] | None) -> plt.Figure:
    """Each parameter's weighted posterior histogram over its prior range (the prior density
    as a grey line), the 90% credible interval (blue dashes) and the true value (red) if known."""
    figure, axes = _grid(len(space))
    weights = posterior[WEIGHT].to_numpy(dtype=float)
    for axis, item in zip(axes, space.parameters):
        values = posterior[item.name].to_numpy(dtype=float)
        log = item.distribution == "loguniform"
        axis.hist(values, bins=_bins(item), weights=weights, density=True, color="#4e79a7", alpha=0.8)
        grid = np.geomspace(item.low, item.high, 100) if log else np.linspace(item.low, item.high, 100)
        prior = (1 / (grid * np.log(item.high / item.low)) if log
                 else np.full_like(grid, 1 / (item.high - item.low)))
        axis.plot(grid, prior, color="#888888", lw=1.2, label="prior")
        for q in weighted_quantile(values, weights, [0.05, 0.95]):
            axis.axvline(q, color="#1f3b73", ls="--", lw=1)
        if true_values and item.name in true_values:
            axis.axvline(true_values[item.name], color="#e15759", lw=2, label="true value")
        if log:
            _plain_log(axis, "x")
        axis.set_xlim(item.low, item.high)
        axis.set_title(_short(item.name), fontsize=9)
        axis.tick_params(labelsize=7)
        axis.set_yticks([])
    figure.suptitle("Posterior marginals over the prior range (grey: prior density; dashes: "
                    "90% interval; red: true value)", fontsize=9)
    figure.tight_layout()
    return figure


def pairs_figure(posterior: pd.DataFrame, space: ParameterSpace, summary: pd.DataFrame,
                 true_values: dict[str, float] | None) -> plt.Figure:
    """Pairwise scatter of the particles (dot area by weight) over the prior ranges, for up to
    `PAIRS_MAX` parameters (the best identified)."""
    names = list(summary.sort_values("interval_share")["parameter"].head(PAIRS_MAX))
    names = [name for name in space.names if name in names]
    n = len(names)
    figure, axes = plt.subplots(n, n, figsize=(2.2 * n + 0.5, 2.2 * n + 0.5), squeeze=False)
    weights = posterior[WEIGHT].to_numpy(dtype=float)
    sizes = 4 + 60 * weights / weights.max()
    for i, first in enumerate(names):
        for j, second in enumerate(names):
            axis = axes[i][j]
            a, b = space[second], space[first]
            if i == j:
                axis.hist(posterior[first], bins=_bins(a), weights=weights, color="#4e79a7")
                axis.set_xlim(a.low, a.high)
                axis.set_yticks([])
            elif i > j:
                axis.scatter(posterior[second], posterior[first], s=sizes, alpha=0.5,
                             color="#4e79a7", linewidths=0)
                if true_values and first in true_values and second in true_values:
                    axis.scatter([true_values[second]], [true_values[first]], marker="x",
                                 color="#e15759", s=50)
                axis.set_xlim(a.low, a.high)
                axis.set_ylim(b.low, b.high)
                if b.distribution == "loguniform":
                    _plain_log(axis, "y")
            else:
                axis.set_visible(False)
                continue
            if a.distribution == "loguniform":
                _plain_log(axis, "x")
            axis.tick_params(labelsize=6)
            if i == n - 1:
                axis.set_xlabel(_short(second), fontsize=7)
            if j == 0 and i > 0:
                axis.set_ylabel(_short(first), fontsize=7)
    figure.suptitle("Pairs of parameters in the posterior (x: true values)", fontsize=9)
    figure.tight_layout()
    return figure


def generations_figure(generations: pd.DataFrame, floor: float) -> plt.Figure:
    """Tolerance, effective sample size and acceptance rate by generation."""
    from matplotlib.ticker import MaxNLocator

    figure, axes = plt.subplots(1, 3, figsize=(11, 3))
    g = generations["generation"]
    axes[0].plot(g, generations["epsilon"], "o-", color="#4e79a7")
    axes[0].axhline(floor, color="#e15759", ls="--", lw=1, label="floor (data's uncertainty)")
    _plain_log(axes[0], "y")
    axes[0].set_title("tolerance epsilon (se units)", fontsize=9)
    axes[0].legend(fontsize=7)
    axes[1].plot(g, generations["effective_sample_size"], "o-", color="#59a14f")
    axes[1].plot(g, generations["particles"], color="#bbbbbb", lw=1, label="particles")
    axes[1].set_ylim(bottom=0)
    axes[1].set_title("effective sample size", fontsize=9)
    axes[1].legend(fontsize=7)
    axes[2].plot(g, generations["acceptance_rate"], "o-", color="#f28e2b")
    _plain_log(axes[2], "y")
    axes[2].set_title("acceptance rate", fontsize=9)
    for axis in axes:
        axis.set_xlabel("generation", fontsize=8)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.tick_params(labelsize=7)
    figure.tight_layout()
    return figure


def predictive_figure(checks: pd.DataFrame) -> plt.Figure:
    """Per target, in its standard errors around the observed value: the observed 90% interval
    (grey band) and the simulated 5-95% interval with its median (blue; red when the observed
    value lies outside it)."""
    n = len(checks)
    figure, axis = plt.subplots(figsize=(7.5, 0.45 * n + 1.4))
    y = np.arange(n)
    axis.axvspan(-Z90, Z90, color="#dddddd", label="observed ± 1.645 se")
    axis.axvline(0, color="#555555", lw=1)
    for k, row in enumerate(checks.itertuples()):
        low, high, mid = ((row.simulated_p05 - row.observed) / row.se,
                          (row.simulated_p95 - row.observed) / row.se,
                          (row.simulated_median - row.observed) / row.se)
        colour = "#4e79a7" if row.inside else "#e15759"
        axis.plot([low, high], [k, k], color=colour, lw=4, solid_capstyle="butt")
        axis.plot([mid], [k], "o", color="white", mec=colour, ms=5)
    axis.set_yticks(y, [str(label) for label in checks["label"]], fontsize=8)
    axis.invert_yaxis()
    axis.set_xlabel("simulated - observed, in standard errors of the target "
                    "(bar: simulated 5-95%; dot: median)", fontsize=8)
    axis.set_title("Posterior predictive checks", fontsize=10)
    axis.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    return figure


def _bins(item: Any, count: int = 20) -> np.ndarray:
    """Histogram edges over the prior range (log-spaced for a log-uniform prior)."""
    space = np.geomspace if item.distribution == "loguniform" else np.linspace
    return space(item.low, item.high, count + 1)


def _plain_log(axis: plt.Axes, which: str) -> None:
    """A log scale labelled with plain numbers (no mathtext, whose fonts may be missing)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    scale = axis.xaxis if which == "x" else axis.yaxis
    (axis.set_xscale if which == "x" else axis.set_yscale)("log")
    scale.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    scale.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    scale.set_minor_formatter(NullFormatter())


def _short(name: str) -> str:
    parts = str(name).split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else str(name)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def write_report(problem: Any, out: Path, summary: pd.DataFrame, correlations: pd.DataFrame,
                 generations: pd.DataFrame, checks: pd.DataFrame, misfits: pd.DataFrame,
                 posterior: pd.DataFrame, manifest: dict[str, Any]) -> Path:
    """report.html (figures inline) and figures/*.png."""
    space = problem.space
    configuration = manifest["configuration"]
    floor = configuration["min_epsilon"]
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)

    def image(figure: plt.Figure, name: str) -> str:
        """Save the figure once: the PNG file, and the same bytes inline in the page."""
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100)
        plt.close(figure)
        write_atomic(figures / f"{name}.png", lambda p: p.write_bytes(buffer.getvalue()))
        uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
        return f'<figure><img src="{uri}" alt="{html.escape(name)}"></figure>'

    words = _verdicts(summary, correlations, checks, misfits, floor, manifest)
    sections = [_overview(problem, manifest, generations),
                f"<section><h2>In plain words</h2>{words}</section>"]
    sections.append(
        "<section><h2>Posterior</h2><p>Weighted summaries of the last generation's particles. "
        "<em>Interval share</em> is the width of the 90% credible interval as a share of the "
        "prior's range (on the log scale for a log-uniform prior): at most "
        f"{IDENTIFIED_SHARE:g} the parameter is <em>identified</em>, above "
        f"{NOT_IDENTIFIABLE_SHARE:g} <em>not identifiable</em> (a posterior that is still its "
        "prior covers 0.9 in theory, 0.75-0.95 when estimated from a few dozen particles), "
        "between them <em>weakly identified</em>.</p>"
        + _table(summary, {"parameter": "parameter", "prior_low": "prior low",
                           "prior_high": "prior high", "mean": "mean", "sd": "sd",
                           "q05": "5%", "median": "median", "q95": "95%",
                           "interval_share": "interval share", "verdict": "verdict",
                           **({"true_value": "true value", "true_in_interval": "true in 90%"}
                              if "true_value" in summary else {})})
        + image(marginals_figure(posterior, space, problem.true_values), "marginals")
        + (image(pairs_figure(posterior, space, summary, problem.true_values), "pairs")
           if len(space) > 1 else "") + "</section>")
    if not correlations.empty:
        sections.append(
            "<section><h2>Correlations (identifiability of pairs)</h2><p>Weighted correlations "
            f"of the posterior particles; |r| above {CORRELATION_FLAG:g} is flagged: along that "
            "ridge one parameter makes up for the other, and the targets cannot tell them "
            "apart. A target that sees one of them and not the other would.</p>"
            + _table(correlations, {"first": "parameter", "second": "parameter", "r": "r",
                                    "flagged": "flagged"}) + "</section>")
    sections.append(
        "<section><h2>Generations</h2><p>Each generation accepts simulations closer to the "
        "targets than its tolerance epsilon (in standard errors of the targets, combined as a "
        "Euclidean norm). The effective sample size says how many equally weighted particles "
        "the weighted population is worth; the acceptance rate how many simulations a particle "
        "cost.</p>" + _table(generations, {c: c.replace("_", " ") for c in generations.columns})
        + (image(generations_figure(generations, floor), "generations") if len(generations) else "")
        + "</section>")
    if not checks.empty:
        sections.append(
            "<section><h2>Posterior predictive checks</h2><p>Parameter vectors drawn from the "
            f"posterior ({manifest.get('predictive_simulations', 0)}) were simulated again with "
            "fresh seeds, through the same observation model. A target is fitted when its "
            "observed value lies within the simulated 5-95% interval; <em>miss (se)</em> is how "
            "far outside it lies, in the target's standard errors.</p>"
            + _table(checks, {"label": "target", "observed": "observed", "se": "se",
                              "simulated_p05": "simulated 5%",
                              "simulated_median": "simulated median",
                              "simulated_p95": "simulated 95%", "inside": "fitted",
                              "miss_se": "miss (se)", "missing": "draws missing it"})
            + image(predictive_figure(checks), "predictive") + "</section>")
        sections.append(
            "<section><h2>Targets the model cannot fit</h2>"
            + ("<p>None: every observed value lies within its simulated 5-95% interval.</p>"
               if misfits.empty else
               "<p>The observed value lies outside the simulated 5-95% interval. Either the "
               "model lacks a mechanism that produces it, the prior ranges exclude the values "
               "that would, the target measures a concept other than the model's indicator, or "
               "its standard error is too small.</p>"
               + _table(misfits, {"label": "target", "observed": "observed", "se": "se",
                                  "simulated_p05": "simulated 5%",
                                  "simulated_p95": "simulated 95%", "miss_se": "miss (se)",
                                  "z": "z (observed - median)"}))
            + "</section>")
    sections.append("<section><h2>Files</h2><p>" + ", ".join(
        f"<code>{html.escape(name)}</code>" for name in manifest.get("files", []))
        + ". Resume or extend: run the same command again (a larger <code>--budget</code> "
        "continues a finished calibration).</p></section>")
    page = PAGE.format(title="crimesim calibration (ABC-SMC)", css=CSS, body="\n".join(sections))
    path = out / "report.html"
    write_atomic(path, lambda temporary: temporary.write_text(page, encoding="utf-8"))
    plt.close("all")
    return path


def _overview(problem: Any, manifest: dict[str, Any], generations: pd.DataFrame) -> str:
    configuration = manifest["configuration"]
    final = manifest.get("final_epsilon", float("nan"))
    missing = manifest.get("missing_statistics", {})
    rows = {
        "targets": f"{len(problem.observed)} ({configuration.get('targets_origin', 'given')})",
        "parameters": f"{len(problem.space)}: " + ", ".join(problem.space.names),
        "model": str(configuration.get("model", "city")),
        "population": f"{configuration['population']:,} particles per generation",
        "budget": f"{configuration['budget']:,} simulations; spent {manifest['simulations']:,}",
        "generations": f"{len(generations)}",
        "stopped because": manifest.get("stop_reason", ""),
        "tolerance": f"last {final:.3g}, floor {configuration['min_epsilon']:.3g} (se units)",
        "simulations missing a statistic": (f"{missing.get('missing', 0):,} of "
                                            f"{missing.get('recorded', 0):,} recorded "
                                            f"({missing.get('failed', 0):,} failed runs)"),
        "sampler": str(configuration.get("sampler", "")),
        "seed": str(configuration["seed"]),
    }
    base = configuration.get("base_parameters")
    if base:
        rows["each run"] = (f"scenario {configuration.get('scenario', 'baseline')}: "
                            f"{base['population']['residents']:,} residents, {base['years']:g} "
                            f"years after a warm-up of {base['warmup_days']:,} days")
    if configuration.get("context"):
        rows["context (fixed)"] = ", ".join(f"{k} = {v:g}" for k, v in configuration["context"].items())
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                    for k, v in rows.items())
    how = ("<p>Approximate Bayesian computation by sequential Monte Carlo (pyabc): parameter "
           "values are drawn from their priors (the uncertain-parameter specification), the "
           "model is run at each, its runs are seen through the observation model (recording "
           "completeness, survey sampling error) and compared with the targets; a value is kept "
           "when its statistics fall within a tolerance of the targets, and the tolerance "
           "tightens generation by generation. The distance is the Euclidean norm of the "
           "differences in the targets' standard errors. The tolerance stops at its floor, "
           "sqrt(k + 2) for k targets, where the acceptance kernel's spread equals the targets' "
           "own uncertainty.</p>")
    return f'<section><h2>What was run</h2><table class="facts">{table}</table>{how}</section>'


def _names(frame: pd.DataFrame, column: str = "parameter") -> str:
    return ", ".join(f"<code>{html.escape(str(name))}</code>" for name in frame[column])


def _verdicts(summary: pd.DataFrame, correlations: pd.DataFrame, checks: pd.DataFrame,
              misfits: pd.DataFrame, floor: float, manifest: dict[str, Any]) -> str:
    """The findings in sentences: tolerance, identifiability, confounded pairs, coverage of the
    true values, fit, missing statistics."""
    parts = []
    final = manifest.get("final_epsilon", float("nan"))
    if np.isfinite(final) and final > floor * 1.0001:
        parts.append(f'<p class="warning">The calibration stopped with a tolerance of {final:.3g} '
                     f"standard errors, above the floor of {floor:.3g} that the targets' "
                     f"uncertainty justifies ({html.escape(manifest.get('stop_reason', ''))}): "
                     "the posterior is still wider than the data allow. A larger budget (run the "
                     "command again with a larger --budget: it continues) would narrow it.</p>")
    else:
        parts.append(f"<p>The tolerance reached its floor ({floor:.3g} standard errors): the "
                     "posterior reflects the targets' own uncertainty.</p>")
    for verdict, text in (("identified", "The targets pin down"),
                          ("weakly identified", "They narrow, but leave wide,"),
                          ("not identifiable", "They say little about")):
        chosen = summary[summary["verdict"] == verdict]
        if not chosen.empty:
            parts.append(f"<p>{text} {_names(chosen)} ({verdict}).</p>")
    flagged = correlations[correlations["flagged"]] if not correlations.empty else correlations
    if not flagged.empty:
        pairs = "; ".join(f"<code>{html.escape(r.first)}</code> and <code>{html.escape(r.second)}"
                          f"</code> (r = {r.r:+.2f})" for r in flagged.itertuples())
        parts.append(f"<p>Confounded pairs: {pairs}. Along each, one parameter makes up for the "
                     "other; the data fix a combination, not each.</p>")
    if "true_in_interval" in summary:
        covered = summary[summary["true_in_interval"]]
        missed = summary[~summary["true_in_interval"]]
        parts.append(f"<p>The true values (synthetic data) lie inside the 90% interval for "
                     f"{len(covered)} of {len(summary)} parameters"
                     + (f"; outside for {_names(missed)}" if not missed.empty else "") + ".</p>")
    if not checks.empty:
        if misfits.empty:
            parts.append(f"<p>All {len(checks)} targets lie within the simulated 5-95% "
                         "interval of the calibrated model.</p>")
        else:
            worst = "; ".join(f"<code>{html.escape(str(r.label))}</code> ({r.miss_se:.1f} se "
                              "outside)" for r in misfits.itertuples())
            parts.append(f"<p>The calibrated model cannot fit {len(misfits)} of {len(checks)} "
                         f"targets: {worst}.</p>")
    missing = manifest.get("missing_statistics", {})
    if missing.get("missing"):
        parts.append(f"<p>{missing['missing']:,} of {missing['recorded']:,} recorded "
                     "simulations could not produce every target (a NaN statistic"
                     + (f"; {missing['failed']:,} runs failed" if missing.get("failed") else "")
                     + "): they were given a large distance and never accepted.</p>")
    return "".join(parts)


def _format(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return ""
        return f"{value:.4g}"
    return html.escape(str(value))


def _table(frame: pd.DataFrame, columns: dict[str, str]) -> str:
    present = [c for c in columns if c in frame.columns]
    header = "".join(f"<th>{html.escape(columns[c])}</th>" for c in present)
    rows = "".join("<tr>" + "".join(f"<td>{_format(row[c])}</td>" for c in present) + "</tr>"
                   for _, row in frame.iterrows())
    return f'<table class="results"><tr>{header}</tr>{rows}</table>'
