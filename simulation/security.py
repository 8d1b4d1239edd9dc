"""Private security: firms hired by those who can pay, guarding their clients' blocks (Mesa agents).

Demand (monthly): residents whose household can pay (SES above
``perception.security_demand_ses``) want guards in proportion to their fear; businesses on
commercial and nightlife blocks want them in proportion to the fear of the neighbourhood.
A block's coverage is

    c_b = min(1, hire x (resident demand on the block + business x business demand)),

and covering it takes one guard per ``residents_per_guard`` residents plus
``guards_per_business_block`` on commercial and nightlife blocks. The guards are shared among
``firms`` ``SecurityFirm`` agents by market share.

Effects on the street:

* a guard on a block blocks an attempt there with probability ``guardianship`` x c_b;
* offenders choosing a target see the guards and weigh a covered block by 1 - avoid x c_b, so
  crime moves to unguarded blocks nearby (displacement);
* unregulated guards commit abuses and leak firearms into the city; regulation (licensing and
  oversight, paid by the state per guard) cuts both by ``regulation_effect`` x regulation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.params import PrivateSecurityParams

if TYPE_CHECKING:
    from simulation.model import CityModel

COMMERCIAL_USES = (1, 2)  # indices of commercial and nightlife in LAND_USES


class SecurityFirm(mesa.Agent):
    """A private security company: its share of the market and its guards."""

    def __init__(self, model: CityModel, share: float) -> None:
        super().__init__(model)
        self.share = share
        self.guards = 0.0


class PrivateSecurity:
    """The market for guards: coverage of each block, the firms, abuses and leaked guns."""

    def __init__(self, model: CityModel, params: PrivateSecurityParams) -> None:
        self.model, self.params = model, params
        shares = model.rng.dirichlet(np.ones(max(params.firms, 1)))
        self.firms = [SecurityFirm(model, float(share)) for share in shares[:params.firms]]
        cells = model.city.cells
        self.coverage = np.zeros(cells)
        self.business = np.isin(model.city.land_use, COMMERCIAL_USES)
        self.guards = 0.0
        self.leaked_guns = 0.0  # per resident, accumulated

    def update(self) -> None:
        """Monthly: coverage from today's demand, guards per firm, guns leaked this month."""
        model, params = self.model, self.params
        if params.hire == 0 or len(self.firms) == 0:
            self.coverage[:] = 0.0
            self.guards = 0.0
            return
        population, city = model.population, model.city
        can_pay = population.ses > model.params.perception.security_demand_ses
        demand = np.where(can_pay, population.fear, 0.0)
        per_block = np.bincount(population.home_cell, weights=demand, minlength=city.cells)
        living = np.bincount(population.home_cell, minlength=city.cells)
        residents = np.maximum(living, 1)
        neighbourhood_fear = (np.bincount(population.neighbourhood, weights=population.fear,
                                          minlength=city.neighbourhoods)
                              / np.maximum(np.bincount(population.neighbourhood,
                                                       minlength=city.neighbourhoods), 1))
        business = self.business * params.business * neighbourhood_fear[city.neighbourhood]
        self.coverage[:] = np.minimum(1.0, params.hire * (per_block / residents + business))
        self.guards = float((self.coverage * (living / params.residents_per_guard
                                              + self.business * params.guards_per_business_block)).sum())
        for firm in self.firms:
            firm.guards = firm.share * self.guards
        unchecked = 1.0 - params.regulation_effect * params.regulation
        guards_per_100k = self.guards * 100_000 / population.size
        self.leaked_guns += guards_per_100k * params.leak_per_guard_year * unchecked / 12

    def firearms_availability(self, base: float) -> float:
        """Chance that a violent offender is armed, with the guns leaked from firms."""
        return min(1.0, base + self.leaked_guns)

    def abuses_today(self, rng: np.random.Generator) -> int:
        params = self.params
        unchecked = 1.0 - params.regulation_effect * params.regulation
        return int(rng.poisson(self.guards * params.abuse_per_guard_year * unchecked / 365))

    def apparent(self, attractiveness: np.ndarray) -> np.ndarray:
        """Attractiveness as offenders choosing a target see it: guarded blocks look worse."""
        return attractiveness * (1.0 - self.params.avoid * self.coverage)

    def block_probability(self, blocks: np.ndarray) -> np.ndarray:
        """Chance that guards block an attempt at these blocks."""
        return self.params.guardianship * self.coverage[blocks]

    def coverage_by_neighbourhood(self) -> np.ndarray:
        city = self.model.city
        return (np.bincount(city.neighbourhood, weights=self.coverage, minlength=city.neighbourhoods)
                / np.maximum(np.bincount(city.neighbourhood, minlength=city.neighbourhoods), 1))
