"""The results store: every finished run appended as Parquet, a manifest, resume.

Layout of a store directory::

    manifest.json                      configuration, design fingerprint, provenance
    runs/summary/run-000042.parquet    one row per run: identity, status, error, headline numbers
    runs/annual/run-000042.parquet     one row per run and model year
    runs/monthly/run-000042.parquet    one row per run and month (daily counts summed)
    runs/neighbourhoods/run-000042.parquet  one row per run and neighbourhood

Every table carries ``run_id``, ``point`` and ``replicate``. Each file is written atomically
(a temporary file renamed into place) and a run's summary is written last, so a run counts as
done exactly when its summary file exists: an experiment killed at any moment resumes by
computing only the runs without one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.engine import RunRecord
from experiments.provenance import provenance, write_atomic, write_json

TABLES = ("annual", "monthly", "neighbourhoods", "summary")
"""Per-run tables, in the order they are written (summary last: it marks the run done)."""


class StoreMismatch(Exception):
    """The directory holds results of a different experiment."""


class ResultsStore:
    """Append-only store of run records under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def path(self, table: str, run_id: int) -> Path:
        return self.root / "runs" / table / f"run-{run_id:06d}.parquet"

    def open(self, configuration: dict[str, Any], fingerprint: str) -> bool:
        """Create the store, or check that an existing one holds the same experiment.

        Returns:
            True if the store already existed (the experiment resumes).

        Raises:
            StoreMismatch: the directory holds another experiment's results.
        """
        if self.manifest_path.exists():
            manifest = json.loads(self.manifest_path.read_text())
            if manifest.get("design_fingerprint") != fingerprint:
                raise StoreMismatch(
                    f"{self.root} holds results of a different experiment (other scenarios, "
                    "parameters, replicates, years or seed); choose another --out, or delete it")
            return True
        self.root.mkdir(parents=True, exist_ok=True)
        write_json(self.manifest_path, {"kind": "crimesim experiment",
                                        "design_fingerprint": fingerprint,
                                        "configuration": configuration, **provenance()})
        return False

    def completed(self) -> set[int]:
        """Ids of the runs whose summary has been written."""
        folder = self.root / "runs" / "summary"
        if not folder.exists():
            return set()
        return {int(path.stem.split("-")[1]) for path in folder.glob("run-*.parquet")}

    def append(self, record: RunRecord) -> None:
        """Write one run's tables (atomically; the summary last)."""
        identity = {"run_id": record.run_id, "point": record.point, "replicate": record.replicate}
        frames = {"annual": record.annual, "monthly": record.monthly,
                  "neighbourhoods": record.neighbourhoods}
        for table, frame in frames.items():
            if frame is None:
                continue
            frame = frame.copy()
            for position, (column, value) in enumerate(identity.items()):
                frame.insert(position, column, value)
            write_atomic(self.path(table, record.run_id),
                         lambda path, frame=frame: frame.to_parquet(path, index=False))
        row = {**identity, "status": record.status, "error": record.error,
               "seconds": record.seconds, **record.summary}
        summary = pd.DataFrame([row])
        write_atomic(self.path("summary", record.run_id),
                     lambda path: summary.to_parquet(path, index=False))

    def table(self, name: str) -> pd.DataFrame:
        """All runs' rows of one table, ordered by run id (empty if none)."""
        if name not in TABLES:
            raise ValueError(f"unknown table {name!r}; the store has {', '.join(TABLES)}")
        files = sorted((self.root / "runs" / name).glob("run-*.parquet"))
        if not files:
            return pd.DataFrame()
        return pd.concat([pd.read_parquet(path) for path in files], ignore_index=True)

    def manifest(self) -> dict[str, Any]:
        return json.loads(self.manifest_path.read_text())

    def update_manifest(self, **fields: Any) -> None:
        manifest = self.manifest()
        manifest.update(fields)
        write_json(self.manifest_path, manifest)


def write_tables(frames: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write tidy tables as Parquet and CSV side by side (atomically)."""
    written = []
    for name, frame in frames.items():
        for suffix, writer in ((".parquet", lambda f, p: f.to_parquet(p, index=False)),
                               (".csv", lambda f, p: f.to_csv(p, index=False))):
            path = folder / f"{name}{suffix}"
            write_atomic(path, lambda p, f=frame, w=writer: w(f, p))
            written.append(path)
    return written
