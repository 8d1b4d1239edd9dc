"""Side streams: random number generators derived from a run's seed for one purpose each.

A side stream (the survey's sample, the voters' choices) draws from its own generator, so that
changing how much it draws changes nothing else in the run and common random numbers hold.
"""

from __future__ import annotations

import numpy as np


def side_stream(rng: np.random.Generator, stream: int) -> np.random.Generator:
    """A generator for ``stream``, derived from the seed sequence behind ``rng``.

    The seed's entropy (an int or a sequence of ints) is extended by ``stream``; its spawn key
    is kept, so replicates stay apart.
    """
    seed = rng.bit_generator.seed_seq
    entropy = seed.entropy
    words = list(entropy) if isinstance(entropy, (list, tuple, np.ndarray)) else [entropy]
    return np.random.default_rng(np.random.SeedSequence(entropy=[*words, stream],
                                                        spawn_key=seed.spawn_key))
