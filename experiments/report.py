"""The comparison report: one self-contained HTML page for a policy designer, and tidy tables.

`write_report` reads an experiment's results store, computes the comparison of
`experiments.compare` (headline indicators, paired differences from a reference scenario,
P(scenario beats reference), monthly bands, per-neighbourhood differences, failed runs) and
writes:

    <out>/report.html                    the report: inline CSS, figures as base64 PNG; it loads
                                         nothing, so it opens offline and can be mailed as is
    <out>/tables/<name>.parquet, .csv    headline, differences, costs_and_benefits,
                                         monthly_bands, neighbourhood_differences, failures

Which indicators appear is decided by `experiments.compare.INDICATORS` and the columns the
model produced: a new indicator needs a row there and nothing here.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from experiments.compare import (  # noqa: E402
    Indicator,
    available_indicators,
    costs_and_benefits,
    differences,
    failures,
    headline,
    monthly_bands,
    neighbourhood_differences,
    ok_runs,
)
from experiments.provenance import write_atomic  # noqa: E402
from experiments.store import ResultsStore, write_tables  # noqa: E402
from simulation.city import City, build_city  # noqa: E402
from simulation.params import Parameters  # noqa: E402

REFERENCE_COLOUR = "#555555"
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
           "#ff9da7", "#9c755f", "#bab0ac")
"""Scenario colours (the reference is grey)."""
MAP_COLOURS = "RdBu_r"
"""Diverging colormap for differences: blue fewer victimisations, red more, white no change."""
MAPS_PER_ROW = 3
EQUITY_GROUPS = ("equity", "human rights")


class MapUnavailable(Exception):
    """The city's geography cannot be rebuilt from the experiment's configuration."""


def write_report(store: ResultsStore, scenarios: list[str], reference: str, out: Path,
                 descriptions: dict[str, str] | None = None) -> Path:
    """Write the comparison report and its tables.

    Args:
        store: the experiment's results store.
        scenarios: the scenarios to report, in the order to show them (the reference is added
            first if missing).
        reference: the scenario the others are compared with (e.g. "baseline").
        out: the folder to write ``report.html`` and ``tables/`` into (created if needed).
        descriptions: a plain-words description of each scenario, shown beside its name.

    Returns:
        The path of ``report.html``.

    Raises:
        ValueError: the store holds no run yet.
    """
    summary = store.table("summary")
    if summary.empty:
        raise ValueError(f"{store.root} holds no finished run yet; run the experiment first")
    scenarios = list(scenarios) if reference in scenarios else [reference, *scenarios]
    finished = set(ok_runs(summary)["run_id"])
    monthly = _rows_of_runs(store.table("monthly"), finished)
    neighbourhoods = _rows_of_runs(store.table("neighbourhoods"), finished)
    tables = comparison_tables(summary, monthly, neighbourhoods, scenarios, reference)
    out = Path(out)
    write_tables(tables, out / "tables")
    page = render_report(store, summary, tables, scenarios, reference, descriptions or {},
                         blocks_by_neighbourhood(neighbourhoods, reference))
    path = out / "report.html"
    write_atomic(path, lambda temporary: temporary.write_text(page, encoding="utf-8"))
    return path


def comparison_tables(summary: pd.DataFrame, monthly: pd.DataFrame,
                      neighbourhoods: pd.DataFrame, scenarios: Sequence[str],
                      reference: str) -> dict[str, pd.DataFrame]:
    """The tidy tables of the comparison, by name, from the store's tables."""
    return {
        "headline": headline(summary, scenarios),
        "differences": differences(summary, scenarios, reference),
        "costs_and_benefits": costs_and_benefits(summary, scenarios, reference),
        "monthly_bands": monthly_bands(monthly, scenarios),
        "neighbourhood_differences": neighbourhood_differences(neighbourhoods, summary,
                                                               scenarios, reference),
        "failures": failures(summary),
    }


def render_report(store: ResultsStore, summary: pd.DataFrame, tables: dict[str, pd.DataFrame],
                  scenarios: Sequence[str], reference: str, descriptions: Mapping[str, str],
                  blocks: pd.Series | None = None) -> str:
    """The report's HTML page (``blocks``: blocks per neighbourhood in the reference runs, to
    check the map's city against)."""
    manifest = store.manifest()
    configuration = manifest.get("configuration") or {}
    colours = scenario_colours(scenarios, reference)
    indicators = available_indicators(summary)
    sections = [
        overview_section(configuration, summary, scenarios, reference, descriptions),
        HOW_TO_READ.format(reference=html.escape(reference)),
        headline_section(tables["headline"], indicators, scenarios, reference),
        differences_section(tables["differences"], indicators, colours, reference),
        money_section(tables["costs_and_benefits"], configuration, reference),
        equity_section(tables, indicators, summary, configuration, scenarios, reference,
                       blocks),
        time_series_section(tables["monthly_bands"], colours),
        failures_section(tables["failures"]),
        provenance_section(manifest, store.root),
    ]
    title = f"crimesim: {', '.join(s for s in scenarios if s != reference) or reference}"
    if len(scenarios) > 1:
        title += f" compared with {reference}"
    return PAGE.format(title=html.escape(title), css=CSS, body="\n".join(sections))


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


HOW_TO_READ = """<section><h2>How to read this report</h2>
<p>Each scenario was simulated several times (<em>replicates</em>). Replicate 1 of every scenario
used the same random seed as replicate 1 of the others, and so on: the same city, the same
residents and the same chance events (<em>common random numbers</em>). So the difference between
two scenarios within one replicate is the effect of the policy, not of luck, and scenarios are
compared <em>pair by pair</em>.</p>
<p>Numbers are means over replicates. The <strong>95% interval</strong> is the range in which the
mean would lie with 95% confidence if the experiment were repeated with new seeds (Student t over
replicates); more replicates narrow it. The <em>single runs</em> range (2.5 to 97.5 percentiles)
shows how much one simulated city varies. A difference whose interval does not include zero is
unlikely to be noise. <strong>P(A beats {reference})</strong> is the share of paired replicates in
which scenario A did better than {reference} on that indicator (ties count one half): 50% means no
consistent difference, 100% that A did better with every seed; it is not shown where "better" is a
matter of judgement. These are results of a model, valid as far as its assumptions: read them as a
comparison of strategies, not as a forecast.</p></section>"""


def overview_section(configuration: Mapping[str, Any], summary: pd.DataFrame,
                     scenarios: Sequence[str], reference: str,
                     descriptions: Mapping[str, str]) -> str:
    """What was compared: scenarios with their descriptions, replicates, years, residents."""
    items = []
    for scenario in scenarios:
        role = " (reference)" if scenario == reference else ""
        description = descriptions.get(scenario, "")
        items.append(f"<li><strong>{html.escape(scenario)}</strong>{role}"
                     + (f": {html.escape(description)}" if description else "") + "</li>")
    facts = experiment_facts(configuration, summary)
    rows = "".join(f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
                   for name, value in facts.items())
    status = summary[summary["point"].isin(scenarios)]["status"]
    failed = int((status != "ok").sum())
    note = (f'<p class="warning">{failed} of {len(status)} runs failed and are left out of every '
            'number below; see <a href="#failures">Failed runs</a>.</p>' if failed else "")
    return (f"<section><h2>What was compared</h2><ul>{''.join(items)}</ul>"
            f'<table class="facts">{rows}</table>{note}</section>')


def experiment_facts(configuration: Mapping[str, Any], summary: pd.DataFrame) -> dict[str, str]:
    """Replicates, years, residents, root seed and executor, from the configuration or, where it
    does not say, from the runs themselves."""
    finished = ok_runs(summary)
    replicates = configuration.get("replicates")
    if replicates is None and not summary.empty:
        replicates = summary["replicate"].nunique()
    years = configuration.get("years")
    if years is None and "days" in finished and not finished.empty:
        years = round(float(finished["days"].mean()) / 365, 2)
    residents = configuration.get("residents")
    if residents is None and "residents" in finished and not finished.empty:
        residents = int(finished["residents"].median())
    return {
        "replicates per scenario": _plain(replicates),
        "years simulated (after warm-up)": _plain(years),
        "residents": _plain(residents),
        "root seed": _plain(configuration.get("root_seed")),
        "executor": _plain(configuration.get("executor")),
        "runs finished": f"{len(finished)} of {len(summary)}",
    }


def headline_section(table: pd.DataFrame, indicators: Sequence[Indicator],
                     scenarios: Sequence[str], reference: str) -> str:
    """Each scenario's mean, 95% interval of the mean and single-run range, by indicator."""
    cells = table.set_index(["indicator", "scenario"])
    runs = table.groupby("scenario")["n"].max()
    header = "".join(
        f"<th>{html.escape(scenario)}{' (reference)' if scenario == reference else ''}"
        f'<br><span class="small">{int(runs.get(scenario, 0))} runs</span></th>'
        for scenario in scenarios)
    rows = []
    for group, members in _by_group(indicators):
        rows.append(_group_row(group, len(scenarios) + 1))
        for indicator in members:
            row = "".join(_headline_cell(cells, indicator, scenario) for scenario in scenarios)
            rows.append(f"<tr><th>{html.escape(indicator.label)}</th>{row}</tr>")
    return ("<section><h2>Headline results</h2>"
            "<p>Mean over replicates; below it the 95% interval of the mean and, in grey, the "
            "range of single runs.</p>"
            f'<table class="results"><tr><th>Indicator</th>{header}</tr>{"".join(rows)}</table>'
            "</section>")


def differences_section(table: pd.DataFrame, indicators: Sequence[Indicator],
                        colours: Mapping[str, str], reference: str) -> str:
    """Each scenario's paired difference from the reference, its interval and P(beats)."""
    if table.empty:
        return ("<section><h2>Differences from the reference</h2><p>Only the reference "
                f"scenario, {html.escape(reference)}, was run: there is nothing to compare.</p>"
                "</section>")
    parts = ["<section><h2>Differences from the reference</h2>",
             f"<p>Scenario minus {html.escape(reference)}, replicate by replicate. Rows in green "
             "are clearly better (the 95% interval of the difference excludes zero on the "
             "better side), rows in red clearly worse.</p>"]
    for scenario, rows in table.groupby("scenario", sort=False):
        parts.append(f"<h3>{html.escape(str(scenario))} vs {html.escape(reference)}</h3>")
        if rows["n_pairs"].max() == 0:
            parts.append(f"<p>No replicate finished in both {html.escape(str(scenario))} and "
                         f"{html.escape(reference)}: nothing to compare.</p>")
            continue
        parts.append(_in_brief(rows, indicators))
        parts.append(_differences_table(rows, indicators, str(scenario), reference))
    figure = differences_figure(table[table["n_pairs"] > 0], indicators, colours)
    if figure is not None:
        parts.append(_image(figure, f"Differences from {reference} with 95% intervals"))
    parts.append("</section>")
    return "\n".join(parts)


def money_section(table: pd.DataFrame, configuration: Mapping[str, Any], reference: str) -> str:
    """Costs and benefits in money: the planned budgets, and per scenario against the reference
    the extra spending, crimes averted, cost per crime averted, net benefit and P(benefits
    exceed costs)."""
    parts = ["<section><h2>Costs and benefits</h2>"]
    planned = configuration.get("planned_budget_per_resident") or {}
    if planned:
        matched = (f" Every scenario's capacity was rescaled to {html.escape(reference)}'s "
                   "planned budget (--equal-budget)." if configuration.get("equal_budget") else "")
        items = "".join(f"<li>{html.escape(name)}: USD {value:,.2f}</li>"
                        for name, value in planned.items())
        parts.append(f"<p>Planned budget per resident a year (capacity as budgeted, prisons "
                     f"full):{matched}</p><ul>{items}</ul>")
    if table.empty:
        parts.append("<p>No pair of runs to compare.</p></section>")
        return "\n".join(parts)
    parts.append(
        f"<p>Against {html.escape(reference)}, replicate by replicate. Spending is what the "
        "runs spent (prisoners and alternatives paid as they occurred). The cost of crime "
        "prices each offence by the harm to its victims and society (params.costs.crime; UK "
        "Home Office 2018 figures scaled to Latin American incomes). <strong>Net benefit</strong>"
        " = the cost of crime averted minus the extra spending; <strong>P(benefits exceed "
        "costs)</strong> is the share of paired replicates with a positive net benefit.</p>")
    header = ("<tr><th>Scenario</th><th>Extra spending per resident (USD a year)</th>"
              "<th>Crimes averted per 100,000 a year</th><th>Homicides averted per 100,000</th>"
              "<th>Cost per crime averted (USD)</th><th>Net benefit per resident (USD a year)</th>"
              "<th>P(benefits exceed costs)</th></tr>")
    rows = []
    for _, row in table.iterrows():
        per_crime = row["cost_per_crime_averted"]
        if np.isnan(per_crime):
            per_crime_text = "no crime averted"
        elif per_crime < 0:
            per_crime_text = f"saves USD {-per_crime:,.0f} per crime averted"
        else:
            per_crime_text = f"{per_crime:,.0f}"
        rows.append(
            f"<tr><th>{html.escape(str(row['scenario']))}</th>"
            f"{_money_cell(row, 'extra_spending_per_resident', 'extra_spending', ',.2f')}"
            f"{_money_cell(row, 'crimes_averted_per_100k', 'crimes_averted', ',.0f')}"
            f"<td>{format_difference(row['homicides_averted_per_100k'], ',.1f')}</td>"
            f"<td>{per_crime_text}</td>"
            f"{_money_cell(row, 'net_benefit_per_resident', 'net_benefit', ',.0f')}"
            f"<td>{format_probability(row['p_benefits_exceed_costs'])}</td></tr>")
    parts.append(f'<table class="results">{header}{"".join(rows)}</table></section>')
    return "\n".join(parts)


def _money_cell(row: Mapping[str, Any] | pd.Series, column: str, interval: str, spec: str) -> str:
    """A cell with a signed paired mean and, smaller, its 95% interval."""
    low, high = row[f"{interval}_ci_low"], row[f"{interval}_ci_high"]
    return (f'<td>{format_difference(row[column], spec)} '
            f'<span class="small">{format_interval(low, high, spec, signed=True)}</span></td>')


def equity_section(tables: Mapping[str, pd.DataFrame], indicators: Sequence[Indicator],
                   summary: pd.DataFrame, configuration: Mapping[str, Any],
                   scenarios: Sequence[str], reference: str,
                   blocks: pd.Series | None = None) -> str:
    """Equity and human rights: their indicators and the map."""
    chosen = [indicator for indicator in indicators if indicator.group in EQUITY_GROUPS]
    parts = ["<section><h2>Equity and human rights</h2>"]
    if chosen:
        parts.append(_equity_table(tables["headline"], tables["differences"], chosen, scenarios,
                                   reference))
    parts.append(map_section(tables["neighbourhood_differences"], configuration, scenarios,
                             reference, blocks))
    parts.append("</section>")
    return "\n".join(parts)


def map_section(table: pd.DataFrame, configuration: Mapping[str, Any],
                scenarios: Sequence[str], reference: str, blocks: pd.Series | None = None) -> str:
    """The per-neighbourhood map of the difference in victimisation rate, or why it is missing.

    ``blocks`` (blocks per neighbourhood in the reference runs) checks that the rebuilt city is
    the one the runs had.
    """
    heading = "<h3>Where victimisation changed, neighbourhood by neighbourhood</h3>"
    rates = table[table["measure"] == "victimisation_rate"] if not table.empty else table
    if rates.empty:
        return f"{heading}<p>No neighbourhood differences to map (only the reference ran, or " \
               "no pair of runs finished).</p>"
    try:
        city = reference_city(configuration, reference, blocks)
    except MapUnavailable as reason:
        return f"{heading}<p>The map cannot be drawn: {html.escape(str(reason))}</p>" \
               + _neighbourhood_details(rates)
    compared = [scenario for scenario in scenarios if scenario in set(rates["scenario"])]
    figure = neighbourhood_map_figure(city, rates, compared, reference)
    return (f"{heading}<p>Each block is coloured by its neighbourhood's mean change in "
            f"victimisations per 1,000 residents a year, scenario minus {html.escape(reference)} "
            "(blue: fewer victimisations, red: more). Numbers mark the neighbourhoods.</p>"
            + _image(figure, "Map of the difference in victimisation rate by neighbourhood")
            + _neighbourhood_details(rates))


def time_series_section(bands: pd.DataFrame, colours: Mapping[str, str]) -> str:
    """Monthly series with their bands, one panel per series."""
    if bands.empty:
        return "<section><h2>Over time</h2><p>No monthly data (no run finished).</p></section>"
    figure = monthly_figure(bands, colours)
    return ("<section><h2>Over time</h2><p>Monthly totals: the line is the mean over "
            "replicates, the shaded band the range of single runs (2.5 to 97.5 percentiles).</p>"
            + _image(figure, "Monthly series by scenario") + "</section>")


def failures_section(table: pd.DataFrame) -> str:
    """The failed runs, if any, with their error."""
    if table.empty:
        return ""
    rows = "".join(
        f"<tr><td>{row.run_id}</td><td>{html.escape(str(row.scenario))}</td>"
        f"<td>{row.replicate + 1}</td><td><pre>{html.escape(str(row.error))}</pre></td></tr>"
        for row in table.itertuples())
    return ('<section id="failures"><h2>Failed runs</h2><p>These runs stopped with an error and '
            "are left out of the comparison (their pairs in other scenarios too).</p>"
            "<table><tr><th>run</th><th>scenario</th><th>replicate</th><th>error</th></tr>"
            f"{rows}</table></section>")


def provenance_section(manifest: Mapping[str, Any], root: Path) -> str:
    """Where the results come from: commit, packages, command line, creation time."""
    command = manifest.get("command_line")
    if isinstance(command, list):
        command = " ".join(str(part) for part in command)
    facts = {
        "results store": str(root),
        "created": manifest.get("created"),
        "git commit": manifest.get("git_commit"),
        "command line": command,
        "python": manifest.get("python"),
        "platform": manifest.get("platform"),
        "design fingerprint": manifest.get("design_fingerprint"),
    }
    packages = manifest.get("packages") or {}
    facts.update({f"package {name}": version for name, version in packages.items()})
    rows = "".join(f"<tr><th>{html.escape(name)}</th><td><code>{html.escape(_plain(value))}"
                   "</code></td></tr>" for name, value in facts.items())
    return f'<section><h2>Provenance</h2><table class="facts">{rows}</table></section>'


# --------------------------------------------------------------------------------------------
# Tables and cells
# --------------------------------------------------------------------------------------------


def _headline_cell(cells: pd.DataFrame, indicator: Indicator, scenario: str) -> str:
    if (indicator.column, scenario) not in cells.index:
        return "<td>–</td>"
    row = cells.loc[(indicator.column, scenario)]
    spec = indicator.format
    return (f"<td><strong>{format_value(row['mean'], spec)}</strong><br>"
            f'<span class="small">{format_interval(row["ci_low"], row["ci_high"], spec)}</span>'
            f'<br><span class="small grey">runs: '
            f'{format_interval(row["p2_5"], row["p97_5"], spec)}</span></td>')


def _estimate_cell(row: Mapping[str, Any] | pd.Series, value: str, spec: str,
                   signed: bool = False) -> str:
    """A table cell: ``row[value]`` and, smaller, its interval ``row["ci_low"]``-``["ci_high"]``."""
    show = format_difference if signed else format_value
    interval = format_interval(row["ci_low"], row["ci_high"], spec, signed)
    return f'<td>{show(row[value], spec)} <span class="small">{interval}</span></td>'


def _group_row(group: str, columns: int) -> str:
    return f'<tr class="group"><td colspan="{columns}">{html.escape(group.capitalize())}</td></tr>'


def _differences_table(rows: pd.DataFrame, indicators: Sequence[Indicator], scenario: str,
                       reference: str) -> str:
    by_indicator = rows.set_index("indicator")
    body = []
    for group, members in _by_group(indicators):
        body.append(_group_row(group, 6))
        for indicator in members:
            if indicator.column not in by_indicator.index:
                continue
            row = by_indicator.loc[indicator.column]
            spec = indicator.format
            body.append(
                f'<tr class="{verdict(row, indicator)}"><th>{html.escape(indicator.label)}</th>'
                f"<td>{format_value(row['reference_mean'], spec)}</td>"
                f"<td>{format_value(row['scenario_mean'], spec)}</td>"
                f"{_estimate_cell(row, 'mean_difference', spec, signed=True)}"
                f"<td>{format_relative(row['relative_difference'])}</td>"
                f"<td>{format_probability(row['p_beats_reference'])}</td></tr>")
    pairs = int(rows["n_pairs"].max()) if not rows.empty else 0
    return ('<table class="results"><tr><th>Indicator</th>'
            f"<th>{html.escape(reference)}</th><th>{html.escape(scenario)}</th>"
            "<th>Difference (95% interval)</th><th>Relative</th>"
            f"<th>P({html.escape(scenario)} beats {html.escape(reference)})</th></tr>"
            f'{"".join(body)}</table><p class="small">{pairs} paired replicates.</p>')


def _in_brief(rows: pd.DataFrame, indicators: Sequence[Indicator]) -> str:
    """One line naming the indicators clearly better and clearly worse than the reference."""
    by_column = {indicator.column: indicator for indicator in indicators}
    verdicts: dict[str, list[str]] = {"better": [], "worse": []}
    for row in rows.to_dict("records"):
        indicator = by_column.get(row["indicator"])
        judged = verdict(row, indicator) if indicator else ""
        if judged:
            name = indicator.label.split(" (")[0].lower()
            verdicts[judged].append(f"{name} ({format_relative(row['relative_difference'])})")
    better = "; ".join(verdicts["better"]) or "none"
    worse = "; ".join(verdicts["worse"]) or "none"
    return (f'<p class="brief"><strong>Clearly better:</strong> {html.escape(better)}.<br>'
            f"<strong>Clearly worse:</strong> {html.escape(worse)}.</p>")


def _equity_table(headline_table: pd.DataFrame, differences_table: pd.DataFrame,
                  chosen: Sequence[Indicator], scenarios: Sequence[str], reference: str) -> str:
    """Rows of indicator x scenario: mean, difference from the reference, P(beats)."""
    means = headline_table.set_index(["indicator", "scenario"])
    changes = differences_table.set_index(["indicator", "scenario"])
    body = []
    for indicator in chosen:
        spec = indicator.format
        for position, scenario in enumerate(scenarios):
            key = (indicator.column, scenario)
            cells = _estimate_cell(means.loc[key], "mean", spec)
            row_class = ""
            if scenario == reference:
                cells += "<td>reference</td><td></td>"
            elif key in changes.index:
                change = changes.loc[key]
                cells += (_estimate_cell(change, "mean_difference", spec, signed=True)
                          + f"<td>{format_probability(change['p_beats_reference'])}</td>")
                row_class = verdict(change, indicator)
            else:
                cells += "<td></td><td></td>"
            label = html.escape(indicator.label) if position == 0 else ""
            body.append(f'<tr class="{row_class}"><th>{label}</th>'
                        f"<td>{html.escape(scenario)}</td>{cells}</tr>")
    return ('<table class="results"><tr><th>Indicator</th><th>Scenario</th>'
            "<th>Mean (95% interval)</th>"
            f"<th>Difference from {html.escape(reference)}</th><th>P(beats)</th></tr>"
            f'{"".join(body)}</table>')


def _neighbourhood_details(rates: pd.DataFrame) -> str:
    """A collapsible table of the per-neighbourhood differences in victimisation rate."""
    rows = "".join(
        f"<tr><td>{row['neighbourhood']}</td><td>{html.escape(str(row['scenario']))}</td>"
        f"<td>{row['ses']:.2f}</td><td>{format_value(row['reference_mean'], ',.1f')}</td>"
        f"{_estimate_cell(row, 'mean_difference', ',.1f', signed=True)}</tr>"
        for row in rates.sort_values("neighbourhood", kind="stable").to_dict("records"))
    return ("<details><summary>Victimisation rate by neighbourhood (table)</summary>"
            "<table><tr><th>neighbourhood</th><th>scenario</th><th>SES (0 poorest, 1 richest)"
            "</th><th>reference: victimisations per 1,000 a year</th>"
            f"<th>difference (95% interval)</th></tr>{rows}</table></details>")


def verdict(row: Mapping[str, Any] | pd.Series, indicator: Indicator) -> str:
    """"better" or "worse" when the difference's 95% interval excludes zero, else ""."""
    low, high = row["ci_low"], row["ci_high"]
    if indicator.better is None or pd.isna(low) or pd.isna(high):
        return ""
    if low > 0 or high < 0:
        higher = low > 0
        return "better" if higher == (indicator.better == "higher") else "worse"
    return ""


def format_value(value: float, spec: str) -> str:
    """A value in its indicator's format; "–" when missing."""
    return "–" if pd.isna(value) else format(value, spec)


def format_difference(value: float, spec: str) -> str:
    """A signed difference; shares (``%`` formats) in percentage points."""
    if pd.isna(value):
        return "–"
    if spec.endswith("%"):
        return f"{value * 100:+{spec[:-1]}f} pp"
    return format(value, spec if spec.startswith("+") else "+" + spec)


def format_interval(low: float, high: float, spec: str, signed: bool = False) -> str:
    """"(low to high)", or "(no interval)" with fewer than two replicates."""
    if pd.isna(low) or pd.isna(high):
        return "(no interval)"
    show = format_difference if signed else format_value
    return f"({show(low, spec)} to {show(high, spec)})"


def format_relative(percent: float) -> str:
    return "–" if pd.isna(percent) else f"{percent:+.1f}%"


def format_probability(probability: float) -> str:
    return "–" if pd.isna(probability) else f"{probability:.0%}"


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def scenario_colours(scenarios: Sequence[str], reference: str) -> dict[str, str]:
    """A hex colour per scenario: grey for the reference, the palette for the others."""
    others = [scenario for scenario in scenarios if scenario != reference]
    colours = {scenario: PALETTE[index % len(PALETTE)] for index, scenario in enumerate(others)}
    return {reference: REFERENCE_COLOUR, **colours}


def differences_figure(table: pd.DataFrame, indicators: Sequence[Indicator],
                       colours: Mapping[str, str]) -> Figure | None:
    """One small panel per indicator: each scenario's mean difference with its 95% interval."""
    shown = [indicator for indicator in indicators if indicator.column in set(table["indicator"])]
    if not shown:
        return None
    scenarios = list(dict.fromkeys(table["scenario"]))
    columns = 2
    rows = -(-len(shown) // columns)
    figure, axes = plt.subplots(rows, columns, squeeze=False, constrained_layout=True,
                                figsize=(11, rows * (0.9 + 0.3 * len(scenarios))))
    for axis, indicator in zip(axes.flat, shown):
        part = table[table["indicator"] == indicator.column].set_index("scenario")
        scale = 100 if indicator.format.endswith("%") else 1
        for position, scenario in enumerate(scenarios):
            if scenario not in part.index:  # no pairs with a value for this indicator
                continue
            row = part.loc[scenario]
            error = np.array([[row["mean_difference"] - row["ci_low"]],
                              [row["ci_high"] - row["mean_difference"]]]) * scale
            axis.errorbar(row["mean_difference"] * scale, position,
                          xerr=None if np.isnan(error).any() else error,
                          fmt="o", color=colours.get(scenario, REFERENCE_COLOUR), capsize=3)
        axis.axvline(0, color="#999999", linewidth=0.8)
        axis.set_yticks(range(len(scenarios)), scenarios, fontsize=8)
        axis.set_ylim(-0.7, len(scenarios) - 0.3)
        axis.invert_yaxis()
        direction = f" ({indicator.better} is better)" if indicator.better else ""
        axis.set_title(_wrap(indicator.label + direction, 60), fontsize=8.5)
        axis.tick_params(axis="x", labelsize=8)
        if scale == 100:
            axis.set_xlabel("percentage points", fontsize=8)
    for axis in list(axes.flat)[len(shown):]:
        axis.set_visible(False)
    figure.suptitle("Difference from the reference (mean and 95% interval)", fontsize=11)
    return figure


def monthly_figure(bands: pd.DataFrame, colours: Mapping[str, str]) -> Figure:
    """One panel per series; per scenario a mean line and a shaded band of single runs."""
    series = list(dict.fromkeys(bands["series"]))
    columns = 2 if len(series) > 1 else 1
    rows = -(-len(series) // columns)
    figure, axes = plt.subplots(rows, columns, squeeze=False, constrained_layout=True,
                                figsize=(11, 3.0 * rows))
    for axis, name in zip(axes.flat, series):
        part = bands[bands["series"] == name]
        for scenario, lines in part.groupby("scenario", sort=False):
            colour = colours.get(str(scenario), REFERENCE_COLOUR)
            years = (lines["month"].to_numpy() + 0.5) / 12
            axis.fill_between(years, lines["p2_5"], lines["p97_5"], color=colour, alpha=0.18,
                              linewidth=0)
            axis.plot(years, lines["mean"], color=colour, label=str(scenario), linewidth=1.4)
        axis.set_title(part["label"].iloc[0], fontsize=10)
        axis.set_xlabel("years since the start of the run", fontsize=8)
        axis.tick_params(labelsize=8)
        axis.set_ylim(bottom=0)
        axis.legend(fontsize=8, frameon=False)
    for axis in list(axes.flat)[len(series):]:
        axis.set_visible(False)
    return figure


def reference_city(configuration: Mapping[str, Any], reference: str,
                   blocks: pd.Series | None = None) -> City:
    """The city of the reference scenario, rebuilt from its parameters' ``city.seed``.

    The parameters are ``configuration["parameters"][reference]`` (or
    ``configuration["parameters"]`` if it is one parameter tree); without them, the defaults.
    ``blocks``, the runs' blocks per neighbourhood (indexed by neighbourhood), if given, must
    match the rebuilt city's.

    Raises:
        MapUnavailable: the city differs between replicates (``city.seed`` unset), the stored
            parameters are invalid, or the rebuilt city does not match the runs' neighbourhoods.
    """
    params = scenario_parameters(configuration, reference)
    if params.city.seed is None:
        raise MapUnavailable("each replicate had its own city (city.seed is unset), so "
                             "neighbourhoods differ from one replicate to the next.")
    city = build_city(params.city, np.random.default_rng(params.city.seed))
    if blocks is not None and not blocks.empty:
        rebuilt = pd.Series(np.bincount(city.neighbourhood, minlength=city.neighbourhoods))
        if not rebuilt.equals(blocks.astype(rebuilt.dtype).reset_index(drop=True)):
            raise MapUnavailable(
                "the city rebuilt from the experiment's configuration does not match the runs' "
                f"neighbourhoods (the configuration holds no parameters for {reference!r}, or "
                "other ones).")
    return city


def blocks_by_neighbourhood(neighbourhoods: pd.DataFrame, scenario: str) -> pd.Series | None:
    """Blocks per neighbourhood in a scenario's runs (indexed by neighbourhood), if recorded."""
    if neighbourhoods.empty or "blocks" not in neighbourhoods:
        return None
    runs = neighbourhoods[neighbourhoods["point"] == scenario]
    return runs.groupby("neighbourhood")["blocks"].first()


def scenario_parameters(configuration: Mapping[str, Any], scenario: str) -> Parameters:
    """A scenario's resolved parameters from the experiment configuration (defaults if absent)."""
    stored = configuration.get("parameters")
    if isinstance(stored, Mapping) and isinstance(stored.get(scenario), Mapping):
        tree = stored[scenario]
    elif isinstance(stored, Mapping) and "city" in stored:
        tree = stored
    else:
        return Parameters()
    try:
        return Parameters.model_validate(tree)
    except ValueError as error:
        raise MapUnavailable(f"the stored parameters of {scenario!r} are not valid for this "
                             f"version of crimesim ({error.__class__.__name__}).") from error


def neighbourhood_map_figure(city: City, rates: pd.DataFrame, scenarios: Sequence[str],
                             reference: str) -> Figure:
    """One map per scenario: blocks coloured by their neighbourhood's mean difference."""
    grid = city.neighbourhood.reshape(city.grid_shape).astype(int)
    limit = float(np.nanmax(np.abs(rates["mean_difference"]))) if len(rates) else 0.0
    limit = limit if np.isfinite(limit) and limit > 0 else 1.0
    columns = min(len(scenarios), MAPS_PER_ROW)
    rows = -(-len(scenarios) // columns)
    figure, axes = plt.subplots(rows, columns, squeeze=False, constrained_layout=True,
                                figsize=(4.6 * columns + 1.2, 4.6 * rows))
    for axis in list(axes.flat)[len(scenarios):]:
        axis.set_visible(False)
    image = None
    for axis, scenario in zip(axes.flat, scenarios):
        part = rates[rates["scenario"] == scenario]
        change = np.full(city.neighbourhoods, np.nan)
        change[part["neighbourhood"].astype(int).to_numpy()] = part["mean_difference"].to_numpy()
        image = axis.imshow(change[grid], cmap=MAP_COLOURS, vmin=-limit, vmax=limit,
                            interpolation="nearest")
        axis.add_collection(LineCollection(border_segments(grid), colors="#333333",
                                           linewidths=0.7))
        if city.neighbourhoods <= 50:
            _label_neighbourhoods(axis, grid, city.neighbourhoods)
        axis.set(title=f"{scenario} minus {reference}", xticks=[], yticks=[])
    figure.colorbar(image, ax=axes.ravel().tolist(), shrink=0.85,
                    label="change in victimisations per 1,000 residents a year")
    return figure


def border_segments(grid: np.ndarray) -> np.ndarray:
    """The block edges between two neighbourhoods, as line segments in image coordinates
    (block (row, col) spans col +- 0.5, row +- 0.5); shape (edges, 2, 2)."""
    rows, cols = np.nonzero(grid[:, :-1] != grid[:, 1:])  # between (r, c) and (r, c + 1)
    vertical = np.stack([np.column_stack([cols + 0.5, rows - 0.5]),
                         np.column_stack([cols + 0.5, rows + 0.5])], axis=1)
    rows, cols = np.nonzero(grid[:-1, :] != grid[1:, :])  # between (r, c) and (r + 1, c)
    horizontal = np.stack([np.column_stack([cols - 0.5, rows + 0.5]),
                           np.column_stack([cols + 0.5, rows + 0.5])], axis=1)
    return np.concatenate([vertical, horizontal])


def _label_neighbourhoods(axis, grid: np.ndarray, count: int) -> None:
    rows, cols = np.indices(grid.shape)
    blocks = np.bincount(grid.ravel(), minlength=count)
    centre_row = np.bincount(grid.ravel(), weights=rows.ravel(), minlength=count)
    centre_col = np.bincount(grid.ravel(), weights=cols.ravel(), minlength=count)
    for neighbourhood in np.flatnonzero(blocks):
        axis.text(centre_col[neighbourhood] / blocks[neighbourhood],
                  centre_row[neighbourhood] / blocks[neighbourhood], str(neighbourhood),
                  ha="center", va="center", fontsize=8, color="#222222",
                  bbox={"facecolor": "#ffffff", "alpha": 0.7, "edgecolor": "none", "pad": 1})


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def png_data_uri(figure: Figure) -> str:
    """The figure as a base64 PNG data URI (and closes it)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _image(figure: Figure, alt: str) -> str:
    return f'<figure><img src="{png_data_uri(figure)}" alt="{html.escape(alt)}"></figure>'


def _rows_of_runs(table: pd.DataFrame, run_ids: set[int]) -> pd.DataFrame:
    """The rows of a per-run table that belong to the given runs."""
    return table[table["run_id"].isin(run_ids)] if not table.empty else table


def _by_group(indicators: Sequence[Indicator]) -> list[tuple[str, list[Indicator]]]:
    """Indicators grouped, groups in order of first appearance."""
    groups: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        groups.setdefault(indicator.group, []).append(indicator)
    return list(groups.items())


def _plain(value: Any) -> str:
    """A configuration value in words: thousands separated, "not recorded" when missing."""
    if value is None:
        return "not recorded"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.35em 0.6em; text-align: left; vertical-align: top; }
table.results td { text-align: right; white-space: nowrap; }
table.facts th { background: #f6f6f6; font-weight: 600; }
tr.group td { background: #eef2f7; font-weight: 600; text-align: left; }
tr.better td, tr.better th { background: #e5f4e3; }
tr.worse td, tr.worse th { background: #fbe4e4; }
.small { font-size: 0.85em; }
.grey { color: #777; }
.warning { background: #fff4d6; border-left: 4px solid #e0a800; padding: 0.5em 0.8em; }
.brief { background: #f6f6f6; padding: 0.5em 0.8em; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; }
pre { white-space: pre-wrap; margin: 0; font-size: 0.85em; }
details { margin: 0.8em 0; }
"""

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
<p class="small grey">A crimesim experiment report. Everything is in this one file: it opens
offline. The numbers are in <code>tables/</code> beside it (Parquet and CSV).</p>
{body}
</body>
</html>
"""
