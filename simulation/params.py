"""The parameter tree of the city model: every default with its unit, range and source.

One typed, validated tree (pydantic) holds every parameter of `CityModel`. A default carries
the study or data set it comes from, or the word ``assumption``; the table in docs/ODD.md is
generated from this module (``crimesim params --update-odd docs/ODD.md``), so nothing else
re-declares a default.

Overrides use dotted keys (``police.strategy=hotspot``) through `with_overrides`; unknown keys
and out-of-range values raise one `ParameterError` that names the field and what is valid.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

CRIME_TYPES: tuple[str, ...] = ("property", "robbery", "assault", "homicide", "domestic")
"""Crime types, in the order used by every per-type array of the model."""

LAND_USES: tuple[str, ...] = ("residential", "commercial", "nightlife")
"""Land uses of a block, in the order of the city's integer land-use codes."""

AGE_BANDS: tuple[str, ...] = tuple(f"{a}-{a + 4}" for a in range(0, 90, 5)) + ("90+",)
"""The 5-year age bands of the age pyramid."""


class ParameterError(ValueError):
    """A parameter key or value is invalid; the message names the field and the fix."""


def param(
    default: Any,
    *,
    unit: str,
    source: str,
    description: str,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
) -> Any:
    """Declare one parameter: its default, unit, source and valid range."""
    return Field(
        default,
        ge=ge,
        le=le,
        gt=gt,
        description=description,
        json_schema_extra={"unit": unit, "source": source},
    )


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _per_crime_type(
    name: str,
    defaults: Mapping[str, float],
    *,
    unit: str,
    source: str,
    description: str,
    ge: float = 0.0,
    le: float | None = 1.0,
) -> type[BaseModel]:
    """A section with one field per crime type (same unit, source and range)."""
    fields = {
        crime: (
            float,
            param(defaults[crime], unit=unit, source=source, ge=ge, le=le,
                  description=f"{description}: {crime}"),
        )
        for crime in CRIME_TYPES
    }
    return create_model(name, __base__=_Section, __doc__=description, **fields)


def _per_land_use(
    name: str,
    defaults: Mapping[str, float],
    *,
    unit: str,
    source: str,
    description: str,
    ge: float = 0.0,
    le: float | None = None,
) -> type[BaseModel]:
    """A section with one field per land use (same unit, source and range)."""
    fields = {
        use: (
            float,
            param(defaults[use], unit=unit, source=source, ge=ge, le=le,
                  description=f"{description}: {use}"),
        )
        for use in LAND_USES
    }
    return create_model(name, __base__=_Section, __doc__=description, **fields)


# --------------------------------------------------------------------------------------------
# City
# --------------------------------------------------------------------------------------------


ResidentialWeight = _per_land_use(
    "ResidentialWeight", {"residential": 1.0, "commercial": 0.3, "nightlife": 0.3},
    unit="relative weight", source="assumption",
    description="Relative number of residents living on a block, by land use")


class CityParams(_Section):
    """The grid of blocks and its neighbourhoods."""

    seed: int | None = param(
        2026, unit="seed", ge=0, source="assumption: the built-in default city",
        description="Seed of the city's geography (neighbourhoods, land use, disorder, "
                    "lighting): the same city in every replicate. Unset (null) draws a new city "
                    "from each run's seed")
    width: int = param(100, unit="blocks", ge=8, le=1000, source="assumption (DESIGN: 100 x 100)",
                       description="Blocks east-west")
    height: int = param(100, unit="blocks", ge=8, le=1000, source="assumption (DESIGN: 100 x 100)",
                        description="Blocks north-south")
    neighbourhoods: int = param(16, unit="count", ge=1, le=400, source="assumption (DESIGN: 16)",
                                description="Neighbourhoods (Voronoi regions of the grid)")
    commercial_share: float = param(
        0.10, unit="share of blocks", ge=0, le=0.5, source="assumption",
        description="Blocks with commercial land use (clustered around centres)")
    nightlife_share: float = param(
        0.02, unit="share of blocks", ge=0, le=0.2, source="assumption",
        description="Blocks with nightlife land use (bars, clubs; near the main centre)")
    ses_concentration: float = param(
        4.0, unit="Beta a+b", gt=0, le=100, source="assumption",
        description="Concentration c of neighbourhood SES ~ Beta(mean c, (1 - mean) c) "
                    "(higher = more alike neighbourhoods)")
    ses_mean: float = param(0.45, unit="index 0-1", ge=0.05, le=0.95, source="assumption",
                            description="Mean socio-economic status of neighbourhoods")
    density_poverty_gradient: float = param(
        1.0, unit="ratio", ge=0, le=5, source="assumption",
        description="Extra residential density of the poorest vs a middle neighbourhood "
                    "(density = 1 + gradient x (0.5 - SES) x 2)")
    disorder_poverty_gradient: float = param(
        0.6, unit="index", ge=0, le=1, source="assumption",
        description="Physical disorder of the poorest neighbourhood above the richest")
    lighting_mean: float = param(0.6, unit="share lit", ge=0, le=1, source="assumption",
                                 description="Mean street-lighting coverage of blocks")
    lighting_ses_gradient: float = param(
        0.4, unit="share lit", ge=0, le=1, source="assumption",
        description="Lighting coverage of the richest neighbourhood above the poorest")
    block_noise_sd: float = param(0.1, unit="index", ge=0, le=1, source="assumption",
                                  description="Block-to-block spread of disorder and lighting "
                                              "around their neighbourhood's level")
    residential_weight: ResidentialWeight = Field(default_factory=ResidentialWeight,
                                                  description="Where residents live")


# --------------------------------------------------------------------------------------------
# Population
# --------------------------------------------------------------------------------------------

_LATAM_PYRAMID_2020 = (
    7.6, 7.9, 8.1, 8.2, 8.2, 8.0, 7.6, 7.2, 6.7, 6.1, 5.6, 5.0, 4.2, 3.3, 2.5, 1.7, 1.1, 0.6, 0.4,
)


class PopulationParams(_Section):
    """Residents: demography, households, labour market, schooling and individual traits."""

    residents: int = param(100_000, unit="residents", ge=100, le=5_000_000,
                           source="assumption (a mid-sized city)",
                           description="Residents of the city")
    age_pyramid: tuple[float, ...] = param(
        _LATAM_PYRAMID_2020, unit="% by 5-year band (0-4 ... 90+)",
        source="assumption: rounded from UN World Population Prospects 2022, Latin America "
               "and the Caribbean, 2020 (secondary)",
        description="Share of residents in each 5-year age band (19 bands; normalised)")
    household_size_mean: float = param(3.4, unit="persons", ge=1, le=10,
                                       source="assumption (typical Latin American urban household)",
                                       description="Mean household size")
    household_ses_sd: float = param(0.1, unit="index", ge=0, le=1, source="assumption",
                                    description="Spread of household SES around the neighbourhood's")
    male_share: float = param(0.49, unit="share", ge=0, le=1, source="assumption",
                              description="Share of residents who are male")
    birth_rate: float = param(0.015, unit="per resident-year", ge=0, le=0.1,
                              source="assumption (crude birth rate of Latin America, ~15 per 1,000)",
                              description="Births; population size is held constant by "
                                          "out-migration of adults")
    mortality_gompertz_a: float = param(5e-5, unit="per year", ge=0, le=0.01, source="assumption",
                                        description="Gompertz mortality at age 0 (q = a exp(b age))")
    mortality_gompertz_b: float = param(0.085, unit="per year of age", ge=0, le=0.2,
                                        source="assumption",
                                        description="Gompertz mortality slope with age")
    unemployment_rate: float = param(
        0.08, unit="share of labour force", ge=0, le=0.9,
        source="assumption (urban unemployment in Latin America, ILO Labour Overview, secondary)",
        description="Equilibrium unemployment of an average-SES adult")
    youth_unemployment_ratio: float = param(2.0, unit="ratio", ge=1, le=5,
                                            source="assumption (ILO: youth rate ~2-3x adult)",
                                            description="Unemployment of 15-24 year-olds relative to adults")
    unemployment_poverty_gradient: float = param(
        1.0, unit="ratio", ge=0, le=5, source="assumption",
        description="Unemployment multiplier is 1 + gradient x (0.5 - SES) x 2")
    job_separation_rate: float = param(0.02, unit="per month", ge=0, le=1, source="assumption",
                                       description="Monthly chance that an employed resident loses the job")
    school_dropout_risk: float = param(
        0.15, unit="share of cohort", ge=0, le=1,
        source="assumption (secondary completion gaps in Latin America)",
        description="Chance that an average-SES adolescent drops out of school at 15-17")
    propensity_sigma: float = param(
        1.6, unit="log-sd", ge=0, le=3,
        source="assumption, heavy tail chosen to reproduce S5 (Wolfgang, Figlio & Sellin 1972)",
        description="Spread of the lognormal criminal propensity (mean 1)")
    female_propensity_ratio: float = param(0.25, unit="ratio", ge=0, le=1,
                                           source="assumption (men commit ~4 in 5 offences)",
                                           description="Propensity of women relative to men")
    exposure_sigma: float = param(
        1.0, unit="log-sd", ge=0, le=3,
        source="assumption, heterogeneity behind repeat victimisation S2 (Farrell & Pease 1993)",
        description="Spread of the lognormal exposure to street crime (routine activities)")
    peers: int = param(4, unit="peers per resident", ge=0, le=16, source="assumption",
                       description="Peers whose arrests each resident observes "
                                   "(same neighbourhood, similar age)")
    peer_age_window: int = param(50, unit="residents", ge=1, le=10_000, source="assumption",
                                 description="Peers are drawn up to this many places away in the "
                                             "neighbourhood's age ranking, either side (age homophily)")
    trust_mean: float = param(
        0.35, unit="index 0-1", ge=0, le=1,
        source="assumption (about a third of Latin Americans trust the police, secondary)",
        description="Mean initial trust in the police")
    trust_sd: float = param(0.15, unit="index", ge=0, le=0.5, source="assumption",
                            description="Spread of initial trust between residents")
    trust_ses_gradient: float = param(0.2, unit="index", ge=0, le=1, source="assumption",
                                      description="Trust of the richest above the poorest resident")

    @model_validator(mode="after")
    def _check_pyramid(self) -> PopulationParams:
        if len(self.age_pyramid) != len(AGE_BANDS):
            raise ValueError(
                f"age_pyramid needs {len(AGE_BANDS)} shares (bands {AGE_BANDS[0]} ... "
                f"{AGE_BANDS[-1]}), got {len(self.age_pyramid)}")
        if min(self.age_pyramid) < 0 or sum(self.age_pyramid) <= 0:
            raise ValueError("age_pyramid shares must be >= 0 and not all zero")
        return self


# --------------------------------------------------------------------------------------------
# Opportunity (Short et al. 2008) and offending
# --------------------------------------------------------------------------------------------

BaseAttractiveness = _per_land_use(
    "BaseAttractiveness",
    {"residential": 0.25, "commercial": 0.6, "nightlife": 1.0},
    unit="per attempt", source="assumption, tuned to S1 (Weisburd 2015)",
    description="Static attractiveness A0 of a block by land use")


class OpportunityParams(_Section):
    """The attractiveness field A = A0 + B of Short et al. (2008)."""

    base: BaseAttractiveness = Field(default_factory=BaseAttractiveness,
                                     description="A0 by land use")
    block_sigma: float = param(
        1.5, unit="log-sd", ge=0, le=3, source="assumption, tuned to S1 (Weisburd 2015)",
        description="Block-to-block spread of A0 (lognormal, mean 1): the ATM, the bus stop, "
                    "the corner shop that make one block a target and the next not")
    disorder_effect: float = param(0.8, unit="ratio", ge=0, le=10,
                                   source="assumption (broken windows)",
                                   description="A0 multiplier is 1 + effect x disorder")
    lighting_effect: float = param(0.21, unit="share", ge=0, le=1,
                                   source="Welsh & Farrington (secondary): ~21% less crime",
                                   description="A0 multiplier is 1 - effect x lighting")
    eta: float = param(0.1, unit="share", ge=0, le=1,
                       source="assumption, within Short et al. (2008) range 0.03-0.2",
                       description="Diffusion of the dynamic attractiveness B to the 4 neighbours")
    omega: float = param(0.05, unit="per day", ge=0, le=1,
                         source="assumption: raised risk lasts 1-2 months (S3, Johnson & Bowers 2004)",
                         description="Decay rate of B")
    theta: float = param(0.1, unit="per crime", ge=0, le=10,
                         source="assumption, tuned to S1-S3",
                         description="Rise of B at a block per crime there")


CrimeMix = create_model(
    "CrimeMix",
    __base__=_Section,
    __doc__="Share of non-domestic offences that are robbery or assault, by land use of the target "
            "(the rest are property crime)",
    robbery_residential=(float, param(0.15, unit="share", ge=0, le=1, source="assumption",
                                      description="Robbery share at residential blocks")),
    assault_residential=(float, param(0.20, unit="share", ge=0, le=1, source="assumption",
                                      description="Assault share at residential blocks")),
    robbery_commercial=(float, param(0.30, unit="share", ge=0, le=1, source="assumption",
                                     description="Robbery share at commercial blocks")),
    assault_commercial=(float, param(0.10, unit="share", ge=0, le=1, source="assumption",
                                     description="Assault share at commercial blocks")),
    robbery_nightlife=(float, param(0.25, unit="share", ge=0, le=1, source="assumption",
                                    description="Robbery share at nightlife blocks")),
    assault_nightlife=(float, param(0.45, unit="share", ge=0, le=1, source="assumption",
                                    description="Assault share at nightlife blocks")),
)


class OffendingParams(_Section):
    """Motivation, deterrence, target choice and crime types."""

    attempt_rate: float = param(
        6.6, unit="attempts per resident-year at motivation 1", ge=0, le=50,
        source="assumption, tuned so true crime is ~0.13 per resident-year (about 4x the "
               "recorded 0.028 of crime4, Cornwell & Trumbull 1994, at ~25% reporting); most "
               "attempts are deterred (deterrence_exponent)",
        description="Scale of the offending hazard")
    age_onset: float = param(10.0, unit="years", ge=0, le=30,
                             source="assumption, shape of Farrington (1986)",
                             description="Age at which offending can start")
    age_peak: float = param(17.0, unit="years", ge=5, le=40,
                            source="Farrington (1986); Hirschi & Gottfredson (1983): peak at 15-19",
                            description="Age of peak offending")
    age_curve_shape: float = param(1.5, unit="gamma shape", gt=0, le=10,
                                   source="assumption, long tail after the early 20s (S4)",
                                   description="Shape of the age-crime curve "
                                               "x^k exp(k (1 - x)), x = (age - onset)/(peak - onset)")
    strain_unemployed: float = param(0.5, unit="ratio", ge=0, le=10,
                                     source="assumption (crime1: arrested 33% if not employed all "
                                            "year vs 19%, Grogger 1991)",
                                     description="Extra motivation of the unemployed")
    strain_dropout: float = param(0.5, unit="ratio", ge=0, le=10, source="assumption",
                                  description="Extra motivation of school drop-outs")
    deterrence_exponent: float = param(
        10.0, unit="exponent", ge=0, le=30,
        source="assumption: offenders' perceived risk is per offence (~5%), not per recorded "
               "crime; with it, ~19% more arrests per recorded crime lower true crime by ~4% "
               "(elasticity ~-0.2; crime4 within-county estimate -0.36, REFERENCE.md)",
        description="An offender goes ahead with probability (1 - perceived risk)^exponent")
    severity_weight: float = param(
        0.17, unit="exponent", ge=0, le=2,
        source="assumption, small: severity deters far less than certainty (Nagin 2013); with "
               "sentence_discounting, twice the sentences add about 0.3% to the exponent (a "
               "deterrent elasticity near 0, crime4; Lee & McCrary 2017) and half the sentences "
               "take about 2% from it",
        description="How much the expected sentence weighs: an offender goes ahead with "
                    "probability (1 - r)^(deterrence_exponent x u(S)^this), u the discounted "
                    "sentence relative to the default (sentence_discounting), S "
                    "justice.sentencing.severity; 0: sentences deter no one")
    sentence_discounting: float = param(
        4.0, unit="discount rate x years", ge=0, le=50,
        source="assumption: offenders discount future prison time steeply (Polinsky & Shavell "
               "1999; Lee & McCrary 2017: no response to sentences 2.3 times longer at 18, "
               "consistent only with very high discount rates), about 4 a year, times a typical "
               "first sentence of about a year",
        description="k in u(S) = (1 - exp(-k S)) / (1 - exp(-k)), the discounted length of a "
                    "sentence S times the default: longer sentences add almost nothing, shorter "
                    "ones take away more; 0: no discounting, u(S) = S")
    initial_perceived_risk: float = param(0.1, unit="probability", ge=0, le=1,
                                          source="assumption",
                                          description="Perceived risk of arrest before any experience")
    learning_own: float = param(
        0.06, unit="weight", ge=0, le=1,
        source="Anwar & Loughran (2011): an arrest raises an offender's perceived chance of "
               "arrest by ~6 percentage points",
        description="Weight of an offender's own outcome (arrest or not) in his perceived risk")
    learning_peer: float = param(0.1, unit="weight", ge=0, le=1,
                                 source="assumption (word of mouth: peers see many outcomes)",
                                 description="Weight of a peer's outcome in a resident's perceived risk")
    journey_mean: float = param(
        6.0, unit="blocks", gt=0, le=200,
        source="assumption (most offences within 1-2 km of home; journey-to-crime studies, secondary)",
        description="Mean distance from home to target (exponential distance decay)")
    target_candidates: int = param(16, unit="blocks", ge=1, le=64, source="assumption",
                                   description="Blocks an offender weighs by attractiveness")
    mix: CrimeMix = Field(default_factory=CrimeMix, description="Crime types by land use")
    domestic_rate: float = param(
        0.06, unit="incidents per couple-year at propensity 1", ge=0, le=10,
        source="assumption",
        description="Domestic violence hazard of a man living with an adult woman")
    business_victim_share: float = param(
        0.7, unit="share", ge=0, le=1, source="assumption",
        description="Share of property crime at commercial/nightlife blocks with a business victim")


# --------------------------------------------------------------------------------------------
# Police
# --------------------------------------------------------------------------------------------


class PatrolStrategy(StrEnum):
    """How police units work: where they patrol and what they do there."""

    RANDOM = "random"
    HOTSPOT = "hotspot"
    COMMUNITY = "community"
    SATURATION = "saturation"
    REACTIVE = "reactive"
    MIXED = "mixed"


UNIT_STRATEGIES = tuple(s.value for s in PatrolStrategy if s is not PatrolStrategy.MIXED)
"""Strategies a single unit can follow (``mixed`` assigns them by ``police.mix``)."""

StrategyMix = create_model(
    "StrategyMix",
    __base__=_Section,
    __doc__="Shares of patrol units by strategy when police.strategy is 'mixed' (normalised)",
    **{name: (float, param(1.0 if name == "random" else 0.0, unit="share of units", ge=0, le=1,
                           source="policy lever",
                           description=f"Share of units on {name} policing (strategy 'mixed')"))
       for name in ("random", "hotspot", "community", "saturation", "reactive")},
)


ClearanceProbability = _per_crime_type(
    "ClearanceProbability",
    {"property": 0.16, "robbery": 0.26, "assault": 0.45, "homicide": 0.6, "domestic": 0.5},
    unit="probability", source="assumption (UNODC 2013: 24 convictions per 100 homicides in the "
                               "Americas); overall arrest/recorded ~0.22, near crime4's 0.28",
    description="Chance that a fully investigated recorded crime leads to an arrest")


class PoliceParams(_Section):
    """Police units, their patrol strategy and their effect on crime."""

    officers_per_100k: float = param(150.0, unit="officers per 100,000", ge=0, le=5000,
                                     source="crime4 median police per capita 0.0015 "
                                            "(Cornwell & Trumbull 1994)",
                                     description="Sworn officers")
    officers_per_unit: int = param(2, unit="officers", ge=1, le=50, source="assumption",
                                   description="Officers in one patrol unit")
    on_patrol_share: float = param(0.25, unit="share", ge=0, le=1,
                                   source="assumption (shifts, leave, desk duty)",
                                   description="Share of officers on patrol on a given day")
    shift_minutes: float = param(480, unit="minutes", gt=0, le=1440, source="assumption (8-hour shift)",
                                 description="Patrol time of one unit in a day")
    dwell_minutes: float = param(
        15.0, unit="minutes", gt=0, le=240, source="Koper (1995): residual deterrence is "
                                                   "greatest after 10-15 minute stops",
        description="Time a unit stays at each block it visits")
    travel_minutes: float = param(5.0, unit="minutes", ge=0, le=120, source="assumption",
                                  description="Driving time between two blocks")
    dwell_scale: float = param(
        7.0, unit="minutes", gt=0, le=120, source="assumption, shape of Koper (1995)",
        description="A visit's guardianship grows as 1 - exp(-dwell / scale): short stops deter "
                    "little, long ones add little (with 10 minutes' travel, visits/day x "
                    "guardianship peaks at 10-15 min)")
    strategy: PatrolStrategy = param(
        PatrolStrategy.RANDOM, unit="choice", source="policy lever",
        description="How units work: random patrol, hotspot (recorded-crime hot spots), "
                    "community (fixed beats, contact), saturation (aggressive stops), reactive "
                    "(answer calls), or mixed (by police.mix)")
    mix: StrategyMix = Field(default_factory=StrategyMix, description="Units by strategy")
    hotspot_share: float = param(0.02, unit="share of sector blocks", gt=0, le=1,
                                 source="assumption (top 2%; cf. S1 concentration)",
                                 description="Blocks of its sector a hotspot unit patrols")
    hotspot_memory: float = param(90.0, unit="days", gt=0, le=3650, source="assumption",
                                  description="Time scale of the recorded-crime map hotspot patrol uses")
    guardianship: float = param(0.35, unit="probability per visit", ge=0, le=1,
                                source="assumption, tuned to S8 (Braga et al. 2019)",
                                description="Chance that one police visit of the default dwell "
                                            "blocks an attempt at the block that day")
    visibility_deterrence: float = param(
        0.3, unit="probability at one visit per block-day", ge=0, le=1,
        source="assumption, tuned so each extra officer averts ~0.07 homicides a year (S13 in "
               "REFERENCE.md: 0.06-0.1); Nagin, Solow & Lum (2015): police deter as sentinels",
        description="Perceived risk of arrest s that police presence in an offender's home "
                    "neighbourhood adds, at one visit per block a day (averaged over a month); "
                    "at presence v it adds s v^a")
    visibility_concavity: float = param(
        0.5, unit="exponent", ge=0, le=1,
        source="assumption, tuned so a third more officers lower true crime by ~10% (elasticity "
               "~-0.35: Chalfin & McCrary 2018, violent -0.34, property -0.17; crime4 -0.36)",
        description="Exponent a of police presence in the risk offenders read from it (s v^a): "
                    "below 1, each further patrol adds less")
    arrest_on_scene: float = param(0.3, unit="probability", ge=0, le=1, source="assumption",
                                   description="Chance of an arrest when an offence happens at a block "
                                               "police visit that day")
    clearance: ClearanceProbability = Field(default_factory=ClearanceProbability,
                                            description="Arrest after investigation")
    detectives_per_100k: float = param(
        15.0, unit="detectives per 100,000", ge=0, le=1000, source="assumption",
        description="Investigators: with cases_per_detective they set how many open cases "
                    "(recorded crimes without an arrest attempt) can be investigated")
    cases_per_detective: float = param(
        150.0, unit="cases per detective-year", gt=0, le=10000, source="assumption",
        description="Open cases one detective can investigate in a year")
    investigation_days: float = param(30.0, unit="days", gt=0, le=3650, source="assumption",
                                      description="Mean time from a recorded crime to an arrest "
                                                  "by investigation")
    witness_cooperation: float = param(
        1.0, unit="ratio", ge=0, le=5,
        source="assumption (legitimacy raises cooperation; Tyler & Fagan 2008, secondary)",
        description="Clearance is scaled by 1 + cooperation x (victim trust - trust reference)")
    saturation_stops: float = param(
        0.5, unit="stops per visit", ge=0, le=100, source="assumption",
        description="Residents stopped and searched per saturation visit")
    saturation_visits: float = param(
        2.0, unit="ratio", ge=1, le=10, source="assumption",
        description="A saturation unit's presence counts this many times (several officers, "
                    "show of force)")
    community_contacts: float = param(
        3.0, unit="contacts per visit", ge=0, le=100, source="assumption",
        description="Residents a community-policing unit talks with per visit")
    response_minutes: float = param(
        15.0, unit="minutes", gt=0, le=1440, source="assumption",
        description="Response time to a call when reactive units are not overloaded")
    calls_per_unit: float = param(
        12.0, unit="calls per unit-day", gt=0, le=200, source="assumption",
        description="Calls one reactive unit can answer in a day before response slows")
    arrest_on_response: float = param(
        0.25, unit="probability", ge=0, le=1, source="assumption",
        description="Chance of an arrest when police answer a call at once; it halves every "
                    "response_halving minutes")
    response_halving: float = param(15.0, unit="minutes", gt=0, le=1440, source="assumption",
                                    description="Response delay that halves the arrest chance")
    military_per_100k: float = param(
        0.0, unit="soldiers per 100,000", ge=0, le=5000, source="policy lever",
        description="Soldiers deployed on patrol: saturation units with more force, no "
                    "investigation, no community work")
    military_force: float = param(3.0, unit="ratio", ge=1, le=20,
                                  source="assumption (the seeds warn of military policing)",
                                  description="Abuse per stop by soldiers relative to police (arrests are the police's)")
    abuse_per_stop: float = param(
        0.005, unit="probability", ge=0, le=1, source="assumption",
        description="Chance that a stop ends in abuse (untrained police, no oversight)")
    abuse_per_arrest: float = param(
        0.05, unit="probability", ge=0, le=1, source="assumption",
        description="Chance that an arrest involves excessive force (untrained, no oversight)")
    training: float = param(0.3, unit="index 0-1", ge=0, le=1, source="policy lever",
                            description="Professional training; abuse is scaled by 1 - 0.7 x training")
    oversight: float = param(0.2, unit="index 0-1", ge=0, le=1, source="policy lever",
                             description="Civilian oversight and accountability; abuse is scaled "
                                         "by 1 - 0.5 x oversight")
    wage_ratio: float = param(0.8, unit="ratio to market wage", gt=0, le=5,
                              source="assumption (low police pay in the region, secondary)",
                              description="Police pay relative to comparable jobs")
    internal_audits: float = param(0.1, unit="index 0-1", ge=0, le=1, source="policy lever",
                                   description="Internal affairs audits")
    external_audits: float = param(0.0, unit="index 0-1", ge=0, le=1, source="policy lever",
                                   description="External (civilian, judicial) audits")
    corruption_base: float = param(
        0.2, unit="share of officers", ge=0, le=1, source="assumption",
        description="Corrupt share at wage ratio 1 without audits; the equilibrium share is "
                    "base x wage_ratio^-1 x (1 - 0.6 internal) x (1 - 0.6 external)")
    corruption_months: float = param(
        24.0, unit="months", gt=0, le=600, source="assumption",
        description="Time scale on which the corrupt share moves to its equilibrium")
    tipoff_effect: float = param(
        0.5, unit="share", ge=0, le=1, source="assumption",
        description="Presence lost by a corrupt unit's visits: offenders are tipped off")
    initial_corruption: float = param(0.2, unit="share of officers", ge=0, le=1,
                                      source="assumption",
                                      description="Corrupt share of officers at the start")


# --------------------------------------------------------------------------------------------
# Justice, prisons, reintegration and victims
# --------------------------------------------------------------------------------------------


class PretrialPolicy(StrEnum):
    """Who waits for trial in detention."""

    BROAD = "broad"
    RESTRICTED = "restricted"


VIOLENT_CRIMES: tuple[str, ...] = ("robbery", "assault", "homicide", "domestic")
"""Crime types that count as violent charges (pre-trial detention, alternatives, witnesses)."""

ConvictionProbability = _per_crime_type(
    "ConvictionProbability",
    {"property": 0.62, "robbery": 0.62, "assault": 0.55, "homicide": 0.6, "domestic": 0.45},
    unit="probability",
    source="assumption: with charge_probability 0.75 gives conviction given arrest ~0.47 "
           "(crime4 median, Cornwell & Trumbull 1994)",
    description="Chance that a charged case tried in court ends in conviction")

PrisonProbability = _per_crime_type(
    "PrisonProbability",
    {"property": 0.35, "robbery": 0.65, "assault": 0.4, "homicide": 0.95, "domestic": 0.3},
    unit="probability",
    source="assumption: mean ~0.43 over convictions (crime4 prison given conviction)",
    description="Chance that a conviction not diverted to an alternative ends in prison")

SentenceDays = _per_crime_type(
    "SentenceDays",
    {"property": 240.0, "robbery": 900.0, "assault": 540.0, "homicide": 4380.0, "domestic": 240.0},
    unit="days", le=36500,
    source="assumption (first-offence prison terms; homicide 12 years)",
    description="Median prison sentence of a first conviction")


class CourtParams(_Section):
    """Charging, the trial backlog and verdicts."""

    prosecutors_per_100k: float = param(
        6.0, unit="prosecutors per 100,000", ge=0, le=1000,
        source="assumption (prosecution services of the region: 4-10 per 100,000, secondary)",
        description="Prosecutors; with cases_per_prosecutor they set how many cases are tried a day")
    cases_per_prosecutor: float = param(
        90.0, unit="cases per prosecutor-year", gt=0, le=10000, source="assumption",
        description="Cases one prosecutor brings to a verdict in a year")
    charge_probability: float = param(
        0.75, unit="probability", ge=0, le=1, source="assumption",
        description="Chance that an arrest of a resident of criminal age is charged (the rest "
                    "are released without charge)")
    preparation_days: float = param(
        150.0, unit="days", ge=0, le=3650, source="assumption",
        description="Shortest time from charge to trial (investigation, hearings); the backlog "
                    "adds the wait for a free prosecutor")
    evidence_on_scene: float = param(
        1.2, unit="ratio", ge=0, le=5, source="assumption (caught in the act: better evidence)",
        description="Conviction probability of an arrest made at the scene, relative to others")
    conviction: ConvictionProbability = Field(default_factory=ConvictionProbability,
                                              description="Verdicts by crime type")
    witness_protection: float = param(
        0.0, unit="share of violent cases", ge=0, le=1, source="policy lever",
        description="Share of violent cases whose witnesses are protected")
    witness_protection_effect: float = param(
        0.5, unit="ratio", ge=0, le=5,
        source="assumption (intimidated witnesses are a main reason violent cases fail, UNODC "
               "2008 good practices, secondary)",
        description="Conviction probability of a violent case with protected witnesses is "
                    "scaled by 1 + effect")


class PretrialParams(_Section):
    """Detention while waiting for trial."""

    policy: PretrialPolicy = param(
        PretrialPolicy.BROAD, unit="choice", source="policy lever (broad: status quo in much of "
        "the region, e.g. mandatory pre-trial detention for listed offences)",
        description="broad: any charge may be detained; restricted: only violent charges and "
                    "defendants with a record (flight risk)")
    broad_probability: float = param(
        0.5, unit="probability", ge=0, le=1,
        source="assumption, gives ~40% of prisoners unsentenced (the Americas ~36%, South and "
               "Central America 40-50%, World Prison Brief, secondary)",
        description="Chance that a charged defendant is detained under the broad policy")
    violent_probability: float = param(
        0.6, unit="probability", ge=0, le=1, source="assumption",
        description="Chance that a defendant charged with a violent crime is detained under the "
                    "restricted policy (homicide always is, under both)")
    flight_risk_probability: float = param(
        0.2, unit="probability", ge=0, le=1, source="assumption",
        description="Chance that a defendant with a previous conviction charged with a "
                    "non-violent crime is detained under the restricted policy")
    max_days: int = param(
        730, unit="days", ge=1, le=36500,
        source="assumption (two-year limits on pre-trial detention in several criminal codes)",
        description="Longest pre-trial detention; then the defendant waits for trial at liberty")


class SentencingParams(_Section):
    """Sentences, alternatives to prison and juvenile justice."""

    severity: float = param(1.0, unit="ratio", ge=0.1, le=10, source="policy lever",
                            description="Multiplier of every prison sentence (the punitive lever)")
    prison: PrisonProbability = Field(default_factory=PrisonProbability,
                                      description="Prison given conviction")
    sentence_days: SentenceDays = Field(default_factory=SentenceDays,
                                        description="Prison sentences")
    repeat_prison_probability: float = param(
        0.7, unit="probability", ge=0, le=1,
        source="assumption (a record weighs in sentencing; repeat offenders are rarely diverted)",
        description="Chance that a conviction of a resident with a previous conviction ends in "
                    "prison (at least; crime types with a higher chance keep theirs)")
    prior_record_effect: float = param(
        0.25, unit="ratio per prior conviction", ge=0, le=5,
        source="assumption (sentencing guidelines weigh the record)",
        description="Sentence is scaled by 1 + effect x prior convictions (at most 4)")
    sentence_sd: float = param(0.4, unit="log sd", ge=0, le=3, source="assumption",
                               description="Spread of sentences around the median (lognormal)")
    alternatives: float = param(
        0.2, unit="share of eligible", ge=0, le=1,
        source="policy lever (alternatives are underused in the region, secondary)",
        description="Share of eligible convictions (non-violent, first offence) given an "
                    "alternative to prison: probation, community service or restorative "
                    "conciliation")
    restorative_share: float = param(
        0.3, unit="share of alternatives", ge=0, le=1, source="policy lever",
        description="Share of alternatives that are restorative conciliation with reparation "
                    "(needs a victim who is a resident)")
    restorative_effect: float = param(
        0.1, unit="log propensity", ge=0, le=2,
        source="assumption (restorative justice conferencing: modest falls in reoffending, "
               "Strang et al. 2013, secondary)",
        description="Propensity falls by this factor (exp(-effect)) after restorative conciliation")
    supervision_days: int = param(365, unit="days", ge=0, le=3650, source="assumption",
                                  description="Length of probation or community service")
    supervision_risk: float = param(
        0.5, unit="probability", ge=0, le=1, source="assumption",
        description="Perceived risk of arrest of a resident under supervision (at least)")
    min_age: float = param(
        12.0, unit="years", ge=0, le=30,
        source="assumption (minimum ages of criminal responsibility of 12-14 in the region)",
        description="Below this age an arrest is not charged")
    adult_age: float = param(
        18.0, unit="years", ge=10, le=30,
        source="policy lever (18 in most of the region; lowering it is a punitive proposal)",
        description="From this age a defendant is tried and imprisoned as an adult; younger ones "
                    "go to juvenile justice")
    juvenile_detention: float = param(
        0.3, unit="probability", ge=0, le=1, source="assumption (detention as a last resort, CRC)",
        description="Chance that a juvenile convicted of a violent crime is detained (the rest, "
                    "and every non-violent juvenile, get supervision)")
    juvenile_sentence_ratio: float = param(0.5, unit="ratio", ge=0, le=1, source="assumption",
                                           description="Juvenile detention relative to an adult sentence")


class PrisonParams(_Section):
    """Prisons: capacity, conditions, separation, rehabilitation and ties formed inside."""

    capacity_per_100k: float = param(
        170.0, unit="places per 100,000", ge=0, le=5000,
        source="assumption (occupancy above 100% in most countries of the Americas, World "
               "Prison Brief, secondary)",
        description="Places in adult prisons (pre-trial detainees use them too)")
    juvenile_capacity_per_100k: float = param(20.0, unit="places per 100,000", ge=0, le=1000,
                                              source="assumption",
                                              description="Places in juvenile detention centres")
    criminogenic_base: float = param(
        0.05, unit="log propensity", ge=-1, le=2,
        source="Nagin, Cullen & Jonson (2009): custody vs non-custodial sanctions null to mildly "
               "criminogenic",
        description="Propensity rises by exp(base) after a prison spell in good conditions")
    crowding_effect: float = param(
        0.4, unit="log propensity per unit overcrowding", ge=0, le=5, source="assumption",
        description="Extra rise per unit of occupancy above 1 during the spell (scaled by years "
                    "served, at most 1)")
    mixing_effect: float = param(
        0.4, unit="log propensity", ge=0, le=5, source="assumption (prison as a school of crime)",
        description="Extra rise for a first-time prisoner held with repeat offenders (scaled by "
                    "years served, at most 1)")
    separation: float = param(
        0.0, unit="share of first-time prisoners", ge=0, le=1, source="policy lever",
        description="Share of first-time prisoners held apart from repeat offenders")
    rehabilitation_places_per_100k: float = param(
        15.0, unit="places per 100,000", ge=0, le=5000, source="policy lever",
        description="Education and work places in prisons (juvenile centres have one per inmate)")
    rehabilitation_effect: float = param(
        0.35, unit="log propensity", ge=0, le=5,
        source="assumption (correctional education: ~43% lower odds of recidivism, Davis et al. "
               "2013 RAND, secondary)",
        description="Propensity falls by exp(-effect) for a prisoner who completes a programme")
    programme_days: float = param(180.0, unit="days", gt=0, le=3650, source="assumption",
                                  description="Time in a programme needed to complete it")
    crowding_rehab_loss: float = param(
        0.5, unit="share per unit overcrowding", ge=0, le=1, source="assumption",
        description="Share of the rehabilitation effect lost per unit of occupancy above 1")
    prison_ties: float = param(
        0.3, unit="share of peers", ge=0, le=1, source="assumption (recruitment in prison, DESIGN)",
        description="Share of a released prisoner's peers replaced by fellow prisoners after a "
                    "year inside (more when crowded)")


class ReintegrationParams(_Section):
    """The weeks after release, and support to get through them."""

    release_strain: float = param(
        4.5, unit="ratio", ge=0, le=50,
        source="assumption, tuned so first-year re-arrest of released prisoners without support "
               "is ~35% (Rossi et al. 1980 control group 30.6%; BJS 2014: 44%)",
        description="Extra offending motivation right after release (no job, money or housing)")
    release_strain_days: float = param(
        150.0, unit="days", gt=0, le=3650, source="assumption (re-arrest concentrates in the first "
                                                  "months, BJS 2014)",
        description="Time scale on which the release strain fades")
    places_per_100k: float = param(
        0.0, unit="places per 100,000", ge=0, le=5000, source="policy lever",
        description="Reintegration support places (money, job placement, family mediation)")
    support_days: int = param(120, unit="days", ge=1, le=3650,
                              source="Rossi et al. (1980): aid paid for 13 weeks",
                              description="Length of support after release")
    support_effect: float = param(
        0.6, unit="share", ge=0, le=1,
        source="assumption, tuned to Rossi et al. (1980): first-year re-arrest 30.6% -> 22.2%",
        description="Share of the release strain removed by support")
    record_job_penalty: float = param(
        0.5, unit="share", ge=0, le=1,
        source="Pager (2003): a criminal record halves call-backs from employers (secondary)",
        description="Share of job finding lost by a resident who has been in prison")
    support_job: float = param(0.3, unit="probability", ge=0, le=1, source="assumption",
                               description="Chance that support places a released prisoner in a job")


class VictimParams(_Section):
    """Victim assistance and reparation."""

    assistance_places_per_100k: float = param(
        0.0, unit="places per 100,000", ge=0, le=5000, source="policy lever",
        description="Victim assistance places (counselling, safety planning, legal aid) for "
                    "residents who reported a crime")
    assistance_days: int = param(180, unit="days", ge=1, le=3650, source="assumption",
                                 description="Length of assistance")
    assistance_protection: float = param(
        0.4, unit="probability", ge=0, le=1,
        source="assumption (repeat victimisation prevention, Farrell & Pease 1993)",
        description="Chance that a crime against an assisted victim is averted")
    assistance_fear_relief: float = param(
        0.5, unit="share", ge=0, le=1, source="assumption",
        description="Share of the fear from their own victimisation that assisted victims lose")
    assistance_trust_gain: float = param(0.1, unit="trust", ge=0, le=1, source="assumption",
                                         description="Trust gained by an assisted victim")
    reparation_trust_gain: float = param(
        0.15, unit="trust", ge=0, le=1,
        source="assumption (victims' satisfaction with restorative justice, Strang et al. 2013, "
               "secondary)",
        description="Trust gained by a victim repaired through restorative conciliation "
                    "(who also gets assistance's fear relief)")


class JusticeParams(_Section):
    """Courts, pre-trial detention, sentencing, prisons, reintegration and victims."""

    court: CourtParams = Field(default_factory=CourtParams, description="Courts")
    pretrial: PretrialParams = Field(default_factory=PretrialParams, description="Pre-trial detention")
    sentencing: SentencingParams = Field(default_factory=SentencingParams, description="Sentencing")
    prison: PrisonParams = Field(default_factory=PrisonParams, description="Prisons")
    reintegration: ReintegrationParams = Field(default_factory=ReintegrationParams,
                                               description="Reintegration")
    victims: VictimParams = Field(default_factory=VictimParams, description="Victims")

    @model_validator(mode="after")
    def _ages_in_order(self) -> JusticeParams:
        if self.sentencing.min_age > self.sentencing.adult_age:
            raise ValueError(
                f"sentencing.min_age ({self.sentencing.min_age}) is above sentencing.adult_age "
                f"({self.sentencing.adult_age}); the minimum age of criminal responsibility must "
                "not exceed the age of adult trial")
        return self


CrimeCostParams = _per_crime_type(
    "CrimeCostParams",
    {"property": 1400.0, "robbery": 5300.0, "assault": 4700.0, "homicide": 1_500_000.0,
     "domestic": 6600.0},
    unit="USD per offence (2018 prices)",
    source="UK Home Office (Heeks et al. 2018): homicide GBP 3.2 m, robbery GBP 11,320 "
           "(REFERENCE.md); assault the mean of violence with and without injury (GBP 14,050 "
           "and 5,930), domestic violence with injury, property GBP 3,000 between theft and "
           "burglary (secondary); converted at USD 1.34 per GBP and scaled by 0.35, the ratio "
           "of GDP per head (PPP) of Latin America to the UK (benefit transfer with income "
           "elasticity 1: assumption)",
    description="Cost of one offence to its victims and society (harm, health, lost output)",
    le=1e9)


class CostParams(_Section):
    """Unit costs of the levers and of crime, in US dollars at 2018 prices (the price level of
    the crime costs' source), for spending and equal-cost comparisons."""

    officer_year: float = param(
        23000.0, unit="USD per officer-year at wage ratio 1", ge=0, le=1e7,
        source="assumption (pay and equipment of a police officer in the region, secondary); "
               "pay is 70% of it and scales with police.wage_ratio, so the default ratio 0.8 "
               "costs USD 19,800",
        description="A sworn officer or soldier on the force")
    training_officer_year: float = param(
        1500.0, unit="USD per officer-year at training 1", ge=0, le=1e6,
        source="assumption (academy time, instructors, in-service courses)",
        description="Professional training, paid in proportion to police.training")
    oversight_officer_year: float = param(
        600.0, unit="USD per officer-year at oversight 1", ge=0, le=1e6, source="assumption",
        description="Civilian oversight and accountability bodies, in proportion to "
                    "police.oversight")
    audit_officer_year: float = param(
        500.0, unit="USD per officer-year at audit level 1", ge=0, le=1e6, source="assumption",
        description="Internal or external audits of the force, each in proportion to its level")
    municipal_capacity_resident_year: float = param(
        2.0, unit="USD per resident-year per unit of index", ge=0, le=1e4, source="assumption",
        description="Strengthening the municipality: staff (technical capacity), "
                    "coordination and data systems (each index 0-1 paid at this rate)")
    detective_year: float = param(25000.0, unit="USD per detective-year", ge=0, le=1e7,
                                  source="assumption", description="An investigator")
    prosecutor_year: float = param(40000.0, unit="USD per prosecutor-year", ge=0, le=1e7,
                                   source="assumption", description="A prosecutor with court time")
    prisoner_year: float = param(
        8000.0, unit="USD per prisoner-year", ge=0, le=1e7,
        source="assumption (running costs per inmate of USD 5,000-20,000 a year in the region, "
               "secondary)",
        description="Keeping one prisoner or pre-trial detainee for a year")
    prison_place_year: float = param(
        2000.0, unit="USD per place-year", ge=0, le=1e7, source="assumption (annualised building)",
        description="One prison place, used or not")
    separation_prisoner_year: float = param(
        800.0, unit="USD per separated prisoner-year", ge=0, le=1e7,
        source="assumption (separate wings, classification and staff)",
        description="Holding a first-time prisoner apart from repeat offenders, paid in "
                    "proportion to justice.prison.separation")
    rehabilitation_place_year: float = param(3000.0, unit="USD per place-year", ge=0, le=1e7,
                                             source="assumption",
                                             description="One education or work place in prison")
    reintegration_place_year: float = param(
        4000.0, unit="USD per place-year", ge=0, le=1e7,
        source="assumption (Rossi et al. 1980: USD 60 a week for 13 weeks, plus placement)",
        description="One reintegration support place")
    supervision_year: float = param(1500.0, unit="USD per person-year", ge=0, le=1e7,
                                    source="assumption",
                                    description="Probation or community service of one offender")
    victim_place_year: float = param(2500.0, unit="USD per place-year", ge=0, le=1e7,
                                     source="assumption", description="One victim assistance place")
    restorative_case: float = param(
        400.0, unit="USD per case", ge=0, le=1e7, source="assumption (a mediator's time)",
        description="One restorative conciliation with reparation to the victim")
    witness_protection_case: float = param(3000.0, unit="USD per case", ge=0, le=1e7,
                                           source="assumption",
                                           description="Protecting the witnesses of one case")
    youth_place_year: float = param(
        2000.0, unit="USD per place-year", ge=0, le=1e7,
        source="assumption (Becoming a Man: ~USD 1,100-2,000 per participant, Heller et al. 2017)",
        description="One youth programme place")
    renewal_block: float = param(15000.0, unit="USD per block", ge=0, le=1e8,
                                 source="assumption (lighting and public-space works)",
                                 description="Renewing one block (spent in the year it is done)")
    interrupter_year: float = param(18000.0, unit="USD per worker-year", ge=0, le=1e7,
                                    source="assumption", description="One violence interrupter")
    council_year: float = param(20000.0, unit="USD per council-year", ge=0, le=1e7,
                                source="assumption (a facilitator and small grants)",
                                description="One community council")
    regulation_guard_year: float = param(
        300.0, unit="USD per guard-year at full regulation", ge=0, le=1e6, source="assumption",
        description="Licensing and inspecting private guards (public cost)")
    dv_place_year: float = param(3000.0, unit="USD per place-year", ge=0, le=1e7,
                                 source="assumption", description="One domestic-violence service place")
    interdiction_agent_year: float = param(
        30000.0, unit="USD per agent-year", ge=0, le=1e7,
        source="assumption (a customs, border or anti-trafficking agent with equipment, "
               "intelligence and transport; dearer than a patrol officer's USD 23,000)",
        description="One interdiction agent on the trafficking routes that supply the city")
    information_exchange_officer_year: float = param(
        500.0, unit="USD per officer-year at exchange 1", ge=0, le=1e6,
        source="assumption (connections to INTERPOL's I-24/7 and MERCOSUR's SISME, terminals in "
               "the field, analysts and liaison officers)",
        description="Information exchange with other countries' police databases, paid per "
                    "officer in proportion to cooperation.information_exchange")
    joint_training_officer_year: float = param(
        800.0, unit="USD per officer-year at joint training 1", ge=0, le=1e6,
        source="assumption (courses with partner countries' forces, exchanges of instructors)",
        description="Joint training with other countries' police forces, paid per officer in "
                    "proportion to cooperation.joint_training")
    crime: CrimeCostParams = Field(default_factory=CrimeCostParams,
                                   description="Costs of crime to victims and society")


# --------------------------------------------------------------------------------------------
# Youth, gangs, retaliation and firearms
# --------------------------------------------------------------------------------------------


class FirearmsParams(_Section):
    """Guns in violent encounters: the share of violence that kills."""

    availability: float = param(
        0.2, unit="share of violent offenders armed", ge=0, le=1,
        source="assumption, with the lethalities below gives ~70% of homicides by firearm (the "
               "Americas: about two in three, UNODC Global Study on Homicide 2019)",
        description="Chance that a violent offender carries a firearm")
    gang_ratio: float = param(2.5, unit="ratio", ge=1, le=20, source="assumption",
                              description="Gang members are this many times as likely to be armed")
    lethality_armed: float = param(
        0.013, unit="share of violent offences", ge=0, le=1,
        source="assumption, tuned with lethality_unarmed to ~20 homicides per 100,000 (the "
               "Americas 17.2 in 2017, UNODC 2019)",
        description="Share of armed robberies and assaults that end in a death")
    lethality_unarmed: float = param(0.0015, unit="share of violent offences", ge=0, le=1,
                                     source="assumption (a gun is ~5-10 times as lethal)",
                                     description="Share of unarmed robberies and assaults that kill")


class YouthParams(_Section):
    """Young people's ties, gangs and retaliation on the network."""

    gangs: int = param(6, unit="gangs", ge=0, le=64, source="assumption",
                       description="Street gangs, each based in one of the poorest neighbourhoods")
    initial_members: float = param(
        0.3, unit="share of males aged 14-20", ge=0, le=1,
        source="assumption (with recruitment, ~1% of residents in gangs, concentrated in the "
               "poorest neighbourhoods; S11: violence concentrates in a network of <6% of residents)",
        description="Share of young men of a gang's home neighbourhood who are members at start")
    recruitment: float = param(
        0.5, unit="per gang peer per month", ge=0, le=1, source="assumption",
        description="Monthly chance that a young man joins, per peer in a gang, scaled by his "
                    "risk (propensity, drop-out)")
    recruit_ages: tuple[float, float] = param(
        (12.0, 20.0), unit="years", source="assumption (joining peaks at 13-15, Thornberry et "
                                           "al. 2003)",
        description="Ages at which young men can be recruited")
    exit_rate: float = param(
        0.5, unit="per year", ge=0, le=12,
        source="assumption (most members leave within a year or two, Thornberry et al. 2003)",
        description="Yearly chance of leaving the gang")
    exit_age: float = param(26.0, unit="years", ge=10, le=100,
                            source="assumption (members age out in their twenties)",
                            description="Age by which every member has left")
    facilitation: float = param(
        1.0, unit="ratio", ge=0, le=10,
        source="assumption (offending rises sharply during membership, Thornberry et al. 1993)",
        description="Motivation of a member is multiplied by 1 + facilitation")
    family_risk: float = param(
        0.5, unit="ratio", ge=0, le=10,
        source="Murray & Farrington (2008): children of imprisoned parents have ~1.6 times the "
               "odds of antisocial behaviour",
        description="Motivation of a resident under 25 is multiplied by 1 + family_risk when "
                    "someone in the household has served a prison sentence")
    rewiring: float = param(
        0.03, unit="share per month", ge=0, le=1, source="assumption",
        description="Share of residents who replace their last tie (friendship) each month")
    rewiring_candidates: int = param(
        4, unit="residents", ge=1, le=32, source="assumption",
        description="Friends of friends and neighbours weighed for a new tie; the most similar "
                    "(same gang, both offenders, age) is chosen (homophily)")
    retaliation: float = param(
        0.5, unit="probability", ge=0, le=1,
        source="assumption, tuned to S11 (Green, Horel & Papachristos 2017: most gun violence "
               "follows earlier violence in the network)",
        description="Chance that violence against a gang member, or by one, is avenged")
    retaliation_other: float = param(0.03, unit="probability", ge=0, le=1, source="assumption",
                                     description="Chance that other violence is avenged")
    lag_median_days: float = param(83.0, unit="days", gt=0, le=3650,
                                   source="Green, Horel & Papachristos (2017): median lag 83 days",
                                   description="Median time from an incident to its retaliation")
    lag_mean_days: float = param(125.0, unit="days", gt=0, le=3650,
                                 source="Green, Horel & Papachristos (2017): mean lag 125 days",
                                 description="Mean time from an incident to its retaliation "
                                             "(lognormal lag)")


# --------------------------------------------------------------------------------------------
# Prevention and participation: the municipality and its programmes
# --------------------------------------------------------------------------------------------


class MunicipalityParams(_Section):
    """What the city government can deliver: capacity, coordination, data."""

    technical_capacity: float = param(
        0.5, unit="index 0-1", ge=0, le=1, source="policy lever (assumption: a mid-sized Latin "
                                                   "American municipality)",
        description="Staff and know-how: programme effects scale by 0.4 + 0.6 x capacity")
    financial_capacity: float = param(
        0.6, unit="index 0-1", ge=0, le=1, source="policy lever (assumption)",
        description="Funds that arrive on time: a share 0.5 + 0.5 x capacity of the budgeted "
                    "places is delivered")
    coordination: float = param(
        0.4, unit="index 0-1", ge=0, le=1,
        source="policy lever (national-local coordination, MISPA papers); assumption",
        description="Coordination between national and local government: effects scale by "
                    "0.5 + 0.5 x coordination")
    data_quality: float = param(
        0.5, unit="index 0-1", ge=0, le=1, source="policy lever (crime observatories); assumption",
        description="How well programmes see risk: targeting noise has log-sd 1.5 x (1 - quality)")
    decentralisation: float = param(
        0.0, unit="index 0-1", ge=0, le=1, source="policy lever; assumption",
        description="Budget and authority moved to the municipality: financial capacity and "
                    "data quality (local knowledge) rise by half the gap to 1 times this")


class ProgrammeParams(_Section):
    """Municipal prevention programmes: places, targeting and effects at full capacity."""

    youth_places_per_100k: float = param(0.0, unit="places per 100,000", ge=0, le=10_000,
                                         source="policy lever",
                                         description="Youth programme places (mentoring, schooling, jobs)")
    youth_ages: tuple[float, float] = param((12.0, 25.0), unit="years", source="assumption",
                                            description="Ages eligible for the youth programme")
    youth_days: int = param(365, unit="days", ge=1, le=3650, source="assumption",
                            description="Length of a youth programme spell")
    youth_effect: float = param(
        0.4, unit="log motivation", ge=0, le=5,
        source="Heller et al. (2017): Becoming a Man cut violent-crime arrests by 45-50% during "
               "the programme",
        description="Motivation of a participant falls by exp(-effect x delivery) while enrolled")
    youth_lasting: float = param(
        0.15, unit="log propensity", ge=0, le=5,
        source="assumption (Lipsey 2009: effective programmes cut reoffending by 10-20%)",
        description="Propensity falls by exp(-lasting x delivery) on completing the programme")
    youth_school_return: float = param(0.3, unit="probability", ge=0, le=1, source="assumption",
                                       description="Chance that an enrolled drop-out returns to school")
    youth_job: float = param(0.3, unit="probability", ge=0, le=1, source="assumption",
                             description="Chance that an enrolled unemployed adult finds a job")
    renewal_blocks_per_year: float = param(
        0.0, unit="blocks a year", ge=0, le=10_000, source="policy lever",
        description="Blocks given lighting and public-space renewal each year (the hottest first)")
    renewal_disorder_cut: float = param(
        0.5, unit="share", ge=0, le=1,
        source="assumption (broken-windows clean-ups; Braga, Welsh & Schnell 2015, secondary)",
        description="Share of a renewed block's disorder removed (lighting goes to full)")
    interrupters_per_100k: float = param(0.0, unit="workers per 100,000", ge=0, le=1000,
                                         source="policy lever",
                                         description="Violence interrupters (outreach workers)")
    disputes_per_interrupter: float = param(
        24.0, unit="disputes a year", gt=0, le=1000, source="assumption",
        description="Disputes one interrupter can mediate in a year")
    interruption_success: float = param(
        0.5, unit="probability", ge=0, le=1,
        source="assumption (Cure Violence evaluations: shootings down 16-28% in treated areas; "
               "Butts et al. 2015)",
        description="Chance that a mediated dispute is defused, at full capacity")
    councils: int = param(0, unit="neighbourhoods", ge=0, le=1000, source="policy lever",
                          description="Neighbourhoods with a community council (the poorest "
                                      "first)")
    council_guardianship: float = param(
        0.3, unit="share", ge=0, le=5,
        source="assumption (collective efficacy, Sampson, Raudenbush & Earls 1997)",
        description="Informal guardianship in a council's neighbourhood rises by this share")
    council_trust: float = param(0.08, unit="trust", ge=0, le=1, source="assumption",
                                 description="Long-run trust of a council neighbourhood's "
                                             "residents rises by this much")
    dv_places_per_100k: float = param(0.0, unit="places per 100,000", ge=0, le=10_000,
                                      source="policy lever",
                                      description="Domestic-violence service places (shelter, "
                                                  "counselling, protection orders)")
    dv_days: int = param(180, unit="days", ge=1, le=3650, source="assumption",
                         description="Length of support for a household")
    dv_effect: float = param(
        0.5, unit="share", ge=0, le=1,
        source="assumption (protection orders and advocacy: repeat abuse roughly halves, "
               "secondary)",
        description="Share of the domestic-violence hazard of a supported household removed")
    dv_reporting: float = param(
        0.3, unit="share", ge=0, le=1, source="assumption",
        description="A supported woman who is abused again reports with probability "
                    "p + (1 - p) x this x delivery")


class PreventionParams(_Section):
    """The municipality and its programmes."""

    municipality: MunicipalityParams = Field(default_factory=MunicipalityParams,
                                             description="The city government")
    programmes: ProgrammeParams = Field(default_factory=ProgrammeParams,
                                        description="Prevention programmes")


# --------------------------------------------------------------------------------------------
# Private security
# --------------------------------------------------------------------------------------------


class PrivateSecurityParams(_Section):
    """Guards hired by households that can pay and by businesses, as fear rises."""

    firms: int = param(3, unit="firms", ge=0, le=100, source="assumption",
                       description="Security companies sharing the market")
    hire: float = param(
        2.0, unit="coverage per unit of demand", ge=0, le=100,
        source="assumption (private guards outnumber police in much of Latin America, IDB "
               "2024, secondary)",
        description="Block coverage = min(1, hire x (fearful residents who can pay, per resident "
                    "+ business x neighbourhood fear on commercial blocks)); 0 switches private "
                    "security off")
    business: float = param(0.5, unit="ratio", ge=0, le=10, source="assumption",
                            description="Demand of businesses on commercial and nightlife blocks, "
                                        "per unit of neighbourhood fear")
    residents_per_guard: float = param(
        150.0, unit="residents", gt=0, le=100_000, source="assumption",
        description="Residents one guard covers (gated streets, condominiums)")
    guards_per_business_block: float = param(0.2, unit="guards", ge=0, le=100, source="assumption",
                                             description="Guards to cover the businesses of one "
                                                         "commercial or nightlife block fully")
    guardianship: float = param(
        0.3, unit="probability", ge=0, le=1, source="assumption (routine activities: capable "
                                                   "guardians)",
        description="Chance that full coverage blocks an attempt on the block")
    avoid: float = param(
        0.5, unit="share", ge=0, le=1,
        source="assumption (displacement in 26% of situational-prevention studies, Guerette & "
               "Bowers 2009)",
        description="Offenders weigh a covered block's attractiveness by 1 - avoid x coverage")
    abuse_per_guard_year: float = param(
        0.05, unit="incidents per guard-year", ge=0, le=10,
        source="assumption (private security \"unchecked by control\", MISPA papers)",
        description="Abuses by unregulated guards")
    leak_per_guard_year: float = param(
        0.00001, unit="firearm availability per guard per 100,000 residents per year", ge=0, le=1,
        source="assumption (guns diverted from security firms into illegal markets, secondary)",
        description="Rise of firearms availability from unregulated guards' guns (cumulative)")
    regulation: float = param(0.2, unit="index 0-1", ge=0, le=1, source="policy lever",
                              description="Licensing, inspection and oversight of security firms")
    regulation_effect: float = param(0.8, unit="share", ge=0, le=1, source="assumption",
                                     description="Share of abuses and leaks removed by full regulation")


# --------------------------------------------------------------------------------------------
# Guardianship, reporting and recording
# --------------------------------------------------------------------------------------------

ReportProbability = _per_crime_type(
    "ReportProbability",
    {"property": 0.22, "robbery": 0.3, "assault": 0.3, "homicide": 1.0, "domestic": 0.07},
    unit="probability",
    source="Jaitman & Anauati (2019): ~3 in 4 crimes unreported in Latin America; IDB (2024): "
           "gender-based violence 92-95% unreported (secondary); homicides are always known",
    description="Chance that a victim with average trust reports")


StreetFootfall = _per_land_use(
    "StreetFootfall", {"residential": 1.0, "commercial": 4.0, "nightlife": 4.0},
    unit="relative weight", source="assumption",
    description="Relative number of people out in the street on a block, by land use")


# --------------------------------------------------------------------------------------------
# Governance: elections and shocks
# --------------------------------------------------------------------------------------------


class GovernanceParams(_Section):
    """The political cycle: elections that may cut programmes unless parties agree."""

    election_interval_years: float = param(
        4.0, unit="years", gt=0, le=20,
        source="assumption (most mayors and presidents of the region serve four-year terms)",
        description="Years between elections")
    first_election_year: float = param(
        2.0, unit="recorded years", ge=0, le=100, source="assumption (mid-term of the run)",
        description="When the first election falls, counted from the first recorded day")
    cross_party_agreement: bool = param(
        False, unit="yes/no",
        source="policy lever (the MISPA papers ask for policies that transcend party lines); "
               "the status quo has none",
        description="Parties agree to keep the programmes whoever wins: no election cuts them")
    reversal_probability: float = param(
        0.5, unit="probability per election", ge=0, le=1,
        source="assumption (about half of elections change the party in office)",
        description="Chance that an election without an agreement brings a government that "
                    "cuts its predecessor's programmes")
    cut_share: float = param(
        0.6, unit="share of places", ge=0, le=1, source="assumption",
        description="Share of every programme's places a reversal cuts (prevention "
                    "programmes, rehabilitation, reintegration, victim assistance)")


class ShockParams(_Section):
    """A shock at a chosen time: police taken off the streets, jobs lost, places degraded."""

    start_year: float = param(0.0, unit="recorded years", ge=0, le=100, source="scenario setting",
                              description="When the shock starts, counted from the first recorded day")
    duration_days: int = param(0, unit="days", ge=0, le=36500, source="scenario setting",
                               description="How long it lasts (0: no shock)")
    police_share: float = param(1.0, unit="share of units", ge=0, le=1, source="assumption",
                                description="Share of police units on duty during the shock")
    unemployment_factor: float = param(1.0, unit="ratio", ge=0.1, le=5, source="assumption",
                                       description="Unemployment rate multiplied by this")
    attractiveness_factor: float = param(
        1.0, unit="ratio", gt=0, le=5, source="assumption",
        description="Base attractiveness of every block multiplied by this (damage, darkness)")


class DisasterParams(ShockParams):
    """A natural disaster: police diverted to relief, damage and darkness, jobs lost."""

    police_share: float = param(
        0.6, unit="share of units", ge=0, le=1,
        source="assumption (rescue and relief duties take about 40% of patrols)",
        description="Share of police units on duty during the disaster")
    unemployment_factor: float = param(1.3, unit="ratio", ge=0.1, le=5, source="assumption",
                                       description="Unemployment rate multiplied by this")
    attractiveness_factor: float = param(
        1.2, unit="ratio", gt=0, le=5,
        source="assumption (damaged homes and shops, streets without light: looting)",
        description="Base attractiveness of every block multiplied by this")


class EconomicCrisisParams(ShockParams):
    """An economic crisis: jobs lost, above all among the young and the poor."""

    unemployment_factor: float = param(
        1.6, unit="ratio", ge=0.1, le=5,
        source="assumption (e.g. Argentina 2001-02: unemployment from about 14% to 21%, "
               "secondary)",
        description="Unemployment rate multiplied by this")
    police_share: float = param(
        0.9, unit="share of units", ge=0, le=1,
        source="assumption (fuel and overtime budgets cut)",
        description="Share of police units on duty during the crisis")


class ShocksParams(_Section):
    """Shocks a scenario overlay can switch on (all off by default)."""

    disaster: DisasterParams = Field(default_factory=DisasterParams, description="A disaster")
    economic_crisis: EconomicCrisisParams = Field(default_factory=EconomicCrisisParams,
                                                  description="An economic crisis")


class ReportingParams(_Section):
    """Informal guardianship, reporting by victims and recording by the police."""

    informal_guardianship: float = param(
        0.03, unit="per resident at home", ge=0, le=1, source="assumption (routine activities)",
        description="Chance that each resident at home on a block blocks an attempt there")
    at_home_share: float = param(0.4, unit="share", ge=0, le=1, source="assumption",
                                 description="Share of an employed adult's day at home; the "
                                             "young, old and unemployed count fully")
    street_guardianship: float = param(
        0.01, unit="per person in the street", ge=0, le=1, source="assumption (routine activities)",
        description="Chance that each person out in the street on a block blocks an attempt there")
    collective_efficacy_gradient: float = param(
        0.5, unit="ratio", ge=0, le=1,
        source="Sampson, Raudenbush & Earls (1997): collective efficacy is lower in "
               "disadvantaged neighbourhoods; size assumption",
        description="Residents' guardianship is scaled by 1 + gradient x (SES - 0.5) x 2 of "
                    "their neighbourhood")
    street_footfall: StreetFootfall = Field(default_factory=StreetFootfall,
                                            description="Where people out of home spend the day")
    base: ReportProbability = Field(default_factory=ReportProbability,
                                    description="Reporting by crime type")
    trust_effect: float = param(2.0, unit="log-odds per unit trust", ge=0, le=20,
                                source="assumption (trust raises reporting; Tyler, secondary)",
                                description="Reporting log-odds rise by effect x (trust - trust_reference)")
    trust_reference: float = param(
        0.35, unit="index 0-1", ge=0, le=1, source="assumption: the default mean trust",
        description="Trust of a victim who reports with the base probabilities; businesses "
                    "report as a victim of this trust")
    recording_probability: float = param(0.85, unit="probability", ge=0, le=1,
                                         source="assumption (information systems lever)",
                                         description="Chance that police record a reported crime "
                                                     "(crimes they witness or answer with an "
                                                     "arrest attempt are always recorded)")


class PerceptionParams(_Section):
    """Legitimacy, trust in the police, fear of crime, the media."""

    legitimacy_effect: float = param(
        1.0, unit="ratio", ge=0, le=10,
        source="assumption (low legitimacy raises offending: Tyler 2006; Epstein 2002)",
        description="Motivation is scaled by max(0.1, 1 + effect x (trust reference - trust))")
    abuse_trust_shock: float = param(
        0.05, unit="trust per incident per 1,000 residents", ge=0, le=10, source="assumption",
        description="Fall of a neighbourhood's trust for each abuse incident in it")
    bribe_trust_shock: float = param(
        0.02, unit="trust per bribe per 1,000 residents", ge=0, le=10, source="assumption",
        description="Fall of a neighbourhood's trust for each bribe paid in it")
    shock_memory_days: float = param(365.0, unit="days", gt=0, le=36500, source="assumption",
                                     description="Time scale on which a neighbourhood forgets")
    stop_trust_loss: float = param(0.05, unit="trust", ge=0, le=1,
                                   source="assumption (procedural justice, Tyler)",
                                   description="Trust lost by a resident stopped and searched")
    abuse_trust_loss: float = param(0.3, unit="trust", ge=0, le=1, source="assumption",
                                    description="Trust lost by a victim of police abuse")
    contact_trust_gain: float = param(0.03, unit="trust", ge=0, le=1,
                                      source="assumption (community policing raises trust)",
                                      description="Trust gained by a resident in a respectful "
                                                  "community-policing contact")
    response_trust: float = param(
        0.05, unit="trust", ge=0, le=1, source="assumption",
        description="Trust gained by a victim whose call is answered within the normal response "
                    "time, or lost when it takes over four times as long")
    trust_recovery_months: float = param(
        36.0, unit="months", gt=0, le=1200, source="assumption",
        description="Time scale on which a resident's trust returns to his own baseline")
    fear_base: float = param(0.1, unit="index 0-1", ge=0, le=1, source="assumption",
                             description="Fear of a resident with no reason to fear")
    fear_own_victimisation: float = param(0.3, unit="index", ge=0, le=1,
                                          source="assumption (victims fear more)",
                                          description="Extra fear of a resident victimised in "
                                                      "the last 12 months")
    fear_neighbourhood: float = param(
        1.5, unit="index per victimisation per resident-year", ge=0, le=20, source="assumption",
        description="Extra fear per unit of the neighbourhood's victimisation rate")
    fear_disorder: float = param(0.2, unit="index", ge=0, le=1,
                                 source="assumption (incivilities raise fear)",
                                 description="Extra fear at full physical disorder of the home block")
    media_intensity: float = param(
        1.0, unit="ratio", ge=0, le=10, source="policy lever (media and information)",
        description="How loudly the media amplify violence (0 = not at all)")
    media_homicide_weight: float = param(
        0.05, unit="index per homicide per 100,000 per month", ge=0, le=10, source="assumption",
        description="Fear added city-wide per recent homicide, times media intensity")
    media_violence_weight: float = param(
        0.0003, unit="index per violent crime per 100,000 per month", ge=0, le=1,
        source="assumption",
        description="Fear added city-wide per recent robbery or assault, times media intensity")
    punitive_support_base: float = param(
        0.2, unit="share", ge=0, le=1, source="assumption",
        description="Support for mano dura policies of a resident without fear")
    punitive_support_fear: float = param(
        0.6, unit="share per unit fear", ge=0, le=1,
        source="assumption (fear of crime drives support for punitive policy; LAPOP surveys, "
               "secondary)",
        description="Extra support for mano dura per unit of fear")
    security_demand_ses: float = param(
        0.5, unit="index 0-1", ge=0, le=1, source="assumption",
        description="Households above this SES can pay for private security; their demand "
                    "is their fear")
    fear_street_effect: float = param(
        0.5, unit="share", ge=0, le=1, source="assumption (fear keeps people at home)",
        description="Share of his time out that a fully fearful resident spends at home instead")


class SurveyParams(_Section):
    """The annual victimisation survey."""

    sample_size: int = param(2000, unit="residents", ge=10, le=1_000_000,
                             source="assumption (national surveys sample thousands of households)",
                             description="Residents interviewed each year")
    minimum_age: int = param(15, unit="years", ge=0, le=100,
                             source="assumption (ENVIPE and similar surveys ask adults)",
                             description="Youngest resident interviewed")


# --------------------------------------------------------------------------------------------
# International cooperation: transnational inflows, their interdiction, and the metropolitan area
# --------------------------------------------------------------------------------------------


class Interpolation(StrEnum):
    """How an inflow series runs between its points."""

    STEP = "step"
    LINEAR = "linear"


class InflowSeries(_Section):
    """An inflow over time: points (recorded year, level), level 1 being the status quo."""

    points: tuple[tuple[float, float], ...] = param(
        ((0.0, 1.0),), unit="(recorded year, level) pairs", source="scenario setting",
        description="Points of the series: the level (1 = the status quo) from each point's "
                    "recorded year; before the first point its level, after the last point its "
                    "level. Years ascending, levels >= 0")
    interpolation: Interpolation = param(
        Interpolation.STEP, unit="choice", source="scenario setting",
        description="step: each point's level holds until the next point; linear: the level "
                    "runs straight from one point to the next")

    @model_validator(mode="after")
    def _points_in_order(self) -> InflowSeries:
        if not self.points:
            raise ValueError("an inflow series needs at least one point, e.g. points = [[0.0, 1.0]]")
        years = [year for year, _ in self.points]
        if any(later < earlier for earlier, later in zip(years, years[1:])):
            raise ValueError(f"the points' years {years} are not in ascending order; list the "
                             "points from the earliest year to the latest")
        if any(level < 0 for _, level in self.points) or any(year < 0 for year in years):
            raise ValueError("a point's year and level must be 0 or more (year: recorded years "
                             "from the first recorded day; level: 1 = the status quo)")
        return self


def _series(description: str) -> Any:
    return Field(default_factory=InflowSeries, description=description)


class MetropolitanParams(_Section):
    """The city as a metropolitan area: its neighbourhoods grouped into municipalities, each with
    its own police."""

    municipalities: int = param(
        1, unit="count", ge=1, le=64, source="assumption (one municipality: the city as before)",
        description="Municipalities of the metropolitan area: the neighbourhoods in order of "
                    "their centre from west to east, split into this many runs of neighbouring "
                    "neighbourhoods")
    officers_per_100k: tuple[float, ...] = param(
        (), unit="officers per 100,000 residents of the municipality", source="policy lever",
        description="Each municipality's sworn officers, one value per municipality; empty: "
                    "police.officers_per_100k in every municipality (a coordinated plan)")
    strategy: tuple[PatrolStrategy, ...] = param(
        (), unit="choice per municipality", source="policy lever",
        description="Each municipality's patrol strategy, one value per municipality; empty: "
                    "police.strategy in every municipality")
    border_displacement: float = param(
        1.0, unit="ratio", ge=0, le=5,
        source="assumption (rational choice: offenders weigh their chance of going unseen; "
               "Guerette & Bowers 2009: displacement in 26% of observations)",
        description="Offenders weigh a target across a municipal border by ((1 - police risk "
                    "there) / (1 - police risk at home))^(deterrence_exponent x this); 0: "
                    "borders do not matter")

    @model_validator(mode="after")
    def _one_value_per_municipality(self) -> MetropolitanParams:
        for name in ("officers_per_100k", "strategy"):
            values = getattr(self, name)
            if values and len(values) != self.municipalities:
                raise ValueError(
                    f"{name} has {len(values)} values for {self.municipalities} municipalities; "
                    f"give one per municipality, or none to use the city's police.{name} in all")
        if any(not 0 <= value <= 5000 for value in self.officers_per_100k):
            raise ValueError(f"officers_per_100k = {list(self.officers_per_100k)}: each must be "
                             "from 0 to 5000")
        return self


class CooperationParams(_Section):
    """Transnational flows into the city — illegal firearms, drug-market revenue, offenders from
    outside — and the levers of international cooperation that act on them (MISPA's fifth
    pillar)."""

    firearms_inflow: InflowSeries = _series(
        "Illegal firearms trafficked into the city, relative to the status quo")
    drug_revenue: InflowSeries = _series(
        "Revenue of the drug market the gangs fight over, relative to the status quo")
    offender_inflow: InflowSeries = _series(
        "Offenders arriving from outside the city, relative to arrivals_per_100k")
    firearms_turnover_days: float = param(
        730.0, unit="days", gt=0, le=36500,
        source="assumption (guns circulate among offenders for years; ATF: a time-to-crime "
               "under 3 years marks a trafficked gun, secondary)",
        description="Mean time a trafficked gun stays in criminal hands: the firearms stock "
                    "moves to the inflow's level on this time scale")
    gang_arms_elasticity: float = param(
        0.5, unit="elasticity", ge=0, le=5,
        source="assumption (gangs run the trade and take the first guns)",
        description="Gang members' ratio of being armed is multiplied by the firearms stock "
                    "index to this power")
    revenue_recruitment: float = param(
        1.0, unit="elasticity", ge=0, le=5,
        source="assumption (drug markets pay recruits; Levitt & Venkatesh 2000, secondary)",
        description="Gang recruitment (youth.recruitment) is multiplied by the drug revenue "
                    "index to this power")
    revenue_conflict: float = param(
        1.0, unit="elasticity", ge=0, le=5,
        source="assumption (territorial disputes over drug markets drive gang violence, "
               "secondary)",
        description="Disputes from gang-linked violence start with probability 1 - (1 - "
                    "youth.retaliation)^(revenue index to this power)")
    arrivals_per_100k: float = param(
        0.0, unit="arrivals per 100,000 a year", ge=0, le=5000,
        source="assumption (the default city has no offenders from outside: a closed "
               "population, ODD 1.3)",
        description="Offenders arriving from outside the city at the status quo (inflow level "
                    "1); each takes the place of a young man who leaves")
    arrival_ages: tuple[float, float] = param(
        (18.0, 35.0), unit="years", source="assumption",
        description="Ages of arriving offenders (drawn uniformly) and of the men whose place "
                    "they take")
    arrival_propensity: float = param(
        3.0, unit="ratio", ge=0, le=50, source="assumption (they come to offend)",
        description="An arrival's criminal propensity is a newborn's draw times this")
    wanted_share: float = param(
        0.3, unit="share of arrivals", ge=0, le=1, source="assumption",
        description="Share of arrivals wanted by the police of another country")
    interdiction_per_100k: float = param(
        0.0, unit="agents per 100,000", ge=0, le=1000, source="policy lever",
        description="Interdiction agents on the routes that supply the city (borders, ports, "
                    "customs, anti-trafficking units)")
    interdiction_scale: float = param(
        10.0, unit="agents per 100,000", gt=0, le=1000,
        source="assumption (seizures grow less than in proportion to the effort, secondary)",
        description="Interdiction cuts every inflow by max_cut x (1 - exp(-agents / scale))")
    interdiction_max_cut: float = param(
        0.6, unit="share of the inflow", ge=0, le=1,
        source="assumption (traffickers reroute; no interdiction stops most of a flow, "
               "secondary)",
        description="The largest share of an inflow interdiction can stop")
    information_exchange: float = param(
        0.0, unit="index 0-1", ge=0, le=1, source="policy lever",
        description="Police query other countries' databases (INTERPOL, AMERIPOL, MERCOSUR's "
                    "SISME): wanted offenders are identified when arrested, and crimes of "
                    "offenders on record are cleared more often")
    record_clearance_gain: float = param(
        0.5, unit="ratio", ge=0, le=5,
        source="assumption (fingerprint, firearm and warrant records link a crime to a known "
               "offender)",
        description="Clearance of a case whose offender is on record (a conviction, or wanted "
                    "elsewhere) is multiplied by 1 + gain x information_exchange")
    joint_training: float = param(
        0.0, unit="index 0-1", ge=0, le=1, source="policy lever",
        description="Joint training with partner countries' forces: professionalism "
                    "(police.training) and vetting (police.internal_audits) rise")
    joint_training_effect: float = param(
        0.5, unit="share", ge=0, le=1, source="assumption",
        description="Share of the gap to full training that full joint training closes")
    joint_training_integrity: float = param(
        0.3, unit="share", ge=0, le=1, source="assumption (vetted units)",
        description="Share of the gap to full internal audits that full joint training closes")
    metropolitan: MetropolitanParams = Field(default_factory=MetropolitanParams,
                                             description="The metropolitan area")

    @model_validator(mode="after")
    def _ages_in_order(self) -> CooperationParams:
        low, high = self.arrival_ages
        if not 0 <= low < high <= 100:
            raise ValueError(f"arrival_ages = {list(self.arrival_ages)}: give [youngest, oldest] "
                             "with 0 <= youngest < oldest <= 100")
        return self


class Parameters(_Section):
    """Every parameter of the city model."""

    years: float = param(10.0, unit="years", gt=0, le=100, source="assumption (DESIGN: 10 years)",
                         description="Default horizon of a run")
    warmup_days: int = param(
        1095, unit="days", ge=0, le=36500,
        source="assumption: the prison population (sentences of months to years), the "
               "attractiveness field and perceived risks settle within three years",
        description="Days simulated before indicators are recorded (not counted in `years`)")
    city: CityParams = Field(default_factory=CityParams, description="The city")
    population: PopulationParams = Field(default_factory=PopulationParams, description="Residents")
    opportunity: OpportunityParams = Field(default_factory=OpportunityParams,
                                           description="Attractiveness field")
    offending: OffendingParams = Field(default_factory=OffendingParams, description="Offending")
    police: PoliceParams = Field(default_factory=PoliceParams, description="Police")
    reporting: ReportingParams = Field(default_factory=ReportingParams,
                                       description="Guardianship and reporting")
    perception: PerceptionParams = Field(default_factory=PerceptionParams,
                                         description="Legitimacy, trust and fear")
    survey: SurveyParams = Field(default_factory=SurveyParams,
                                 description="Victimisation survey")
    justice: JusticeParams = Field(default_factory=JusticeParams,
                                   description="Courts, prisons, reintegration and victims")
    costs: CostParams = Field(default_factory=CostParams, description="Unit costs of the levers")
    firearms: FirearmsParams = Field(default_factory=FirearmsParams, description="Firearms")
    youth: YouthParams = Field(default_factory=YouthParams,
                               description="Youth networks, gangs and retaliation")
    prevention: PreventionParams = Field(default_factory=PreventionParams,
                                         description="The municipality and its programmes")
    private_security: PrivateSecurityParams = Field(default_factory=PrivateSecurityParams,
                                                    description="Private security firms")
    governance: GovernanceParams = Field(default_factory=GovernanceParams,
                                         description="Elections and policy continuity")
    shocks: ShocksParams = Field(default_factory=ShocksParams,
                                 description="Disasters and economic crises")
    cooperation: CooperationParams = Field(
        default_factory=CooperationParams,
        description="International cooperation: inflows, interdiction, information exchange, "
                    "joint training, the metropolitan area")

    @model_validator(mode="after")
    def _municipalities_fit_the_city(self) -> Parameters:
        municipalities = self.cooperation.metropolitan.municipalities
        if municipalities > self.city.neighbourhoods:
            raise ValueError(
                f"cooperation.metropolitan.municipalities ({municipalities}) is above "
                f"city.neighbourhoods ({self.city.neighbourhoods}); a municipality needs at least "
                "one neighbourhood: lower the municipalities or raise the neighbourhoods")
        return self

    @property
    def days(self) -> int:
        """The default horizon in days."""
        return max(1, round(self.years * 365))


# --------------------------------------------------------------------------------------------
# Overrides, errors and the generated table
# --------------------------------------------------------------------------------------------


def leaf_fields(model: type[BaseModel] = Parameters, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (dotted key, FieldInfo) for every leaf parameter, depth first in declaration order."""
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from leaf_fields(annotation, prefix=f"{key}.")
        else:
            yield key, info


def _describe_range(info: Any) -> str:
    lower = upper = None
    for meta in info.metadata:
        for attr in ("ge", "gt"):
            if getattr(meta, attr, None) is not None:
                lower = f"{'>=' if attr == 'ge' else '>'} {getattr(meta, attr)}"
        for attr in ("le", "lt"):
            if getattr(meta, attr, None) is not None:
                upper = f"{'<=' if attr == 'le' else '<'} {getattr(meta, attr)}"
    annotation = info.annotation
    if annotation is bool:
        return "true or false"
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return "one of " + ", ".join(m.value for m in annotation)
    return ", ".join(part for part in (lower, upper) if part) or "any"


def _format_validation_error(error: ValidationError, context: str) -> str:
    lines = []
    keys = dict(leaf_fields())
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"])
        got = item.get("input")
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            options = difflib.get_close_matches(key, keys, n=3)
            hint = f" Did you mean {', '.join(options)}?" if options else ""
            lines.append(f"unknown parameter '{key}'.{hint} "
                         "`crimesim params` lists every parameter.")
            continue
        if key in keys:
            lines.append(f"{key} = {got!r}: {message}. Valid: {_describe_range(keys[key])}.")
        else:  # a check of a whole section: its input is the section, too long to repeat
            lines.append(f"{key or 'parameters'}: {message.removeprefix('Value error, ')}.")
    return f"{context}: " + " ".join(lines) if context else " ".join(lines)


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def with_overrides(
    params: Parameters, overrides: Mapping[str, Any], context: str = "invalid parameters"
) -> Parameters:
    """Return a copy of ``params`` with dotted-key overrides applied and validated.

    String values are parsed as JSON when they can be (``"0.3"`` -> 0.3, ``"[1, 2]"`` -> a list),
    so command-line ``--set key=value`` pairs can be passed as they come.

    Raises:
        ParameterError: an unknown key or an invalid value, naming the key and what is valid.
    """
    tree = params.model_dump(mode="python")
    keys = dict(leaf_fields())
    for key, value in overrides.items():
        if key not in keys:
            options = difflib.get_close_matches(key, keys, n=3)
            hint = f" Did you mean {', '.join(options)}?" if options else ""
            raise ParameterError(f"{context}: unknown parameter '{key}'.{hint} "
                                 "`crimesim params` lists every parameter.")
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = _parse_value(value) if isinstance(value, str) else value
    return validate(tree, context=context)


def validate(tree: Mapping[str, Any], context: str = "invalid parameters") -> Parameters:
    """Build `Parameters` from a nested mapping; raise `ParameterError` naming bad fields."""
    try:
        return Parameters.model_validate(tree)
    except ValidationError as error:
        raise ParameterError(_format_validation_error(error, context)) from None


def parameter_table() -> list[dict[str, str]]:
    """One row per leaf parameter: key, default, unit, range, description, source."""
    defaults = Parameters().model_dump(mode="json")
    rows = []
    for key, info in leaf_fields():
        value: Any = defaults
        for part in key.split("."):
            value = value[part]
        extra = info.json_schema_extra or {}
        rows.append({
            "parameter": key,
            "default": json.dumps(value) if not isinstance(value, str) else value,
            "unit": extra.get("unit", ""),
            "range": _describe_range(info),
            "description": info.description or "",
            "source": extra.get("source", ""),
        })
    return rows


def parameter_table_markdown() -> str:
    """The parameter table as Markdown, as it appears in docs/ODD.md."""
    columns = ["parameter", "default", "unit", "range", "description", "source"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in parameter_table():
        cells = [row[c].replace("|", "\\|") for c in columns]
        cells[0] = f"`{cells[0]}`"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


TABLE_BEGIN = "<!-- BEGIN PARAMETER TABLE (generated by `crimesim params --update-odd`) -->"
TABLE_END = "<!-- END PARAMETER TABLE -->"


def replace_parameter_table(document: str) -> str:
    """Return ``document`` with the text between the table markers replaced by the current table."""
    if TABLE_BEGIN not in document or TABLE_END not in document:
        raise ParameterError(
            f"the document has no parameter-table markers; add the lines\n{TABLE_BEGIN}\n{TABLE_END}\n"
            "where the table belongs")
    head, rest = document.split(TABLE_BEGIN, 1)
    _, tail = rest.split(TABLE_END, 1)
    return f"{head}{TABLE_BEGIN}\n{parameter_table_markdown()}{TABLE_END}{tail}"
