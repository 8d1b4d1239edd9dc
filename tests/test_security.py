"""Private security: who buys it, what it does to crime on and around client blocks, and what
regulation changes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import stepped

from simulation import Parameters, with_overrides
from simulation.indicators import COLUMN
from simulation.model import CityModel
from simulation.prevention import displacement

CITY = {"population.residents": 50_000, "warmup_days": 365}
DAYS = 730


def simulate(overrides: dict, seed: int = 6) -> CityModel:
    return stepped(with_overrides(Parameters(), {**CITY, **overrides}), DAYS, seed)


@pytest.fixture(scope="module")
def markets():
    return simulate({}), simulate({"private_security.hire": 0.0})


def test_those_who_can_pay_buy_the_guards(markets):
    guarded, _ = markets
    coverage = guarded.private_security.coverage_by_neighbourhood()
    order = np.argsort(guarded.city.neighbourhood_ses)
    quarter = len(order) // 4
    assert coverage[order[-quarter:]].mean() > 3 * coverage[order[:quarter]].mean()
    assert guarded.private_security.guards > 0
    assert abs(sum(firm.guards for firm in guarded.private_security.firms)
               - guarded.private_security.guards) < 1e-6


def test_guards_protect_clients_and_push_crime_next_door_widening_the_gap(markets):
    guarded, unguarded = markets
    clients = guarded.private_security.coverage > 0.5
    table = displacement(clients, guarded.city.grid_shape, guarded.indicators.crimes_by_block_total,
                         unguarded.indicators.crimes_by_block_total)
    assert table["treated_change"] < -0.2
    # Unguarded blocks next to client blocks get more crime (displacement).
    ring_only = displacement(
        clients, guarded.city.grid_shape,
        np.where(guarded.private_security.coverage < 0.1, guarded.indicators.crimes_by_block_total, 0),
        np.where(guarded.private_security.coverage < 0.1, unguarded.indicators.crimes_by_block_total, 0))
    assert ring_only["buffer_change"] > 0.05
    # The poorest quarter's victimisation relative to the richest quarter's rises.
    gap = lambda m: np.mean([row["victimisation_gap"] for row in m.indicators.annual])  # noqa: E731
    assert gap(guarded) > gap(unguarded) + 0.03


def test_regulation_cuts_abuses_and_leaked_guns():
    loose = simulate({"private_security.regulation": 0.0})
    strict = simulate({"private_security.regulation": 1.0})
    abuses = lambda m: m.indicators.daily[:, COLUMN["security_abuse"]].sum()  # noqa: E731
    assert abuses(strict) < 0.4 * abuses(loose)
    assert abuses(loose) > 20
    base = Parameters().firearms.availability
    assert strict.firearms_availability - base < 0.4 * (loose.firearms_availability - base)
