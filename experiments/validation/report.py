"""The validation report: one self-contained HTML page (inline CSS, figures as base64 PNG).

A summary line ("N of M checks pass"), the table of checks, then one short paragraph per check
saying what it shows, with figures where a curve or a map says more than a number: the
concentration of crime, Knox ratios, the age-crime curve, the recidivism curve, the policy
contrasts and Short et al.'s regimes and dispersion relation. It loads nothing, so it opens
offline (as `experiments.report`'s comparison report).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

from experiments.report import CSS, png_data_uri  # noqa: E402
from experiments.validation import measures  # noqa: E402
from experiments.validation.checks import BY_ID, SHORT_REGIMES, city, knox, short  # noqa: E402
from experiments.validation.rules import Above, Below, InRange  # noqa: E402
from experiments.validation.runs import RunSet  # noqa: E402
from simulation.short2008 import PUBLISHED_SETS  # noqa: E402

GROUPS = (("Stylized facts of criminology (S1-S13)", "S"),
          ("Short et al. (2008): the burglar model alone", "short2008"),
          ("Conservation", "conservation"))
STATUS_CLASS = {"pass": "pass", "fail": "fail", "error": "fail", "skipped": "skip",
                "not measured": "skip"}
EXTRA_CSS = """
td.pass { background: #e5f4e3; font-weight: 600; }
td.fail { background: #fbe4e4; font-weight: 600; }
td.skip { background: #f3f3f3; color: #666; }
.summary { font-size: 1.25em; font-weight: 600; margin: 0.6em 0; }
.check h3 { margin-bottom: 0.2em; }
.check .badge { font-size: 0.8em; padding: 0.1em 0.5em; border-radius: 0.3em; margin-left: 0.5em; }
.badge.pass { background: #cde9c8; } .badge.fail { background: #f4c7c7; } .badge.skip { background: #e4e4e4; }
table.validation td.num { text-align: right; white-space: nowrap; }
"""


def render_report(table: pd.DataFrame, runs: RunSet, manifest: Mapping[str, Any]) -> str:
    """The report's HTML page."""
    figures = Figures(runs, table)
    options = manifest["options"]
    mode = "quick suite (--quick)" if options["quick"] else "full suite"
    sections = [
        f'<p class="summary">{html.escape(manifest["summary"])}</p>',
        f"<p>{html.escape(mode.capitalize())}: {manifest['runs']} runs, root seed {options['seed']}; "
        f"the runs took {manifest['timings']['runs_seconds']:,.0f} s of wall time on "
        f"{options['workers']} worker{'s' if options['workers'] != 1 else ''}.</p>",
        HOW_TO_READ,
        table_section(table),
        *(checks_section(table, title, prefix, figures) for title, prefix in GROUPS),
        runs_section(manifest),
        provenance_section(manifest),
    ]
    return PAGE.format(title="crimesim validation", css=CSS + EXTRA_CSS, body="\n".join(sections))


HOW_TO_READ = """<section><h2>How to read this report</h2>
<p>Each check sets a number the model produces against a figure published in the criminology
literature (the project's stylized facts S1-S13), against Short et al.'s (2008) regimes of crime
hotspots, or against an accounting identity the model must keep (conservation). The model's
<strong>value</strong> is the mean over replicates (independent runs with different seeds; the
same seeds in every configuration, so that policies are compared on common random numbers), with
its <strong>95% interval</strong> (Student t over replicates; for the share of runs showing a
regime, a Wilson interval; for conservation, the range over runs). The <strong>rule</strong> says
what passes: a published range the value must fall in, or a direction the whole interval must
take. A check that fails is reported with its value: the model is as it is. Checks of facts the
model has no mechanism for are listed as <em>not measured</em>, and checks the quick suite cannot
afford as <em>skipped</em>; neither counts in the total.</p></section>"""


def table_section(table: pd.DataFrame) -> str:
    """Every check in one table."""
    rows = []
    for row in table.to_dict("records"):
        check = BY_ID[row["id"]]
        rows.append(
            f'<tr><td><a href="#{html.escape(row["id"])}">{html.escape(row["id"])}</a></td>'
            f"<td>{html.escape(row['title'])}</td>"
            f"<td>{html.escape(row['published'])}<br><span class='small grey'>"
            f"{html.escape(row['source'])}</span></td>"
            f"<td class='num'>{format_value(row['value'], check.fmt)}<br><span class='small grey'>"
            f"{format_interval(row, check.fmt)}</span></td>"
            f"<td>{html.escape(row['rule'])}</td>"
            f"<td class='{STATUS_CLASS.get(row['status'], 'skip')}'>{html.escape(row['status'])}</td></tr>")
    return ('<section><h2>The checks</h2><table class="validation"><tr><th>id</th><th>check</th>'
            "<th>published (source)</th><th>model (95% interval)</th><th>rule</th><th>result</th></tr>"
            + "".join(rows) + "</table></section>")


def checks_section(table: pd.DataFrame, title: str, prefix: str, figures: Figures) -> str:
    """A paragraph per check of one group, with its figure the first time it is named."""
    parts = [f"<section><h2>{html.escape(title)}</h2>"]
    members = [row for row in table.to_dict("records")
               if (row["id"].startswith(prefix) and prefix != "S") or (prefix == "S" and row["id"][0] == "S")]
    if not members:
        return ""
    for row in members:
        check = BY_ID[row["id"]]
        status = STATUS_CLASS.get(row["status"], "skip")
        value = ""
        if not pd.isna(row["value"]):
            value = (f"<p><strong>Model:</strong> {format_value(row['value'], check.fmt)} "
                     f"{html.escape(check.unit)} {format_interval(row, check.fmt)}, "
                     f"{row['replicates']} run{'s' if row['replicates'] != 1 else ''}. "
                     f"<strong>Published:</strong> {html.escape(row['published'])}. "
                     f"<strong>Rule:</strong> {html.escape(row['rule'])}.</p>")
        note = f"<p class='small'>{html.escape(row['note'])}</p>" if row["note"] else ""
        parts.append(f'<div class="check" id="{html.escape(row["id"])}"><h3>{html.escape(row["id"])}: '
                     f"{html.escape(row['title'])}<span class='badge {status}'>{html.escape(row['status'])}"
                     f"</span></h3><p>{html.escape(check.about)}</p>{value}{note}"
                     f"<p class='small grey'>Source: {html.escape(row['source'])}</p>"
                     f"{figures.take(check.figure) if row['status'] in ('pass', 'fail') else ''}</div>")
    parts.append("</section>")
    return "\n".join(parts)


def runs_section(manifest: Mapping[str, Any]) -> str:
    """The configurations that were run, their sizes and the time they took."""
    cpu = manifest["timings"].get("run_cpu_seconds", {})
    rows = []
    for name, entry in manifest["configurations"].items():
        if entry["kind"] == "city":
            size = (f"{entry['residents']:,} residents, {entry['blocks']} blocks, "
                    f"{entry['recorded_days'] / 365:g} years after {entry['warmup_days']} days' warm-up")
        else:
            size = f"{entry['lattice']} lattice, {entry['steps']:,} steps"
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(entry['description'])}</td>"
                    f"<td>{html.escape(size)}</td><td class='num'>{entry['replicates']}</td>"
                    f"<td class='num'>{cpu.get(name, float('nan')):,.0f}</td></tr>")
    return ("<section><h2>Runs</h2><p>Replicate r of every configuration ran with the seed "
            f"{html.escape(manifest['seeds']['rule'])}, root seed {manifest['seeds']['root_seed']}.</p>"
            '<table class="validation"><tr><th>configuration</th><th>what</th><th>size</th>'
            "<th>replicates</th><th>seconds (all replicates)</th></tr>" + "".join(rows) + "</table></section>")


def provenance_section(manifest: Mapping[str, Any]) -> str:
    packages = ", ".join(f"{name} {version}" for name, version in manifest.get("packages", {}).items() if version)
    return (f"<section><h2>Provenance</h2><p class='small'>Created {html.escape(str(manifest.get('created')))}, "
            f"git commit {html.escape(str(manifest.get('git_commit')))}, Python "
            f"{html.escape(str(manifest.get('python')))}; {html.escape(packages)}. The options, seeds "
            "and timings are in manifest.json beside this page; the table in validation.parquet and "
            "validation.csv.</p></section>")


def format_value(value: float, fmt: str) -> str:
    return "–" if pd.isna(value) else html.escape(format(value, fmt))


def format_interval(row: Mapping[str, Any], fmt: str) -> str:
    if pd.isna(row["low"]) or pd.isna(row["high"]):
        return ""
    if row["interval"] == "exact (no randomness)":
        return "(exact)"
    if row["interval"].startswith("largest"):
        return f"(runs: {format_value(row['low'], fmt)} to {format_value(row['high'], fmt)})"
    return f"({format_value(row['low'], fmt)} to {format_value(row['high'], fmt)})"


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


class Figures:
    """Draws each figure once, when the first check that names it is written."""

    def __init__(self, runs: RunSet, table: pd.DataFrame) -> None:
        self.runs, self.table, self.done = runs, table, set()
        self.draw: dict[str, Callable[[], tuple[Figure | None, str]]] = {
            "concentration": self.concentration, "knox": self.knox, "age": self.age,
            "recidivism": self.recidivism, "policies": self.policies, "short2008": self.short_maps,
            "short2008-dispersion": self.dispersion,
        }

    def take(self, name: str | None) -> str:
        if name is None or name in self.done:
            return ""
        self.done.add(name)
        try:
            figure, caption = self.draw[name]()
        except (KeyError, IndexError, ValueError):  # the runs it needs were not made
            return ""
        if figure is None:
            return ""
        return (f'<figure><img src="{png_data_uri(figure)}" alt="{html.escape(caption)}">'
                f"<figcaption class='small'>{html.escape(caption)}</figcaption></figure>")

    def concentration(self) -> tuple[Figure | None, str]:
        observations = city(self.runs, "baseline")
        curves = []
        for o in observations:
            if o.street_days is None:
                continue
            for crimes in measures.annual_maps(o.street_days, o.street_blocks, o.crime_map.size, o.days):
                curves.append(measures.concentration_curve(crimes, 401)[1])
        if not curves:
            return None, ""
        blocks = np.linspace(0, 1, 401)
        figure, axis = plt.subplots(figsize=(7, 4.2), constrained_layout=True)
        axis.fill_between(blocks[1:], np.min(curves, axis=0)[1:], np.max(curves, axis=0)[1:],
                          color="#4e79a7", alpha=0.25, linewidth=0, label="model: range over run-years")
        axis.plot(blocks[1:], np.mean(curves, axis=0)[1:], color="#4e79a7", label="model: mean")
        axis.plot([0.021, 0.060], [0.5, 0.5], color="#e15759", linewidth=5, alpha=0.8,
                  label="published: 50% at 2.1-6.0% (Weisburd 2015)")
        axis.plot([0.004, 0.016], [0.25, 0.25], color="#f28e2b", linewidth=5, alpha=0.8,
                  label="published: 25% at 0.4-1.6%")
        axis.set(xscale="log", xlim=(1e-3, 1), ylim=(0, 1), xlabel="share of blocks (most crime first)",
                 ylabel="share of the year's street crime")
        # Plain percentages on the log axis (the default labels need mathtext fonts).
        axis.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.1%}".replace(".0%", "%")))
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.legend(fontsize=8, loc="lower right")
        return figure, "S1: the share of a year's street crime held by the blocks with most crime."

    def knox(self) -> tuple[Figure | None, str]:
        tables = [knox(o) for o in city(self.runs, "baseline") if o.street_days is not None]
        if not tables:
            return None, ""
        distances = [(0, 1), (2, 2), (3, 4), (5, 7), (8, 10)]
        lags = [(1, 7), (8, 14), (15, 30), (31, 60), (61, 90), (91, 120)]
        ratios = np.array([[np.mean([measures.knox_ratio(o, e, d, k) for o, e in tables]) for k in lags]
                           for d in distances])
        figure, axis = plt.subplots(figsize=(7, 3.8), constrained_layout=True)
        limit = max(abs(np.nanmax(ratios) - 1), abs(1 - np.nanmin(ratios)), 0.01)
        image = axis.imshow(ratios, cmap="RdBu_r", vmin=1 - limit, vmax=1 + limit)
        for i in range(len(distances)):
            for j in range(len(lags)):
                axis.text(j, i, f"{ratios[i, j]:.2f}", ha="center", va="center", fontsize=8)
        axis.set_xticks(range(len(lags)), [f"{a}-{b}" for a, b in lags])
        axis.set_yticks(range(len(distances)), [f"{a}-{b}" if a != b else f"{a}" for a, b in distances])
        axis.set(xlabel="days between the two crimes", ylabel="blocks apart (~100 m each)")
        figure.colorbar(image, ax=axis, label="Knox ratio (1: chance)")
        return figure, ("S3: Knox ratios of street crime pairs by distance and time (mean of runs); "
                        "above 1, more pairs than if place and time were independent.")

    def age(self) -> tuple[Figure | None, str]:
        observations = city(self.runs, "baseline")
        rates = np.array([o.age_profile["offence_rate"].to_numpy() for o in observations])
        bands = observations[0].age_profile["age_band"].tolist()
        shown = slice(1, 14)
        relative = rates[:, shown] / rates.max(axis=1, keepdims=True)
        figure, axis = plt.subplots(figsize=(7, 3.8), constrained_layout=True)
        positions = np.arange(len(bands))[shown]
        axis.axvspan(positions[2] - 0.5, positions[2] + 0.5, color="#e15759", alpha=0.15,
                     label="published peak: 15-19 (Farrington 1986)")
        axis.fill_between(positions, relative.min(axis=0), relative.max(axis=0), color="#4e79a7",
                          alpha=0.25, linewidth=0)
        axis.plot(positions, relative.mean(axis=0), "o-", color="#4e79a7",
                  label="model: offence rate / its peak (range over runs)")
        axis.set_xticks(positions, bands[shown], rotation=45, fontsize=8)
        axis.set(ylim=(0, 1.05), xlabel="age band", ylabel="relative rate")
        axis.legend(fontsize=8)
        return figure, "S4: the age-crime curve, street offences per person-year relative to the peak."

    def recidivism(self) -> tuple[Figure | None, str]:
        curves = []
        for o in city(self.runs, "baseline"):
            curve = o.recidivism[o.recidivism["cohort"] == "all"].set_index("years_after_release")
            curves.append(curve[["rearrest_share", "reimprisonment_share"]])
        years = np.arange(1, 6)
        figure, axis = plt.subplots(figsize=(7, 4), constrained_layout=True)
        for column, colour, label in (("rearrest_share", "#4e79a7", "model: re-arrest"),
                                      ("reimprisonment_share", "#9c755f", "model: back in prison")):
            values = np.array([[c.loc[y, column] if y in c.index else np.nan for y in years] for c in curves])
            axis.plot(years, np.nanmean(values, axis=0), "o-", color=colour, label=label)
        axis.plot([1, 3, 5], [0.44, 0.678, 0.766], "s--", color="#e15759", label="BJS 2005 cohort: re-arrest")
        axis.plot([3, 5], [0.62, 0.71], "^--", color="#f28e2b", label="BJS 2012 cohort: re-arrest")
        axis.plot([1, 2, 3], [0.127, 0.234, 0.296], "d:", color="#59a14f",
                  label="North Carolina (recid): back in prison")
        axis.set(xticks=years, ylim=(0, 1), xlabel="years after release", ylabel="share of releases")
        axis.legend(fontsize=8)
        return figure, "S6: recidivism curves of the model against the published ones."

    def policies(self) -> tuple[Figure | None, str]:
        ids = [i for i in ("S7", "S8", "S12-punishment", "S12-leniency", "S13-arrests")
               if i in set(self.table["id"])]
        rows = self.table.set_index("id").loc[ids]
        rows = rows[rows["value"].notna()]
        if rows.empty:
            return None, ""
        figure, axis = plt.subplots(figsize=(7.5, 0.55 * len(rows) + 1.4), constrained_layout=True)
        low = min(-5.0, float(np.nanmin(rows[["value", "low"]].to_numpy())) * 100 - 5)
        high = max(5.0, float(np.nanmax(rows[["value", "high"]].to_numpy())) * 100 + 5)
        for position, (name, row) in enumerate(rows.iterrows()):
            rule = BY_ID[name].rule
            accepted = {InRange: lambda r: (r.lower * 100, r.upper * 100), Above: lambda r: (r.threshold * 100, high),
                        Below: lambda r: (low, r.threshold * 100)}.get(type(rule))
            if accepted is not None:
                start, end = accepted(rule)
                axis.fill_betweenx([position - 0.3, position + 0.3], start, end, color="#59a14f", alpha=0.12,
                                   linewidth=0, label="accepted by the rule" if position == 0 else None)
            colour = "#59a14f" if row["status"] == "pass" else "#e15759"
            error = None if pd.isna(row["low"]) else [[row["value"] - row["low"]], [row["high"] - row["value"]]]
            axis.errorbar(row["value"] * 100, position, xerr=None if error is None else np.array(error) * 100,
                          fmt="o", color=colour, capsize=3)
        axis.axvline(0, color="#999999", linewidth=0.8)
        axis.set_xlim(low, high)
        axis.set_yticks(range(len(rows)), list(rows.index), fontsize=9)
        axis.invert_yaxis()
        axis.legend(fontsize=8, loc="lower right")
        axis.set_xlabel("relative difference, % (mean and 95% interval)")
        return figure, ("S7, S8, S12, S13: policy contrasts on common random numbers, mean and 95% "
                        "interval (green: the check passes; shaded: what the rule accepts).")

    def short_maps(self) -> tuple[Figure | None, str]:
        keys = [key for key in PUBLISHED_SETS if f"short2008-{key}" in self.runs.observations]
        if not keys:
            return None, ""
        figure, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 3.6), squeeze=False,
                                    constrained_layout=True)
        for axis, key in zip(axes[0], keys):
            result = short(self.runs, f"short2008-{key}")[0].result
            axis.imshow(result.half_maps[1], cmap="inferno", interpolation="nearest")
            axis.set(xticks=[], yticks=[])
            axis.set_title(f"set {key}: published {SHORT_REGIMES[key]}\nfirst run: "
                           f"{measures.short_regime(result)}", fontsize=8)
        return figure, ("Short et al. (2008): mean attractiveness over the last quarter of the first "
                        "run of each set.")

    def dispersion(self) -> tuple[Figure | None, str]:
        keys = [key for key in PUBLISHED_SETS if f"short2008-{key}" in self.runs.observations]
        if not keys:
            return None, ""
        figure, axis = plt.subplots(figsize=(7, 3.8), constrained_layout=True)
        wavelengths = np.linspace(5, 120, 400)
        colours = dict(zip(PUBLISHED_SETS, ("#4e79a7", "#f28e2b", "#e15759", "#59a14f")))
        styles = dict(zip(PUBLISHED_SETS, ("-", ":", "-", ":")))
        largest = 0.0
        for key in keys:
            results = [o.result for o in short(self.runs, f"short2008-{key}")]
            rates = measures.continuum_growth_rate(results[0].params, 2 * np.pi / wavelengths)
            largest = max(largest, float(rates.max()))
            axis.plot(wavelengths, rates, styles[key], color=colours[key], label=f"set {key}: continuum growth rate")
            predicted = measures.continuum_wavelength(results[0].params)
            if not np.isnan(predicted):
                measured = np.mean([measures.dominant_wavelength(list(r.half_maps)) for r in results])
                axis.axvline(measured, color=colours[key], linestyle="--",
                             label=f"set {key}: measured {measured:.0f}, predicted {predicted:.0f} sites")
        axis.axhline(0, color="#999999", linewidth=0.8)
        scale = largest if largest > 0 else 0.02
        axis.set(xlabel="wavelength (sites)", ylabel="growth rate sigma (per unit time)",
                 ylim=(-3 * scale, 1.5 * scale))
        axis.legend(fontsize=8)
        return figure, ("Linear stability of the continuum limit: modes with a positive growth rate "
                        "form hotspots; dashed, the dominant wavelength of the simulated patterns.")


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<h1>{title}</h1>
<p class="small grey">The crimesim validation report. Everything is in this one file: it opens
offline. The numbers are in validation.parquet and validation.csv beside it.</p>
{body}
</body>
</html>
"""
