"""The classroom exercise: games a year at a time within a budget, saved as their decisions and
replayed on reload, the debrief against the presets, and the trainer's results."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from simulation import classroom, levers
from simulation.classroom import BudgetError, Classroom, ClassroomError, ClassroomSettings, Game
from simulation.params import ParameterError

# A town of 3,000 residents on 18 x 18 blocks (the default city's ten residents a block), two
# months of warm-up: a simulated year takes about half a second. Renewed blocks cost the same
# per block in any city, so the comprehensive preset's 40 blocks a year cost USD 200 per
# resident here: the budget leaves room for it.
SETTINGS = ClassroomSettings(seed=3, residents=3000, width=18, height=18, neighbourhoods=4,
                             warmup_days=60, years=5, budget_per_resident=400.0)
YEARS = [
    levers.preset("comprehensive"),
    {"police.officers_per_100k": 200, "prevention.programmes.youth_places_per_100k": 800},
    {},
    {"justice.pretrial.policy": "broad", "justice.sentencing.severity": 1.5},
    {"governance.cross_party_agreement": True, "police.strategy": "community"},
]


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """A classroom with one finished game (Ana's) and one that governed a year (Bo's)."""
    folder = tmp_path_factory.mktemp("classroom")
    room = Classroom(folder, "trainer-1234", SETTINGS)
    ana = room.new_game("session-ana", "Ana")
    for values in YEARS:
        ana.decide(values)
    bo = room.new_game("session-bo", "Bo and Cy")
    bo.decide(levers.preset("punitive"))
    return room


def test_a_five_year_game_completes_and_the_debrief_holds_the_three_presets(room):
    ana = room.game("session-ana")
    assert ana.finished and ana.year == ana.years == 5
    history = ana.history
    assert list(history["year"]) == [1, 2, 3, 4, 5]
    assert history["police.officers_per_100k"].tolist() == [170, 200, 200, 200, 200]
    assert history["justice.pretrial.policy"].tolist()[2:] == ["restricted", "broad", "broad"]
    assert (history["planned_per_resident"] <= history["budget_per_resident"]).all()
    assert set(classroom.INDICATORS) <= set(history.columns)
    assert history["true_crime_rate"].gt(0).all() and history["residents"].eq(3000).all()
    with pytest.raises(ClassroomError, match="the game is over: 5 years governed"):
        ana.decide({})

    debrief = ana.debrief()
    table = debrief.table
    assert table.groupby("strategy").size().to_dict() == {"you": 5, "baseline": 5, "punitive": 5,
                                                          "comprehensive": 5}
    you = table[table["strategy"] == "you"].reset_index(drop=True)
    pd.testing.assert_frame_equal(you[list(classroom.INDICATORS)],
                                  history[list(classroom.INDICATORS)])
    # The presets differ from one another and from the student's years (other decisions).
    crime = table.groupby("strategy")["true_crime_rate"].sum()
    assert crime.nunique() == 4
    assert (room.directory / "presets.json").is_file()  # computed once, kept for every student
    text = " ".join(debrief.findings)
    assert "Against the comprehensive preset" in text and "Against the punitive preset" in text
    assert "victimisation survey" in text and "prisons ended at" in text
    assert len(debrief.findings) >= 5


def test_a_student_who_keeps_a_preset_lives_exactly_the_presets_years(room):
    """The debrief's presets start from the students' city: choosing one in the first year and
    keeping it gives its trajectory to the last digit."""
    game = Game(SETTINGS, "Dee", "keeps-comprehensive")
    for year in range(SETTINGS.years):
        game.decide(levers.preset("comprehensive") if year == 0 else {})
    presets = game.debrief().table
    preset = presets[presets["strategy"] == "comprehensive"].reset_index(drop=True)
    pd.testing.assert_frame_equal(preset[list(classroom.INDICATORS)],
                                  game.history[list(classroom.INDICATORS)])


def test_a_reloaded_game_replays_to_the_same_years_and_plays_on_the_same(room):
    live = room.game("session-bo")
    replayed = Game.load(room.directory, "session-bo")  # what a fresh process does
    assert replayed is not live and replayed.model is not live.model
    assert replayed.player == "Bo and Cy" and replayed.year == 1
    pd.testing.assert_frame_equal(replayed.history, live.history)
    assert replayed.levers == live.levers
    # The next year is the same whichever copy plays it.
    values = {"police.officers_per_100k": 250, "justice.sentencing.alternatives": 0.4}
    again = Game.load(room.directory, "session-bo")
    assert replayed.decide(values) == again.decide(values)
    assert replayed.year == again.year == 2
    # The file holds plain data: settings, decisions, and the years' indicators.
    saved = json.loads(classroom.game_path(room.directory, "session-bo").read_text())
    assert saved["settings"] == SETTINGS.resolved().to_dict()
    assert saved["decisions"] == [levers.preset("punitive"), values]
    assert not list((room.directory / "games").glob(".*.tmp"))  # atomic writes leave nothing behind


def test_two_sessions_share_nothing(room, tmp_path):
    other = Classroom(tmp_path / "other", "code-5678", SETTINGS)
    first, second = other.new_game("one", "First"), other.new_game("two", "Second")
    assert first.model is not second.model
    assert first.model.population.trust is not second.model.population.trust
    saved = classroom.game_path(other.directory, "two").read_text()
    first.decide({"police.officers_per_100k": 400})
    assert second.year == 0 and second.history.empty
    assert second.levers == levers.lever_values(SETTINGS.params())
    assert classroom.game_path(other.directory, "two").read_text() == saved
    second.decide({"prevention.programmes.youth_places_per_100k": 900})
    assert first.history["true_crime_rate"].iloc[0] != second.history["true_crime_rate"].iloc[0]
    assert other.game("one").history["police.officers_per_100k"].tolist() == [400]
    assert other.game("two").history["police.officers_per_100k"].tolist() == [150]
    with pytest.raises(ClassroomError, match="already has a game"):
        other.new_game("one", "Impostor")
    assert other.join("one", "Impostor").player == "First"
    for bad in ("../escape", "", "a/b", ".hidden", "x" * 200):
        with pytest.raises(ClassroomError, match="session id"):
            other.new_game(bad, "Someone")
    with pytest.raises(ClassroomError, match="name"):
        other.new_game("three", "   ")


def test_a_plan_over_the_budget_is_refused_with_how_much_and_nothing_is_played(tmp_path):
    tight = ClassroomSettings(**{**SETTINGS.to_dict(), "budget_per_resident": 100.0})
    game = Classroom(tmp_path, "code-9999", tight).new_game("s", "Eve")
    saved = game.path.read_text()
    check = game.check(levers.preset("punitive"))  # USD 107.80 a resident
    assert check.over_by == pytest.approx(7.80, abs=0.01) and not check.within_budget
    with pytest.raises(BudgetError, match=r"costs USD 107\.80 per resident a year, USD 7\.80 over the "
                                          r"budget of USD 100\.00.*police officers and soldiers") as refused:
        game.decide(levers.preset("punitive"))
    assert refused.value.over_by == pytest.approx(7.80, abs=0.01)
    assert game.year == 0 and game.path.read_text() == saved and game.model.day == -1
    with pytest.raises(ParameterError, match="police.officers_per_100k"):
        game.decide({"police.officers_per_100k": 5000})
    # Within the budget, the year is played.
    assert game.check({"police.officers_per_100k": 250}).within_budget
    game.decide({"police.officers_per_100k": 250})
    assert game.year == 1 and game.history["planned_per_resident"].iloc[0] <= 100
    # The default budget is the dearer of the two presets' plans, so either can be chosen.
    budget = ClassroomSettings(**{**SETTINGS.to_dict(), "budget_per_resident": None}).resolved().budget_per_resident
    plans = [levers.budget_per_resident(levers.with_levers(SETTINGS.params(), levers.preset(name)))
             for name in ("punitive", "comprehensive")]
    assert max(plans) <= budget < max(plans) + 1


def test_a_classroom_city_without_blocks_given_has_the_default_citys_density():
    assert ClassroomSettings(residents=3000).resolved().grid() == (17, 17)
    default = ClassroomSettings().resolved()
    assert (default.residents, default.width, default.height, default.neighbourhoods) == (25_000, 50, 50, 9)
    assert ClassroomSettings(residents=100_000).grid() == (100, 100)
    with pytest.raises(ClassroomError, match="years = 0"):
        ClassroomSettings(years=0)
    with pytest.raises(ClassroomError, match="unknown setting"):
        ClassroomSettings.from_dict({"seed": 1, "size": 3})


def test_the_trainer_code_opens_the_classroom_and_is_not_stored_in_clear(room, tmp_path):
    assert room.check_code("trainer-1234")
    assert not room.check_code("trainer-123") and not room.check_code("") and not room.check_code(None)
    stored = (room.directory / "classroom.json").read_text()
    assert "trainer-1234" not in stored
    reopened = Classroom(room.directory)  # a restarted server, no code given: the code stays
    assert reopened.check_code("trainer-1234") and reopened.settings == SETTINGS.resolved()
    with pytest.raises(ClassroomError, match="needs a trainer code"):
        Classroom(tmp_path / "new")
    with pytest.raises(ClassroomError, match="at least 4 characters"):
        Classroom(tmp_path / "new", "abc")
    with pytest.raises(ClassroomError, match=r"other settings \(seed differ"):
        Classroom(room.directory, settings=ClassroomSettings(**{**SETTINGS.to_dict(), "seed": 4}))


def test_the_results_have_one_row_per_student_and_export_as_csv(room):
    table = room.results()
    assert len(table) == len(room.sessions()) >= 2
    ana = table[table["player"] == "Ana"].iloc[0]
    history = room.game("session-ana").history
    assert ana["years_played"] == 5 and ana["finished"]
    assert ana["final_homicide_rate"] == history["homicide_rate"].iloc[-1]
    assert ana["total_spending"] == pytest.approx(history["spending_total"].sum())
    shares = table.filter(like="share_").sum(axis=1)
    assert shares.round(9).eq(1).all()
    csv = pd.read_csv(io.StringIO(room.results_csv()))
    assert len(csv) == len(table) and list(csv.columns) == list(table.columns)
    assert set(csv["player"]) >= {"Ana", "Bo and Cy"}
