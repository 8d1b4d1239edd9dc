"""Executors: where runs are computed. One small interface, three implementations.

* `InProcessExecutor` — in this process, one batch after another (debugging, tests);
* `ProcessPoolExecutor` — a local pool of worker processes, one per core by default;
* `DaskExecutor` — Dask distributed: a `LocalCluster`, an existing scheduler
  (``tcp://host:8786``), or a dask-jobqueue cluster (SLURM, PBS, SGE, LSF) described in a TOML
  file.

Every executor calls `experiments.engine.execute_batch` on batches of `RunSpec` and yields the
records batch by batch as they finish. A run's result depends only on its spec (parameters and
seed), so results are identical whichever executor computed them.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from experiments.design import RunSpec
from experiments.engine import RunRecord, execute_batch

JOBQUEUE_CLASSES = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster",
                    "lsf": "LSFCluster", "htcondor": "HTCondorCluster", "moab": "MoabCluster",
                    "oar": "OARCluster"}
"""Job-queue systems and their dask-jobqueue cluster classes."""


class ExecutorError(ValueError):
    """An executor cannot be set up from what the user gave (bad address, config file ...)."""


class Executor(ABC):
    """Runs batches of specs and yields their records as batches finish."""

    name: str = "executor"
    workers: int = 1

    @abstractmethod
    def map_batches(self, batches: list[list[RunSpec]]) -> Iterator[list[RunRecord]]:
        """Yield the records of every batch, in the order they finish."""

    def close(self) -> None:
        """Release workers and connections."""

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class InProcessExecutor(Executor):
    """Compute every batch here, in order."""

    name = "in-process"

    def map_batches(self, batches: list[list[RunSpec]]) -> Iterator[list[RunRecord]]:
        for batch in batches:
            yield execute_batch(batch)


class ProcessPoolExecutor(Executor):
    """A local pool of worker processes (started with ``spawn``: clean, fork-safe)."""

    name = "process pool"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
        # Start the workers now (each imports the model once), not on the first runs.
        list(self._pool.map(_start_worker, range(self.workers)))

    def map_batches(self, batches: list[list[RunSpec]]) -> Iterator[list[RunRecord]]:
        futures = [self._pool.submit(execute_batch, batch) for batch in batches]
        try:
            for future in concurrent.futures.as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(_: int) -> int:
    import simulation  # noqa: F401 - the import is the point: pay it once per worker

    return os.getpid()


class DaskExecutor(Executor):
    """Dask distributed: a local cluster, a scheduler address or a job-queue cluster.

    Args:
        target: ``"local"`` for a `LocalCluster` on this machine, a scheduler address such as
            ``"tcp://10.0.0.5:8786"``, or the path of a TOML file describing a dask-jobqueue
            cluster (see `jobqueue_cluster`).
        workers: worker processes of a local cluster (default: one per core).
        connect_timeout: how long to wait for a scheduler at an address.

    A worker that dies mid-experiment loses nothing: the scheduler re-runs its unfinished
    tasks elsewhere, and finished batches are already in the results store.
    """

    name = "dask"

    def __init__(self, target: str = "local", workers: int | None = None,
                 connect_timeout: str = "20s") -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        if target == "local":
            self.workers = workers or os.cpu_count() or 1
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                         processes=True, dashboard_address=None)
            self._client = Client(self._cluster)
            self.name = "dask local cluster"
        elif "://" in target:
            try:
                self._client = Client(target, timeout=connect_timeout)
            except OSError as error:
                raise ExecutorError(f"--dask {target}: cannot reach the scheduler ({error}); "
                                    "check the address and that the scheduler is running") from None
            self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))
            self.name = f"dask scheduler {target}"
        else:
            self._cluster, self.workers = jobqueue_cluster(Path(target))
            self._client = Client(self._cluster)
            self.name = f"dask job-queue cluster ({Path(target).name})"

    @property
    def client(self):
        return self._client

    def map_batches(self, batches: list[list[RunSpec]]) -> Iterator[list[RunRecord]]:
        from distributed import as_completed

        futures = self._client.map(execute_batch, batches, pure=False, retries=2)
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            self._client.cancel(futures)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def jobqueue_cluster(path: Path) -> tuple[Any, int]:
    """A dask-jobqueue cluster from a TOML file; returns the cluster and its worker processes
    (jobs x processes per job).

    The file names the scheduler kind and passes everything else to its dask-jobqueue class::

        kind = "slurm"          # slurm, pbs, sge, lsf, htcondor, moab or oar
        jobs = 10               # batch jobs to start
        cores = 8
        processes = 8           # worker processes per job (dask-jobqueue's default: ~sqrt(cores))
        memory = "16GB"
        walltime = "02:00:00"
        queue = "normal"
        job_extra_directives = ["--account=myproject"]
    """
    if not path.is_file():
        raise ExecutorError(f"--dask {path}: not a scheduler address (tcp://host:port), not "
                            "'local', and no such cluster file")
    try:
        config = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ExecutorError(f"{path}: not valid TOML ({error})") from None
    kind = str(config.pop("kind", "")).lower()
    if kind not in JOBQUEUE_CLASSES:
        raise ExecutorError(f"{path}: 'kind' must be one of {', '.join(JOBQUEUE_CLASSES)}, "
                            f"got {kind!r}")
    jobs = config.pop("jobs", 1)
    if not isinstance(jobs, int) or jobs < 1:
        raise ExecutorError(f"{path}: 'jobs' must be a whole number >= 1, got {jobs!r}")
    try:
        import dask_jobqueue
    except ImportError:
        raise ExecutorError(f"{path}: a job-queue cluster needs dask-jobqueue: "
                            "pip install 'crimesim[cluster]'") from None
    cluster_class = getattr(dask_jobqueue, JOBQUEUE_CLASSES[kind])
    try:
        cluster = cluster_class(**config)
    except TypeError as error:
        raise ExecutorError(f"{path}: {error}") from None
    cluster.scale(jobs=jobs)
    # Each job starts the cluster's worker processes per job (``processes``, or dask-jobqueue's
    # default from ``cores``).
    per_job = getattr(getattr(cluster, "_dummy_job", None), "worker_processes", 1)
    return cluster, jobs * max(1, int(per_job))


def make_executor(workers: int | None = None, dask: str | None = None) -> Executor:
    """The executor the command line asks for: Dask if ``dask`` is given, else a process pool
    (``workers`` = 1 runs in this process)."""
    if dask:
        return DaskExecutor(dask, workers)
    if workers == 1:
        return InProcessExecutor()
    return ProcessPoolExecutor(workers)
