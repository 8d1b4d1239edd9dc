"""The experiment engine: seeds, executors, the results store, resume and failures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.design import build_design, replicate_seed
from experiments.executors import InProcessExecutor, ProcessPoolExecutor
from experiments.experiment import batches_of, run_experiment
from experiments.store import ResultsStore, StoreMismatch
from tests.conftest import small_params

CONFIG = {"purpose": "test"}


def small_design(replicates=3, days=150, **overrides):
    points = {"baseline": small_params(**overrides),
              "hotspot": small_params(**{"police.strategy": "hotspot", **overrides})}
    return build_design(points, replicates=replicates, root_seed=11, days=days)


def comparable(store: ResultsStore) -> dict[str, pd.DataFrame]:
    """The store's tables without timings, sorted by run id."""
    tables = {}
    for name in ("summary", "monthly", "annual", "neighbourhoods"):
        frame = store.table(name).drop(columns=["seconds"], errors="ignore")
        tables[name] = frame.sort_values([c for c in ("run_id", "month", "year", "neighbourhood")
                                          if c in frame]).reset_index(drop=True)
    return tables


def assert_same_results(first: ResultsStore, second: ResultsStore) -> None:
    for name, frame in comparable(first).items():
        pd.testing.assert_frame_equal(frame, comparable(second)[name], obj=name)


def test_replicate_seeds_are_the_root_children_and_shared_across_points():
    design = small_design(replicates=4)
    children = np.random.SeedSequence(11).spawn(4)
    for spec in design:
        assert np.array_equal(spec.seed.generate_state(4), children[spec.replicate].generate_state(4))
    by_point = {(spec.point, spec.replicate): spec.seed.generate_state(2).tolist() for spec in design}
    assert all(by_point[("baseline", r)] == by_point[("hotspot", r)] for r in range(4))
    assert by_point[("baseline", 0)] != by_point[("baseline", 1)]
    assert [spec.run_id for spec in design] == list(range(8))


def test_batches_keep_every_spec_once_in_order():
    design = small_design(replicates=5)
    batches = batches_of(design, None, workers=2)
    assert [spec.run_id for batch in batches for spec in batch] == list(range(10))
    assert len(batches) == 10  # a small design: one run per task
    many = batches_of(small_design(replicates=500), None, workers=2)
    assert len(many) == 100 and sum(map(len, many)) == 1000  # 50 batches per worker
    assert [len(b) for b in batches_of(design, 3, workers=2)] == [3, 3, 3, 1]


@pytest.fixture(scope="module")
def in_process_store(tmp_path_factory):
    store = ResultsStore(tmp_path_factory.mktemp("inprocess"))
    outcome = run_experiment(small_design(), store, InProcessExecutor(), CONFIG, show_progress=False)
    assert outcome.computed == 6 and not outcome.failures
    return store


def test_process_pool_gives_identical_results(in_process_store, tmp_path):
    store = ResultsStore(tmp_path)
    with ProcessPoolExecutor(workers=2) as executor:
        run_experiment(small_design(), store, executor, CONFIG, batch_size=1, show_progress=False)
    assert_same_results(in_process_store, store)


def test_dask_local_cluster_gives_identical_results(in_process_store, tmp_path):
    pytest.importorskip("distributed")
    from experiments.executors import DaskExecutor

    store = ResultsStore(tmp_path)
    with DaskExecutor("local", workers=2) as executor:
        run_experiment(small_design(), store, executor, CONFIG, show_progress=False)
    assert_same_results(in_process_store, store)


def test_scenarios_share_seeds_so_identical_scenarios_give_identical_runs(tmp_path):
    points = {"a": small_params(), "b": small_params()}
    store = ResultsStore(tmp_path)
    run_experiment(build_design(points, 2, root_seed=3, days=60), store, InProcessExecutor(),
                   CONFIG, show_progress=False)
    monthly = store.table("monthly").drop(columns=["run_id", "point"])
    a, b = (monthly[store.table("monthly")["point"] == p].reset_index(drop=True) for p in "ab")
    pd.testing.assert_frame_equal(a, b)


class Interrupted(Exception):
    pass


def test_interrupted_experiment_resumes_computing_only_missing_runs(in_process_store, tmp_path):
    store = ResultsStore(tmp_path)
    stored = []

    def stop_after_two(record):
        stored.append(record.run_id)
        if len(stored) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_experiment(small_design(), store, InProcessExecutor(), CONFIG, batch_size=1,
                       show_progress=False, on_record=stop_after_two)
    assert store.completed() == set(stored)
    outcome = run_experiment(small_design(), store, InProcessExecutor(), CONFIG,
                             show_progress=False)
    assert (outcome.already_done, outcome.computed, outcome.resumed) == (2, 4, True)
    assert_same_results(in_process_store, store)
    again = run_experiment(small_design(), store, InProcessExecutor(), CONFIG, show_progress=False)
    assert again.computed == 0


def test_a_different_experiment_in_the_same_folder_is_refused(in_process_store):
    with pytest.raises(StoreMismatch, match="different experiment"):
        run_experiment(small_design(replicates=2), in_process_store, InProcessExecutor(), CONFIG,
                       show_progress=False)


def test_a_failing_run_is_recorded_and_the_experiment_goes_on(tmp_path):
    design = small_design(replicates=2, days=60)
    broken = design[1].params | {"police": design[1].params["police"] | {"guardianship": 7.0}}
    object.__setattr__(design[1], "params", broken)  # as if a bad design point slipped through
    store = ResultsStore(tmp_path)
    outcome = run_experiment(design, store, InProcessExecutor(), CONFIG, show_progress=False)
    assert outcome.computed == 4
    assert [(f.run_id, f.point) for f in outcome.failures] == [(1, "baseline")]
    assert "guardianship" in outcome.failures[0].error
    summary = store.table("summary").set_index("run_id")
    assert summary.loc[1, "status"] == "failed" and summary.loc[0, "status"] == "ok"
    assert store.manifest()["last_session"]["failed"] == 1


def test_dask_worker_dying_mid_experiment_loses_no_runs(tmp_path):
    pytest.importorskip("distributed")
    import os

    from experiments.executors import DaskExecutor

    # Runs of about a second, so that the killed worker is in the middle of one.
    design = small_design(replicates=3, days=400, **{"population.residents": 8000})
    reference = ResultsStore(tmp_path / "reference")
    run_experiment(design, reference, InProcessExecutor(), CONFIG, show_progress=False)
    store = ResultsStore(tmp_path / "dask")
    killed = []
    with DaskExecutor("local", workers=2) as executor:
        client = executor.client

        def kill_a_worker(record):
            if not killed:
                victim = sorted(client.scheduler_info()["workers"])[0]
                killed.append(victim)
                try:
                    client.run(os._exit, 1, workers=[victim], wait=False)
                except Exception:  # noqa: BLE001 - the worker is gone, as intended
                    pass

        run_experiment(design, store, executor, CONFIG, batch_size=1,
                       show_progress=False, on_record=kill_a_worker)
    assert killed
    assert store.completed() == set(range(6))
    assert_same_results(reference, store)


def test_dask_executor_connects_to_an_existing_scheduler_address(in_process_store, tmp_path):
    distributed = pytest.importorskip("distributed")
    from experiments.executors import DaskExecutor

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with DaskExecutor(cluster.scheduler_address) as executor:
            assert executor.workers == 2
            store = ResultsStore(tmp_path)
            run_experiment(small_design(), store, executor, CONFIG, show_progress=False)
    assert_same_results(in_process_store, store)


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such cluster file"),
    ("kind = 'mainframe'\n", "'kind' must be one of slurm"),
    ("kind = 'slurm'\njobs = 0\n", "'jobs' must be a whole number >= 1"),
    ("kind = 'slurm'\njobs = [\n", "not valid TOML"),
])
def test_job_queue_cluster_files_are_validated(tmp_path, content, message):
    from experiments.executors import ExecutorError, make_executor

    path = tmp_path / "cluster.toml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ExecutorError, match=message):
        make_executor(dask=str(path))


def test_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("distributed")
    from experiments.executors import DaskExecutor, ExecutorError

    with pytest.raises(ExecutorError, match="cannot reach the scheduler"):
        DaskExecutor("tcp://127.0.0.1:1", connect_timeout="2s")
