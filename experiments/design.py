"""Experimental designs: which runs an experiment makes, and their seeds.

A design is a list of `RunSpec`: a design point (a scenario, or a point of a sensitivity
design) with its resolved parameters, times a replicate index. Seeds follow one rule:

    seed(replicate r) = numpy.random.SeedSequence(root_seed, spawn_key=(r,))

i.e. the r-th child of the root seed. The seed depends on the replicate's global index only:
never on the batch or worker that runs it, and not on the design point, so every scenario (or
design point) of an experiment is run with the same replicate seeds — common random numbers,
which make differences between scenarios differences of policy, not of seed noise.

One exception, by design: a sensitivity design's dummy parameter is the random stream itself.
A point whose dummy differs runs with spawn key (r, stream), so the dummy's index measures what
changing nothing but the random draws does to an outcome (the noise floor); points that differ
only in real parameters share the stream and keep common random numbers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.params import Parameters, with_overrides


def replicate_seed(root_seed: int, replicate: int) -> np.random.SeedSequence:
    """The seed of replicate ``replicate``: the root's child with spawn key (replicate,)."""
    return np.random.SeedSequence(root_seed, spawn_key=(replicate,))


@dataclass(frozen=True)
class RunSpec:
    """One run of a design: a point, a replicate, its parameters and its seed."""

    run_id: int
    point: str
    replicate: int
    root_seed: int
    params: dict = field(compare=False, repr=False)
    days: int | None = None
    model: str = "city"  # or a test model of `experiments.engine.TEST_MODELS` (e.g. "ishigami")
    stream: int | None = None  # a sensitivity design's dummy parameter: another random stream

    @property
    def seed(self) -> np.random.SeedSequence:
        if self.stream is not None:
            return np.random.SeedSequence(self.root_seed, spawn_key=(self.replicate, self.stream))
        return replicate_seed(self.root_seed, self.replicate)

    def parameters(self) -> Parameters:
        return Parameters.model_validate(self.params)


def build_design(
    points: Mapping[str, Parameters], replicates: int, root_seed: int, days: int | None = None,
    replicate_overrides: Sequence[Mapping[str, Any]] | None = None,
) -> list[RunSpec]:
    """Every (point, replicate) pair, with run ids by global position: point-major order.

    ``replicate_overrides`` (one mapping per replicate) are laid on every point's parameters
    for that replicate: a parameter vector drawn from a calibration's posterior, the same for
    replicate r of every point (common random numbers over parameters as well as seeds).
    """
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1, got {replicates}")
    if replicate_overrides is not None and len(replicate_overrides) != replicates:
        raise ValueError(f"{len(replicate_overrides)} replicate overrides for {replicates} "
                         "replicates; give one per replicate")
    design = []
    for index, (name, params) in enumerate(points.items()):
        resolved = params.model_dump(mode="json")
        for replicate in range(replicates):
            if replicate_overrides is not None:
                resolved = with_overrides(params, dict(replicate_overrides[replicate]),
                                          context=f"posterior draw {replicate}").model_dump(mode="json")
            design.append(RunSpec(run_id=index * replicates + replicate, point=name,
                                  replicate=replicate, root_seed=root_seed, params=resolved,
                                  days=days))
    return design


POSTERIOR_DRAW_KEY = 9_000_001
"""Mixed into a comparison's root seed to draw its posterior parameter vectors."""


def posterior_draw_seed(root_seed: int) -> np.random.SeedSequence:
    """The seed of a comparison's draws from a posterior (apart from the replicates' seeds)."""
    return np.random.SeedSequence([root_seed & 0xFFFFFFFF, POSTERIOR_DRAW_KEY])


def design_fingerprint(design: list[RunSpec]) -> str:
    """A hash of everything that determines the design's results (to refuse mixing designs)."""
    digest = hashlib.sha256()
    for spec in design:
        identity = [spec.run_id, spec.point, spec.replicate, spec.root_seed, spec.days, spec.params]
        if spec.model != "city" or spec.stream is not None:
            identity += [spec.model, spec.stream]
        digest.update(json.dumps(identity, sort_keys=True).encode())
    return digest.hexdigest()
