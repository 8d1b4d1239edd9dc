"""Justice, prisons, reintegration and victims: what happens after an arrest.

An arrest that stands becomes a case (`Court.charge`): residents below the minimum age of
criminal responsibility are not charged, and of the rest a share is. A charged defendant may be
detained while waiting for trial (broad or restricted pre-trial detention); detainees take
prison places. Cases wait a preparation time and then a free prosecutor, first come, first
served: when the courts cannot keep up the backlog and the waits grow. At trial
(`Court.hear`) the defendant is convicted with a probability that depends on the crime, the
evidence (caught at the scene or not) and, for violent crime, witness protection. A conviction
leads to prison, to probation, or for eligible offenders (non-violent, first conviction) to an
alternative: community service, probation or restorative conciliation with reparation to the
victim. Defendants below the adult age go to juvenile justice.

Prisons (`Prison`) have places; their occupancy, the mixing of first-time with repeat
offenders and their education and work places decide what a spell does to a prisoner: on
release (`Prison.release`) his propensity to offend changes and some of his peers are now
fellow prisoners. The months after release carry a strain (no job, money or housing) that
reintegration support softens. Victims who report may get assistance (places), which averts
some repeat victimisation, relieves fear and raises trust.

Courts and prisons are Mesa agents; residents stay numpy columns (`simulation.population`).
Every random draw comes from the model's generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.params import CRIME_TYPES, VIOLENT_CRIMES, JusticeParams, PretrialPolicy
from simulation.population import DAYS_PER_YEAR

if TYPE_CHECKING:
    from simulation.model import CityModel

VIOLENT = np.array([crime in VIOLENT_CRIMES for crime in CRIME_TYPES])
"""Which crime-type codes are violent."""
HOMICIDE_CODE = CRIME_TYPES.index("homicide")
MAX_PRIORS = 4
"""Prior convictions beyond this many do not lengthen a sentence further."""
MAX_PROPENSITY = 50.0
"""Ceiling of a resident's propensity after repeated prison spells (a numerical guard)."""
HELD_FOR_STRAIN = 30
"""Days held after which release brings strain and the loss of a job."""


class Places:
    """A pool of places, each held for a set time; first come, first served."""

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
        self.ends = np.empty(0, dtype=np.int64)

    def occupied(self, day: int) -> int:
        self.ends = self.ends[self.ends > day]
        return len(self.ends)

    def admit(self, count: int, day: int, days: int) -> int:
        """Admit up to ``count`` people for ``days`` days; returns how many got a place."""
        admitted = max(0, min(count, self.capacity - self.occupied(day)))
        if admitted:
            self.ends = np.concatenate([self.ends, np.full(admitted, day + days)])
        return admitted


@dataclass
class Outcome:
    """What a day of trials decided, one entry per case heard."""

    defendant: np.ndarray
    crime: np.ndarray
    victim: np.ndarray
    convicted: np.ndarray  # bool
    juvenile: np.ndarray  # bool
    prison_days: np.ndarray  # int, 0 when not sent to prison
    alternative: np.ndarray  # bool: community service, probation or restorative as an alternative
    restorative: np.ndarray  # bool
    supervised: np.ndarray  # bool: probation, community service or juvenile measures


class Court(mesa.Agent):
    """The prosecution service and the courts of the city: charging, backlog, verdicts.

    Capacity: ``prosecutors x cases_per_prosecutor / 365`` verdicts a day, handed out in whole
    cases; the fractional part carries over to the next day, whole cases' worth of time left
    unused for want of ready cases does not.
    """

    FIELDS = ("defendant", "crime", "victim", "arrest_day", "ready_day", "on_scene", "protected")

    def __init__(self, model: CityModel) -> None:
        super().__init__(model)
        params, residents = model.params.justice, model.params.population.residents
        court = params.court
        self.capacity_per_day = (court.prosecutors_per_100k * residents / 100_000
                                 * court.cases_per_prosecutor / DAYS_PER_YEAR)
        self.credit = 0.0
        self.queue = {name: np.empty(0, dtype=bool if name in ("on_scene", "protected") else np.int64)
                      for name in self.FIELDS}
        self.derive_tables(params)

    def derive_tables(self, params: JusticeParams) -> None:
        """Conviction chances, prison chances and sentence lengths by crime type (at creation,
        and again when a running city changes its plan)."""
        sentencing = params.sentencing
        self.conviction = np.array([getattr(params.court.conviction, c) for c in CRIME_TYPES])
        self.prison_probability = np.array([getattr(sentencing.prison, c) for c in CRIME_TYPES])
        self.sentence_days = np.array([getattr(sentencing.sentence_days, c) for c in CRIME_TYPES])

    @property
    def backlog(self) -> int:
        """Charged cases waiting for a verdict."""
        return len(self.queue["defendant"])

    def charge(
        self, day: int, defendants: np.ndarray, crimes: np.ndarray, victims: np.ndarray,
        on_scene: np.ndarray,
    ) -> np.ndarray:
        """Open cases against arrested residents; returns the mask of those charged.

        Residents below ``sentencing.min_age`` are not charged; of the others a share
        ``court.charge_probability`` is. A violent case gets witness protection with
        probability ``court.witness_protection``.
        """
        model, params = self.model, self.model.params.justice
        rng = model.rng
        of_age = model.population.age[defendants] >= params.sentencing.min_age
        charged = of_age & (rng.random(len(defendants)) < params.court.charge_probability)
        protected = VIOLENT[crimes] & (rng.random(len(defendants)) < params.court.witness_protection)
        model.indicators.add("witness_protected", int((protected & charged).sum()))
        ready = day + int(round(params.court.preparation_days))
        new = {"defendant": defendants[charged], "crime": crimes[charged], "victim": victims[charged],
               "arrest_day": np.full(int(charged.sum()), day), "ready_day": np.full(int(charged.sum()), ready),
               "on_scene": on_scene[charged], "protected": protected[charged]}
        for name in self.FIELDS:
            self.queue[name] = np.concatenate([self.queue[name], new[name]])
        return charged

    def forget(self, residents: np.ndarray) -> None:
        """Cases against residents who died are closed."""
        keep = ~np.isin(self.queue["defendant"], residents)
        if not keep.all():
            for name in self.FIELDS:
                self.queue[name] = self.queue[name][keep]

    def hear(self, day: int) -> tuple[Outcome, np.ndarray]:
        """Try today's cases: the oldest ready ones, up to the day's capacity.

        Returns the outcome and the days each case waited from arrest to verdict.
        """
        self.credit += self.capacity_per_day
        slots = int(self.credit)
        ready = np.flatnonzero(self.queue["ready_day"] <= day)[:slots]  # the queue is in arrival order
        self.credit -= len(ready)
        if slots > len(ready):  # too few cases waiting: unused time is lost, not saved up
            self.credit %= 1.0
        cases = {name: values[ready] for name, values in self.queue.items()}
        keep = np.ones(self.backlog, dtype=bool)
        keep[ready] = False
        for name in self.FIELDS:
            self.queue[name] = self.queue[name][keep]
        return self.decide(cases), day - cases["arrest_day"]

    def decide(self, cases: dict[str, np.ndarray]) -> Outcome:
        """Verdicts and sentences of the cases heard today."""
        model, params = self.model, self.model.params.justice
        rng, population = model.rng, model.population
        court, sentencing = params.court, params.sentencing
        defendant, crime = cases["defendant"], cases["crime"]
        count = len(defendant)
        chance = self.conviction[crime] * np.where(cases["on_scene"], court.evidence_on_scene, 1.0)
        chance = chance * np.where(cases["protected"], 1.0 + court.witness_protection_effect, 1.0)
        convicted = rng.random(count) < np.minimum(chance, 1.0)
        priors = population.convictions[defendant].astype(np.int64)
        juvenile = population.age[defendant] < sentencing.adult_age
        violent = VIOLENT[crime]
        # Adults: alternatives for the eligible, else prison or probation by crime type.
        eligible = convicted & ~juvenile & ~violent & (priors == 0)
        alternative = eligible & (rng.random(count) < sentencing.alternatives)
        restorative = alternative & (cases["victim"] >= 0) & (rng.random(count) < sentencing.restorative_share)
        prison_chance = np.where(priors > 0, np.maximum(self.prison_probability[crime],
                                                        sentencing.repeat_prison_probability),
                                 self.prison_probability[crime])
        adult_prison = convicted & ~juvenile & ~alternative & (rng.random(count) < prison_chance)
        # Juveniles: detention as a last resort, for violent crime only.
        juvenile_prison = convicted & juvenile & violent & (rng.random(count) < sentencing.juvenile_detention)
        to_prison = adult_prison | juvenile_prison
        length = (self.sentence_days[crime] * (1.0 + sentencing.prior_record_effect * np.minimum(priors, MAX_PRIORS))
                  * sentencing.severity * np.where(juvenile, sentencing.juvenile_sentence_ratio, 1.0)
                  * rng.lognormal(0.0, sentencing.sentence_sd, count))
        prison_days = np.where(to_prison, np.maximum(1, np.rint(length)), 0).astype(np.int64)
        supervised = convicted & ~to_prison & ~restorative
        return Outcome(defendant=defendant, crime=crime, victim=cases["victim"], convicted=convicted,
                       juvenile=juvenile, prison_days=prison_days, alternative=alternative,
                       restorative=restorative, supervised=supervised)


@dataclass
class Released:
    """Residents leaving a prison today and what their spell was like."""

    ids: np.ndarray
    days_held: np.ndarray
    sentenced: np.ndarray  # bool: served a prison sentence (not only pre-trial detention)
    crowding: np.ndarray  # mean occupancy above 1 during the spell (0 when never crowded)
    coverage: np.ndarray  # mean share of inmates with a programme place during the spell
    mixed: np.ndarray  # bool: a first-time prisoner held with repeat offenders
    facility: str

    @classmethod
    def empty(cls, facility: str) -> Released:
        nothing = np.empty(0, dtype=np.int64)
        return cls(nothing, nothing, nothing.astype(bool), nothing.astype(float),
                   nothing.astype(float), nothing.astype(bool), facility)


class Prison(mesa.Agent):
    """An adult prison or a juvenile detention centre: places, inmates, conditions.

    Each day the prison adds its occupancy (inmates / places) and its programme coverage
    (min(1, programme places / inmates)) to running sums; a prisoner's spell averages them
    between his entry and his release.
    """

    FIELDS = ("ids", "entry", "until", "sentenced", "mixed", "occupancy_at_entry", "coverage_at_entry")

    def __init__(self, model: CityModel, facility: str, places: float, programme_places: float) -> None:
        super().__init__(model)
        self.facility = facility
        self.places = max(int(round(places)), 0)
        self.programme_places = programme_places
        self.occupancy_sum = 0.0
        self.coverage_sum = 0.0
        self.inmates = {name: np.empty(0, dtype=bool if name in ("sentenced", "mixed") else
                                       float if name.endswith("at_entry") else np.int64)
                        for name in self.FIELDS}

    @property
    def population(self) -> int:
        return len(self.inmates["ids"])

    @property
    def pretrial(self) -> int:
        return int((~self.inmates["sentenced"]).sum())

    @property
    def occupancy(self) -> float:
        return self.population / self.places if self.places else float(self.population > 0) * np.inf

    def count_day(self) -> None:
        """Add today's occupancy and programme coverage to the running sums."""
        occupancy = self.occupancy if self.places else (10.0 if self.population else 0.0)
        self.occupancy_sum += occupancy
        self.coverage_sum += min(1.0, self.programme_places / self.population) if self.population else 1.0

    def admit(self, ids: np.ndarray, day: int, until: np.ndarray, sentenced: bool) -> None:
        """Take in residents until the given days (a detainee's until is his pre-trial limit)."""
        if len(ids) == 0:
            return
        model = self.model
        first_time = model.population.prison_spells[ids] == 0
        separated = model.rng.random(len(ids)) < model.params.justice.prison.separation
        mixed = first_time & ~separated & (self.facility == "adult")
        new = {"ids": ids, "entry": np.full(len(ids), day), "until": until,
               "sentenced": np.full(len(ids), sentenced), "mixed": mixed,
               "occupancy_at_entry": np.full(len(ids), self.occupancy_sum),
               "coverage_at_entry": np.full(len(ids), self.coverage_sum)}
        for name in self.FIELDS:
            self.inmates[name] = np.concatenate([self.inmates[name], new[name]])

    def sentence(self, ids: np.ndarray, days: np.ndarray, day: int) -> None:
        """Inmates here get prison sentences of ``days`` (distinct ids).

        A detainee's time on remand counts towards his sentence (he stays until entry + days, at
        least today); a prisoner already serving a sentence serves the new one after it.
        """
        where = np.flatnonzero(np.isin(self.inmates["ids"], ids))
        order = np.argsort(ids)
        new_days = days[order[np.searchsorted(ids, self.inmates["ids"][where], sorter=order)]]
        inmates = self.inmates
        serving = inmates["sentenced"][where]
        inmates["until"][where] = np.where(serving, inmates["until"][where] + new_days,
                                           np.maximum(inmates["entry"][where] + new_days, day))
        inmates["sentenced"][where] = True

    def release(self, day: int, ids: np.ndarray | None = None) -> Released:
        """Let out the inmates whose time is up today (or the given ones)."""
        inmates = self.inmates
        leaving = inmates["until"] <= day if ids is None else np.isin(inmates["ids"], ids)
        if not leaving.any():
            return Released.empty(self.facility)
        held = np.maximum(day - inmates["entry"][leaving], 1)
        crowding = np.maximum(0.0, (self.occupancy_sum - inmates["occupancy_at_entry"][leaving]) / held - 1.0)
        coverage = (self.coverage_sum - inmates["coverage_at_entry"][leaving]) / held
        released = Released(ids=inmates["ids"][leaving], days_held=held,
                            sentenced=inmates["sentenced"][leaving], crowding=crowding,
                            coverage=coverage, mixed=inmates["mixed"][leaving], facility=self.facility)
        for name in self.FIELDS:
            inmates[name] = inmates[name][~leaving]
        return released


def prison_effect(released: Released, params: JusticeParams, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Change of log propensity from a prison spell, and who completed a programme.

    d log propensity = base (sentenced only) + min(1, years held) (crowding_effect x crowding +
    mixing_effect x mixed) - rehabilitation_effect x completed x (1 - loss x min(1, crowding)),
    where a prisoner completes a programme with probability coverage x min(1, days held /
    programme_days).
    """
    prison = params.prison
    years = np.minimum(1.0, released.days_held / DAYS_PER_YEAR)
    harm = (prison.criminogenic_base * released.sentenced
            + years * (prison.crowding_effect * released.crowding + prison.mixing_effect * released.mixed))
    completion = released.coverage * np.minimum(1.0, released.days_held / prison.programme_days)
    completed = released.sentenced & (rng.random(len(released.ids)) < completion)
    help_ = (prison.rehabilitation_effect * completed
             * np.maximum(0.0, 1.0 - prison.crowding_rehab_loss * np.minimum(1.0, released.crowding)))
    return harm - help_, completed


def pretrial_detention(
    crimes: np.ndarray, priors: np.ndarray, juvenile: np.ndarray, params: JusticeParams,
    rng: np.random.Generator,
) -> np.ndarray:
    """Which charged defendants wait for trial in detention.

    Broad policy: any charge, with ``broad_probability``. Restricted: violent charges with
    ``violent_probability``, non-violent ones only with a previous conviction (flight risk)
    with ``flight_risk_probability``. Under both, a homicide charge is always detained and a
    juvenile only on a violent charge.
    """
    pretrial = params.pretrial
    if pretrial.policy is PretrialPolicy.BROAD:
        chance = np.full(len(crimes), pretrial.broad_probability)
    else:
        chance = np.where(VIOLENT[crimes], pretrial.violent_probability,
                          np.where(priors > 0, pretrial.flight_risk_probability, 0.0))
    chance = np.where(crimes == HOMICIDE_CODE, 1.0, chance)
    # Juveniles are detained before trial only on violent charges (detention as a last resort).
    chance = np.where(juvenile & ~VIOLENT[crimes], 0.0, chance)
    return rng.random(len(crimes)) < chance


class ReleaseStrain:
    """Residents recently released, whose offending hazard carries an extra, fading strain.

    The extra hazard of resident i released on day d is m_i s_i exp(-(t - d) / tau), with m_i
    his motivation, s_i = release_strain x (1 - support_effect if supported) and tau =
    release_strain_days; entries older than 6 tau are dropped.
    """

    def __init__(self) -> None:
        self.ids = np.empty(0, dtype=np.int64)
        self.day = np.empty(0, dtype=np.int64)
        self.scale = np.empty(0, dtype=float)

    def add(self, ids: np.ndarray, day: int, scale: np.ndarray) -> None:
        self.ids = np.concatenate([self.ids, ids])
        self.day = np.concatenate([self.day, np.full(len(ids), day)])
        self.scale = np.concatenate([self.scale, scale])

    def forget(self, ids: np.ndarray) -> None:
        keep = ~np.isin(self.ids, ids)
        self.ids, self.day, self.scale = self.ids[keep], self.day[keep], self.scale[keep]

    def weights(self, day: int, tau: float) -> tuple[np.ndarray, np.ndarray]:
        """(residents, strain weight today) of the entries still followed."""
        keep = day - self.day < 6 * tau
        self.ids, self.day, self.scale = self.ids[keep], self.day[keep], self.scale[keep]
        return self.ids, self.scale * np.exp(-(day - self.day) / tau)
