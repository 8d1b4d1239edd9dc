"""Fixtures for the app's browser tests: the app served by ``crimesim app``, and Chromium.

The app runs in a child process on a free localhost port with a small city; Playwright drives
Debian's Chromium (never a downloaded browser). Every page records its console errors and every
request; `BrowserPage.check` fails a test on a console error or on a request that left
localhost. The offline assets are fetched once if they are missing (as `crimesim app` does on
its first start; this needs npm). Without Chromium, or assets that cannot be fetched, the
tests are skipped locally, and fail in CI (``CI=true``) with the command that installs what is
missing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
TRAINER_CODE = "class-2026"
APP_RESIDENTS = 5_000
CLASSROOM_RESIDENTS = 3_000
SERVER_START_SECONDS = 120
"""How long the server may take to answer its first request (a readiness wait, not a timing
assertion)."""


def missing_browser_requirement() -> str | None:
    """What the browser tests need and do not have, with the command that installs it."""
    from simulation.appkit.assets import PREPARE_COMMAND, missing_packages

    if not CHROMIUM.exists():
        return ("Chromium is not installed at /usr/bin/chromium: install it with "
                "`apt-get update && apt-get install -y chromium`")
    try:
        import playwright  # noqa: F401
    except ImportError:
        return 'Playwright is not installed: pip install ".[test]"'
    if missing_packages():
        # What `crimesim app` does on its first start: fetch them once (needs npm).
        from simulation.appkit.assets import AssetsError, prepare_assets

        try:
            prepare_assets(log=lambda _: None)
        except AssetsError as error:
            return f"the app's offline assets are missing and could not be fetched ({error})"
    missing = missing_packages()
    if missing:
        return f"the app's offline assets are missing ({', '.join(missing)}): run `{PREPARE_COMMAND}`"
    return None


def require_browser() -> None:
    """Skip locally, fail in CI, when the browser tests cannot run."""
    problem = missing_browser_requirement()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"the app's browser tests cannot run in CI: {problem}", pytrace=False)
    pytest.skip(f"browser tests need Chromium and the offline assets: {problem}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def crimesim_command() -> list[str]:
    """The installed ``crimesim`` console script next to this Python, or the module."""
    script = Path(sys.executable).with_name("crimesim")
    return [str(script)] if script.exists() else [sys.executable, "-c",
                                                   "from experiments.cli import main; main()"]


@dataclass
class AppServer:
    url: str
    process: subprocess.Popen
    classroom: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def start_app(directory: Path, **options: object) -> AppServer:
    """``crimesim app`` on a free port, waiting until it answers."""
    port = free_port()
    classroom = directory / "classroom"
    log = directory / "server.log"
    arguments = {"port": port, "residents": APP_RESIDENTS, "classroom": classroom,
                 "classroom-residents": CLASSROOM_RESIDENTS, "trainer-code": TRAINER_CODE, "seed": 3}
    arguments.update({key.replace("_", "-"): value for key, value in options.items()})
    command = crimesim_command() + ["app"]
    for key, value in arguments.items():
        command += [f"--{key}", str(value)]
    environment = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    with open(log, "w") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=environment,
                                   start_new_session=True)
    server = AppServer(f"http://127.0.0.1:{port}", process, classroom, log)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"crimesim app exited with {process.returncode}:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    stop_app(server)
    raise RuntimeError(f"crimesim app did not answer within {SERVER_START_SECONDS} s:\n{server.output()}")


def stop_app(server: AppServer) -> None:
    """Stop the server we started (its process group: the CLI and Solara's server)."""
    if server.process.poll() is None:
        os.killpg(server.process.pid, 15)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, 9)
            server.process.wait()


@dataclass
class BrowserPage:
    """A page in its own browser context (its own cookies: one student), with what it logged."""

    page: object
    context: object
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def external_requests(self) -> list[str]:
        external = []
        for url in self.requests:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob", "about"):
                continue
            if parsed.hostname not in LOCAL_HOSTS:
                external.append(url)
        return external

    def check(self, log: Path | None = None) -> None:
        """No console error, no request that left localhost. With ``log``, every request and
        console error of the page is written there first (a test artefact for diagnosis)."""
        if log is not None:
            log.write_text("\n".join(["# requests", *self.requests, "# console errors",
                                       *self.console_errors]) + "\n", encoding="utf-8")
        assert not self.external_requests(), f"requests left localhost: {self.external_requests()[:5]}"
        assert not self.console_errors, f"console errors: {self.console_errors[:5]}"


class Browser:
    """Chromium through Playwright; `new_page` opens a fresh context (a new browser session)."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        self.pages: list[BrowserPage] = []

    def new_page(self, width: int = 1400, height: int = 1000) -> BrowserPage:
        context = self._browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(120_000)
        recorded = BrowserPage(page, context)
        page.on("console", lambda message: message.type == "error"
                and recorded.console_errors.append(message.text))
        page.on("pageerror", lambda error: recorded.console_errors.append(f"page error: {error}"))
        page.on("request", lambda request: recorded.requests.append(request.url))
        self.pages.append(recorded)
        return recorded

    def close(self) -> None:
        for recorded in self.pages:
            recorded.context.close()
        self._browser.close()
        self._playwright.stop()


def move_slider(page, key: str, press: str) -> None:
    """Press a key on a lever's slider until its value changes (the page may redraw the slider
    between the focus and the key)."""
    value = page.locator(f'.crimesim-lever[data-key="{key}"] .crimesim-lever-value')
    before = value.inner_text()
    for _ in range(10):
        slider = page.locator(f'.crimesim-lever[data-key="{key}"] [role="slider"]')
        slider.focus()
        slider.press(press)
        try:
            page.wait_for_function(
                "([key, before]) => document.querySelector(`.crimesim-lever[data-key='${key}'] "
                ".crimesim-lever-value`).innerText !== before", arg=[key, before], timeout=3_000)
            return
        except Exception:  # the key reached a slider that was being replaced: press again
            continue
    raise AssertionError(f"the slider of {key} did not move with {press}")


@pytest.fixture(scope="module")
def app_server(tmp_path_factory) -> Iterator[AppServer]:
    require_browser()
    server = start_app(tmp_path_factory.mktemp("app"))
    yield server
    stop_app(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_browser()
    chromium = Browser()
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    """Where the tests save screenshots of the main screens (kept with pytest's tmp dirs)."""
    return tmp_path_factory.mktemp("screenshots")
