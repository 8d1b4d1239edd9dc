"""The results store: every finished run appended as Parquet, a manifest, resume.

Layout of a store directory::

    manifest.json                        configuration, design fingerprint, provenance
    runs/summary/part-000042.parquet     one row per run: identity, status, error, headline numbers
    runs/annual/part-000042.parquet      one row per run and model year
    runs/monthly/part-000042.parquet     one row per run and month (daily counts summed)
    runs/neighbourhoods/part-000042.parquet  one row per run and neighbourhood

A part holds one or more finished runs (named after its first run id): the experiment runner
appends runs as they finish, grouping those that finish within a couple of seconds so that
short runs do not pay a file write each. Every table carries ``run_id``, ``point`` and
``replicate``. Each file is written atomically (a temporary file renamed into place) and a
part's summary is written last, so a run counts as done exactly when a summary part holds it:
an experiment killed at any moment resumes by computing only the runs no summary holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from experiments.engine import RunRecord
from experiments.provenance import provenance, write_atomic, write_json

IDENTITY = ("run_id", "point", "replicate")
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

    def path(self, table: str, first_run_id: int) -> Path:
        return self.root / "runs" / table / f"part-{first_run_id:06d}.parquet"

    def _parts(self, table: str) -> list[Path]:
        return sorted((self.root / "runs" / table).glob("part-*.parquet"))

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
        done: set[int] = set()
        for path in self._parts("summary"):
            done.update(pq.read_table(path, columns=["run_id"]).column("run_id").to_pylist())
        return done

    def append(self, records: RunRecord | list[RunRecord]) -> None:
        """Write finished runs as one part per table (atomically; the summary last)."""
        records = [records] if isinstance(records, RunRecord) else list(records)
        if not records:
            return
        first = min(record.run_id for record in records)
        for table in ("annual", "monthly", "neighbourhoods"):
            frames = []
            for record in records:
                frame = getattr(record, table)
                if frame is None:
                    continue
                frames.append(frame.assign(run_id=record.run_id, point=record.point,
                                           replicate=record.replicate))
            if frames:
                part = pd.concat(frames, ignore_index=True)
                part = part[["run_id", "point", "replicate",
                             *[c for c in part.columns if c not in IDENTITY]]]
                write_atomic(self.path(table, first),
                             lambda path, part=part: part.to_parquet(path, index=False))
        summary = pd.DataFrame([
            {"run_id": record.run_id, "point": record.point, "replicate": record.replicate,
             "status": record.status, "error": record.error, "seconds": record.seconds,
             **record.summary}
            for record in records])
        write_atomic(self.path("summary", first),
                     lambda path: summary.to_parquet(path, index=False))

    def table(self, name: str) -> pd.DataFrame:
        """All runs' rows of one table, ordered by run id (empty if none)."""
        if name not in TABLES:
            raise ValueError(f"unknown table {name!r}; the store has {', '.join(TABLES)}")
        files = self._parts(name)
        if not files:
            return pd.DataFrame()
        frame = pd.concat([pd.read_parquet(path) for path in files], ignore_index=True)
        return frame.sort_values("run_id", kind="stable").reset_index(drop=True)

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
