"""The classroom exercise and the trainer page in Chromium.

Each browser context is one student (its own session cookie). The classroom's city is small
(tests/app_browser.py: 3,000 residents) so that a full five-year game and its debrief run in
seconds. Every test checks the console and the requests (nothing leaves localhost) and saves a
screenshot.
"""

from __future__ import annotations

from app_browser import TRAINER_CODE, app_server, browser, move_slider, screenshots  # noqa: F401  (fixtures)

YEAR_WAIT_MS = 180_000


def open_classroom(browser, app_server):  # noqa: F811
    recorded = browser.new_page()
    recorded.page.goto(app_server.url + "/classroom")
    recorded.page.wait_for_selector(".crimesim-start, .crimesim-game", timeout=YEAR_WAIT_MS)
    return recorded


def start_game(page, student: str) -> None:
    page.fill(".crimesim-student-name input", student)
    page.click(".crimesim-start")
    page.wait_for_selector(".crimesim-game", timeout=YEAR_WAIT_MS)


def game_year(page) -> int:
    return int(page.get_attribute(".crimesim-game", "data-year"))


def govern_year(page) -> None:
    year = game_year(page)
    page.click(".crimesim-govern")
    page.wait_for_function(
        f"document.querySelector('.crimesim-game') && "
        f"+document.querySelector('.crimesim-game').dataset.year > {year}", timeout=YEAR_WAIT_MS)


def test_a_full_classroom_game_of_five_years_ends_in_the_debrief(app_server, browser, screenshots):  # noqa: F811
    recorded = open_classroom(browser, app_server)
    page = recorded.page
    page.screenshot(path=screenshots / "classroom-start.png", full_page=True)
    start_game(page, "Team Andes")
    assert page.locator(".crimesim-lever").count() >= 10
    for year in range(1, 6):
        if year == 2:  # one decision off the baseline: 150 places in youth programmes
            move_slider(page, "prevention.programmes.youth_places_per_100k", "End")
            for _ in range(9):  # down to 150 places: a page is a tenth of the range
                move_slider(page, "prevention.programmes.youth_places_per_100k", "PageDown")
        govern_year(page)
        assert game_year(page) == year
        page.wait_for_function(f"document.querySelectorAll('.crimesim-years-row').length === {year}")
        if year == 1:
            page.screenshot(path=screenshots / "classroom-year1.png", full_page=True)
    assert page.get_attribute(".crimesim-game", "data-finished") == "true"
    page.wait_for_selector(".crimesim-debrief-table", timeout=YEAR_WAIT_MS)
    strategies = page.eval_on_selector_all(".crimesim-debrief-table-row td:first-child",
                                           "cells => cells.map(c => c.textContent)")
    assert len(strategies) >= 3
    assert any("punitive" in s for s in strategies) and any("comprehensive" in s for s in strategies)
    rows = page.eval_on_selector_all(".crimesim-debrief-table-row",
                                     "rows => rows.map(r => r.innerText.split('\\t').slice(1).join('|'))")
    assert rows[0] != rows[strategies.index("baseline preset")], "the student's decision changed nothing"
    assert page.locator(".crimesim-govern").count() == 0
    drawn = page.eval_on_selector_all("svg.crimesim-chart [data-series]",
                                      "nodes => nodes.filter(n => +n.dataset.points >= 5).length")
    assert drawn >= 3
    page.screenshot(path=screenshots / "classroom-debrief.png", full_page=True)
    recorded.check(log=screenshots / "classroom-game-requests.txt")


def test_two_students_do_not_see_each_others_city_and_a_reload_keeps_the_game(
        app_server, browser, screenshots):  # noqa: F811
    first = open_classroom(browser, app_server)
    start_game(first.page, "Student Bolivar")
    govern_year(first.page)
    second = open_classroom(browser, app_server)
    page = second.page
    assert page.locator(".crimesim-start").count() == 1, "a new student must start their own game"
    assert "Bolivar" not in page.inner_text("body")
    start_game(page, "Student Cordoba")
    assert game_year(page) == 0
    assert "Bolivar" not in page.inner_text("body")
    first.page.reload()
    first.page.wait_for_selector(".crimesim-game", timeout=YEAR_WAIT_MS)
    assert game_year(first.page) == 1
    assert "Student Bolivar" in first.page.inner_text(".crimesim-game")
    assert "Cordoba" not in first.page.inner_text("body")
    first.page.screenshot(path=screenshots / "classroom-after-reload.png", full_page=True)
    first.check()
    second.check()


def test_the_trainer_page_needs_its_code_and_exports_csv(app_server, browser, screenshots, tmp_path):  # noqa: F811
    student = open_classroom(browser, app_server)
    start_game(student.page, "Student Darwin")
    govern_year(student.page)
    recorded = browser.new_page()
    page = recorded.page
    page.goto(app_server.url + "/trainer")
    page.wait_for_selector(".crimesim-trainer-code input")
    page.fill(".crimesim-trainer-code input", "wrong-code")
    page.click(".crimesim-trainer-open")
    page.wait_for_selector(".crimesim-trainer-refused")
    assert page.locator(".crimesim-results").count() == 0
    assert "Darwin" not in page.inner_text("body")
    page.fill(".crimesim-trainer-code input", TRAINER_CODE)
    page.click(".crimesim-trainer-open")
    page.wait_for_selector(".crimesim-results-table")
    assert "Student Darwin" in page.inner_text(".crimesim-results-table")
    page.screenshot(path=screenshots / "trainer.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_text("Download CSV").click()
    saved = tmp_path / "classroom.csv"
    download.value.save_as(saved)
    text = saved.read_text()
    assert "Student Darwin" in text and text.count("\n") >= 2
    recorded.check()
    student.check()
