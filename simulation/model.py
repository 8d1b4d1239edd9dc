"""CityModel: an agent-based city for testing public-security policy (one step = one day).

The model combines the crime-pattern dynamics of Short et al. (2008) with routine-activity and
rational-choice offending (Cohen & Felson 1979; Nagin 2013), police patrol as guardianship,
and the reporting process that separates true from recorded crime. Residents are a
structure of numpy arrays (`simulation.population`); police units are Mesa agents
(`simulation.policing`). Every random draw comes from ``self.rng``, except: the city's
geography (from ``city.seed``, the same city in every replicate, unless unset), the daily
order in which police units patrol (Mesa's ``self.random``, seeded from the same seed) and
the victimisation survey's sample (its own stream from the same seed).

The day, in the order docs/ODD.md describes it:

1. residents' monthly refresh (ages, school and jobs, trust recovery, corruption, fear,
   motivation with legitimacy, informal guardians) and the yearly demography;
2. releases from custody, and arrests from investigations that are due;
3. police patrol: presence, stop-and-search, community contacts;
4. street offending: attempts, deterrence, target choice, guardianship, crime type, victims,
   reporting, recording, response to calls, arrests, investigations, learning;
5. domestic violence in households;
6. the opportunity field and the police's recorded-crime map are updated;
7. memories fade: neighbourhood trust shocks, victimisation, homicides, caseloads;
8. the day's indicators are collected (and the year's, with the victimisation survey).
"""

from __future__ import annotations

import mesa
import numpy as np
from mesa.datacollection import DataCollector
from mesa.discrete_space import OrthogonalVonNeumannGrid, PropertyLayer

from simulation import (
    cooperation,
    governance,
    justice,
    offending,
    perception,
    prevention,
    security,
    youth,
)
from simulation.city import City, build_city
from simulation.indicators import DAILY_COLUMNS, IndicatorLog, ReleaseCohorts
from simulation.offending import ASSAULT, DOMESTIC, HOMICIDE, PROPERTY, ROBBERY
from simulation.params import AGE_BANDS, CRIME_TYPES, LAND_USES, Parameters
from simulation.params import MetropolitanParams, PatrolStrategy, PoliceParams
from simulation.streams import side_stream
from simulation.policing import (
    PoliceUnit,
    unit_strategies,
    units_on_patrol,
    visit_guardianship,
    visits_per_day,
)
from simulation.population import (
    DAYS_PER_YEAR,
    NEVER,
    WORKING_AGES,
    Population,
    Status,
    annual_demography,
    build_population,
    rebirth,
    update_labour_and_school,
)

DAYS_PER_MONTH = 30
SURVEY_STREAM = 0x5_0B5E_2E
"""Mixed into the run's seed entropy to give the victimisation survey its own stream (it can
then equal no replicate's seed, and building it leaves the caller's seed untouched)."""
BUSINESS = -1
"""Victim id of a crime against a business rather than a resident."""


class CityModel(mesa.Model):
    """A city of blocks, residents, police units; one step is one day.

    Args:
        params: the parameter tree (defaults if omitted).
        rng: seed, `numpy.random.SeedSequence` or Generator for all randomness.
        days: days to record after the warm-up (defaults to the parameters' horizon).

    The first ``params.warmup_days`` steps let the custody population, the attractiveness field
    and perceived risks settle; indicators are recorded from the step after, and
    ``self.day`` counts recorded days from 0 (negative during the warm-up).
    """

    def __init__(self, params: Parameters | None = None, rng=None, days: int | None = None) -> None:
        super().__init__(rng=rng)
        self.params = params = params or Parameters()
        self.horizon = days if days is not None else params.days
        self.warmup = params.warmup_days
        self.shock_attractiveness = 1.0  # a shock's factor on every block's base attractiveness
        # The city's geography comes from its own seed (the same city in every replicate) unless
        # city.seed is unset, when it is drawn from the run's seed like everything else.
        city_rng = self.rng if params.city.seed is None else np.random.default_rng(params.city.seed)
        self.city: City = build_city(params.city, city_rng)
        self.grid = OrthogonalVonNeumannGrid(self.city.grid_shape, torus=False, random=self.random)
        self._create_layers()
        self.population: Population = build_population(
            params.population, self.city, params.offending.initial_perceived_risk, self.rng)
        self.population.gang[:] = youth.seed_gangs(self.population, self.city.neighbourhood_ses,
                                                   params.youth, self.rng)
        self.retaliations = youth.Retaliations()
        self.sector_blocks = [np.flatnonzero(self.city.neighbourhood == n)
                              for n in range(self.city.neighbourhoods)]
        self.neighbourhood_residents = np.diff(self.population.neighbourhood_start)
        # Transnational flows and the municipalities of a metropolitan area (one by default).
        self.cooperation = cooperation.Cooperation(self)
        self.derive_tables(params)
        self._create_police()
        # Legitimacy and integrity: each neighbourhood's shared trust shock, corruption.
        self.trust_shock = np.zeros(self.city.neighbourhoods)
        self.corrupt_share = params.police.initial_corruption
        self.neighbourhood_victimisations = np.zeros(self.city.neighbourhoods)  # recent, decaying
        self.recent_homicides = 0.0  # decaying over a month
        self.recent_violence = 0.0  # robberies and assaults, decaying over a month
        # Police seen in each neighbourhood: visits per block a day, averaged over a month.
        self.police_presence = np.zeros(self.city.neighbourhoods)
        self.blocks_per_neighbourhood = np.bincount(self.city.neighbourhood,
                                                    minlength=self.city.neighbourhoods)
        self.calls_recent = 0.0  # reported crimes a day, smoothed: the reactive units' load
        # Investigations: arrests due on a later day.
        self.pending_due = np.empty(0, dtype=np.int64)
        self.pending_offender = np.empty(0, dtype=np.int64)
        self.pending_block = np.empty(0, dtype=np.int64)
        self.pending_crime = np.empty(0, dtype=np.int64)
        self.pending_victim = np.empty(0, dtype=np.int64)
        self.caseload_per_day = 0.0  # new cases for the detectives a day, smoothed
        # The survey draws its sample from its own stream, so that interviewing more or fewer
        # residents changes nothing else in the run (and keeps common random numbers intact).
        self.survey_rng = side_stream(self.rng, SURVEY_STREAM)
        self._create_justice()
        self._create_prevention()
        self.private_security = security.PrivateSecurity(self, params.private_security)
        self.government = governance.Government(self)
        self.releases = ReleaseCohorts(self.population.size)
        self.indicators = IndicatorLog(days=self.horizon, blocks=self.city.cells,
                                       neighbourhoods=self.city.neighbourhoods)
        self.datacollector = DataCollector(model_reporters={
            name: (lambda model, index=index: model.indicators.today[index])
            for index, name in enumerate(DAILY_COLUMNS)
        })
        self.refresh_residents(day=0)

    # ----------------------------------------------------------------------------------------
    # Set-up
    # ----------------------------------------------------------------------------------------

    def _create_layers(self) -> None:
        """Block fields as Mesa property layers; the model works on flat views of their data."""
        shape = self.city.grid_shape
        layers = {
            "base_attractiveness": self.city.base_attractiveness(self.params.opportunity),
            "dynamic_attractiveness": np.zeros(self.city.cells),
            "attractiveness": np.zeros(self.city.cells),
            "informal_guardianship": np.zeros(self.city.cells),
            "police_visits": np.zeros(self.city.cells),
            "recorded_crime": np.zeros(self.city.cells),
            "crime": np.zeros(self.city.cells),
            "disorder": self.city.disorder,
            "lighting": self.city.lighting,
        }
        for name, values in layers.items():
            layer = PropertyLayer(name, shape, default_value=0.0, dtype=float)
            layer.data[:] = values.reshape(shape)
            self.grid.add_property_layer(layer)
        flat = {name: getattr(self.grid, name).data.reshape(-1) for name in layers}
        self.base_attractiveness = flat["base_attractiveness"]
        self.dynamic_attractiveness = self.grid.dynamic_attractiveness.data  # 2-D for diffusion
        self.attractiveness = flat["attractiveness"]
        self.informal_guardianship = flat["informal_guardianship"]
        self.police_visits = flat["police_visits"]
        self.recorded_recent = flat["recorded_crime"]
        self.recent_crime = flat["crime"]
        np.add(self.base_attractiveness, 0.0, out=self.attractiveness)
        self._field_scratch = np.empty_like(self.dynamic_attractiveness)

    def _create_police(self) -> None:
        """Police units by strategy, then soldiers as saturation units (`police_deployment`),
        and the calls and investigations the force can handle."""
        deployment = self.police_deployment(self.params.police)
        for sector, strategy, military in deployment:
            PoliceUnit(self, sector=sector, strategy=strategy, military=military)
        self.full_capacity = self.police_capacity(self.params.police, deployment)  # before any shock
        self.call_capacity, self.detective_capacity = self.full_capacity

    def police_deployment(
        self, police: PoliceParams, metropolitan: MetropolitanParams | None = None,
    ) -> list[tuple[int, PatrolStrategy, bool]]:
        """(sector, strategy, military) of every unit the force fields: sectors go round the
        neighbourhoods in order of population, so the largest get units first; units that
        answer calls do not patrol and get their sectors last, soldiers after them. In a
        metropolitan area each municipality fields its own force, in its own neighbourhoods."""
        metropolitan = metropolitan or self.params.cooperation.metropolitan
        if metropolitan.municipalities > 1 or metropolitan.officers_per_100k or metropolitan.strategy:
            return self._municipal_deployment(police, metropolitan)
        residents = self.params.population.residents
        order = np.argsort(-self.neighbourhood_residents, kind="stable")
        strategies = unit_strategies(police, units_on_patrol(police.officers_per_100k, police, residents))
        strategies = ([s for s in strategies if s is not PatrolStrategy.REACTIVE]
                      + [s for s in strategies if s is PatrolStrategy.REACTIVE])
        soldiers = units_on_patrol(police.military_per_100k, police, residents)
        deployment = [(strategy, False) for strategy in strategies] + \
            [(PatrolStrategy.SATURATION, True)] * soldiers
        return [(int(order[index % len(order)]), strategy, military)
                for index, (strategy, military) in enumerate(deployment)]

    def _municipal_deployment(
        self, police: PoliceParams, metropolitan: MetropolitanParams,
    ) -> list[tuple[int, PatrolStrategy, bool]]:
        """Each municipality's units, in its own neighbourhoods (by population), municipality
        by municipality: its officers per 100,000 of its residents and its strategy."""
        order = np.argsort(-self.neighbourhood_residents, kind="stable")
        municipality_of = self.cooperation.municipality_of
        officers = metropolitan.officers_per_100k or (police.officers_per_100k,) * metropolitan.municipalities
        strategies = metropolitan.strategy or (police.strategy,) * metropolitan.municipalities
        deployment = []
        for municipality, (rate, strategy) in enumerate(zip(officers, strategies)):
            sectors = order[municipality_of[order] == municipality]
            residents = int(self.neighbourhood_residents[sectors].sum())
            force = police.model_copy(update={"officers_per_100k": rate, "strategy": strategy})
            units = unit_strategies(force, units_on_patrol(rate, force, residents))
            units = ([s for s in units if s is not PatrolStrategy.REACTIVE]
                     + [s for s in units if s is PatrolStrategy.REACTIVE])
            soldiers = units_on_patrol(police.military_per_100k, police, residents)
            posts = [(s, False) for s in units] + [(PatrolStrategy.SATURATION, True)] * soldiers
            deployment += [(int(sectors[index % len(sectors)]), s, military)
                           for index, (s, military) in enumerate(posts)]
        return deployment

    def police_capacity(
        self, police: PoliceParams, deployment: list[tuple[int, PatrolStrategy, bool]],
    ) -> tuple[float, float]:
        """Calls answered and open cases investigated a day by this deployment at full strength."""
        officers = [strategy for _, strategy, military in deployment if not military]
        reactive = sum(1 for strategy in officers if strategy is PatrolStrategy.REACTIVE)
        # Patrol units answer calls too, at a quarter of a reactive unit's capacity.
        calls = police.calls_per_unit * (reactive + 0.25 * (len(officers) - reactive))
        detectives = (police.detectives_per_100k * self.params.population.residents / 100_000
                      * police.cases_per_detective / DAYS_PER_YEAR)
        return calls, detectives

    def derive_tables(self, params: Parameters) -> None:
        """Tables derived from the plan: a unit's visits a day and a visit's guardianship, the
        crime-type mix by land use, base reporting and clearance by crime type (at creation,
        and again when a running city changes its plan, `levers.apply_plan`)."""
        self.visits_per_unit = visits_per_day(params.police)
        self.visit_guardianship = visit_guardianship(params.police)
        self.crime_types = offending.crime_type_table(params.offending)
        self.report_base = np.array([getattr(params.reporting.base, c) for c in CRIME_TYPES])
        self.clearance = np.array([getattr(params.police.clearance, c) for c in CRIME_TYPES])

    def _create_justice(self) -> None:
        """The court, the adult prison and the juvenile centre (Mesa agents), and the pools of
        reintegration, victim-assistance and supervision places."""
        params, per_resident = self.params.justice, self.params.population.residents / 100_000
        self.court = justice.Court(self)
        self.prisons = {
            "adult": justice.Prison(self, "adult", params.prison.capacity_per_100k * per_resident,
                                    params.prison.rehabilitation_places_per_100k * per_resident),
            # Juvenile centres are schools as well: every inmate has a programme place.
            "juvenile": justice.Prison(self, "juvenile",
                                       params.prison.juvenile_capacity_per_100k * per_resident, np.inf),
        }
        self.reintegration = justice.Places(round(params.reintegration.places_per_100k * per_resident))
        self.victim_services = justice.Places(round(params.victims.assistance_places_per_100k * per_resident))
        self.supervision = justice.Places(self.population.size)  # a count of who is supervised
        self.release_strain = justice.ReleaseStrain()

    # ----------------------------------------------------------------------------------------
    # The day
    # ----------------------------------------------------------------------------------------

    def _create_prevention(self) -> None:
        """The municipality and its programmes (budgeted capacity from the parameters)."""
        params = self.params.prevention.programmes
        per = self.population.size / 100_000
        self.municipality = prevention.Municipality(self, self.params.prevention.municipality)
        self.youth_programme = prevention.YouthProgramme(self, params.youth_places_per_100k * per)
        self.renewal = prevention.Renewal(self, params.renewal_blocks_per_year)
        self.interrupters = prevention.Interrupters(self, params.interrupters_per_100k * per)
        self.councils = prevention.Councils(self, params.councils)
        self.dv_services = prevention.DomesticViolenceServices(self, params.dv_places_per_100k * per)
        self.renewal.renew(0, self.base_attractiveness)  # before any crime: the likeliest targets

    def put_capacity_in_force(self, police_share: float, attractiveness: float) -> None:
        """Resize what runs on ``self.params`` after an election cut or a shock: programme
        places, the share of police units on duty (and calls and investigations with them) and
        the shock's factor on base attractiveness."""
        params, per = self.params, self.population.size / 100_000
        programmes, justice_params = params.prevention.programmes, params.justice
        self.youth_programme.resize(programmes.youth_places_per_100k * per)
        self.renewal.resize(programmes.renewal_blocks_per_year)
        self.interrupters.resize(programmes.interrupters_per_100k * per)
        self.councils.resize(programmes.councils)
        self.dv_services.resize(programmes.dv_places_per_100k * per)
        self.prisons["adult"].programme_places = justice_params.prison.rehabilitation_places_per_100k * per
        self.reintegration.capacity = round(justice_params.reintegration.places_per_100k * per)
        self.victim_services.capacity = round(justice_params.victims.assistance_places_per_100k * per)
        units = list(self.police_units)
        on_duty = round(police_share * len(units))
        for rank, index in enumerate(self.government.duty_order(len(units))):
            units[index].on_duty = rank < on_duty
        calls, detectives = self.full_capacity
        self.call_capacity, self.detective_capacity = calls * police_share, detectives * police_share
        if attractiveness != self.shock_attractiveness:
            self.base_attractiveness *= attractiveness / self.shock_attractiveness
            self.shock_attractiveness = attractiveness

    @property
    def firearms_availability(self) -> float:
        """Chance that a violent offender is armed, guns leaked by security firms included."""
        return self.private_security.firearms_availability(
            self.cooperation.availability(self.params.firearms.availability))

    @property
    def gang_gun_ratio(self) -> float:
        """How many times as likely gang members are to be armed (trafficked guns included)."""
        return self.cooperation.gang_ratio(self.params.firearms.gang_ratio)

    @property
    def police_practice(self) -> PoliceParams:
        """The police parameters as joint training leaves them (training, internal audits):
        what abuse and corruption read. The plan's own values are what is paid for."""
        police, cooperation_params = self.params.police, self.params.cooperation
        cached = getattr(self, "_practice", None)
        if cached is None or cached[0] is not police or cached[1] is not cooperation_params:
            cached = (police, cooperation_params, cooperation.practised_police(police, cooperation_params))
            self._practice = cached
        return cached[2]

    @property
    def police_units(self) -> mesa.agent.AgentSet:
        """The patrol units (an empty set in a city without police)."""
        return self.agents_by_type.get(PoliceUnit, mesa.agent.AgentSet([], random=self.random))

    @property
    def day(self) -> int:
        """The current recorded day (0 = first day after the warm-up; negative during it)."""
        return self.steps - 1 - self.warmup

    def step(self) -> None:
        """One day of the city, phase by phase."""
        day = self.steps - 1
        if day == self.warmup:
            self.start_recording()
        if day > 0 and day % DAYS_PER_MONTH == 0:
            self.refresh_residents(day)
        self.cases_today = self.homicides_today = self.violence_today = self.calls_today = 0
        if self.day >= 0:
            self.government.step(self.day)
        self.administer_justice(day)
        self.arrest_investigated(day)
        self.police_visits[:] = 0.0
        self.police_units.shuffle_do("patrol")
        self.commit_offences(day)
        self.avenge(day)
        self.commit_domestic_violence(day)
        self.hand_over(day)
        self.update_opportunity()
        self.update_perception()
        if self.day >= 0:
            self.collect(self.day)
        else:
            self.indicators.today[:] = 0.0

    def start_recording(self) -> None:
        """End of the warm-up: indicators and residents' counters start from zero."""
        self.indicators = IndicatorLog(days=self.horizon, blocks=self.city.cells,
                                       neighbourhoods=self.city.neighbourhoods)
        population = self.population
        for column in ("victimisations", "victimisations_year", "offences", "arrests"):
            getattr(population, column)[:] = 0
        # The cohort followed for the concentration of offending (S5): boys aged 10-17 now.
        cohort = np.flatnonzero(population.male & (population.age >= 10) & (population.age < 18))
        self.cohort_index = np.full(population.size, -1, dtype=np.int64)
        self.cohort_index[cohort] = np.arange(len(cohort))
        self.cohort_offences = np.zeros(len(cohort), dtype=np.int64)
        self.cooperation.flows[:] = 0

    def refresh_residents(self, day: int) -> None:
        """Monthly: ages, school and jobs, motivation, informal guardians, exposure; yearly demography."""
        population, params = self.population, self.params
        population.refresh_ages(day)
        if day > 0:
            penalty = params.justice.reintegration.record_job_penalty
            record = population.prison_spells > 0
            finding = np.where(record, np.float32(1.0 - penalty), np.float32(1.0)) if record.any() else 1.0
            update_labour_and_school(population, params.population, self.rng, finding)
        if day > 0 and day % DAYS_PER_YEAR < DAYS_PER_MONTH:
            deaths_before = population.deaths
            newborn = annual_demography(population, params.population, day, self.rng)
            self._reset_newborn(newborn)
            self.indicators.add("births", len(newborn))
            self.indicators.add("deaths", population.deaths - deaths_before)
        if day > 0:
            self.cooperation.update(day)
            self.receive_arrivals(day)
        if day > 0:
            months = self.params.perception.trust_recovery_months
            population.trust += (population.trust_base - population.trust) * (1 - np.exp(-1 / months))
            self.corrupt_share = perception.update_corruption(self.corrupt_share, self.police_practice)
        if day > 0 and day % DAYS_PER_YEAR < DAYS_PER_MONTH:
            self.indicators.add("renewed_blocks", len(self.renewal.renew(day, self.recorded_recent)))
        self.indicators.add("youth_completed", self.youth_programme.complete(day))
        if day > 0:
            joined, _ = youth.recruit_and_leave(population, population.gang, params.youth, self.rng,
                                                self.cooperation.recruitment_factor())
            self.indicators.add("gang_joined", joined)
            youth.rewire_friendships(population, population.gang, params.youth, self.rng)
        self.refresh_fear(day)
        self.private_security.update()
        self.refresh_hazards()
        risk = np.diff(self.motivation_cumsum, prepend=0.0)
        self.indicators.add("youth_enrolled", self.youth_programme.enrol(day, risk))
        if self.dv_services.capacity:
            household_risk = np.bincount(population.household, weights=np.diff(self.domestic_cumsum, prepend=0.0),
                                         minlength=len(population.household_size))
            self.indicators.add("dv_supported", self.dv_services.outreach(day, household_risk))
        self.refresh_hazards()
        free = population.status == Status.FREE
        self.informal_guardianship[:] = self.informal_guardians(self.working_age_unemployed(), free)
        self.informal_guardianship[self.councils.blocks] = np.minimum(
            1.0, self.informal_guardianship[self.councils.blocks] * self.councils.guardianship_factor())
        young_men = free & population.male & (population.age >= 15) & (population.age < 35)
        self.young_men_by_sector = [np.flatnonzero(young_men[start:stop]) + start for start, stop in
                                    zip(population.neighbourhood_start[:-1],
                                        population.neighbourhood_start[1:])]
        bands = np.minimum(population.age // 5, len(AGE_BANDS) - 1).astype(np.int64)
        self.residents_by_age_band = np.bincount(bands, minlength=len(AGE_BANDS))

    def trust_of(self, residents: np.ndarray) -> np.ndarray:
        """Effective trust in the police of these residents (own + neighbourhood shock)."""
        population = self.population
        return perception.effective_trust(population.trust[residents], self.trust_shock,
                                          population.neighbourhood[residents])

    def refresh_fear(self, day: int) -> None:
        """Monthly fear of crime from own and neighbours' victimisation, disorder and media."""
        population, params = self.population, self.params
        recent = (day - population.last_victimised) < DAYS_PER_YEAR
        assisted = population.assisted_until > day
        if assisted.any():  # assisted victims keep only part of the fear of their victimisation
            recent = recent.astype(np.float32)
            recent[assisted] *= 1.0 - self.params.justice.victims.assistance_fear_relief
        rate = self.neighbourhood_victimisations / np.maximum(self.neighbourhood_residents, 1)
        per_100k = 100_000 / population.size
        population.fear[:] = perception.fear_of_crime(
            recent, rate[population.neighbourhood], self.city.disorder[population.home_cell],
            self.recent_homicides * per_100k, self.recent_violence * per_100k, params.perception)

    def shake_trust(self, neighbourhoods: np.ndarray, shock_per_1000: float) -> None:
        """Events seen in these neighbourhoods (one entry per event) lower their shared trust."""
        if len(neighbourhoods) == 0:
            return
        events = np.bincount(neighbourhoods, minlength=self.city.neighbourhoods)
        self.trust_shock -= shock_per_1000 * 1000 * events / np.maximum(self.neighbourhood_residents, 1)

    def refresh_hazards(self) -> None:
        """Cumulative tables of offending motivation, domestic-violence hazard and exposure.

        They cover every resident; who is in custody is checked when an offender is drawn, so
        a release takes effect the same day. Rebuilt monthly and after any rebirth.
        """
        population, params = self.population, self.params
        legitimacy = perception.legitimacy_factor(
            self.trust_of(np.arange(population.size)), params.reporting.trust_reference,
            params.perception.legitimacy_effect)
        weights = offending.motivation(
            population.propensity, population.age, self.working_age_unemployed(),
            population.dropped_out, params.offending)
        weights *= legitimacy
        del legitimacy
        weights[population.gang != youth.NO_GANG] *= 1.0 + params.youth.facilitation
        weights[youth.family_at_risk(population)] *= 1.0 + params.youth.family_risk
        weights[self.youth_programme.ids] *= self.youth_programme.motivation_factor()
        self.motivation_cumsum = np.cumsum(weights, out=weights)
        domestic = self.domestic_weights()
        if self.dv_services.capacity:
            supported = self.dv_services.supported(self.steps - 1, population.household)
            domestic[supported] *= self.dv_services.hazard_factor()
        self.domestic_cumsum = np.cumsum(domestic, out=domestic)
        self.exposure_cumsum = np.cumsum(population.exposure)

    def informal_guardians(self, unemployed: np.ndarray, free: np.ndarray) -> np.ndarray:
        """Chance that residents block an attempt at each block (routine activities).

        Residents at home guard their own block: the young, the old and the unemployed all
        day, employed adults for ``at_home_share`` of it. The rest of the day they are out in
        their neighbourhood, spread over its blocks by land-use footfall. With h(c) residents
        at home and s(c) people in the street at block c, and collective efficacy
        e = max(0, 1 + gradient (SES - 0.5) 2) of the block's neighbourhood (Sampson et al.
        1997): informal(c) = 1 - (1 - min(1, e g_home))^h(c) * (1 - min(1, e g_street))^s(c).
        """
        city, population, reporting = self.city, self.population, self.params.reporting
        at_home = np.where(unemployed | ~self.working_age(), 1.0, reporting.at_home_share)
        # Fear keeps people at home: a share of their time out is spent in.
        at_home = (at_home + (1 - at_home) * self.params.perception.fear_street_effect
                   * population.fear) * free
        home = np.bincount(population.home_cell, weights=at_home, minlength=city.cells)
        out = np.bincount(population.neighbourhood, weights=free - at_home,
                          minlength=city.neighbourhoods)
        footfall = np.array([getattr(reporting.street_footfall, use) for use in LAND_USES])[city.land_use]
        footfall_total = np.bincount(city.neighbourhood, weights=footfall, minlength=city.neighbourhoods)
        street = out[city.neighbourhood] * footfall / np.maximum(footfall_total[city.neighbourhood], 1e-12)
        efficacy = np.maximum(0.0, 1.0 + reporting.collective_efficacy_gradient
                              * (city.neighbourhood_ses[city.neighbourhood] - 0.5) * 2.0)
        at_home_guard = np.minimum(1.0, reporting.informal_guardianship * efficacy)
        street_guard = np.minimum(1.0, reporting.street_guardianship * efficacy)
        return 1.0 - (1.0 - at_home_guard) ** home * (1.0 - street_guard) ** street

    def working_age(self) -> np.ndarray:
        age = self.population.age
        return (age >= WORKING_AGES[0]) & (age < WORKING_AGES[1]) & ~self.population.in_school

    def working_age_unemployed(self) -> np.ndarray:
        return self.working_age() & ~self.population.employed

    def domestic_weights(self) -> np.ndarray:
        """Domestic-violence hazard weight of each resident: men living with an adult woman.

        weight = propensity x (1 + strain_unemployed x unemployed) for such men, else 0.
        """
        population = self.population
        adult = population.age >= 18
        adult_women = np.bincount(population.household, weights=adult & ~population.male,
                                  minlength=len(population.household_size))
        eligible = adult & population.male & (adult_women[population.household] > 0)
        strain = 1.0 + self.params.offending.strain_unemployed * self.working_age_unemployed()
        return population.propensity * strain * eligible

    def _reset_newborn(self, ids: np.ndarray) -> None:
        """A slot that becomes a newborn leaves the followed cohort, forgets what it learnt,
        and is no longer wanted for the previous occupant's offences."""
        self.population.perceived_risk[ids] = self.params.offending.initial_perceived_risk
        self.releases.forget(ids)
        self.court.forget(ids)
        self.release_strain.forget(ids)
        self.retaliations.forget(ids)
        self.youth_programme.forget(ids)
        self.cooperation.forget(ids)
        for prison in self.prisons.values():
            prison.release(self.steps - 1, ids)  # died inside: the place is free, no release
        if len(self.pending_offender):
            keep = ~np.isin(self.pending_offender, ids)
            self.pending_due, self.pending_offender, self.pending_block, self.pending_crime, \
                self.pending_victim = (self.pending_due[keep], self.pending_offender[keep],
                                       self.pending_block[keep], self.pending_crime[keep],
                                       self.pending_victim[keep])
        if hasattr(self, "cohort_index"):
            self.cohort_index[ids] = -1

    def administer_justice(self, day: int) -> None:
        """Prisons count the day; the courts hear the cases that are due; sentences begin and
        end, detainees reach their pre-trial limit, and the released go home."""
        for prison in self.prisons.values():
            prison.count_day()
        outcome, waited = self.court.hear(day)
        if len(outcome.defendant):
            self.carry_out(day, outcome, waited)
        for prison in self.prisons.values():
            self.return_home(day, prison.release(day))

    def carry_out(self, day: int, outcome: justice.Outcome, waited: np.ndarray) -> None:
        """Apply today's verdicts: records, prison, supervision, restorative conciliation."""
        population, params, log = self.population, self.params.justice, self.indicators
        log.add("trials", len(outcome.defendant))
        log.add("wait_days", float(waited.sum()))
        convicted = outcome.defendant[outcome.convicted]
        np.add.at(population.convictions, convicted, 1)
        log.add("convictions", len(convicted))
        log.add("juvenile_convictions", int((outcome.convicted & outcome.juvenile).sum()))
        log.add("alternatives", int(outcome.alternative.sum()))
        # Detainees who are not sent to prison go home today.
        not_prison = outcome.defendant[outcome.prison_days == 0]
        on_remand = np.unique(not_prison[population.status[not_prison] == Status.PRETRIAL])
        sentenced = outcome.prison_days > 0
        ids, inverse = np.unique(outcome.defendant[sentenced], return_inverse=True)
        on_remand = on_remand[~np.isin(on_remand, ids)]
        for prison in self.prisons.values():
            self.return_home(day, prison.release(day, on_remand))
        if len(ids):
            days = np.bincount(inverse, weights=outcome.prison_days[sentenced]).astype(np.int64)
            log.add("prison_sentences", len(ids))
            held = population.status[ids] != Status.FREE
            for prison in self.prisons.values():
                inside = held & np.isin(ids, prison.inmates["ids"])
                prison.sentence(ids[inside], days[inside], day)
            free, free_days = ids[~held], days[~held]
            juvenile = population.age[free] < params.sentencing.adult_age
            for facility, chosen in (("adult", ~juvenile), ("juvenile", juvenile)):
                self.prisons[facility].admit(free[chosen], day, day + free_days[chosen], sentenced=True)
            population.status[ids] = Status.PRISON
            population.prison_spells[ids] += 1
            self.releases.imprisoned(ids, day)
        supervised = np.unique(outcome.defendant[outcome.supervised])
        population.supervised_until[supervised] = day + params.sentencing.supervision_days
        self.supervision.admit(len(supervised), day, params.sentencing.supervision_days)
        log.add("supervision_orders", len(supervised))
        # Restorative conciliation: the offender repairs the harm; the victim is heard.
        restorative = outcome.restorative
        offenders, victims = outcome.defendant[restorative], outcome.victim[restorative]
        population.propensity[offenders] *= np.float32(np.exp(-params.sentencing.restorative_effect))
        victims = victims[victims >= 0]
        population.trust[victims] = np.minimum(1.0, population.trust[victims]
                                               + params.victims.reparation_trust_gain)
        population.assisted_until[victims] = np.maximum(population.assisted_until[victims],
                                                        day + params.victims.assistance_days)
        log.add("reparations", len(victims))

    def return_home(self, day: int, released: justice.Released) -> None:
        """Residents leave prison: the spell's effect on propensity and peers, lost jobs,
        release strain, reintegration support, and the release cohort for recidivism."""
        ids = released.ids
        if len(ids) == 0:
            return
        population, params, rng, log = self.population, self.params.justice, self.rng, self.indicators
        population.status[ids] = Status.FREE
        change, completed = justice.prison_effect(released, params, rng)
        population.propensity[ids] = np.minimum(
            population.propensity[ids] * np.exp(change), justice.MAX_PROPENSITY).astype(np.float32)
        log.add("programmes_completed", int(completed.sum()))
        self.form_prison_ties(released)
        long = released.days_held >= justice.HELD_FOR_STRAIN
        population.employed[ids[long]] = False
        # Reintegration support: places for released prisoners, in random order today.
        reintegration = params.reintegration
        candidates = np.flatnonzero(long & released.sentenced)
        candidates = candidates[rng.permutation(len(candidates))]
        supported = candidates[:self.reintegration.admit(len(candidates), day, reintegration.support_days)]
        scale = np.full(len(ids), reintegration.release_strain)
        scale[supported] *= 1.0 - reintegration.support_effect
        population.employed[ids[supported]] |= rng.random(len(supported)) < reintegration.support_job
        log.add("supported", len(supported))
        self.release_strain.add(ids[long], day, scale[long])
        prisoners = ids[released.sentenced]
        is_supported = np.zeros(len(ids), dtype=bool)
        is_supported[supported] = True
        self.releases.released(prisoners, day, is_supported[released.sentenced])
        log.add("releases", len(prisoners))

    def form_prison_ties(self, released: justice.Released) -> None:
        """A share of a released prisoner's peers become fellow prisoners (more after a long,
        crowded spell): recruitment inside."""
        population, share = self.population, self.params.justice.prison.prison_ties
        inmates = self.prisons[released.facility].inmates["ids"]
        peers = population.peers.shape[1]
        if share == 0 or len(inmates) == 0 or peers == 0:
            return
        years = np.minimum(1.0, released.days_held / DAYS_PER_YEAR)
        count = np.minimum(peers, np.rint(peers * share * years * (1.0 + released.crowding))).astype(np.int64)
        rows = np.repeat(released.ids, count)
        columns = np.concatenate([np.arange(k) for k in count]) if count.sum() else np.empty(0, np.int64)
        population.peers[rows, columns] = inmates[self.rng.integers(0, len(inmates), len(rows))]

    def commit_offences(self, day: int) -> None:
        """Street offending: attempts -> deterrence -> target -> guardians -> crime, victims, arrests."""
        params, population, rng, log = self.params, self.population, self.rng, self.indicators
        scale = params.offending.attempt_rate / DAYS_PER_YEAR
        candidates = offending.draw_weighted(self.motivation_cumsum,
                                             rng.poisson(scale * self.motivation_cumsum[-1]), rng)
        candidates = np.concatenate([candidates, self.strained_candidates(day, scale)])
        free = population.status[candidates] == Status.FREE
        if self.cooperation.across_borders:
            attempting, targets = self.choose_across_borders(day, candidates[free])
        else:
            # Probation and community service: the supervised expect to be caught more often.
            risk = population.perceived_risk[candidates]
            supervised = population.supervised_until[candidates] > day
            risk = np.where(supervised, np.maximum(risk, params.justice.sentencing.supervision_risk), risk)
            seen = self.police_presence[self.city.neighbourhood[population.home_cell[candidates]]]
            risk = offending.with_visible_police(risk, seen, params.police.visibility_deterrence,
                                                 params.police.visibility_concavity)
            go = rng.random(len(candidates)) < offending.go_ahead_probability(
                risk, offending.deterrence_exponent(params))
            attempting = candidates[free & go]
            log.add("attempts", int(free.sum()))
            log.add("deterred", int((free & ~go).sum()))

            targets = offending.choose_targets(population.home_cell[attempting],
                                               self.private_security.apparent(self.attractiveness),
                                               self.city, params.offending, rng)
        block = offending.guardian_block_probability(
            self.police_visits[targets], self.informal_guardianship[targets], self.visit_guardianship)
        guarded = self.private_security.block_probability(targets)
        block = 1.0 - (1.0 - block) * (1.0 - guarded)
        blocked = rng.random(len(targets)) < block
        happens = ~blocked & (rng.random(len(targets)) < 1.0 - np.exp(-self.attractiveness[targets]))
        log.add("blocked", int(blocked.sum()))
        offenders, targets = attempting[happens], targets[happens]
        is_armed = youth.armed(population.gang[offenders] != youth.NO_GANG, params.firearms, rng,
                               self.firearms_availability, self.gang_gun_ratio)
        lethality = youth.lethality(is_armed, params.firearms)
        crime = offending.draw_crime_types(self.city.land_use[targets], self.crime_types, lethality, rng)
        victims = self.choose_victims(targets, crime)
        # An offender does not rob himself, and a resident in custody is not on the street.
        invalid = (victims == offenders) | (
            (victims != BUSINESS) & (population.status[np.maximum(victims, 0)] != Status.FREE))
        if invalid.any():
            victims[invalid] = self.choose_victims(targets[invalid], crime[invalid])
        kept = self.spare_assisted(day, victims)
        offenders, targets, crime, victims = offenders[kept], targets[kept], crime[kept], victims[kept]
        log.add("firearm_homicides", int(((crime == HOMICIDE) & is_armed[kept]).sum()))
        violent = (crime == ROBBERY) | (crime == ASSAULT) | (crime == HOMICIDE)
        log.add("expected_homicides", float(lethality[kept][violent].sum()))
        witnessed = self.police_visits[targets] > 0
        self.start_disputes(day, offenders, victims, crime)
        self.process_crimes(day, offenders, victims, targets, crime, witnessed)
        crimes_here = np.bincount(targets, minlength=self.city.cells)
        self._street_crimes_today = crimes_here

    def choose_across_borders(self, day: int, offenders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Target choice and deterrence in a metropolitan area of several municipalities.

        Each free offender first weighs his candidate targets (journey to crime), a candidate
        across a municipal border by the relative chance of going unseen there
        (`cooperation.border_weight`); he then decides on the police he would face where he
        offends: at home, the presence of his home neighbourhood (as in a city of one
        municipality); across a border, the presence of the target's neighbourhood, watched by
        another municipality's police. Returns the offenders who go ahead and their targets.
        """
        params, population, rng, log = self.params, self.population, self.rng, self.indicators
        police, neighbourhood = params.police, self.city.neighbourhood
        home_blocks = population.home_cell[offenders].astype(np.int64)
        home = neighbourhood[home_blocks]
        municipality = self.cooperation.block_municipality
        sentinel = cooperation.sentinel_risk(self.police_presence, police.visibility_deterrence,
                                             police.visibility_concavity)
        exponent = offending.deterrence_exponent(params) * params.cooperation.metropolitan.border_displacement

        def across(cells: np.ndarray) -> np.ndarray:
            crosses = municipality[cells] != municipality[home_blocks][:, None]
            return cooperation.border_weight(sentinel[home][:, None], sentinel[neighbourhood[cells]],
                                             crosses, exponent)

        targets = offending.choose_targets(home_blocks, self.private_security.apparent(self.attractiveness),
                                           self.city, params.offending, rng,
                                           candidate_weight=across if exponent > 0 else None)
        risk = population.perceived_risk[offenders]
        supervised = population.supervised_until[offenders] > day
        risk = np.where(supervised, np.maximum(risk, params.justice.sentencing.supervision_risk), risk)
        crosses = municipality[targets] != municipality[home_blocks]
        seen = self.police_presence[np.where(crosses, neighbourhood[targets], home)]
        risk = offending.with_visible_police(risk, seen, police.visibility_deterrence,
                                             police.visibility_concavity)
        go = rng.random(len(offenders)) < offending.go_ahead_probability(
            risk, offending.deterrence_exponent(params))
        log.add("attempts", len(offenders))
        log.add("deterred", int((~go).sum()))
        log.add("border_crossings", int((go & crosses).sum()))
        return offenders[go], targets[go]

    def start_disputes(self, day: int, offenders: np.ndarray, victims: np.ndarray,
                       crime: np.ndarray) -> None:
        """Violence on the network: count what involves a gang, and schedule retaliations."""
        population, log = self.population, self.indicators
        violent = ((crime == ROBBERY) | (crime == ASSAULT) | (crime == HOMICIDE)) & (victims != BUSINESS)
        if not violent.any():
            return
        offenders, victims, crime = offenders[violent], victims[violent], crime[violent]
        gang = population.gang
        linked = (gang[offenders] != youth.NO_GANG) | (gang[victims] != youth.NO_GANG)
        log.add("gang_violence", int(linked.sum()))
        log.add("gang_homicides", int((linked & (crime == HOMICIDE)).sum()))
        avenger, target, linked = youth.disputes(population, gang, offenders, victims,
                                                 crime == HOMICIDE, self.params.youth, self.rng,
                                                 self.cooperation.conflict())
        log.add("disputes", len(avenger))
        if self.interrupters.capacity and len(avenger):
            defused = self.interrupters.mediate(day, linked)
            log.add("disputes_defused", int(defused.sum()))
            avenger, target = avenger[~defused], target[~defused]
        self.retaliations.add(day, avenger, target, youth.lag_days(len(avenger), self.params.youth, self.rng))

    def avenge(self, day: int) -> None:
        """Retaliations that are due: the avenger attacks his target near the target's home."""
        avenger, target, lag = self.retaliations.take_due(day)
        if len(avenger) == 0:
            return
        population, params, rng, log = self.population, self.params, self.rng, self.indicators
        free = (population.status[avenger] == Status.FREE) & (population.status[target] == Status.FREE)
        avenger, target, lag = avenger[free], target[free], lag[free]
        if len(avenger) == 0:
            return
        blocks = population.home_cell[target].astype(np.int64)
        is_armed = youth.armed(population.gang[avenger] != youth.NO_GANG, params.firearms, rng,
                               self.firearms_availability, self.gang_gun_ratio)
        lethality = youth.lethality(is_armed, params.firearms)
        lethal = rng.random(len(avenger)) < lethality
        log.add("expected_homicides", float(lethality.sum()))
        crime = np.where(lethal, HOMICIDE, ASSAULT)
        log.add("retaliations", len(avenger))
        log.add("retaliation_homicides", int(lethal.sum()))
        log.add("firearm_homicides", int((lethal & is_armed).sum()))
        log.add("retaliation_lag_days", float(lag.sum()))
        self.retaliations.carried_out_lags.append(lag)
        self.start_disputes(day, avenger, target, crime)
        self.process_crimes(day, avenger, target, blocks, crime, self.police_visits[blocks] > 0)
        self._street_crimes_today = self._street_crimes_today + np.bincount(blocks, minlength=self.city.cells)

    def strained_candidates(self, day: int, scale: float) -> np.ndarray:
        """Extra offending draws of the recently released: motivation x fading release strain."""
        ids, strain = self.release_strain.weights(day, self.params.justice.reintegration.release_strain_days)
        if len(ids) == 0:
            return np.empty(0, dtype=np.int64)
        cumulative = self.motivation_cumsum
        motivation = cumulative[ids] - np.where(ids > 0, cumulative[np.maximum(ids - 1, 0)], 0.0)
        extra = np.cumsum(motivation * strain)
        return ids[offending.draw_weighted(extra, self.rng.poisson(scale * extra[-1]), self.rng)]

    def spare_assisted(self, day: int, victims: np.ndarray) -> np.ndarray:
        """Mask of crimes that go ahead: one against a victim under assistance (safety plan,
        target hardening) is averted with probability ``victims.assistance_protection``."""
        population = self.population
        resident = victims >= 0
        assisted = np.zeros(len(victims), dtype=bool)
        assisted[resident] = population.assisted_until[victims[resident]] > day
        if not assisted.any():
            return np.ones(len(victims), dtype=bool)
        averted = assisted & (self.rng.random(len(victims)) < self.params.justice.victims.assistance_protection)
        self.indicators.add("averted_by_assistance", int(averted.sum()))
        return ~averted

    def choose_victims(self, targets: np.ndarray, crime: np.ndarray) -> np.ndarray:
        """Victims: households on the block for property crime at homes, businesses for most
        property crime at shops and bars, and for violence a resident of the block's
        neighbourhood weighted by exposure (routine activities)."""
        population, rng = self.population, self.rng
        victims = np.full(len(targets), BUSINESS, dtype=np.int64)
        property_crime = crime == PROPERTY
        business = (self.city.land_use[targets] != 0) & (
            rng.random(len(targets)) < self.params.offending.business_victim_share)
        at_home = property_crime & ~business
        start = population.block_first[targets[at_home]]
        count = population.block_count[targets[at_home]]
        has_residents = count > 0
        chosen = start + np.floor(rng.random(len(start)) * count).astype(np.int64)
        victims[at_home] = np.where(has_residents, chosen, BUSINESS)
        # Violence, and property crime at a block where nobody lives: someone passing through.
        street = ~property_crime
        street[np.flatnonzero(at_home)[~has_residents]] = True
        if street.any():
            neighbourhood = self.city.neighbourhood[targets[street]]
            low = population.neighbourhood_start[neighbourhood]
            high = population.neighbourhood_start[neighbourhood + 1]
            cumulative = self.exposure_cumsum
            before = np.where(low > 0, cumulative[np.maximum(low - 1, 0)], 0.0)
            draws = before + rng.random(len(low)) * (cumulative[high - 1] - before)
            picked = np.clip(np.searchsorted(cumulative, draws, side="right"), low, np.maximum(high - 1, low))
            victims[street] = np.where(high > low, picked, BUSINESS)
        return victims

    def process_crimes(
        self, day: int, offenders: np.ndarray, victims: np.ndarray, blocks: np.ndarray,
        crime: np.ndarray, witnessed: np.ndarray,
    ) -> None:
        """Today's crimes: reporting, recording, response, investigation, arrests, learning,
        victims' histories and the indicators."""
        params, population, rng, log = self.params, self.population, self.rng, self.indicators
        count = len(offenders)
        if count == 0:
            return
        is_resident = victims != BUSINESS
        resident_victims = victims[is_resident]
        reference = params.reporting.trust_reference
        trust = np.full(count, reference)
        trust[is_resident] = self.trust_of(resident_victims)
        chance = perception.report_probability(self.report_base[crime], trust, reference,
                                               params.reporting.trust_effect)
        domestic = np.flatnonzero((crime == DOMESTIC) & is_resident)
        if len(domestic) and self.dv_services.capacity:
            households = population.household[victims[domestic]]
            helped = domestic[self.dv_services.supported(day, households)]
            boost = params.prevention.programmes.dv_reporting * self.municipality.delivery
            chance[helped] += (1.0 - chance[helped]) * boost
        reported = rng.random(count) < chance
        # A homicide leaves a body: it is always known and recorded.
        recorded = witnessed | (crime == HOMICIDE) | (
            reported & (rng.random(count) < params.reporting.recording_probability))
        on_scene = witnessed & (rng.random(count) < params.police.arrest_on_scene)
        on_response = self.respond_to_calls(reported & ~witnessed & (crime != HOMICIDE),
                                            victims, is_resident)
        recorded |= on_response  # police who came and caught someone write it down
        caught = on_scene | on_response
        self.open_investigations(day, offenders, blocks, crime, victims, recorded & ~caught, trust)

        log.add_crimes("true", crime)
        log.add_crimes("reported", crime[reported])
        log.add_crimes("recorded", crime[recorded])
        street = crime != DOMESTIC
        log.crimes_by_block_year += np.bincount(blocks[street], minlength=self.city.cells)
        log.crimes_by_block_total += np.bincount(blocks[street], minlength=self.city.cells)
        neighbourhood = self.city.neighbourhood[blocks]
        counts = log.neighbourhood_counts
        np.add.at(counts["true_at"], (neighbourhood, crime), 1)
        np.add.at(counts["recorded_at"], (neighbourhood[recorded], crime[recorded]), 1)
        np.add.at(counts["offences_by_residents"], (population.neighbourhood[offenders], crime), 1)
        if self.cooperation.across_borders:
            self.cooperation.count_flows(population.neighbourhood[offenders[street]], neighbourhood[street])
        bands = np.minimum(population.age[offenders] // 5, len(AGE_BANDS) - 1).astype(np.int64)
        log.offences_by_age += np.bincount(bands[street], minlength=len(AGE_BANDS))
        np.add.at(self.recorded_recent, blocks[recorded & street], 1.0)
        self.cases_today += int((recorded & ~caught).sum())
        log.add("cases", int((recorded & ~caught).sum()))
        self.assist_victims(day, victims[reported & is_resident & (crime != HOMICIDE)])
        if self.dv_services.capacity:
            told = victims[reported & is_resident & (crime == DOMESTIC)]
            log.add("dv_supported", self.dv_services.support(day, population.household[told]))
        self.homicides_today += int((crime == HOMICIDE).sum())
        self.violence_today += int(((crime == ROBBERY) | (crime == ASSAULT)).sum())

        np.add.at(population.offences, offenders, 1)
        offender_age = population.age[offenders]
        log.add("youth_offences", int(((offender_age >= 12) & (offender_age < 25)).sum()))
        if hasattr(self, "cohort_index"):
            in_cohort = self.cohort_index[offenders]
            np.add.at(self.cohort_offences, in_cohort[in_cohort >= 0], 1)
        np.add.at(population.victimisations, resident_victims, 1)
        np.add.at(population.victimisations_year, resident_victims, 1)
        population.last_victimised[resident_victims] = day
        victims_home = population.neighbourhood[resident_victims]
        np.add.at(counts["victims_living"], (victims_home, crime[is_resident]), 1)
        np.add.at(self.neighbourhood_victimisations, victims_home, 1.0)
        log.add("victims", len(resident_victims))
        arrested = self.arrest(day, offenders[caught], blocks[caught], crime[caught],
                               victims[caught], on_scene[caught])
        outcome = np.zeros(count, dtype=bool)
        outcome[np.flatnonzero(caught)[arrested]] = True
        log.add("arrests_on_scene", int((outcome & on_scene).sum()))
        log.add("arrests_on_response", int((outcome & on_response).sum()))
        offending.learn_perceived_risk(population.perceived_risk, population.peers, offenders,
                                       outcome, params.offending)
        killed = np.unique(victims[(crime == HOMICIDE) & is_resident])
        killed = killed[population.status[killed] == Status.FREE]
        if len(killed):
            self._reset_newborn(killed)
            rebirth(population, killed, params.population, day, rng)
            self.refresh_hazards()
            population.deaths += len(killed)
            population.births += len(killed)
            log.add("deaths", len(killed))
            log.add("births", len(killed))

    def assist_victims(self, day: int, victims: np.ndarray) -> None:
        """Victims who reported get assistance while places last (random order today)."""
        population, params = self.population, self.params.justice.victims
        victims = np.unique(victims)
        victims = victims[population.assisted_until[victims] <= day]
        if len(victims) == 0 or self.victim_services.capacity == 0:
            return
        victims = victims[self.rng.permutation(len(victims))]
        victims = victims[:self.victim_services.admit(len(victims), day, params.assistance_days)]
        population.assisted_until[victims] = day + params.assistance_days
        population.trust[victims] = np.minimum(1.0, population.trust[victims] + params.assistance_trust_gain)
        self.indicators.add("victims_assisted", len(victims))

    def respond_to_calls(self, calls: np.ndarray, victims: np.ndarray, is_resident: np.ndarray) -> np.ndarray:
        """Police answer reported crimes; returns which calls end in an arrest.

        Response time = response_minutes x max(1, calls a day / call capacity) (queueing when
        the units answering calls are overloaded); the arrest chance arrest_on_response halves
        every response_halving minutes. Victims answered within the normal time gain trust,
        those kept waiting over four times as long lose it.
        """
        police, log = self.params.police, self.indicators
        answered = np.flatnonzero(calls)
        if len(answered) == 0 or self.call_capacity <= 0:
            return np.zeros(len(calls), dtype=bool)
        minutes = police.response_minutes * max(1.0, self.calls_recent / self.call_capacity)
        chance = police.arrest_on_response * 0.5 ** (minutes / police.response_halving)
        log.add("calls", len(answered))
        log.add("response_minutes", minutes * len(answered))
        residents = victims[answered][is_resident[answered]]
        gain = self.params.perception.response_trust
        if minutes <= police.response_minutes:
            self.population.trust[residents] = np.minimum(1.0, self.population.trust[residents] + gain)
        elif minutes > 4 * police.response_minutes:
            self.population.trust[residents] = np.maximum(0.0, self.population.trust[residents] - gain)
        self.calls_today += len(answered)
        caught = np.zeros(len(calls), dtype=bool)
        caught[answered] = self.rng.random(len(answered)) < chance
        return caught

    def open_investigations(
        self, day: int, offenders: np.ndarray, blocks: np.ndarray, crime: np.ndarray,
        victims: np.ndarray, open_cases: np.ndarray, trust: np.ndarray,
    ) -> None:
        """Recorded crimes without an arrest go to the detectives.

        A case is investigated with probability 1 - exp(-detective capacity / caseload a day)
        (effort per case with diminishing returns: detectives always help, each extra one
        less) and then cleared with the crime type's clearance probability times the cooperation of
        victims and witnesses (their trust); the arrest follows after an exponential delay of
        mean investigation_days.
        """
        police, rng = self.params.police, self.rng
        cases = np.flatnonzero(open_cases)
        if len(cases) == 0:
            return
        capacity = -np.expm1(-self.detective_capacity / max(self.caseload_per_day, 1e-9))
        investigated = cases[rng.random(len(cases)) < capacity]
        witnesses = perception.cooperation_factor(
            trust[investigated], self.params.reporting.trust_reference, police.witness_cooperation)
        chance = self.clearance[crime[investigated]] * witnesses
        # Information exchange: cases of offenders on record here or abroad clear more often.
        on_record = self.cooperation.clearance_factor(offenders[investigated])
        if on_record is not None:
            chance = chance * on_record
        chance = np.minimum(1.0, chance)
        solved = investigated[rng.random(len(investigated)) < chance]
        self.indicators.add("investigations", len(investigated))
        self.indicators.add("record_cases", int(self.cooperation.on_record(offenders[cases]).sum()))
        self.indicators.add("record_solved", int(self.cooperation.on_record(offenders[solved]).sum()))
        delay = np.maximum(1, np.rint(rng.exponential(police.investigation_days, len(solved)))).astype(np.int64)
        self.pending_due = np.concatenate([self.pending_due, day + delay])
        self.pending_offender = np.concatenate([self.pending_offender, offenders[solved]])
        self.pending_block = np.concatenate([self.pending_block, blocks[solved]])
        self.pending_crime = np.concatenate([self.pending_crime, crime[solved]])
        self.pending_victim = np.concatenate([self.pending_victim, victims[solved]])

    def arrest_investigated(self, day: int) -> None:
        """Arrests of offenders whose cases were solved and are due today."""
        if len(self.pending_due) == 0:
            return
        due = self.pending_due <= day
        offenders, blocks = self.pending_offender[due], self.pending_block[due]
        crimes, victims = self.pending_crime[due], self.pending_victim[due]
        self.pending_due, self.pending_offender, self.pending_block, self.pending_crime, \
            self.pending_victim = (self.pending_due[~due], self.pending_offender[~due],
                                   self.pending_block[~due], self.pending_crime[~due],
                                   self.pending_victim[~due])
        arrested = self.arrest(day, offenders, blocks, crimes, victims,
                               np.zeros(len(offenders), dtype=bool))
        self.indicators.add("arrests_investigation", int(arrested.sum()))
        # An arrest for a past offence teaches the offender and his peers that crime is caught.
        offending.learn_perceived_risk(self.population.perceived_risk, self.population.peers,
                                       offenders[arrested], np.ones(int(arrested.sum()), dtype=bool),
                                       self.params.offending)

    def arrest(
        self, day: int, offenders: np.ndarray, blocks: np.ndarray, crimes: np.ndarray,
        victims: np.ndarray, on_scene: np.ndarray,
    ) -> np.ndarray:
        """Police try to arrest these offenders at these blocks; returns which arrests stand.

        A corrupt officer (the corrupt share) takes a bribe and lets the offender go; the bribe
        is seen in the neighbourhood. An arrest may involve excessive force (abuse per arrest,
        lower with training and oversight). Standing arrests go to the prosecutors.
        """
        params, population, rng, log = self.params, self.population, self.rng, self.indicators
        if len(offenders) == 0:
            return np.zeros(0, dtype=bool)
        bribed = rng.random(len(offenders)) < self.corrupt_share
        where = self.city.neighbourhood[blocks]
        self.shake_trust(where[bribed], params.perception.bribe_trust_shock)
        log.add("bribes", int(bribed.sum()))
        standing = ~bribed
        abused = standing & (rng.random(len(offenders)) < params.police.abuse_per_arrest
                             * perception.abuse_factor(self.police_practice, military=False))
        self.record_abuse(offenders[abused], where[abused])
        arrested = offenders[standing]
        log.add("arrests", len(arrested))
        log.add("record_arrests", int(self.cooperation.on_record(arrested).sum()))
        log.add("wanted_arrests", int(self.cooperation.wanted[arrested].sum()))
        log.add("wanted_identified", self.cooperation.identify(arrested, rng))
        np.add.at(log.neighbourhood_counts["arrests_of_residents"], population.neighbourhood[arrested], 1)
        self.prosecute(day, arrested, crimes[standing], victims[standing], on_scene[standing])
        return standing

    def record_abuse(self, victims: np.ndarray, neighbourhoods: np.ndarray) -> None:
        """Police abuse: the victim loses trust, the neighbourhood sees it."""
        if len(victims) == 0:
            return
        population, perception_params = self.population, self.params.perception
        population.trust[victims] = np.maximum(0.0, population.trust[victims] - perception_params.abuse_trust_loss)
        self.shake_trust(neighbourhoods, perception_params.abuse_trust_shock)
        self.indicators.add("abuse_incidents", len(victims))
        np.add.at(self.indicators.neighbourhood_counts["abuse_incidents"], neighbourhoods, 1)

    def stop_and_search(self, unit: PoliceUnit) -> None:
        """A saturation unit stops young men of its sector: trust falls, some stops are abusive."""
        params, population, rng = self.params, self.population, self.rng
        pool = self.young_men_by_sector[unit.sector]
        stops = rng.poisson(params.police.saturation_stops * len(unit.blocks_today))
        if len(pool) == 0 or stops == 0:
            return
        stopped = pool[rng.integers(0, len(pool), stops)]
        # A man stopped twice in a day loses trust twice.
        np.subtract.at(population.trust, stopped, params.perception.stop_trust_loss)
        population.trust[stopped] = np.maximum(population.trust[stopped], 0.0)
        self.indicators.add("stops", stops)
        np.add.at(self.indicators.neighbourhood_counts["stops"], unit.sector, stops)
        rate = params.police.abuse_per_stop * perception.abuse_factor(self.police_practice, unit.military)
        abused = stopped[rng.random(stops) < rate]
        self.record_abuse(abused, np.full(len(abused), unit.sector))

    def community_contacts(self, blocks: np.ndarray) -> None:
        """A community-policing unit talks with residents of the blocks it visits: trust rises."""
        population, rng = self.population, self.rng
        contacts = rng.poisson(self.params.police.community_contacts, len(blocks))
        counts = population.block_count[blocks]
        blocks, contacts, counts = blocks[counts > 0], contacts[counts > 0], counts[counts > 0]
        if contacts.sum() == 0:
            return
        first = np.repeat(population.block_first[blocks], contacts)
        met = first + (rng.random(len(first)) * np.repeat(counts, contacts)).astype(np.int64)
        met = met[population.status[met] == Status.FREE]  # nobody to meet at home in custody
        np.add.at(population.trust, met, self.params.perception.contact_trust_gain)
        population.trust[met] = np.minimum(population.trust[met], 1.0)
        self.indicators.add("contacts", len(met))

    def prosecute(
        self, day: int, arrested: np.ndarray, crimes: np.ndarray, victims: np.ndarray,
        on_scene: np.ndarray,
    ) -> None:
        """Standing arrests: one case per arrested resident and day (his first offence of the
        day); charged defendants may be detained until trial."""
        population, params, log = self.population, self.params.justice, self.indicators
        arrested, first = np.unique(arrested, return_index=True)
        crimes, victims, on_scene = crimes[first], victims[first], on_scene[first]
        population.arrests[arrested] += 1
        self.releases.arrested(arrested, day)
        charged = self.court.charge(day, arrested, crimes, victims, on_scene)
        log.add("charged", int(charged.sum()))
        ids, crimes = arrested[charged], crimes[charged]
        free = population.status[ids] == Status.FREE
        juvenile = population.age[ids] < params.sentencing.adult_age
        detain = free & justice.pretrial_detention(crimes, population.convictions[ids], juvenile,
                                                   params, self.rng)
        detained, juvenile = ids[detain], juvenile[detain]
        until = day + params.pretrial.max_days
        for facility, chosen in (("adult", detained[~juvenile]), ("juvenile", detained[juvenile])):
            self.prisons[facility].admit(chosen, day, np.full(len(chosen), until), sentenced=False)
        population.status[detained] = Status.PRETRIAL
        log.add("detained", len(detained))

    def commit_domestic_violence(self, day: int) -> None:
        """Domestic violence: men living with an adult woman offend at a household hazard; the
        victim is an adult woman of the household. No patrol sees it."""
        params, population, rng = self.params, self.population, self.rng
        rate = params.offending.domestic_rate / DAYS_PER_YEAR * self.domestic_cumsum[-1]
        offenders = offending.draw_weighted(self.domestic_cumsum, rng.poisson(rate), rng)
        offenders = offenders[population.status[offenders] == Status.FREE]
        if len(offenders) == 0:
            return
        victims = np.full(len(offenders), BUSINESS, dtype=np.int64)
        for index, offender in enumerate(offenders):
            start = population.household_start[population.household[offender]]
            members = np.arange(start, start + population.household_size[population.household[offender]])
            women = members[(population.age[members] >= 18) & ~population.male[members]]
            if len(women):
                victims[index] = women[rng.integers(len(women))]
        # A household without a free adult woman has no victim: nothing happens.
        present = victims != BUSINESS
        present[present] = population.status[victims[present]] == Status.FREE
        offenders, victims = offenders[present], victims[present]
        kept = self.spare_assisted(day, victims)
        offenders, victims = offenders[kept], victims[kept]
        if len(offenders) == 0:
            return
        crime = np.full(len(offenders), DOMESTIC, dtype=np.int64)
        self.process_crimes(day, offenders, victims, population.home_cell[offenders], crime,
                            witnessed=np.zeros(len(offenders), dtype=bool))

    def receive_arrivals(self, day: int) -> None:
        """Monthly: offenders from outside the city take the places of young men who leave
        (`cooperation.Cooperation.departures`, `settle`)."""
        ids = self.cooperation.departures(day, self.rng)
        if len(ids) == 0:
            return
        self._reset_newborn(ids)
        rebirth(self.population, ids, self.params.population, day, self.rng)
        self.cooperation.settle(ids, day, self.rng)
        self.population.emigrants += len(ids)
        self.population.immigrants += len(ids)
        self.indicators.add("arrivals", len(ids))

    def hand_over(self, day: int) -> None:
        """End of the day's crimes: wanted residents identified through information exchange
        leave for the country that wants them; their places go to newborns (like out-migrants)."""
        ids = self.cooperation.take_identified()
        if len(ids) == 0:
            return
        self._reset_newborn(ids)
        rebirth(self.population, ids, self.params.population, day, self.rng)
        self.population.emigrants += len(ids)
        self.population.births += len(ids)
        self.indicators.add("extraditions", len(ids))
        self.refresh_hazards()

    def update_opportunity(self) -> None:
        """Short et al. (2008) update of B with today's street crimes; A = A0 + B; police map decays."""
        crimes = self._street_crimes_today.reshape(self.city.grid_shape)
        opportunity = self.params.opportunity
        offending.update_attractiveness(self.dynamic_attractiveness, crimes, opportunity.eta,
                                        opportunity.omega, opportunity.theta,
                                        scratch=self._field_scratch)
        np.add(self.base_attractiveness, self.dynamic_attractiveness.reshape(-1), out=self.attractiveness)
        self.recorded_recent *= np.exp(-1.0 / self.params.police.hotspot_memory)
        self.recent_crime *= np.exp(-1.0 / DAYS_PER_MONTH)
        self.recent_crime += self._street_crimes_today

    def update_perception(self) -> None:
        """End of day: memories fade (trust shocks, victimisation, homicides, caseloads)."""
        memory = self.params.perception.shock_memory_days
        self.trust_shock *= np.exp(-1.0 / memory)
        self.neighbourhood_victimisations *= np.exp(-1.0 / DAYS_PER_YEAR)
        month = np.exp(-1.0 / DAYS_PER_MONTH)
        self.recent_homicides = self.recent_homicides * month + self.homicides_today
        self.recent_violence = self.recent_violence * month + self.violence_today
        self.calls_recent += (self.calls_today - self.calls_recent) / 7.0
        self.caseload_per_day += (self.cases_today - self.caseload_per_day) / DAYS_PER_MONTH
        visits = np.bincount(self.city.neighbourhood, weights=self.police_visits,
                             minlength=self.city.neighbourhoods) / self.blocks_per_neighbourhood
        self.police_presence += (visits - self.police_presence) / DAYS_PER_MONTH

    def collect(self, day: int) -> None:
        """Close the day's indicators (and the year's, on its last day)."""
        log = self.indicators
        adult, juvenile = self.prisons["adult"], self.prisons["juvenile"]
        log.add("prisoners", adult.population + juvenile.population)
        log.add("pretrial", adult.pretrial + juvenile.pretrial)
        log.add("juveniles_held", juvenile.population)
        log.add("adult_prison_places", adult.places)
        log.add("adult_prisoners", adult.population)
        log.add("backlog", self.court.backlog)
        log.add("supervised", self.supervision.occupied(self.steps - 1))
        log.add("supported_now", self.reintegration.occupied(self.steps - 1))
        log.add("assisted_now", self.victim_services.occupied(self.steps - 1))
        log.add("corrupt_share", self.corrupt_share)
        log.add("gang_members", int((self.population.gang != youth.NO_GANG).sum()))
        log.add("youth_in_programmes", len(self.youth_programme.ids))
        log.add("security_abuse", self.private_security.abuses_today(self.rng))
        log.add("guards", self.private_security.guards)
        log.add("firearms_availability", self.firearms_availability)
        log.add("firearms_stock", self.cooperation.firearms_stock)
        log.add("drug_revenue", self.cooperation.revenue)
        log.add("mean_fear", float(self.population.fear.mean()))
        log.add("police_on_duty", sum(unit.on_duty for unit in self.police_units))
        log.add("programme_level", self.government.programme_level)
        log.neighbourhood_counts["guard_coverage"] += self.private_security.coverage_by_neighbourhood()
        log.add("police_visits", float(self.police_visits.sum()))
        log.person_days_by_age += self.residents_by_age_band
        log.neighbourhood_counts["police_visits"] += np.bincount(
            self.city.neighbourhood, weights=self.police_visits, minlength=self.city.neighbourhoods)
        self.datacollector.collect(self)
        log.close_day(day)
        if (day + 1) % DAYS_PER_YEAR == 0 or day + 1 == self.horizon:
            log.close_year(self, day)
