"""The app's main page: one city to explore, with levers, presets, map, charts and Info.

Each browser page has its own city (a `LiveCity` in the page's state). **Step** runs the chosen
number of days; **Play** keeps stepping in a background task and redraws after each step;
**Reset** rebuilds the city from the seed box and the levers, which is what ``crimesim run``
with the printed command reproduces.
"""

from __future__ import annotations

import html
import time
import traceback
from functools import lru_cache

import solara
import solara.lab

from simulation.appkit import panels, policy
from simulation.appkit.config import AppConfig
from simulation.appkit.live import LiveCity, app_parameters, parse_seed
from simulation.params import Parameters

DAYS_PER_STEP = (1, 7, 30, 91, 365)
PRESETS_BY_LABEL = {policy.preset_label(name): name for name in policy.preset_names()}


def base_parameters(config: AppConfig) -> Parameters:
    """The app's city before any lever is set."""
    return app_parameters(residents=config.residents, years=config.years)


def build_city(config: AppConfig, seed: int, values: dict[str, object]) -> LiveCity:
    """A warmed-up city with the app's size, ``seed`` and the levers at ``values``."""
    return LiveCity(policy.plan(values, base_parameters(config)), seed=seed)


@solara.component
def CityPage() -> None:
    config = solara.use_memo(AppConfig.from_environment, [])
    base = solara.use_memo(lambda: base_parameters(config), [])
    seed_text = solara.use_reactive(str(config.seed))
    seed_error = solara.use_reactive("")
    values = solara.use_reactive(solara.use_memo(lambda: policy.preset("baseline"), []))
    preset_name = solara.use_reactive("baseline")
    city = solara.use_reactive(None)
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    days_per_step = solara.use_reactive(7)
    layer = solara.use_reactive("crime")
    error = solara.use_reactive("")
    pending_levers = solara.use_reactive(False)

    def build() -> None:
        try:
            city.set(build_city(config, parse_seed(seed_text.value), values.value))
            tick.set(tick.value + 1)
        except Exception as exc:  # shown on the page, not lost in a log
            traceback.print_exc()
            error.set(f"could not build the city: {exc}")

    solara.lab.use_task(build, dependencies=[], prefer_threaded=True)

    def put_levers_in_force() -> bool:
        """Apply changed levers; False (with the reason shown) if they do not make a plan."""
        if city.value is not None and pending_levers.value and values.value:
            try:
                policy.apply(city.value.model, values.value)
            except ValueError as exc:  # e.g. a 'mixed' patrol with every share at 0
                error.set(str(exc))
                return False
            error.set("")
            city.value.note_lever_change()
            pending_levers.set(False)
        return True

    def step_once() -> None:
        if city.value is None or not put_levers_in_force():
            playing.set(False)
            return
        city.value.advance(days_per_step.value)
        tick.set(tick.value + 1)

    def play_loop() -> None:
        try:
            while playing.value and city.value is not None:
                started = time.perf_counter()
                step_once()
                # Leave the browser time to draw: at most ~8 frames a second.
                time.sleep(max(0.0, 0.12 - (time.perf_counter() - started)))
        except Exception as exc:
            traceback.print_exc()
            error.set(f"the city stopped: {exc}")
            playing.set(False)

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def on_lever_change() -> None:
        pending_levers.set(True)
        preset_name.set("custom")

    def choose_preset(label: str) -> None:
        name = PRESETS_BY_LABEL.get(label)
        if name is None:
            return
        preset_name.set(name)
        values.set(policy.preset(name))
        pending_levers.set(True)

    def reset() -> None:
        playing.set(False)
        try:
            seed = parse_seed(seed_text.value)
        except ValueError as exc:
            seed_error.set(str(exc))
            return
        seed_error.set("")
        city.set(None)
        pending_levers.set(False)
        try:
            city.set(build_city(config, seed, values.value))
        except Exception as exc:
            traceback.print_exc()
            error.set(f"could not build the city: {exc}")
        tick.set(tick.value + 1)

    with solara.Column(style={"padding": "8px"}):
        if error.value:
            solara.Error(error.value)
        with solara.lab.Tabs():
            with solara.lab.Tab("City"):
                with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
                    with solara.Column(style={"width": "360px", "min-width": "300px"}):
                        with solara.Row():
                            solara.Button("Step", color="primary", on_click=step_once,
                                          disabled=city.value is None or playing.value,
                                          classes=["crimesim-step"])
                            solara.Button("Pause" if playing.value else "Play", color="primary",
                                          on_click=lambda: playing.set(not playing.value),
                                          disabled=city.value is None, classes=["crimesim-play"])
                            solara.Button("Reset", on_click=reset, classes=["crimesim-reset"])
                        solara.Select(label="days per step", value=days_per_step.value,
                                      values=list(DAYS_PER_STEP), on_value=days_per_step.set)
                        SeedBox(seed_text, seed_error.value, city.value, tick.value)
                        solara.Select(label="Preset", value=policy.preset_label(preset_name.value),
                                      values=[*PRESETS_BY_LABEL, "custom"], on_value=choose_preset,
                                      classes=["crimesim-preset"])
                        # What appears and disappears sits inside one Div, so the levers keep
                        # their place among its siblings: a lever panel that moved would be
                        # rebuilt, closing the slider a user is dragging.
                        with solara.Div():
                            try:
                                spending = policy.planned_per_resident(values.value, base)
                            except ValueError as exc:
                                spending = float("nan")
                                solara.Error(str(exc))
                            panels.BudgetMeter(spending, budget_per_resident(base))
                        panels.LeverControls(values, base, on_change=on_lever_change)
                    with solara.Column(style={"flex": "1 1 600px"}):
                        LiveView(city.value, tick, layer)
            with solara.lab.Tab("Info"):
                panels.InfoTab()


@solara.component
def LiveView(city: LiveCity | None, tick: solara.Reactive[int], layer: solara.Reactive[str]) -> None:
    """Monitors, map and charts; redrawn on every tick."""
    current_tick = tick.value
    if city is None:
        with solara.Column(classes=["crimesim-preparing"]):
            solara.ProgressLinear(True)
            solara.Text("Preparing the city: three years of warm-up so that prisons and hot spots "
                        "settle (a few seconds)…")
        return
    values = city.current()
    solara.Text(f"Day {city.day:,} — year {city.year:.2f}", classes=["crimesim-clock"])
    panels.Monitors(values, city.day)
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
        with solara.Column(style={"flex": "0 0 auto"}):
            panels.MapLayerSelect(layer)
            panels.CityMap(city, layer.value, current_tick)
        with solara.Column(style={"flex": "1 1 400px"}):
            panels.Charts(city, current_tick)


@solara.component
def SeedBox(seed_text: solara.Reactive[str], seed_error: str, city: LiveCity | None, tick: int) -> None:
    """The seed and the command line that reproduces the city."""
    solara.InputText("Seed", value=seed_text, continuous_update=False, classes=["crimesim-seed"],
                     error=seed_error or False)
    if city is not None:
        note = "Reproduce this city on the command line (Reset applies a new seed):"
        if city.lever_changes:
            note = (f"Levers changed on day {city.lever_changes[0]:,}: the command reproduces the city "
                    "up to that day; press Reset to start again with the levers shown.")
        solara.Text(note, style={"font-size": "11px", "color": "#555"})
        solara.HTML(tag="code", unsafe_innerHTML=html.escape(city.command()),
                    classes=["crimesim-command"], style={"font-size": "11px", "word-break": "break-all"})


@lru_cache(maxsize=4)
def budget_per_resident(base: Parameters) -> float:
    """The budget: the baseline's planned spending per resident a year in this city."""
    return policy.budget_per_resident(base)
