"""Solara components shared by the app's pages: monitors, map, charts, levers, budget, Info.

Each takes a `LiveCity` (or plain values) and renders light HTML: the map is a PNG in a data
URL, charts are inline SVG (`simulation.appkit.charts`). Elements carry ``crimesim-*`` classes
and ``data-*`` attributes so the browser tests can count what rendered.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from importlib import resources

import solara

from simulation import governance
from simulation.appkit import charts, citymap, policy
from simulation.appkit.live import MAP_LAYERS, LiveCity
from simulation.params import CRIME_TYPES, Parameters

CRIME_COLOURS = dict(zip(CRIME_TYPES, charts.PALETTE))
PILLAR_COLOURS = dict(zip(governance.PILLARS, ("#8c564b", "#2ca02c", "#1f77b4", "#ff7f0e", "#7f7f7f")))
MONITORS: tuple[tuple[str, str, str], ...] = (
    ("true_crime_rate", "Crimes per 100,000 a year (true)", "{:,.0f}"),
    ("recorded_crime_rate", "Recorded by the police", "{:,.0f}"),
    ("homicide_rate", "Homicides per 100,000", "{:.1f}"),
    ("dark_figure", "Dark figure (never recorded)", "{:.0%}"),
    ("mean_trust", "Trust in the police", "{:.2f}"),
    ("mean_fear", "Fear of crime", "{:.2f}"),
    ("prisoners_per_100k", "Prisoners per 100,000", "{:,.0f}"),
    ("prison_occupancy", "Prison occupancy", "{:.0%}"),
    ("spending_per_resident", "Spending per resident a year", "${:,.0f}"),
)
"""Headline numbers: key, label, format."""


def info_text() -> str:
    """The Info tab (NetLogo's headings, written for trainers)."""
    return resources.files("simulation.appkit").joinpath("info.md").read_text(encoding="utf-8")


def format_value(value: float, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return fmt.format(value)


@solara.component
def Monitors(values: dict[str, float], day: int) -> None:
    """The headline numbers of the last four weeks."""
    cells = "".join(
        f'<div class="crimesim-monitor" data-key="{key}" style="border:1px solid #ccc;border-radius:6px;'
        f'padding:6px 10px;min-width:120px;background:#fafafa"><div style="font-size:11px;color:#555">'
        f'{html.escape(label)}</div><div class="crimesim-monitor-value" style="font-size:20px;'
        f'font-weight:600">{format_value(values.get(key, float("nan")), fmt)}</div></div>'
        for key, label, fmt in MONITORS)
    solara.HTML(tag="div", unsafe_innerHTML=(
        f'<div class="crimesim-monitors" data-day="{day}" style="display:flex;flex-wrap:wrap;gap:8px">'
        f'{cells}</div>'))


@solara.component
def CityMap(city: LiveCity, layer: str, tick: int) -> None:
    """The map of the city (``tick`` only tells Solara when to redraw)."""
    solara.HTML(tag="div", unsafe_innerHTML=citymap.map_html(city, layer))


@solara.component
def Charts(city: LiveCity, tick: int) -> None:
    """The time series of the city so far."""
    solara.HTML(tag="div", unsafe_innerHTML=charts_html(city),
                style={"display": "flex", "flex-wrap": "wrap"})


def charts_html(city: LiveCity) -> str:
    """Every chart of the city page as one HTML string."""
    series = city.series
    years = [day / 365 for day in series.day]
    column = series.columns.get
    empty = [math.nan] * len(years)

    def col(name: str) -> list[float]:
        return column(name) or empty

    figures = [
        charts.line_chart("Crime by type (true)", years, [
            charts.Line(crime, col(f"true_{crime}"), CRIME_COLOURS[crime]) for crime in CRIME_TYPES],
            y_label="per 100,000 a year", key="crime_by_type"),
        charts.line_chart("Homicide rate", years, [
            charts.Line("homicides", col("homicide_rate"), "#d62728")],
            y_label="per 100,000 a year", key="homicide_rate"),
        charts.line_chart("The dark figure: survey vs records", years, [
            charts.Line("victims (survey)", [v * 100_000 for v in col("survey_victimisation_rate")],
                        "#9467bd", points=True),
            charts.Line("true crimes", col("true_crime_rate"), "#7f7f7f", dashed=True),
            charts.Line("recorded crimes", col("recorded_crime_rate"), "#1f77b4")],
            y_label="per 100,000 a year", key="dark_figure"),
        charts.line_chart("Fear of crime and trust in the police", years, [
            charts.Line("fear", col("mean_fear"), "#9467bd"),
            charts.Line("trust", col("mean_trust"), "#1f77b4")],
            y_label="mean, 0-1", key="fear_trust"),
        charts.line_chart("Prisoners and occupancy", years, [
            charts.Line("prisoners per 100,000", col("prisoners_per_100k"), "#8c564b"),
            charts.Line("occupancy x 100", [v * 100 for v in col("prison_occupancy")], "#d62728",
                        dashed=True)],
            y_label="per 100,000 / %", key="prisons"),
        charts.line_chart("Spending by pillar", years, [
            charts.Line(pillar.split(" ")[0], col(f"spending_{governance.column_name(pillar)}"),
                        PILLAR_COLOURS[pillar]) for pillar in governance.PILLARS[:4]],
            y_label="US$ per resident a year", key="spending"),
    ]
    return "".join(f'<div style="flex:1 1 360px;max-width:520px;margin:4px">{figure}</div>'
                   for figure in figures)


@solara.component
def MapLayerSelect(layer: solara.Reactive[str]) -> None:
    labels = {label: key for key, label in MAP_LAYERS.items()}
    solara.ToggleButtonsSingle(
        value=MAP_LAYERS[layer.value], values=list(labels),
        on_value=lambda label: layer.set(labels[label]), dense=True)


def budget_html(spending: float, budget: float) -> str:
    """The budget meter: a bar of planned spending against the budget's mark, red when over."""
    over = not spending <= budget * (1 + 1e-9)  # NaN (no valid plan) shows as over
    colour = "#c62828" if over else "#2e7d32"
    share = spending / budget if budget > 0 else 0.0
    width = min(share, 1.5) / 1.5 * 100
    text = (f"${spending:,.0f} of ${budget:,.0f} per resident a year"
            + (f" — ${spending - budget:,.0f} over budget" if over else ""))
    return (
        f'<div class="crimesim-budget" data-over="{str(over).lower()}" data-spending="{spending:.2f}" '
        f'data-budget="{budget:.2f}" data-colour="{colour}"><div style="font-size:12px;margin-bottom:2px">'
        f'Budget</div><div style="position:relative;height:14px;background:#eee;border-radius:7px">'
        f'<div style="width:{width:.1f}%;height:14px;background:{colour};border-radius:7px"></div>'
        f'<div style="position:absolute;left:{100 / 1.5:.1f}%;top:-2px;height:18px;border-left:2px solid #333">'
        f'</div></div><div style="font-size:12px;color:{colour}">{html.escape(text)}</div></div>')


@solara.component
def BudgetMeter(spending: float, budget: float) -> None:
    """Planned spending per resident a year against the budget; red when over."""
    solara.HTML(tag="div", unsafe_innerHTML=budget_html(spending, budget))


@solara.component
def LeverControls(values: solara.Reactive[dict], base: Parameters,
                  on_change: Callable[[], None] | None = None, disabled: bool = False) -> None:
    """Every lever, grouped by the five pillars, with what it costs a year."""
    levers_by_pillar = policy.levers_by_pillar()
    try:
        costs = policy.lever_costs(values.value, base)
        spending = policy.spending_by_pillar(values.value, base)
    except ValueError:  # not a plan yet (the page says why); show the levers without prices
        costs, spending = {}, {}

    def setter(key: str):
        def set_value(value) -> None:
            values.set({**values.value, key: value})
            if on_change is not None:
                on_change()
        return set_value

    with solara.v.ExpansionPanels(multiple=True, value=list(range(len(levers_by_pillar))),
                                  class_="crimesim-levers"):
        for pillar, levers in levers_by_pillar.items():
            with solara.v.ExpansionPanel():
                solara.v.ExpansionPanelHeader(children=[
                    f"{pillar[0].upper()}{pillar[1:]} (${spending.get(pillar, 0.0):,.0f} per resident a year)"])
                with solara.v.ExpansionPanelContent():
                    if not levers:
                        solara.Text("No levers in this pillar.", style={"font-size": "12px"})
                    for lever in levers:
                        LeverControl(lever, values.value.get(lever.key), setter(lever.key),
                                     costs.get(lever.key), disabled)


def format_lever(lever, value) -> str:
    """A lever's value in words: '250 officers per 100,000', 'restricted', 'yes'."""
    if lever.kind == "bool":
        return "yes" if value else "no"
    if lever.kind == "choice":
        return str(value)
    if lever.kind == "integer":
        return f"{int(value):,} {lever.unit}"
    return f"{float(value):,.2f} {lever.unit}" if lever.high <= 5 else f"{float(value):,.0f} {lever.unit}"


@solara.component
def LeverControl(lever, value, on_value: Callable, cost: float | None, disabled: bool) -> None:
    """One lever: its label, value and cost, a slider, choice or switch, and its help."""
    cost_text = "" if not cost else f" · ${cost:,.2f} per resident a year"
    with solara.Div(classes=["crimesim-lever"], attributes={"data-key": lever.key},
                    style={"margin-bottom": "6px"}):
        solara.HTML(tag="div", unsafe_innerHTML=(
            f'<b>{html.escape(lever.label)}</b>: <span class="crimesim-lever-value">'
            f'{html.escape(format_lever(lever, value))}</span>'
            f'<span style="color:#555">{html.escape(cost_text)}</span>'),
            style={"font-size": "13px"})
        if lever.kind == "choice":
            solara.Select(label="", value=str(value), values=list(lever.choices),
                          on_value=on_value, disabled=disabled, dense=True)
        elif lever.kind == "bool":
            solara.Switch(label="", value=bool(value), on_value=on_value, disabled=disabled)
        elif lever.kind == "integer":
            solara.SliderInt(label="", value=int(value), min=int(lever.low), max=int(lever.high),
                             step=max(1, int(lever.step or 1)), on_value=on_value, disabled=disabled)
        else:
            solara.SliderFloat(label="", value=float(value), min=float(lever.low),
                               max=float(lever.high), step=float(lever.step or 0.01),
                               on_value=on_value, disabled=disabled)
        solara.Text(lever.help, style={"font-size": "11px", "color": "#666", "line-height": "1.2"})


@solara.component
def InfoTab() -> None:
    with solara.Div(classes=["crimesim-info"], style={"max-width": "900px"}):
        solara.Markdown(info_text())
