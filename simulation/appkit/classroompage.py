"""The classroom exercise (``/classroom``) and the trainer's page (``/trainer``).

Each student is a browser session (Solara's session cookie): their game is kept by
`simulation.classroom` in the classroom's folder under that session's id, so a reload rebuilds
it (by replaying the decisions) and another browser never sees it. A game is five simulated
years; the student sets the levers once a year, and the debrief compares their years with the
punitive and comprehensive presets on the same city and seed. The trainer's page needs the code
given to ``crimesim app`` and shows every game side by side, with a CSV export.
"""

from __future__ import annotations

import html
import math
import threading
import traceback
from typing import Any

import solara
import solara.lab

from simulation.appkit import charts, panels, policy
from simulation.appkit.config import AppConfig

YEAR_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("true_crime_rate", "crimes per 100,000", "{:,.0f}"),
    ("recorded_crime_rate", "recorded per 100,000", "{:,.0f}"),
    ("homicide_rate", "homicides per 100,000", "{:.1f}"),
    ("survey_victimisation_rate", "victimised (survey)", "{:.1%}"),
    ("mean_trust", "trust in the police", "{:.2f}"),
    ("mean_fear", "fear", "{:.2f}"),
    ("prisoners_per_100k", "prisoners per 100,000", "{:,.0f}"),
    ("prison_occupancy", "prison occupancy", "{:.0%}"),
    ("spending_per_resident", "spending per resident", "${:,.0f}"),
)
"""The indicators a student sees after each year: key, label, format."""
_CLASSROOM: dict[str, Any] = {}
_LOCK = threading.Lock()


def classroom():
    """The classroom of this server process (its folder, code and city from ``crimesim app``).

    The first call also starts warming up the city and playing the debrief's presets in the
    background, so that they are ready when students need them.
    """
    from simulation.classroom import Classroom

    with _LOCK:
        if "classroom" not in _CLASSROOM:
            config = AppConfig.from_environment()
            room = Classroom(config.classroom_directory, config.trainer_code or None,
                             classroom_settings(config))
            threading.Thread(target=room.prepare, name="crimesim-classroom-prepare", daemon=True).start()
            _CLASSROOM["classroom"] = room
        return _CLASSROOM["classroom"]


def classroom_settings(config: AppConfig):
    """The classroom's city and rules from the app's settings."""
    from simulation.classroom import ClassroomSettings

    return ClassroomSettings(seed=config.classroom_seed, residents=config.classroom_residents)


def format_cell(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return html.escape(str(value))


def years_table(rows: list[dict[str, Any]], label_key: str = "year", css: str = "crimesim-years") -> str:
    """An HTML table: one row per year (or per strategy), the indicators as columns."""
    head = "".join(f"<th style='padding:2px 8px;text-align:right'>{html.escape(label)}</th>"
                   for _, label, _ in YEAR_COLUMNS)
    body = "".join(
        f"<tr class='{css}-row'><td style='padding:2px 8px'>{html.escape(str(row.get(label_key, '')))}</td>"
        + "".join(f"<td style='padding:2px 8px;text-align:right'>{format_cell(row.get(key), fmt)}</td>"
                  for key, _, fmt in YEAR_COLUMNS) + "</tr>"
        for row in rows)
    return (f"<table class='{css}' style='border-collapse:collapse;font-size:13px'>"
            f"<thead><tr><th style='padding:2px 8px'>{html.escape(label_key)}</th>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


@solara.component
def ClassroomPage() -> None:
    session = solara.use_memo(solara.get_session_id, [])
    game = solara.use_reactive(None)
    loaded = solara.use_reactive(False)
    error = solara.use_reactive("")
    name = solara.use_reactive("")
    values = solara.use_reactive(solara.use_memo(lambda: policy.preset("baseline"), []))
    busy = solara.use_reactive(False)
    revision = solara.use_reactive(0)

    def load() -> None:
        try:
            game.set(open_game(classroom(), session))
            if game.value is not None:
                values.set(current_levers(game.value, values.value))
        except Exception as exc:
            traceback.print_exc()
            error.set(f"could not open your game: {exc}")
        loaded.set(True)

    solara.lab.use_task(load, dependencies=[], prefer_threaded=True)

    def start() -> None:
        student = name.value.strip()
        if not student:
            error.set("write your name (or your team's) first")
            return
        error.set("")
        busy.set(True)
        try:
            game.set(new_game(classroom(), session, student))
        except Exception as exc:
            traceback.print_exc()
            error.set(f"could not start a game: {exc}")
        busy.set(False)

    def govern() -> None:
        busy.set(True)
        error.set("")
        try:
            game.value.decide(dict(values.value))
            values.set(current_levers(game.value, values.value))
            revision.set(revision.value + 1)
        except ValueError as exc:  # over budget, or a lever out of range: the message says why
            error.set(str(exc))
        except Exception as exc:
            traceback.print_exc()
            error.set(f"this year could not be governed: {exc}")
        busy.set(False)

    with solara.Column(style={"padding": "12px", "max-width": "1300px"},
                       classes=["crimesim-classroom"]):
        solara.Markdown("## The classroom exercise: govern the city for five years")
        if error.value:
            solara.Error(error.value, classes=["crimesim-error"])
        if not loaded.value:
            solara.ProgressLinear(True)
            solara.Text("Opening your game…")
            return
        current = game.value
        if current is None:
            solara.Markdown(
                "You are the city's authority for public security. Each year you set the levers "
                "of the five pillars within a fixed budget; the city then lives a year and you see "
                "what happened. After five years, your city is compared with the **punitive** and "
                "the **comprehensive** strategy on the same city.")
            solara.InputText("Your name or team", value=name, classes=["crimesim-student-name"])
            solara.Button("Start governing", color="primary", on_click=start, disabled=busy.value,
                          classes=["crimesim-start"])
            return
        GameView(current, values, busy.value, govern, revision.value)


@solara.component
def GameView(game, values: solara.Reactive[dict], busy: bool, govern, revision: int) -> None:
    """A student's game: the year's decision, the years so far, and the debrief at the end."""
    history = game_history(game)
    years = len(history)
    total = total_years(game)
    solara.HTML(tag="div", unsafe_innerHTML=(
        f"<div class='crimesim-game' data-year='{years}' data-finished='{str(is_finished(game)).lower()}'>"
        f"<b>{html.escape(student_name(game))}</b> — year {min(years + 1, total)} of {total}"
        + (" (finished)" if is_finished(game) else "") + "</div>"))
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
        if not is_finished(game):
            with solara.Column(style={"width": "380px"}):
                # What appears and disappears (the budget warning, the year in progress) sits
                # inside fixed Divs, so the levers keep their place among the column's
                # children: a lever panel that moved would be rebuilt, closing the slider a
                # student is dragging ("no comm channel" in the browser).
                with solara.Div():
                    try:
                        plan = game.check(values.value)
                        panels.BudgetMeter(plan.cost, plan.budget)
                        problem, fits = plan.message, plan.within_budget
                    except ValueError as exc:  # the levers do not make a plan (it says why)
                        problem, fits = str(exc), False
                    if problem:
                        solara.Warning(problem, classes=["crimesim-over-budget"])
                solara.Button(f"Govern year {years + 1}", color="primary", on_click=govern,
                              disabled=busy or not fits, classes=["crimesim-govern"])
                with solara.Div():
                    if busy:
                        solara.ProgressLinear(True)
                        solara.Text("The city lives a year…")
                panels.LeverControls(values, game.params)
        with solara.Column(style={"flex": "1 1 600px"}):
            if history:
                solara.HTML(tag="div", unsafe_innerHTML=years_table(history))
                solara.HTML(tag="div", unsafe_innerHTML=history_charts(history),
                            style={"display": "flex", "flex-wrap": "wrap"})
            else:
                solara.Info("Set the levers for your first year and press Govern.")
            if is_finished(game):
                Debrief(game)


@solara.component
def Debrief(game) -> None:
    """The student's years against the status quo, the punitive and the comprehensive presets."""
    final, every_year, findings = solara.use_memo(lambda: debrief_rows(game), [id(game), game.year])
    with solara.Column(classes=["crimesim-debrief"]):
        solara.Markdown("### Debrief: your city against the punitive and the comprehensive strategy")
        solara.Markdown(
            "The same city, the same seed: only the decisions differ (each preset was chosen in "
            "the first year and kept). Which strategy lowered homicides and crime most by the last "
            "year? What happened to trust in the police, to fear, to the prisons? Which pillars "
            "did you fund, and which did you leave out?")
        solara.HTML(tag="div", unsafe_innerHTML=years_table(final, label_key="strategy",
                                                            css="crimesim-debrief-table"))
        solara.HTML(tag="ul", unsafe_innerHTML="".join(
            f"<li>{html.escape(finding)}</li>" for finding in findings), classes=["crimesim-findings"])
        solara.HTML(tag="div", unsafe_innerHTML=debrief_charts(every_year, game),
                    style={"display": "flex", "flex-wrap": "wrap"})


def debrief_charts(rows: list[dict[str, Any]], game) -> str:
    """Each indicator over the years, one line per strategy."""
    strategies = list(dict.fromkeys(row["strategy"] for row in rows))
    colours = {"you": "#000000", "baseline": "#7f7f7f", "punitive": "#d62728", "comprehensive": "#2ca02c"}
    figures = []
    for key, title, unit in (("homicide_rate", "Homicide rate", "per 100,000 a year"),
                             ("true_crime_rate", "Crime (true)", "per 100,000 a year"),
                             ("mean_trust", "Trust in the police", "0-1"),
                             ("prisoners_per_100k", "Prisoners", "per 100,000")):
        lines = []
        for strategy in strategies:
            own = [row for row in rows if row["strategy"] == strategy]
            lines.append(charts.Line(_strategy_label(strategy, game).replace(" preset", ""),
                                     [float(row[key]) for row in own], colours.get(strategy, "#1f77b4"),
                                     dashed=strategy != "you"))
        years = sorted({row["year"] for row in rows})
        figures.append(charts.line_chart(title, years, lines, y_label=unit, key=f"debrief_{key}"))
    return "".join(f'<div style="flex:1 1 320px;max-width:460px;margin:4px">{f}</div>' for f in figures)


def history_charts(history: list[dict[str, Any]]) -> str:
    years = [row.get("year", index + 1) for index, row in enumerate(history)]

    def column(key: str) -> list[float]:
        return [float(row.get(key, math.nan)) for row in history]

    figures = [
        charts.line_chart("Crime", years, [charts.Line("true", column("true_crime_rate"), "#7f7f7f"),
                                           charts.Line("recorded", column("recorded_crime_rate"), "#1f77b4")],
                          y_label="per 100,000 a year", key="classroom_crime"),
        charts.line_chart("Homicides", years, [charts.Line("homicide rate", column("homicide_rate"), "#d62728")],
                          y_label="per 100,000 a year", key="classroom_homicides"),
        charts.line_chart("Trust and fear", years, [charts.Line("trust", column("mean_trust"), "#1f77b4"),
                                                    charts.Line("fear", column("mean_fear"), "#9467bd")],
                          y_label="0-1", key="classroom_trust"),
    ]
    return "".join(f'<div style="flex:1 1 320px;max-width:460px;margin:4px">{f}</div>' for f in figures)


@solara.component
def TrainerPage() -> None:
    code = solara.use_reactive("")
    unlocked = solara.use_reactive(False)
    message = solara.use_reactive("")
    refresh = solara.use_reactive(0)

    def open_page() -> None:
        if classroom().check_code(code.value.strip()):
            unlocked.set(True)
            message.set("")
        else:
            message.set("That is not the trainer's code (it was printed when the app started).")

    with solara.Column(style={"padding": "12px"}, classes=["crimesim-trainer"]):
        solara.Markdown("## Trainer: the class's results")
        if not unlocked.value:
            solara.InputText("Trainer's code", value=code, password=True,
                             classes=["crimesim-trainer-code"])
            solara.Button("Open", color="primary", on_click=open_page, classes=["crimesim-trainer-open"])
            if message.value:
                solara.Error(message.value, classes=["crimesim-trainer-refused"])
            return
        TrainerResults(refresh.value)
        solara.Button("Refresh", on_click=lambda: refresh.set(refresh.value + 1),
                      classes=["crimesim-trainer-refresh"])


@solara.component
def TrainerResults(refresh: int) -> None:
    room = classroom()
    table = room.results()
    solara.HTML(tag="div", unsafe_innerHTML=results_table(table), classes=["crimesim-results"])
    solara.FileDownload(lambda: room.results_csv(), filename="crimesim-classroom.csv",
                        label="Download CSV", mime_type="text/csv")


def results_table(table) -> str:
    """Every student's results side by side (a DataFrame or a list of dicts) as HTML."""
    rows = table.to_dict("records") if hasattr(table, "to_dict") else list(table)
    if not rows:
        return "<p class='crimesim-no-results'>No student has governed a year yet.</p>"
    columns = [column for column in rows[0] if column != "session"]  # ids mean nothing to a trainer
    head = "".join(f"<th style='padding:2px 8px'>{html.escape(str(c).replace('_', ' '))}</th>"
                   for c in columns)
    body = "".join("<tr class='crimesim-result-row'>" + "".join(
        f"<td style='padding:2px 8px;text-align:right'>{html.escape(_short(row.get(c)))}</td>"
        for c in columns) + "</tr>" for row in rows)
    return (f"<table class='crimesim-results-table' style='border-collapse:collapse;font-size:12px'>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _short(value: Any) -> str:
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


# -- the bridge to simulation.classroom -----------------------------------------------------------


def open_game(room, session: str):
    """The session's game if it has one (the process's copy, or rebuilt by replay), else None."""
    try:
        return room.game(session)
    except FileNotFoundError:
        return None


def new_game(room, session: str, student: str):
    return room.join(session, student)


def current_levers(game, fallback: dict[str, Any]) -> dict[str, Any]:
    return dict(game.levers) or fallback


def game_history(game) -> list[dict[str, Any]]:
    return game.history.to_dict("records")


def is_finished(game) -> bool:
    return bool(game.finished)


def total_years(game) -> int:
    return int(game.years)


def student_name(game) -> str:
    return str(game.player)


def debrief_rows(game) -> tuple[list[dict[str, Any]], list[dict[str, Any]], tuple[str, ...]]:
    """The debrief: the final year of each strategy, every year of each, and the findings."""
    debrief = game.debrief()
    table = debrief.table
    last = table[table["year"] == table["year"].max()].to_dict("records")
    for row in last:
        row["strategy"] = _strategy_label(row["strategy"], game)
    return last, table.to_dict("records"), tuple(debrief.findings)


def _strategy_label(strategy: str, game) -> str:
    from simulation.classroom import YOU

    return f"you ({game.player})" if strategy == YOU else f"{strategy} preset"
