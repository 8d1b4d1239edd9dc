"""Responsiveness of the teaching app: simulated days per second shown, with rendering.

Two measurements on the app's default city (25,000 residents, 50 x 50 blocks, 9
neighbourhoods; ``--residents`` changes it):

1. **In process**: a `LiveCity` steps ``--days-per-frame`` days, then builds everything a
   frame sends to the browser (monitors, the map PNG, the six SVG charts). Reports the time per
   frame split into simulating and rendering, and the simulated days per second.
2. **In the browser**: ``crimesim app`` on a free localhost port, Chromium (Playwright) opens
   the city page and presses Play for ``--seconds``; the script reads the day the page shows
   before and after and reports the simulated days per second a viewer saw (simulation,
   rendering, the websocket and the browser's drawing together) and the frames drawn.

Goal: >= 5 simulated days per second shown on this 2-core machine.

Usage::

    python benchmarks/app.py                       # both, ~1 min
    python benchmarks/app.py --no-browser          # in process only
    python benchmarks/app.py --seconds 30 --json app.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

GOAL_DAYS_PER_SECOND = 5.0


def in_process(residents: int, days_per_frame: int, frames: int) -> dict[str, float]:
    from simulation.appkit.citypage import panels
    from simulation.appkit.citymap import map_html
    from simulation.appkit.live import LiveCity, app_parameters

    started = time.perf_counter()
    city = LiveCity(app_parameters(residents=residents), seed=0)
    warm_up = time.perf_counter() - started
    simulate = render = 0.0
    for _ in range(frames):
        started = time.perf_counter()
        city.advance(days_per_frame)
        simulate += time.perf_counter() - started
        started = time.perf_counter()
        city.current()
        map_html(city, "crime")
        panels.charts_html(city)
        render += time.perf_counter() - started
    total = simulate + render
    return {"residents": residents, "warm_up_seconds": warm_up, "days_per_frame": days_per_frame,
            "frames": frames, "simulate_ms_per_frame": 1000 * simulate / frames,
            "render_ms_per_frame": 1000 * render / frames,
            "days_per_second": days_per_frame * frames / total}


def in_browser(residents: int, seconds: float) -> dict[str, float]:
    from app_browser import Browser, missing_browser_requirement, start_app, stop_app

    problem = missing_browser_requirement()
    if problem:
        raise SystemExit(f"the browser measurement needs: {problem} (or pass --no-browser)")
    with tempfile.TemporaryDirectory(prefix="crimesim-app-bench-") as scratch:
        server = start_app(Path(scratch), residents=residents)
        browser = Browser()
        try:
            page = browser.new_page().page
            page.goto(server.url + "/")
            page.wait_for_selector(".crimesim-map img", timeout=180_000)
            frames: list[int] = []
            page.expose_function("crimesimFrame", lambda day: frames.append(int(day)))
            page.evaluate("""() => new MutationObserver(() => {
                const map = document.querySelector('.crimesim-map');
                if (map) window.crimesimFrame(map.dataset.day);
            }).observe(document.body, {subtree: true, childList: true, attributes: true})""")
            first_day = int(page.get_attribute(".crimesim-map", "data-day"))
            page.click(".crimesim-play")
            started = time.perf_counter()
            time.sleep(seconds)
            last_day = int(page.get_attribute(".crimesim-map", "data-day"))
            elapsed = time.perf_counter() - started
            page.click(".crimesim-play")
            distinct = len(set(frames))
        finally:
            browser.close()
            stop_app(server)
    return {"residents": residents, "seconds": elapsed, "days_shown": last_day - first_day,
            "days_per_second": (last_day - first_day) / elapsed, "frames_drawn": distinct,
            "frames_per_second": distinct / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=25_000)
    parser.add_argument("--days-per-frame", type=int, default=7,
                        help="days simulated between two frames (the app's default step: 7)")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long Play runs in the browser")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    results = {"in_process": in_process(options.residents, options.days_per_frame, options.frames)}
    process = results["in_process"]
    print(f"in process, {process['residents']:,} residents (warm-up {process['warm_up_seconds']:.1f} s): "
          f"{process['simulate_ms_per_frame']:.0f} ms simulating + {process['render_ms_per_frame']:.0f} ms "
          f"rendering per frame of {process['days_per_frame']} days = "
          f"{process['days_per_second']:.0f} simulated days per second")
    if not options.no_browser:
        results["browser"] = browser = in_browser(options.residents, options.seconds)
        print(f"in Chromium, Play for {browser['seconds']:.0f} s: {browser['days_shown']} days shown = "
              f"{browser['days_per_second']:.1f} simulated days per second, "
              f"{browser['frames_per_second']:.1f} frames per second "
              f"(goal >= {GOAL_DAYS_PER_SECOND:.0f} days per second)")
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
