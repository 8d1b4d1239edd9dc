"""Executing runs: one `RunSpec` in, one `RunRecord` out, whatever executor ran it.

`execute` is the only function any executor calls (in this process, in a worker process, on a
Dask worker). It never raises for a failing run: the error and the run's identity are
recorded and the experiment goes on.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field

import pandas as pd

from experiments.design import RunSpec
from simulation.indicators import DAILY_COLUMNS, STOCK_COLUMNS

MONTHS_PER_YEAR = 12
DAYS_PER_YEAR = 365


@dataclass
class RunRecord:
    """What one run leaves in the results store."""

    run_id: int
    point: str
    replicate: int
    status: str  # "ok" or "failed"
    seconds: float
    error: str = ""
    summary: dict = field(default_factory=dict)
    annual: pd.DataFrame | None = None
    monthly: pd.DataFrame | None = None
    neighbourhoods: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def monthly_table(daily: pd.DataFrame) -> pd.DataFrame:
    """Daily counts summed by month (12 months of 365/12 days a year); levels (prisoners,
    backlog, ...: `STOCK_COLUMNS`) averaged."""
    month = daily["day"] * MONTHS_PER_YEAR // DAYS_PER_YEAR
    counts = [c for c in DAILY_COLUMNS if c not in STOCK_COLUMNS]
    table = daily.groupby(month)[counts].sum()
    table[list(STOCK_COLUMNS)] = daily.groupby(month)[list(STOCK_COLUMNS)].mean()
    table = table[list(DAILY_COLUMNS)]
    table.index.name = "month"
    return table.reset_index()


TEST_MODELS = {"ishigami": "calibration.testmodels:ishigami"}
"""Test models with the city's interface (parameters and a seed in, a summary out), by name."""


def _test_model(name: str):
    import importlib

    module, function = TEST_MODELS[name].split(":")
    return getattr(importlib.import_module(module), function)


def execute(spec: RunSpec) -> RunRecord:
    """Run one design point with its replicate seed and keep what the store needs."""
    from simulation import run

    started = time.perf_counter()
    if spec.model != "city":
        try:
            summary = _test_model(spec.model)(spec.params, spec.seed)
        except Exception as error:  # noqa: BLE001 - a failing run is data, not a crash
            return RunRecord(run_id=spec.run_id, point=spec.point, replicate=spec.replicate,
                             status="failed", seconds=time.perf_counter() - started,
                             error="".join(traceback.format_exception_only(error)).strip())
        return RunRecord(run_id=spec.run_id, point=spec.point, replicate=spec.replicate,
                         status="ok", seconds=time.perf_counter() - started, summary=summary)
    try:
        result = run(spec.parameters(), spec.seed, days=spec.days)
    except Exception as error:  # noqa: BLE001 - a failing run is data, not a crash
        return RunRecord(run_id=spec.run_id, point=spec.point, replicate=spec.replicate,
                         status="failed", seconds=time.perf_counter() - started,
                         error="".join(traceback.format_exception_only(error)).strip())
    return RunRecord(
        run_id=spec.run_id, point=spec.point, replicate=spec.replicate, status="ok",
        seconds=time.perf_counter() - started, summary=result.summary, annual=result.annual,
        monthly=monthly_table(result.daily), neighbourhoods=result.neighbourhoods,
    )


def execute_batch(specs: list[RunSpec]) -> list[RunRecord]:
    """Run several specs in one task (short runs are batched to save per-task overhead)."""
    return [execute(spec) for spec in specs]
