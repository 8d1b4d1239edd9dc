"""Running a design: skip what the store already holds, batch the rest, store as runs finish.

`run_experiment` is what `crimesim compare`, sensitivity analysis and calibration call. It is
safe to interrupt at any moment: every finished run is already in the store, and calling it
again with the same design computes only the missing runs (a finished experiment computes
nothing).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from experiments.design import RunSpec, design_fingerprint
from experiments.engine import RunRecord
from experiments.executors import Executor
from experiments.store import ResultsStore

FLUSH_SECONDS = 2.0
"""Finished runs are written to the store at least this often (a kill loses at most this much)."""

BATCHES_PER_WORKER = 50
"""Automatic batching aims at this many batches per worker: runs are batched only in large
designs (thousands of short runs), where per-task overhead would count; a comparison of a
few dozen long runs keeps one run per task, for fine progress and nothing lost to a kill."""


@dataclass
class Failure:
    run_id: int
    point: str
    replicate: int
    error: str


@dataclass
class ExperimentOutcome:
    """What a call of `run_experiment` did."""

    total: int
    already_done: int
    computed: int
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    resumed: bool = False


def batches_of(specs: list[RunSpec], batch_size: int | None, workers: int) -> list[list[RunSpec]]:
    """Consecutive batches; by default about `BATCHES_PER_WORKER` per worker."""
    if not specs:
        return []
    if batch_size is None:
        batch_size = max(1, math.ceil(len(specs) / (BATCHES_PER_WORKER * max(workers, 1))))
    return [specs[start:start + batch_size] for start in range(0, len(specs), batch_size)]


def run_experiment(
    design: list[RunSpec],
    store: ResultsStore,
    executor: Executor,
    configuration: dict[str, Any],
    batch_size: int | None = None,
    show_progress: bool = True,
    on_record: Callable[[RunRecord], None] | None = None,
    console: Console | None = None,
) -> ExperimentOutcome:
    """Compute the runs of ``design`` that ``store`` does not hold yet, storing each as it ends.

    Args:
        design: the runs (see `experiments.design.build_design`).
        store: where results go; it must be empty or hold this same design.
        executor: where runs are computed.
        configuration: what the manifest records about the experiment (scenarios, options).
        batch_size: runs per task (default: automatic).
        show_progress: draw a progress bar with runs done, failures and time left.
        on_record: called after each run is stored (tests use it to interrupt).
        console: where the progress bar goes.

    Raises:
        experiments.store.StoreMismatch: the store holds a different experiment.
    """
    started = time.perf_counter()
    resumed = store.open(configuration, design_fingerprint(design))
    done = store.completed()
    todo = [spec for spec in design if spec.run_id not in done]
    outcome = ExperimentOutcome(total=len(design), already_done=len(design) - len(todo),
                                computed=0, resumed=resumed)
    columns = (TextColumn("[bold]runs[/]"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
               TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, console=console or Console(stderr=True), disable=not show_progress,
                  transient=False) as progress:
        task = progress.add_task("runs", total=len(design), completed=outcome.already_done,
                                 failed=0)
        pending: list[RunRecord] = []
        last_flush = time.monotonic()
        try:
            for records in executor.map_batches(batches_of(todo, batch_size, executor.workers)):
                pending.extend(records)
                if time.monotonic() - last_flush >= FLUSH_SECONDS or on_record is not None:
                    store.append(pending)
                    pending, last_flush = [], time.monotonic()
                for record in records:
                    outcome.computed += 1
                    if not record.ok:
                        outcome.failures.append(Failure(record.run_id, record.point,
                                                        record.replicate, record.error))
                    progress.update(task, advance=1, failed=len(outcome.failures))
                    if on_record is not None:
                        on_record(record)
        finally:
            store.append(pending)  # what finished before an interruption is kept
    outcome.seconds = time.perf_counter() - started
    store.update_manifest(completed_runs=len(store.completed()), total_runs=len(design),
                          last_session={"computed": outcome.computed, "seconds": outcome.seconds,
                                        "executor": executor.describe(),
                                        "failed": len(outcome.failures)})
    return outcome
