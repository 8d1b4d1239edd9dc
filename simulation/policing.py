"""Police patrol units: where they go each day.

A `PoliceUnit` is a Mesa agent: a patrol car with its officers, assigned to a sector (a
neighbourhood). Each day it visits ``blocks_per_day`` blocks of its sector, chosen by its
strategy:

* ``random`` patrol: blocks drawn uniformly from the sector (preventive patrol);
* ``hotspot`` patrol: the sector's top ``hotspot_share`` of blocks by *recorded* crime over
  the last ``hotspot_memory`` days, visited in proportion to their recorded crime. It targets
  what reaches police records, so it inherits the reporting bias of the neighbourhood
  (Braga et al. 2019; the trust feedback is built in the police-management issue).

A visit raises guardianship at the block for that day (an attempt there is blocked with
probability ``guardianship`` per visit) and lets the police make an arrest on the scene;
see `simulation.offending.guardian_block_probability` and `CityModel.commit_offences`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.params import PatrolStrategy, PoliceParams

if TYPE_CHECKING:
    from simulation.model import CityModel


def patrol_units(params: PoliceParams, residents: int) -> int:
    """Units on patrol on a day: officers x on-patrol share / officers per unit.

    A city with officers on patrol has at least one unit; one without has none.
    """
    on_patrol = params.officers_per_100k * residents / 100_000 * params.on_patrol_share
    if on_patrol <= 0:
        return 0
    return max(1, round(on_patrol / params.officers_per_unit))


class PoliceUnit(mesa.Agent):
    """A patrol unit working one sector of the city."""

    def __init__(self, model: CityModel, sector: int, strategy: PatrolStrategy) -> None:
        super().__init__(model)
        self.sector = sector
        self.strategy = PatrolStrategy(strategy)
        self.blocks_today = np.empty(0, dtype=np.int64)

    @property
    def block(self) -> int | None:
        """The block the unit visited last (for maps), or None before its first patrol."""
        return int(self.blocks_today[-1]) if len(self.blocks_today) else None

    def patrol(self) -> None:
        """Choose today's blocks and record the visits on the model's police map."""
        model = self.model
        sector_blocks = model.sector_blocks[self.sector]
        visits = model.params.police.blocks_per_day
        if self.strategy is PatrolStrategy.HOTSPOT:
            self.blocks_today = self._hotspot_blocks(sector_blocks, visits)
        else:
            self.blocks_today = model.rng.choice(sector_blocks, size=visits)
        np.add.at(model.police_visits, self.blocks_today, 1)

    def _hotspot_blocks(self, sector_blocks: np.ndarray, visits: int) -> np.ndarray:
        model = self.model
        share = model.params.police.hotspot_share
        top = max(1, int(round(share * len(sector_blocks))))
        recorded = model.recorded_recent[sector_blocks]
        # Random tie-breaking so that an empty map does not always pick the same corner.
        score = recorded + model.rng.random(len(sector_blocks)) * 1e-9
        hot = sector_blocks[np.argpartition(-score, top - 1)[:top]]
        weight = model.recorded_recent[hot] + 1e-3
        return model.rng.choice(hot, size=visits, p=weight / weight.sum())
