"""Police units: where they go each day and what they do there.

A `PoliceUnit` is a Mesa agent: a patrol car with its officers (or soldiers), assigned to a
sector (a neighbourhood). Its strategy decides its day:

* ``random`` — preventive patrol: blocks drawn uniformly from the sector;
* ``hotspot`` — the sector's top ``hotspot_share`` of blocks by *recorded* crime over the last
  ``hotspot_memory`` days, visited in proportion to their recorded crime (Braga et al. 2019).
  It targets what reaches police records, so it inherits each place's reporting: where trust
  is low, less is reported and recorded, and less is patrolled;
* ``community`` — proximity policing on a fixed beat (the blocks nearest a beat centre):
  visits talk with residents, and respectful contact raises their trust;
* ``saturation`` — "mano dura": the sector's hot spots flooded with a show of force
  (``saturation_visits`` times the presence) and aggressive stop-and-search of young men
  (``saturation_stops`` per visit); stops cost trust and some end in abuse;
* ``reactive`` — no patrol: the unit answers calls, which sets the response time to reported
  crimes (see `CityModel.respond_to_calls`).

Every visit lasts ``dwell_minutes``; a unit makes shift / (dwell + travel) visits a day and a
visit's guardianship grows with its dwell as 1 - exp(-dwell / dwell_scale), normalised to
``guardianship`` at 15 minutes. With 10 minutes' travel between blocks the product peaks for
stops of about 10 minutes (Koper 1995: 10-15); with the default 5 it peaks nearer 7.
Soldiers (``military_per_100k``) work as saturation units with ``military_force`` times the
abuse and add nothing to investigations. Corrupt officers tip offenders off: every visit's
presence is scaled by 1 - ``tipoff_effect`` x the corrupt share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.params import UNIT_STRATEGIES, PatrolStrategy, PoliceParams

if TYPE_CHECKING:
    from simulation.model import CityModel

KOPER_DWELL = 15.0
"""Dwell (minutes) at which ``police.guardianship`` is defined (Koper 1995)."""
BEAT_BLOCKS = 40
"""Blocks in a community-policing beat (assumption: a walkable beat)."""


def visits_per_day(params: PoliceParams) -> int:
    """Blocks a unit visits in a shift: shift / (dwell + travel)."""
    return max(1, int(params.shift_minutes // (params.dwell_minutes + params.travel_minutes)))


def visit_guardianship(params: PoliceParams) -> float:
    """Chance that one visit blocks an attempt: g (1 - exp(-d / s)) / (1 - exp(-15 / s))."""
    shape = lambda dwell: 1.0 - np.exp(-dwell / params.dwell_scale)  # noqa: E731
    return float(min(1.0, params.guardianship * shape(params.dwell_minutes) / shape(KOPER_DWELL)))


def units_on_patrol(officers_per_100k: float, params: PoliceParams, residents: int) -> int:
    """Units on duty on a day: officers x on-patrol share / officers per unit.

    A force with someone on patrol has at least one unit; one without has none.
    """
    on_patrol = officers_per_100k * residents / 100_000 * params.on_patrol_share
    if on_patrol <= 0:
        return 0
    return max(1, round(on_patrol / params.officers_per_unit))


def unit_strategies(params: PoliceParams, units: int) -> list[PatrolStrategy]:
    """Each unit's strategy: all the same, or split by ``police.mix`` (largest remainder).

    Mixed strategies are interleaved (each strategy's k-th unit sits at about k / n of the
    list), so that when units are handed to sectors in order of population, every strategy
    works large and small neighbourhoods alike.
    """
    if params.strategy is not PatrolStrategy.MIXED:
        return [params.strategy] * units
    shares = np.array([getattr(params.mix, name) for name in UNIT_STRATEGIES])
    if shares.sum() <= 0:
        raise ValueError("police.strategy is 'mixed' but every police.mix share is 0")
    quota = shares / shares.sum() * units
    counts = np.floor(quota).astype(int)
    for index in np.argsort(-(quota - counts), kind="stable")[: units - counts.sum()]:
        counts[index] += 1
    placed = [((k + 0.5) / count, index, PatrolStrategy(name))
              for index, (name, count) in enumerate(zip(UNIT_STRATEGIES, counts))
              for k in range(count)]
    return [strategy for _, _, strategy in sorted(placed)]


class PoliceUnit(mesa.Agent):
    """A patrol unit working one sector of the city."""

    def __init__(self, model: CityModel, sector: int, strategy: PatrolStrategy,
                 military: bool = False) -> None:
        super().__init__(model)
        self.sector = sector
        self.strategy = PatrolStrategy(strategy)
        self.military = military
        self.on_duty = True  # False while a shock takes the unit off the streets
        self.blocks_today = np.empty(0, dtype=np.int64)
        self.beat = self._draw_beat() if self.strategy is PatrolStrategy.COMMUNITY else None

    @property
    def block(self) -> int | None:
        """The block the unit visited last (for maps), or None before its first patrol."""
        return int(self.blocks_today[-1]) if len(self.blocks_today) else None

    def _draw_beat(self) -> np.ndarray:
        """The blocks of the sector nearest a random beat centre."""
        model = self.model
        blocks = model.sector_blocks[self.sector]
        rows, cols = model.city.rows_cols(blocks)
        centre = model.rng.integers(len(blocks))
        distance = np.hypot(rows - rows[centre], cols - cols[centre])
        return blocks[np.argsort(distance, kind="stable")[:BEAT_BLOCKS]]

    def patrol(self) -> None:
        """Choose today's blocks, add the unit's presence to the police map, act there."""
        model = self.model
        if self.strategy is PatrolStrategy.REACTIVE or not self.on_duty:
            self.blocks_today = np.empty(0, dtype=np.int64)
            return
        visits = model.visits_per_unit
        sector_blocks = model.sector_blocks[self.sector]
        if self.strategy in (PatrolStrategy.HOTSPOT, PatrolStrategy.SATURATION):
            self.blocks_today = self._hotspot_blocks(sector_blocks, visits)
        elif self.strategy is PatrolStrategy.COMMUNITY:
            self.blocks_today = model.rng.choice(self.beat, size=visits)
        else:
            self.blocks_today = model.rng.choice(sector_blocks, size=visits)
        police = model.params.police
        presence = police.saturation_visits if self.strategy is PatrolStrategy.SATURATION else 1.0
        # Corrupt officers tip offenders off: on average their visits deter less.
        presence *= 1.0 - police.tipoff_effect * model.corrupt_share
        np.add.at(model.police_visits, self.blocks_today, presence)
        if self.strategy is PatrolStrategy.SATURATION:
            model.stop_and_search(self)
        elif self.strategy is PatrolStrategy.COMMUNITY:
            model.community_contacts(self.blocks_today)

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
