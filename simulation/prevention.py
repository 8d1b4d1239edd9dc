"""Prevention and participation: the municipality and its programmes (Mesa agents).

The ``Municipality`` decides how much of each programme is delivered and how well it works:

* delivery = (0.4 + 0.6 technical capacity) x (0.5 + 0.5 coordination) scales every effect
  (coordination between national and local government is a lever of the policy papers);
* funded share = 0.5 + 0.5 financial capacity of the budgeted places is delivered;
* targeting sees risk through noise: observed = risk x exp(N(0, (1.5 (1 - data quality))^2));
* decentralisation moves budget and authority down: financial capacity and data quality rise
  by half their gap to 1, times the decentralisation index (technical capacity does not).

Each ``Programme`` has places, a targeting rule and an effect (``params.prevention.programmes``):

* ``YouthProgramme``: mentoring, schooling and jobs for the 12-24-year-olds at highest observed
  risk; lower motivation while enrolled, a lasting fall of propensity on completion, drop-outs
  back to school and the unemployed into jobs;
* ``Renewal``: lighting and public-space renewal of the hottest blocks each year (lower A0);
* ``Interrupters``: violence interruption, mediating disputes before they are avenged;
* ``Councils``: community councils in the neediest neighbourhoods (informal guardianship, trust);
* ``DomesticViolenceServices``: support for households where a woman reported abuse, and
  with the places left, for the households at highest observed risk (the man's hazard falls,
  the woman reports more).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.params import MunicipalityParams
from simulation.population import Status

if TYPE_CHECKING:
    from simulation.model import CityModel

DAYS_PER_YEAR = 365


class Municipality(mesa.Agent):
    """The city government: how much of a programme arrives, how well it works and is targeted."""

    def __init__(self, model: CityModel, params: MunicipalityParams) -> None:
        super().__init__(model)
        lift = 0.5 * params.decentralisation
        self.financial = params.financial_capacity + lift * (1.0 - params.financial_capacity)
        self.data_quality = params.data_quality + lift * (1.0 - params.data_quality)
        self.delivery = (0.4 + 0.6 * params.technical_capacity) * (0.5 + 0.5 * params.coordination)
        self.funded_share = 0.5 + 0.5 * self.financial

    def delivered(self, budgeted: float) -> int:
        """Places (or blocks, workers, councils) that actually run out of those budgeted."""
        return int(round(budgeted * self.funded_share))

    def observe(self, risk: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Risk as the programme's data show it."""
        sigma = 1.5 * (1.0 - self.data_quality)
        return risk * np.exp(sigma * rng.standard_normal(len(risk)))


class Programme(mesa.Agent):
    """A municipal programme: its delivered capacity and what it did."""

    kind = "programme"

    def __init__(self, model: CityModel, budgeted: float) -> None:
        super().__init__(model)
        self.budgeted = budgeted
        self.capacity = model.municipality.delivered(budgeted)

    def resize(self, budgeted: float) -> None:
        """A new budget (an election cut): the places delivered change from today."""
        self.budgeted = budgeted
        self.capacity = self.model.municipality.delivered(budgeted)


class YouthProgramme(Programme):
    """Mentoring, schooling and jobs for the young people at highest observed risk."""

    kind = "youth"

    def __init__(self, model: CityModel, budgeted: float) -> None:
        super().__init__(model, budgeted)
        self.ids = np.empty(0, dtype=np.int64)
        self.until = np.empty(0, dtype=np.int64)
        # Who is enrolled, per resident (only allocated when the programme has places).
        self.enrolled = np.zeros(model.population.size if self.capacity else 0, dtype=bool)
        self.log: list[dict[str, np.ndarray]] = []  # one entry per monthly intake

    def enrol(self, day: int, risk: np.ndarray) -> int:
        """Fill free places with the eligible residents of highest observed risk."""
        model, params = self.model, self.model.params.prevention.programmes
        free = self.capacity - len(self.ids)
        if free <= 0:
            return 0
        population = model.population
        low, high = params.youth_ages
        eligible = np.flatnonzero((population.age >= low) & (population.age < high)
                                  & (population.status == Status.FREE) & ~self.enrolled)
        if len(eligible) == 0:
            return 0
        observed = model.municipality.observe(risk[eligible], model.rng)
        chosen = eligible[np.argsort(-observed, kind="stable")[:free]]
        self.ids = np.concatenate([self.ids, chosen])
        self.until = np.concatenate([self.until, np.full(len(chosen), day + params.youth_days)])
        self.enrolled[chosen] = True
        self.log.append({"ids": chosen, "day": np.full(len(chosen), day),
                         "risk": risk[chosen], "offences": population.offences[chosen].copy()})
        delivery = model.municipality.delivery
        dropouts = chosen[population.dropped_out[chosen]]
        back = dropouts[model.rng.random(len(dropouts)) < params.youth_school_return * delivery]
        population.in_school[back] = True
        population.dropped_out[back] = False
        idle = chosen[(population.age[chosen] >= 18) & ~population.employed[chosen]
                      & ~population.in_school[chosen]]
        population.employed[idle[model.rng.random(len(idle)) < params.youth_job * delivery]] = True
        return len(chosen)

    def complete(self, day: int) -> int:
        """Participants whose spell ends today leave with a lasting fall in propensity."""
        done = self.until <= day
        if not done.any():
            return 0
        ids = self.ids[done]
        params = self.model.params.prevention.programmes
        factor = np.float32(np.exp(-params.youth_lasting * self.model.municipality.delivery))
        self.model.population.propensity[ids] *= factor
        self.ids, self.until = self.ids[~done], self.until[~done]
        self.enrolled[ids] = False
        return len(ids)

    def forget(self, residents: np.ndarray) -> None:
        """Participants who died or left: their places are free."""
        if len(self.ids) == 0:
            return
        gone = np.isin(self.ids, residents)
        if gone.any():
            self.enrolled[self.ids[gone]] = False
            self.ids, self.until = self.ids[~gone], self.until[~gone]

    def resize(self, budgeted: float) -> None:
        """Cut (or grow) the programme; the latest entrants beyond the new capacity leave
        before they finish, without the lasting effect."""
        super().resize(budgeted)
        if self.capacity and len(self.enrolled) == 0:
            self.enrolled = np.zeros(self.model.population.size, dtype=bool)
        excess = len(self.ids) - self.capacity
        if excess > 0:
            order = np.argsort(self.until, kind="stable")  # the latest to finish leave first
            leaving = self.ids[order[-excess:]]
            self.enrolled[leaving] = False
            keep = np.sort(order[:-excess])
            self.ids, self.until = self.ids[keep], self.until[keep]

    def motivation_factor(self) -> float:
        params = self.model.params.prevention.programmes
        return float(np.exp(-params.youth_effect * self.model.municipality.delivery))


class Renewal(Programme):
    """Lighting and public-space renewal of the hottest blocks, once a year."""

    kind = "renewal"

    def __init__(self, model: CityModel, budgeted: float) -> None:
        super().__init__(model, budgeted)
        self.renewed_day = np.full(model.city.cells, -1, dtype=np.int64)

    def renew(self, day: int, recent_crime: np.ndarray) -> np.ndarray:
        """Renew this year's blocks (the hottest not yet renewed, as the data show them)."""
        model = self.model
        candidates = np.flatnonzero(self.renewed_day < 0)
        if self.capacity == 0 or len(candidates) == 0:
            return np.empty(0, dtype=np.int64)
        seen = model.municipality.observe(recent_crime[candidates] + 1e-9, model.rng)
        blocks = candidates[np.argsort(-seen, kind="stable")[:self.capacity]]
        params, city = model.params.prevention.programmes, model.city
        delivery = model.municipality.delivery
        city.lighting[blocks] += (1.0 - city.lighting[blocks]) * delivery
        city.disorder[blocks] *= 1.0 - params.renewal_disorder_cut * delivery
        model.base_attractiveness[:] = (city.base_attractiveness(model.params.opportunity)
                                        * model.shock_attractiveness)
        for name in ("lighting", "disorder"):  # the Mesa property layers show the works too
            getattr(model.grid, name).data.reshape(-1)[blocks] = getattr(city, name)[blocks]
        self.renewed_day[blocks] = day
        return blocks


class Interrupters(Programme):
    """Violence interrupters: mediate disputes (gang disputes first) before they are avenged."""

    kind = "interruption"

    def __init__(self, model: CityModel, budgeted: float) -> None:
        super().__init__(model, budgeted)
        params = model.params.prevention.programmes
        self.per_day = self.capacity * params.disputes_per_interrupter / DAYS_PER_YEAR
        self.credit = 0.0
        self.last_day = -1

    def resize(self, budgeted: float) -> None:
        super().resize(budgeted)
        params = self.model.params.prevention.programmes
        self.per_day = self.capacity * params.disputes_per_interrupter / DAYS_PER_YEAR
        self.credit = min(self.credit, 30 * self.per_day)

    def mediate(self, day: int, linked: np.ndarray) -> np.ndarray:
        """Which of these new disputes are defused (bool per dispute).

        The workers' time accrues once a day and keeps for at most a month's worth.
        """
        model = self.model
        if day != self.last_day:
            days = day - self.last_day if self.last_day >= 0 else 1
            self.credit = min(self.credit + days * self.per_day, 30 * self.per_day)
            self.last_day = day
        order = np.argsort(~linked, kind="stable")  # gang disputes first
        count = min(len(linked), int(self.credit))
        self.credit -= count
        mediated = np.zeros(len(linked), dtype=bool)
        mediated[order[:count]] = True
        success = model.params.prevention.programmes.interruption_success * model.municipality.delivery
        return mediated & (model.rng.random(len(linked)) < success)


class Councils(Programme):
    """Community councils in the neediest (poorest) neighbourhoods."""

    kind = "councils"

    def __init__(self, model: CityModel, budgeted: float) -> None:
        super().__init__(model, budgeted)
        self.neighbourhoods = np.empty(0, dtype=np.int64)
        self._place(self.capacity)

    def _place(self, count: int) -> None:
        """Councils in the ``count`` poorest neighbourhoods: trust rises where one opens and
        falls back where one closes."""
        model = self.model
        order = np.argsort(model.city.neighbourhood_ses, kind="stable")
        chosen = order[:min(count, len(order))]
        starts = model.population.neighbourhood_start
        gain = model.params.prevention.programmes.council_trust * model.municipality.delivery
        trust_base = model.population.trust_base
        for neighbourhood, sign in [(n, 1.0) for n in np.setdiff1d(chosen, self.neighbourhoods)] + \
                [(n, -1.0) for n in np.setdiff1d(self.neighbourhoods, chosen)]:
            inside = slice(starts[neighbourhood], starts[neighbourhood + 1])
            trust_base[inside] = np.clip(trust_base[inside] + sign * gain, 0.0, 1.0)
        self.neighbourhoods = chosen
        self.blocks = np.isin(model.city.neighbourhood, self.neighbourhoods)

    def resize(self, budgeted: float) -> None:
        super().resize(budgeted)
        self._place(self.capacity)

    @property
    def residents_in(self) -> np.ndarray:
        """Whether each resident lives in a council neighbourhood."""
        return np.isin(self.model.population.neighbourhood, self.neighbourhoods)

    def guardianship_factor(self) -> float:
        params = self.model.params.prevention.programmes
        return 1.0 + params.council_guardianship * self.model.municipality.delivery


class DomesticViolenceServices(Programme):
    """Support for households where a woman reported abuse."""

    kind = "domestic"

    def __init__(self, model: CityModel, budgeted: float) -> None:
        super().__init__(model, budgeted)
        households = len(model.population.household_size) if self.capacity else 0
        self.until = np.full(households, -1, dtype=np.int32)  # only allocated with places

    def resize(self, budgeted: float) -> None:
        super().resize(budgeted)
        if self.capacity and len(self.until) == 0:
            self.until = np.full(len(self.model.population.household_size), -1, dtype=np.int32)

    def support(self, day: int, households: np.ndarray) -> int:
        """Give free places to these households (first come, first served)."""
        if self.capacity == 0 or len(households) == 0:
            return 0
        households = np.unique(households)
        households = households[self.until[households] <= day]
        free = self.capacity - int((self.until > day).sum())
        households = households[:max(free, 0)]
        self.until[households] = day + self.model.params.prevention.programmes.dv_days
        return len(households)

    def outreach(self, day: int, household_risk: np.ndarray) -> int:
        """Places left after the reported cases go to the households at highest observed risk
        (referrals from health centres, schools and social services)."""
        free = self.capacity - int((self.until > day).sum())
        if free <= 0:
            return 0
        candidates = np.flatnonzero((household_risk > 0) & (self.until <= day))
        if len(candidates) == 0:
            return 0
        seen = self.model.municipality.observe(household_risk[candidates], self.model.rng)
        chosen = candidates[np.argsort(-seen, kind="stable")[:free]]
        self.until[chosen] = day + self.model.params.prevention.programmes.dv_days
        return len(chosen)

    def supported(self, day: int, households: np.ndarray) -> np.ndarray:
        if len(self.until) == 0:
            return np.zeros(len(households), dtype=bool)
        return self.until[households] > day

    def hazard_factor(self) -> float:
        params = self.model.params.prevention.programmes
        return 1.0 - params.dv_effect * self.model.municipality.delivery


def displacement(treated: np.ndarray, grid_shape: tuple[int, int], crimes_treated_run: np.ndarray,
                 crimes_control_run: np.ndarray, radius: int = 2) -> dict[str, float]:
    """Crime on treated blocks and in the ring around them, against a control run (S9).

    The ring is every untreated block within ``radius`` blocks (a square) of a treated one.
    ``displacement_quotient`` = (ring crimes - ring crimes in the control run) / (treated
    crimes in the control run - treated crimes): crimes pushed into the ring per crime averted
    on the treated blocks; positive is displacement, negative diffusion of benefits (the
    counterfactual form of Bowers & Johnson's 2003 weighted displacement quotient).
    """
    from scipy.ndimage import binary_dilation

    treated = np.asarray(treated, dtype=bool).reshape(grid_shape)
    ring = binary_dilation(treated, structure=np.ones((2 * radius + 1,) * 2, dtype=bool)) & ~treated
    after, control = crimes_treated_run.reshape(grid_shape), crimes_control_run.reshape(grid_shape)
    treated_after, treated_control = float(after[treated].sum()), float(control[treated].sum())
    ring_after, ring_control = float(after[ring].sum()), float(control[ring].sum())
    averted = treated_control - treated_after
    return {
        "treated_blocks": int(treated.sum()),
        "buffer_blocks": int(ring.sum()),
        "treated_change": treated_after / treated_control - 1 if treated_control else np.nan,
        "buffer_change": ring_after / ring_control - 1 if ring_control else np.nan,
        "displacement_quotient": (ring_after - ring_control) / averted if averted else np.nan,
    }
