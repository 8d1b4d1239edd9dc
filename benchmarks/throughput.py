"""Throughput of the city model's daily step: resident-days per second on one core.

For each population size the script builds a `CityModel` (timed as build time), runs
``model.step()`` once per day (timed as step time) and reports:

- build seconds, step seconds and milliseconds per simulated day;
- resident-days per second = residents x days / step seconds (in millions);
- CPU time over wall time during the steps (about 1.0 means the run used one core);
- memory per resident: the bytes of all per-resident numpy columns
  (`Population.nbytes_per_resident`) and, from a separate untimed build measured with
  `tracemalloc` (which sees numpy's allocations), the memory held after the build and the peak
  during the build and the first month of days, each divided by the residents;
- how the time per day grows with the residents: the ratio of ms/day between sizes and the
  exponent of a log-log fit (1.0 means linear);
- the projected time of a 10-year (3650-day) run at 10^5 residents.

Targets printed beside the numbers: >= 10 million resident-days per second per core at 10^5
residents; a 10^6-resident year runs; <= 200 bytes per resident.

Usage::

    python benchmarks/throughput.py                      # 10^4, 10^5, 10^6 residents, 365 days
    python benchmarks/throughput.py --quick              # the same sizes, 60 days
    python benchmarks/throughput.py --residents 100000 --days 730 --json throughput.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from _tables import format_table

from simulation import CityModel, Parameters, with_overrides

DEFAULT_RESIDENTS = (10_000, 100_000, 1_000_000)
DEFAULT_DAYS = 365
QUICK_DAYS = 60
MEMORY_DAYS = 31
"""Days stepped in the memory measurement: covers day 0 and the first monthly refresh."""

TARGET_RESIDENTS = 100_000
TARGET_RESIDENT_DAYS_PER_SECOND = 10e6
TARGET_YEAR_RESIDENTS = 1_000_000
TARGET_BYTES_PER_RESIDENT = 200.0
PROJECTION_DAYS = 3650


@dataclass
class SizeResult:
    """Timing and memory of one population size."""

    residents: int
    days: int
    build_seconds: float
    step_seconds: float
    step_cpu_seconds: float
    column_bytes_per_resident: float
    traced_after_build_bytes: int
    traced_build_peak_bytes: int
    traced_step_peak_bytes: int

    @property
    def ms_per_day(self) -> float:
        """Wall-clock milliseconds per simulated day."""
        return 1000.0 * self.step_seconds / self.days

    @property
    def resident_days_per_second(self) -> float:
        """Residents x days / step seconds."""
        return self.residents * self.days / self.step_seconds

    @property
    def cpu_per_wall(self) -> float:
        """Process CPU time over wall time during the steps (about 1.0 on one core)."""
        return self.step_cpu_seconds / self.step_seconds

    def as_dict(self) -> dict[str, Any]:
        """Measured fields and derived rates, for the JSON output."""
        return asdict(self) | {
            "ms_per_day": self.ms_per_day,
            "resident_days_per_second": self.resident_days_per_second,
            "cpu_per_wall": self.cpu_per_wall,
            "traced_peak_bytes": self.traced_peak_bytes,
            "traced_after_build_bytes_per_resident": self.traced_after_build_bytes / self.residents,
            "traced_peak_bytes_per_resident": self.traced_peak_bytes / self.residents,
        }

    @property
    def traced_peak_bytes(self) -> int:
        """Highest traced memory over the build and the stepped days."""
        return max(self.traced_build_peak_bytes, self.traced_step_peak_bytes)


def city_parameters(residents: int) -> Parameters:
    """The default parameters with the population size overridden."""
    return with_overrides(Parameters(), {"population.residents": residents})


def measure_speed(residents: int, days: int, seed: int) -> tuple[float, float, float, float]:
    """Build a city and step it ``days`` times.

    Returns:
        Build seconds, step seconds (wall), step seconds (process CPU) and the bytes per
        resident of the population's columns.
    """
    params = city_parameters(residents)
    start = time.perf_counter()
    model = CityModel(params, rng=seed, days=days)
    build_seconds = time.perf_counter() - start
    column_bytes = model.population.nbytes_per_resident()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(days):
        model.step()
    return (build_seconds, time.perf_counter() - wall, time.process_time() - cpu, column_bytes)


def measure_memory(residents: int, days: int, seed: int) -> tuple[int, int, int]:
    """Memory traced by `tracemalloc` while building a city and stepping ``days`` days.

    Kept apart from the timed run because tracing slows every allocation. `tracemalloc` sees
    numpy's array buffers as well as Python objects.

    Returns:
        Bytes still allocated after the build, the peak during the build and the peak during
        the days (all counted from the start of the build).
    """
    params = city_parameters(residents)
    tracemalloc.start()
    try:
        model = CityModel(params, rng=seed, days=days)
        after_build, build_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(days):
            model.step()
        _, step_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return after_build, build_peak, step_peak


def measure(residents: int, days: int, memory_days: int, seed: int) -> SizeResult:
    """Time one population size, then measure its memory."""
    build_seconds, step_seconds, step_cpu, column_bytes = measure_speed(residents, days, seed)
    memory = measure_memory(residents, min(days, memory_days), seed)
    return SizeResult(residents, days, build_seconds, step_seconds, step_cpu, column_bytes,
                      *memory)


def scaling_summary(results: list[SizeResult]) -> dict[str, Any]:
    """How time per day and traced memory grow with the residents.

    The time exponent is the slope of log(ms/day) against log(residents). A straight-line fit
    ms/day = fixed + per_resident x residents splits the day into the cost that does not
    depend on the population (the block grid, police, indicators) and the cost per resident.
    The marginal bytes per resident are the slope of the traced peak against the residents
    (the fixed memory of the city grid and the indicator table drops out).
    """
    summary: dict[str, Any] = {"ms_per_day_ratios": [], "time_exponent": None,
                               "fixed_ms_per_day": None, "ns_per_resident_day": None,
                               "marginal_traced_bytes_per_resident": None}
    for smaller, larger in zip(results, results[1:]):
        summary["ms_per_day_ratios"].append({
            "from_residents": smaller.residents,
            "to_residents": larger.residents,
            "residents_ratio": larger.residents / smaller.residents,
            "ms_per_day_ratio": larger.ms_per_day / smaller.ms_per_day,
        })
    if len(results) >= 2:
        residents = np.array([r.residents for r in results], dtype=float)
        ms_per_day = np.array([r.ms_per_day for r in results])
        summary["time_exponent"] = float(np.polyfit(np.log(residents), np.log(ms_per_day), 1)[0])
        slope, intercept = np.polyfit(residents, ms_per_day, 1)
        summary["fixed_ms_per_day"] = float(intercept)
        summary["ns_per_resident_day"] = float(slope * 1e6)
        peaks = np.array([r.traced_peak_bytes for r in results], dtype=float)
        summary["marginal_traced_bytes_per_resident"] = float(np.polyfit(residents, peaks, 1)[0])
    return summary


def projected_seconds(results: list[SizeResult], residents: int, days: int,
                      exponent: float | None) -> tuple[float, str] | None:
    """Seconds of a ``days``-day run at ``residents``.

    Build plus ``days`` x the measured ms/day if that size was run; otherwise ``days`` x the
    ms/day of the nearest size scaled by the fitted exponent (build time left out).
    """
    nearest = min(results, key=lambda r: abs(np.log(r.residents / residents)))
    if nearest.residents == residents:
        return (nearest.build_seconds + days * nearest.ms_per_day / 1000.0,
                "build + days x measured ms/day")
    if exponent is None:
        return None
    ms_per_day = nearest.ms_per_day * (residents / nearest.residents) ** exponent
    return (days * ms_per_day / 1000.0,
            f"ms/day scaled from {nearest.residents:,} residents with the fitted exponent")


def target_checks(results: list[SizeResult], summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The three targets, each with the measured value and PASS, FAIL or 'not measured'."""
    by_size = {r.residents: r for r in results}
    checks = []

    at_target = by_size.get(TARGET_RESIDENTS)
    rate = at_target.resident_days_per_second if at_target else None
    checks.append({
        "target": f">= {TARGET_RESIDENT_DAYS_PER_SECOND / 1e6:.0f} M resident-days/s per core "
                  f"at {TARGET_RESIDENTS:,} residents",
        "value": f"{rate / 1e6:.1f} M" if rate else "-",
        "verdict": verdict(rate, rate is not None and rate >= TARGET_RESIDENT_DAYS_PER_SECOND),
    })

    year = [r for r in results if r.residents >= TARGET_YEAR_RESIDENTS and r.days >= 365]
    checks.append({
        "target": f"a {TARGET_YEAR_RESIDENTS:,}-resident year (365 days) runs",
        "value": (f"{year[0].build_seconds + year[0].step_seconds:.1f} s" if year else "-"),
        "verdict": "PASS" if year else "not measured",
    })

    columns = max(r.column_bytes_per_resident for r in results)
    checks.append({
        "target": f"<= {TARGET_BYTES_PER_RESIDENT:.0f} bytes per resident (numpy columns)",
        "value": f"{columns:.0f} B",
        "verdict": verdict(columns, columns <= TARGET_BYTES_PER_RESIDENT),
    })
    marginal = summary["marginal_traced_bytes_per_resident"]
    checks.append({
        "target": f"<= {TARGET_BYTES_PER_RESIDENT:.0f} bytes per resident "
                  "(tracemalloc peak, marginal)",
        "value": f"{marginal:.0f} B" if marginal is not None else "-",
        "verdict": verdict(marginal, marginal is not None
                           and marginal <= TARGET_BYTES_PER_RESIDENT),
    })
    return checks


def verdict(value: float | None, passed: bool) -> str:
    """PASS or FAIL, or 'not measured' when there is no value."""
    if value is None:
        return "not measured"
    return "PASS" if passed else "FAIL"


def report(results: list[SizeResult], summary: dict[str, Any],
           projection: tuple[float, str] | None, checks: list[dict[str, Any]],
           memory_days: int) -> str:
    """All tables as text."""
    speed = format_table(
        ["residents", "days", "build s", "step s", "ms/day", "M resident-days/s", "CPU/wall"],
        [[f"{r.residents:,}", str(r.days), f"{r.build_seconds:.2f}", f"{r.step_seconds:.2f}",
          f"{r.ms_per_day:.2f}", f"{r.resident_days_per_second / 1e6:.1f}",
          f"{r.cpu_per_wall:.2f}"] for r in results])
    memory = format_table(
        ["residents", "columns", "traced after build", "traced peak in build",
         f"traced peak in {memory_days} days"],
        [[f"{r.residents:,}", f"{r.column_bytes_per_resident:.0f}",
          f"{r.traced_after_build_bytes / r.residents:.0f}",
          f"{r.traced_build_peak_bytes / r.residents:.0f}",
          f"{r.traced_step_peak_bytes / r.residents:.0f}"] for r in results])
    lines = ["Speed (single process, wall-clock time of model.step())", speed, "",
             "Memory, bytes per resident (columns: Population.nbytes_per_resident(); traced: "
             "tracemalloc from the start of the build, separate untimed run)", memory, ""]

    lines.append("Growth with residents")
    for ratio in summary["ms_per_day_ratios"]:
        lines.append(f"  {ratio['from_residents']:>9,} -> {ratio['to_residents']:>9,} residents "
                     f"(x{ratio['residents_ratio']:g}): ms/day x{ratio['ms_per_day_ratio']:.2f}")
    if summary["time_exponent"] is not None:
        lines.append(f"  fitted exponent of ms/day vs residents (log-log): "
                     f"{summary['time_exponent']:.2f}  (1.00 = linear)")
        lines.append(f"  linear fit: ms/day = {summary['fixed_ms_per_day']:.2f} fixed + "
                     f"{summary['ns_per_resident_day']:.1f} ns x residents "
                     f"(marginal {1e3 / summary['ns_per_resident_day']:.0f} M resident-days/s)")
        lines.append(f"  marginal traced peak per resident (slope of peak vs residents): "
                     f"{summary['marginal_traced_bytes_per_resident']:.0f} B")
    if projection is not None:
        seconds, how = projection
        lines.append(f"  projected {PROJECTION_DAYS}-day (10-year) run at {TARGET_RESIDENTS:,} "
                     f"residents: {seconds:.0f} s = {seconds / 60:.1f} min ({how})")
    lines.append("")
    lines.append("Targets")
    lines.append(format_table(["target", "value", "verdict"],
                              [[c["target"], c["value"], c["verdict"]] for c in checks]))
    return "\n".join(lines)


def environment() -> dict[str, str]:
    """Versions and machine, for the JSON output."""
    return {"python": platform.python_version(), "numpy": np.__version__,
            "mesa": mesa.__version__, "machine": platform.machine(),
            "platform": platform.platform(), "processor": platform.processor()}


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, nargs="+", default=list(DEFAULT_RESIDENTS),
                        help="population sizes to measure (default: %(default)s)")
    parser.add_argument("--days", type=int, default=None,
                        help=f"days stepped per size (default: {DEFAULT_DAYS}, "
                             f"or {QUICK_DAYS} with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help=f"step {QUICK_DAYS} days instead of {DEFAULT_DAYS}")
    parser.add_argument("--memory-days", type=int, default=MEMORY_DAYS,
                        help="days stepped in the traced memory run (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="seed of every run (default: 1)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="also write the results as JSON to PATH")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Measure every size, print the tables and optionally write the JSON."""
    arguments = parse_arguments(argv)
    days = arguments.days or (QUICK_DAYS if arguments.quick else DEFAULT_DAYS)
    results = []
    for residents in sorted(set(arguments.residents)):
        print(f"measuring {residents:,} residents x {days} days ...", file=sys.stderr, flush=True)
        results.append(measure(residents, days, arguments.memory_days, arguments.seed))
    summary = scaling_summary(results)
    projection = projected_seconds(results, TARGET_RESIDENTS, PROJECTION_DAYS,
                                   summary["time_exponent"])
    checks = target_checks(results, summary)
    print(report(results, summary, projection, checks, min(days, arguments.memory_days)))
    if arguments.json:
        arguments.json.write_text(json.dumps({
            "benchmark": "throughput",
            "environment": environment(),
            "settings": {"days": days, "memory_days": min(days, arguments.memory_days),
                         "seed": arguments.seed, "memory_tool": "tracemalloc"},
            "results": [r.as_dict() for r in results],
            "scaling": summary,
            "projection_10_years_seconds": projection[0] if projection else None,
            "targets": checks,
        }, indent=2) + "\n")
        print(f"wrote {arguments.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
