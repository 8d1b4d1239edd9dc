"""The teaching app: its numbers, its command, its offline assets, and its pages in Chromium.

The browser tests start ``crimesim app`` on a free localhost port with a small city and drive
Debian's Chromium through Playwright (see tests/app_browser.py). Each checks that no request left
localhost and that the console logged no error, counts what rendered (a blank chart is silent)
and saves a screenshot in the test's tmp dir.
"""

from __future__ import annotations

import re
import shlex

import numpy as np
import pytest
from app_browser import app_server, browser, move_slider, screenshots  # noqa: F401  (fixtures)
from typer.testing import CliRunner

from experiments.cli import app as cli
from simulation import run
from simulation.appkit import assets, charts
from simulation.appkit.live import LiveCity, app_parameters, command_line, parse_seed
from simulation.indicators import DAILY_COLUMNS

STEP_WAIT_MS = 120_000


# -- the city the app shows is the command line's city ------------------------------------------


def test_app_city_reproduces_the_command_line_run_with_the_same_seed():
    params = app_parameters(residents=4_000, years=1)
    city = LiveCity(params, seed=parse_seed(" 11 "))
    city.advance(365)
    expected = run(params, seed=11)
    shown = city.daily()
    assert shown.shape == (365, len(DAILY_COLUMNS))
    np.testing.assert_array_equal(shown, expected.daily[list(DAILY_COLUMNS)].to_numpy())
    assert city.model.indicators.annual[0]["homicide_rate"] == expected.annual["homicide_rate"].iloc[0]


def test_reproduce_command_names_every_setting_that_differs_from_the_defaults():
    params = app_parameters(residents=4_000, years=2)
    command = command_line(params, 9)
    assert command.startswith("crimesim run --residents 4000 --years 2 --seed 9")
    for setting in ("city.width=20", "city.height=20", "city.neighbourhoods=9"):
        assert f"--set {setting}" in command


def test_reproduce_command_of_a_preset_city_rebuilds_its_parameters():
    from experiments.cli import build_parameters
    from simulation.appkit import policy

    params = policy.plan(policy.preset("punitive"), app_parameters(residents=4_000, years=2))
    arguments = shlex.split(command_line(params, 5))
    settings = [arguments[i + 1] for i, word in enumerate(arguments) if word == "--set"]
    assert build_parameters(settings, 4_000, 2.0) == params


def test_seed_box_text_becomes_an_integer_seed_and_bad_text_is_refused():
    assert parse_seed("42") == 42
    with pytest.raises(ValueError, match="whole number"):
        parse_seed("forty")
    with pytest.raises(ValueError, match="0 or more"):
        parse_seed("-1")


def test_chart_draws_one_path_per_series_and_breaks_at_gaps():
    svg = charts.line_chart("Crime", [0, 1, 2, 3], [
        charts.Line("a", [1.0, 2.0, float("nan"), 4.0], "#d62728"),
        charts.Line("b", [2.0, 2.5, 3.0, 3.5], "#1f77b4")])
    assert svg.count("<path") == 2
    assert 'data-series="a" data-points="3"' in svg
    first = re.search(r'data-series="a"[^>]* d="([^"]+)"', svg).group(1)
    assert first.count("M") == 2  # the NaN starts a new segment


# -- offline assets and the command ----------------------------------------------------------------


def test_prepare_assets_without_npm_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on the path
    with pytest.raises(assets.AssetsError, match="npm is not installed"):
        assets.prepare_assets(tmp_path / "cdn", log=lambda _: None)


def test_prepare_assets_is_idempotent(tmp_path, monkeypatch):
    for spec in assets.PACKAGES:
        (tmp_path / spec).mkdir(parents=True)
        (tmp_path / spec / assets.MARKER).write_text("done")
    monkeypatch.setenv("PATH", str(tmp_path))  # would fail if it tried npm
    assert assets.prepare_assets(tmp_path, log=lambda _: None) == []
    assert assets.missing_packages(tmp_path) == []


def test_missing_assets_error_names_the_command_that_provisions_them(tmp_path):
    with pytest.raises(assets.AssetsError, match="crimesim app --prepare-assets"):
        assets.check_assets(tmp_path)


@pytest.mark.parametrize(("options", "message"), [
    (["--port", "80"], "--port 80 is not a usable port"),
    (["--port", "70000"], "between 1024 and 65535"),
    (["--residents", "10"], "--residents 10 is out of range"),
    (["--trainer-code", "ab"], "--trainer-code is too short"),
])
def test_app_command_rejects_bad_options_with_one_message(options, message):
    result = CliRunner().invoke(cli, ["app", *options])
    assert result.exit_code == 2
    assert message in result.output


def test_app_command_refuses_a_port_in_use(monkeypatch):
    import socket

    monkeypatch.setattr(assets, "check_assets", lambda directory=None: None)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["app", "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_app_command_refuses_a_classroom_folder_of_another_city(tmp_path, monkeypatch):
    from simulation.classroom import Classroom, ClassroomSettings

    monkeypatch.setattr(assets, "check_assets", lambda directory=None: None)
    Classroom(tmp_path / "room", "code-1234", ClassroomSettings(residents=3_000))
    result = CliRunner().invoke(cli, ["app", "--classroom", str(tmp_path / "room"),
                                      "--classroom-residents", "4000", "--port", "8799"])
    assert result.exit_code == 2
    assert "other settings" in result.output and "--classroom" in result.output


def test_budget_meter_turns_red_over_budget():
    from simulation.appkit.panels import budget_html

    assert 'data-over="false"' in budget_html(90.0, 100.0) and "#2e7d32" in budget_html(90.0, 100.0)
    over = budget_html(130.0, 100.0)
    assert 'data-over="true"' in over and "#c62828" in over and "$30 over budget" in over


def test_info_tab_has_netlogo_headings_and_the_papers_language():
    from simulation.appkit.panels import info_text

    text = info_text()
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings == ["WHAT IS IT?", "HOW IT WORKS", "HOW TO USE IT", "THINGS TO NOTICE",
                        "THINGS TO TRY", "EXTENDING THE MODEL", "CREDITS AND REFERENCES"]
    for words in ("punitive paradigm", "comprehensive paradigm", "public-security management",
                  "prevention of crime and violence", "police management",
                  "citizen and community participation", "international cooperation",
                  "rehabilitation and reintegration", "protection of victims and witnesses",
                  "reparation", "dark figure"):
        assert words in " ".join(text.replace("**", "").split()), words


# -- the city page in Chromium -----------------------------------------------------------------------


def open_city(browser, app_server):  # noqa: F811
    """The city page, once the city is ready (the warm-up is done)."""
    recorded = browser.new_page()
    page = recorded.page
    page.goto(app_server.url + "/")
    page.wait_for_selector(".crimesim-map img", timeout=STEP_WAIT_MS)
    page.wait_for_selector("svg.crimesim-chart")
    return recorded


def monitor_text(page) -> dict[str, str]:
    return {element.get_attribute("data-key"): element.inner_text().split("\n")[-1]
            for element in page.query_selector_all(".crimesim-monitor")}


def press_step(page) -> None:
    day = page.get_attribute(".crimesim-map", "data-day")
    page.click(".crimesim-step")
    page.wait_for_function(
        f"document.querySelector('.crimesim-map') && "
        f"document.querySelector('.crimesim-map').dataset.day !== '{day}'", timeout=STEP_WAIT_MS)


def test_city_page_renders_map_charts_and_controls_offline(app_server, browser, screenshots):  # noqa: F811
    recorded = open_city(browser, app_server)
    page = recorded.page
    press_step(page)  # a week, so the charts have points
    page.wait_for_function("document.querySelectorAll('svg.crimesim-chart path[data-points]').length > 0")
    assert page.locator(".crimesim-map img").count() == 1
    size = page.eval_on_selector(".crimesim-map img", "img => [img.naturalWidth, img.naturalHeight]")
    assert size[0] >= 200 and size[1] >= 200
    assert page.locator("svg.crimesim-chart").count() == 6
    drawn = page.eval_on_selector_all(
        "svg.crimesim-chart [data-series]", "nodes => nodes.filter(n => +n.dataset.points > 0).length")
    assert drawn >= 10, f"only {drawn} series have points"
    assert page.locator(".crimesim-monitor").count() == 9
    assert page.locator(".crimesim-step").count() == 1 and page.locator(".crimesim-seed").count() == 1
    assert page.locator(".crimesim-lever").count() >= 10
    assert page.locator(".crimesim-budget").count() == 1
    assert "crimesim run --residents" in page.inner_text(".crimesim-command")
    page.screenshot(path=screenshots / "city.png", full_page=True)
    page.get_by_role("tab", name="Info").click()
    page.wait_for_selector(".crimesim-info h2")
    headings = page.eval_on_selector_all(".crimesim-info h2", "nodes => nodes.map(n => n.textContent)")
    assert headings[0] == "WHAT IS IT?" and headings[-1] == "CREDITS AND REFERENCES"
    page.screenshot(path=screenshots / "info.png", full_page=True)
    recorded.check()


def test_map_layers_switch_between_crime_fear_trust_and_security(app_server, browser, screenshots):  # noqa: F811
    recorded = open_city(browser, app_server)
    page = recorded.page
    for label, layer in (("Fear of crime", "fear"), ("Trust in the police", "trust"),
                         ("Private-security coverage", "security")):
        page.get_by_role("button", name=label).click()
        page.wait_for_selector(f'.crimesim-map[data-layer="{layer}"]')
    page.screenshot(path=screenshots / "map-security.png")
    recorded.check()


def test_moving_a_slider_and_stepping_changes_the_indicators(app_server, browser, screenshots):  # noqa: F811
    recorded = open_city(browser, app_server)
    page = recorded.page
    press_step(page)
    before = monitor_text(page)
    budget_before = float(page.get_attribute(".crimesim-budget", "data-spending"))
    move_slider(page, "police.officers_per_100k", "End")  # the most officers the lever allows
    page.wait_for_function(
        f"+document.querySelector('.crimesim-budget').dataset.spending > {budget_before}")
    press_step(page)
    after = monitor_text(page)
    assert after != before
    assert after["spending_per_resident"] != before["spending_per_resident"]
    spending = float(page.get_attribute(".crimesim-budget", "data-spending"))
    budget = float(page.get_attribute(".crimesim-budget", "data-budget"))
    assert page.get_attribute(".crimesim-budget", "data-over") == str(spending > budget).lower()
    page.screenshot(path=screenshots / "city-over-budget.png", full_page=True)
    recorded.check()


def test_a_preset_changes_the_levers(app_server, browser):  # noqa: F811
    from simulation.appkit import policy

    recorded = open_city(browser, app_server)
    page = recorded.page
    changed = [key for key, value in policy.preset("punitive").items()
               if policy.preset("baseline").get(key) != value]
    assert changed
    key = changed[0]
    lever = page.locator(f'.crimesim-lever[data-key="{key}"]')
    before = lever.inner_text()
    page.click(".crimesim-preset")
    page.get_by_role("option", name="punitive", exact=True).click()
    page.wait_for_function(
        "([key, before]) => document.querySelector(`.crimesim-lever[data-key='${key}']`).innerText !== before",
        arg=[key, before])
    recorded.check()


def test_reset_with_a_new_seed_rebuilds_the_city(app_server, browser):  # noqa: F811
    recorded = open_city(browser, app_server)
    page = recorded.page
    press_step(page)
    page.fill(".crimesim-seed input", "12")
    page.keyboard.press("Enter")
    page.click(".crimesim-reset")
    page.wait_for_function("document.querySelector('.crimesim-command') && "
                           "document.querySelector('.crimesim-command').innerText.includes('--seed 12')",
                           timeout=STEP_WAIT_MS)
    assert page.get_attribute(".crimesim-map", "data-day") == "0"
    recorded.check()
