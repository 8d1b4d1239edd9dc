"""Indicators: daily counts, annual rates, neighbourhood tables and the run's summary.

The model keeps **true**, **reported** and **recorded** crime apart at every level. Daily
counts are written once a day into a preallocated array (and collected by Mesa's
`DataCollector` as model reporters); everything that needs a year of data (crime
concentration, repeat victimisation, rates per 100,000) is computed from accumulators at the
end of each model year. All computations are numpy over residents or blocks: no per-agent
reporters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation import governance
from simulation.cooperation import municipal_plan, officers_by_municipality
from simulation.params import AGE_BANDS, CRIME_TYPES
from simulation.perception import private_security_demand, punitive_support, victimisation_survey

if TYPE_CHECKING:
    from simulation.model import CityModel

LEVELS = ("true", "reported", "recorded")
DAILY_COLUMNS: tuple[str, ...] = (
    *(f"{level}_{crime}" for level in LEVELS for crime in CRIME_TYPES),
    "attempts", "deterred", "blocked", "arrests", "arrests_on_scene", "arrests_on_response",
    "arrests_investigation", "cases", "investigations", "calls", "response_minutes", "stops",
    "abuse_incidents", "bribes", "contacts", "corrupt_share", "police_visits",
    "victims", "births", "deaths",
    # youth, gangs and retaliation
    "gang_joined", "gang_violence", "gang_homicides", "disputes", "retaliations",
    "retaliation_homicides", "retaliation_lag_days", "firearm_homicides", "gang_members",
    # prevention programmes
    "youth_offences", "youth_enrolled", "youth_completed", "youth_in_programmes", "renewed_blocks",
    "disputes_defused", "dv_supported",
    # private security
    "security_abuse", "guards", "firearms_availability",
    # governance: fear, police on duty (shocks), programmes in force (elections)
    "mean_fear", "police_on_duty", "programme_level",
    # justice: flows of the day
    "charged", "detained", "witness_protected", "trials", "wait_days", "convictions",
    "juvenile_convictions", "alternatives", "prison_sentences", "supervision_orders",
    "reparations", "releases", "programmes_completed", "supported", "victims_assisted",
    "averted_by_assistance",
    # international cooperation: inflows, information exchange, the metropolitan area
    "arrivals", "record_cases", "record_solved", "record_arrests", "wanted_arrests", "wanted_identified", "extraditions",
    "expected_homicides", "firearms_stock", "drug_revenue", "border_crossings",
    # justice: stocks at the end of the day
    "prisoners", "pretrial", "juveniles_held", "adult_prisoners", "adult_prison_places",
    "backlog", "supervised", "supported_now", "assisted_now",
)
"""Columns of the daily indicator table, in order."""
STOCK_COLUMNS: tuple[str, ...] = (
    "corrupt_share", "gang_members", "youth_in_programmes", "guards", "firearms_availability",
    "firearms_stock", "drug_revenue",
    "mean_fear", "police_on_duty", "programme_level", "prisoners", "pretrial", "juveniles_held", "adult_prisoners",
    "adult_prison_places", "backlog", "supervised", "supported_now", "assisted_now",
)
"""Daily columns that are levels (averaged over a month or year), not counts (summed)."""
COLUMN = {name: index for index, name in enumerate(DAILY_COLUMNS)}
PER_100K = 100_000
TOP_SHARE = 0.05


def crime_concentration(crimes_by_block: np.ndarray) -> tuple[float, float]:
    """Share of crime in the top 5% of blocks, and the share of blocks holding half of all crime.

    The second number is the law-of-concentration statistic of Weisburd (2015): the smallest
    share of blocks that together hold 50% of the crime. Both are NaN without crime.
    """
    total = crimes_by_block.sum()
    if total <= 0:
        return float("nan"), float("nan")
    ordered = np.sort(crimes_by_block)[::-1]
    cumulative = np.cumsum(ordered) / total
    top = max(1, int(round(TOP_SHARE * len(ordered))))
    half = int(np.searchsorted(cumulative, 0.5)) + 1
    return float(cumulative[top - 1]), half / len(ordered)


def repeat_victimisation(victimisations: np.ndarray) -> tuple[float, float]:
    """Share of victimisations suffered by repeat victims, observed and expected by chance.

    By chance (each victimisation falling on a resident at random, V over N residents) the
    victim of a given victimisation has at least one other with probability 1 - exp(-V/N).
    """
    total = victimisations.sum()
    if total <= 0:
        return float("nan"), float("nan")
    repeats = victimisations[victimisations >= 2].sum()
    return float(repeats / total), float(1.0 - np.exp(-total / len(victimisations)))


def offending_concentration(offences: np.ndarray, chronic: int = 5) -> tuple[float, float, float]:
    """Concentration of offending in a cohort (S5, Wolfgang, Figlio & Sellin 1972).

    Returns the share of the cohort who are chronic offenders (``chronic`` or more offences),
    the share of the cohort's offences they commit, and the share committed by the cohort's
    most active 6%.
    """
    total = offences.sum()
    if total <= 0 or len(offences) == 0:
        return float("nan"), float("nan"), float("nan")
    is_chronic = offences >= chronic
    top = max(1, int(round(0.06 * len(offences))))
    return (float(is_chronic.mean()), float(offences[is_chronic].sum() / total),
            float(np.sort(offences)[::-1][:top].sum() / total))


class ReleaseCohorts:
    """Releases from prison and what followed each: the recidivism curves (S6).

    Every release of a sentenced prisoner is an event (resident, day). The resident's next
    arrest that stands sets its re-arrest delay, his next prison sentence its re-imprisonment
    delay (days from release). Recidivism within k years is the share of releases followed for
    at least k years (released at least k years before the end) with the event within
    k x 365 days. A cohort is the releases of one recorded year.
    """

    def __init__(self, residents: int) -> None:
        self.latest = np.full(residents, -1, dtype=np.int64)  # each resident's latest release
        self.release_day = np.empty(0, dtype=np.int64)
        self.delay = np.empty(0, dtype=np.int64)  # days to re-arrest, -1 while none
        self.prison_delay = np.empty(0, dtype=np.int64)  # days to a new prison sentence
        self.supported = np.empty(0, dtype=bool)

    def released(self, residents: np.ndarray, day: int, supported: np.ndarray | None = None) -> None:
        """Open an event per resident released today (``supported``: who got reintegration
        support, kept to compare the two groups as in a randomised trial)."""
        first = len(self.release_day)
        supported = np.zeros(len(residents), dtype=bool) if supported is None else supported
        self.supported = np.concatenate([self.supported, supported])
        self.release_day = np.concatenate([self.release_day, np.full(len(residents), day)])
        self.delay = np.concatenate([self.delay, np.full(len(residents), -1)])
        self.prison_delay = np.concatenate([self.prison_delay, np.full(len(residents), -1)])
        self.latest[residents] = first + np.arange(len(residents))

    def _close(self, delays: np.ndarray, residents: np.ndarray, day: int) -> None:
        events = self.latest[residents]
        events = events[events >= 0]
        open_events = events[delays[events] < 0]
        delays[open_events] = day - self.release_day[open_events]

    def arrested(self, residents: np.ndarray, day: int) -> None:
        self._close(self.delay, residents, day)

    def imprisoned(self, residents: np.ndarray, day: int) -> None:
        self._close(self.prison_delay, residents, day)

    def forget(self, residents: np.ndarray) -> None:
        """A slot reborn: its release (if any) is no longer followed as that person's."""
        self.latest[residents] = -1

    def rearrest_share(self, first_day: int, end_day: int, years: int = 1,
                       supported: bool | None = None) -> tuple[float, int]:
        """Re-arrest within ``years`` of releases from ``first_day`` followed to ``end_day``
        (only the supported or unsupported ones if given), and how many releases that is."""
        window = years * 365
        followed = (self.release_day >= first_day) & (self.release_day + window <= end_day)
        if supported is not None:
            followed &= self.supported == supported
        count = int(followed.sum())
        rearrested = followed & (self.delay >= 0) & (self.delay <= window)
        return (rearrested.sum() / count if count else float("nan")), count

    def curve(self, first_day: int, end_day: int, years: int = 5) -> pd.DataFrame:
        """Recidivism within 1..years years of releases from ``first_day`` on, followed to
        ``end_day``: all releases (cohort "all") and each recorded year's releases."""
        cohort = (self.release_day - first_day) // 365 + 1
        groups = [("all", self.release_day >= first_day)] + [
            (str(year), cohort == year) for year in range(1, max(1, (end_day - first_day) // 365) + 1)]
        rows = []
        for name, members in groups:
            for year in range(1, years + 1):
                window = year * 365
                followed = members & (self.release_day + window <= end_day)
                count = int(followed.sum())
                rearrested = followed & (self.delay >= 0) & (self.delay <= window)
                reimprisoned = followed & (self.prison_delay >= 0) & (self.prison_delay <= window)
                rows.append({"cohort": name, "years_after_release": year, "releases_followed": count,
                             "rearrested": int(rearrested.sum()),
                             "rearrest_share": rearrested.sum() / count if count else np.nan,
                             "reimprisoned": int(reimprisoned.sum()),
                             "reimprisonment_share": reimprisoned.sum() / count if count else np.nan})
        return pd.DataFrame(rows)


@dataclass
class IndicatorLog:
    """Accumulators of the model's indicators."""

    days: int
    blocks: int
    neighbourhoods: int
    daily: np.ndarray = field(init=False)
    today: np.ndarray = field(init=False)
    crimes_by_block_year: np.ndarray = field(init=False)
    crimes_by_block_total: np.ndarray = field(init=False)
    neighbourhood_counts: dict[str, np.ndarray] = field(init=False)
    offences_by_age: np.ndarray = field(init=False)
    person_days_by_age: np.ndarray = field(init=False)
    annual: list[dict[str, float]] = field(default_factory=list)
    year_start_day: int = 0

    def __post_init__(self) -> None:
        self.daily = np.zeros((self.days, len(DAILY_COLUMNS)))
        self.today = np.zeros(len(DAILY_COLUMNS))
        self.crimes_by_block_year = np.zeros(self.blocks, dtype=np.int64)
        self.crimes_by_block_total = np.zeros(self.blocks, dtype=np.int64)
        shape = (self.neighbourhoods, len(CRIME_TYPES))
        self.neighbourhood_counts = {
            "true_at": np.zeros(shape, dtype=np.int64),
            "recorded_at": np.zeros(shape, dtype=np.int64),
            "victims_living": np.zeros(shape, dtype=np.int64),
            "offences_by_residents": np.zeros(shape, dtype=np.int64),
            "arrests_of_residents": np.zeros(self.neighbourhoods, dtype=np.int64),
            "police_visits": np.zeros(self.neighbourhoods),  # presence: visits x their weight
            "abuse_incidents": np.zeros(self.neighbourhoods, dtype=np.int64),
            "guard_coverage": np.zeros(self.neighbourhoods),
            "stops": np.zeros(self.neighbourhoods, dtype=np.int64),
        }
        self.offences_by_age = np.zeros(len(AGE_BANDS), dtype=np.int64)
        self.person_days_by_age = np.zeros(len(AGE_BANDS))

    def add(self, column: str, value: float) -> None:
        self.today[COLUMN[column]] += value

    def add_crimes(self, level: str, crime_types: np.ndarray) -> None:
        start = COLUMN[f"{level}_{CRIME_TYPES[0]}"]
        self.today[start:start + len(CRIME_TYPES)] += np.bincount(crime_types, minlength=len(CRIME_TYPES))

    def close_day(self, day: int) -> None:
        if day >= len(self.daily):  # stepped past the planned horizon (the app does): grow
            grown = np.zeros((max(2 * len(self.daily), day + 1), len(DAILY_COLUMNS)))
            grown[: len(self.daily)] = self.daily
            self.daily = grown
        self.daily[day] = self.today
        self.today[:] = 0.0

    def close_year(self, model: CityModel, day: int) -> None:
        """Compute the annual row for days [year_start_day, day] and reset the year's counters."""
        population = model.population
        period = self.daily[self.year_start_day:day + 1]
        days = len(period)
        residents = population.size
        per_100k_year = PER_100K / residents * 365 / days
        totals = dict(zip(DAILY_COLUMNS, period.sum(axis=0)))
        true_total = sum(totals[f"true_{c}"] for c in CRIME_TYPES)
        reported_total = sum(totals[f"reported_{c}"] for c in CRIME_TYPES)
        recorded_total = sum(totals[f"recorded_{c}"] for c in CRIME_TYPES)
        top5, half = crime_concentration(self.crimes_by_block_year)
        repeat, chance = repeat_victimisation(population.victimisations_year)
        poorest, richest = victimisation_by_wealth(model)
        everyone = np.arange(residents)
        trust = model.trust_of(everyone)
        adults = (population.age >= model.params.survey.minimum_age) & (population.status == 0)
        survey = victimisation_survey(population.victimisations_year > 0, adults,
                                      model.params.survey.sample_size, model.survey_rng)
        calls = totals["calls"]
        row = {
            "year": len(self.annual) + 1,
            "days": days,
            "residents": residents,
            "true_crimes": true_total,
            "reported_crimes": reported_total,
            "recorded_crimes": recorded_total,
            **{f"{level}_{c}": totals[f"{level}_{c}"] for level in LEVELS for c in CRIME_TYPES},
            "true_crime_rate": true_total * per_100k_year,
            "recorded_crime_rate": recorded_total * per_100k_year,
            "homicide_rate": totals["true_homicide"] * per_100k_year,
            "reporting_rate": reported_total / true_total if true_total else np.nan,
            "dark_figure": 1 - recorded_total / true_total if true_total else np.nan,
            "arrests": totals["arrests"],
            "arrest_rate": totals["arrests"] * per_100k_year,
            "arrests_per_recorded_crime": totals["arrests"] / recorded_total if recorded_total else np.nan,
            **justice_indicators(totals, period, residents, per_100k_year),
            **spending(model, period, totals),
            "clearance_rate": totals["arrests_investigation"] / totals["cases"] if totals["cases"] else np.nan,
            "response_minutes": totals["response_minutes"] / calls if calls else np.nan,
            "stops_per_100k": totals["stops"] * per_100k_year,
            "abuse_per_100k": totals["abuse_incidents"] * per_100k_year,
            "bribes_per_100k": totals["bribes"] * per_100k_year,
            "corrupt_share": float(period[-1, COLUMN["corrupt_share"]]),
            "mean_trust": float(trust.mean()),
            "mean_fear": float(population.fear.mean()),
            "punitive_support": float(punitive_support(population.fear, model.params.perception).mean()),
            "private_security_demand": float(private_security_demand(
                population.fear, population.ses, model.params.perception).mean()),
            **survey,
            "share_crime_top5_blocks": top5,
            "share_blocks_half_crime": half,
            "repeat_victimisation_share": repeat,
            "repeat_victimisation_chance": chance,
            "victimisation_poorest_quartile": poorest,
            "victimisation_richest_quartile": richest,
            "victimisation_gap": poorest / richest if richest else np.nan,
            **youth_indicators(totals, period, residents, per_100k_year),
            **cooperation_indicators(totals, period, per_100k_year),
            "births": totals["births"],
            "deaths": totals["deaths"],
        }
        self.annual.append(row)
        self.crimes_by_block_year[:] = 0
        population.victimisations_year[:] = 0
        self.year_start_day = day + 1


def youth_indicators(totals: dict[str, float], period: np.ndarray, residents: int,
                     per_100k_year: float) -> dict[str, float]:
    """Gangs, network-linked violence (involving a gang member as offender or victim),
    retaliations and guns."""
    violence = sum(totals[f"true_{c}"] for c in ("robbery", "assault", "homicide"))
    homicides = totals["true_homicide"]
    ratio = lambda a, b: a / b if b else np.nan  # noqa: E731
    return {
        "gang_members_per_100k": float(period[:, COLUMN["gang_members"]].mean()) * PER_100K / residents,
        "gang_joined_per_100k": totals["gang_joined"] * per_100k_year,
        "network_violence_share": ratio(totals["gang_violence"], violence),
        "network_homicide_share": ratio(totals["gang_homicides"], homicides),
        "retaliation_homicide_share": ratio(totals["retaliation_homicides"], homicides),
        "retaliations_per_100k": totals["retaliations"] * per_100k_year,
        "retaliation_lag_mean": ratio(totals["retaliation_lag_days"], totals["retaliations"]),
        "firearm_homicide_share": ratio(totals["firearm_homicides"], homicides),
        "youth_offences_per_100k": totals["youth_offences"] * per_100k_year,
        "youth_in_programmes_per_100k": float(period[:, COLUMN["youth_in_programmes"]].mean()) * PER_100K / residents,
        "disputes_defused_per_100k": totals["disputes_defused"] * per_100k_year,
        "renewed_blocks": totals["renewed_blocks"],
        "guards_per_100k": float(period[:, COLUMN["guards"]].mean()) * PER_100K / residents,
        "security_abuse_per_100k": totals["security_abuse"] * per_100k_year,
        "firearms_availability": float(period[-1, COLUMN["firearms_availability"]]),
    }


def cooperation_indicators(totals: dict[str, float], period: np.ndarray,
                           per_100k_year: float) -> dict[str, float]:
    """Transnational flows and what information exchange does with them (Section 7.32)."""
    arrests = totals["arrests"]
    return {
        "arrivals_per_100k": totals["arrivals"] * per_100k_year,
        "record_arrests_per_100k": totals["record_arrests"] * per_100k_year,
        "record_arrest_share": totals["record_arrests"] / arrests if arrests else np.nan,
        "record_clearance": (totals["record_solved"] / totals["record_cases"]
                             if totals["record_cases"] else np.nan),
        "wanted_arrests_per_100k": totals["wanted_arrests"] * per_100k_year,
        "wanted_identified_per_100k": totals["wanted_identified"] * per_100k_year,
        "extraditions_per_100k": totals["extraditions"] * per_100k_year,
        "expected_homicide_rate": totals["expected_homicides"] * per_100k_year,
        "border_crossings_per_100k": totals["border_crossings"] * per_100k_year,
        "firearms_stock": float(period[-1, COLUMN["firearms_stock"]]),
        "drug_revenue": float(period[-1, COLUMN["drug_revenue"]]),
    }


def justice_indicators(
    totals: dict[str, float], period: np.ndarray, residents: int, per_100k_year: float,
) -> dict[str, float]:
    """The year's courts, prisons, reintegration and victim services."""
    def level(column: str) -> float:
        return float(period[:, COLUMN[column]].mean())

    def ratio(numerator: float, denominator: float) -> float:
        return numerator / denominator if denominator else np.nan

    prisoners = level("prisoners")
    return {
        "charged_per_100k": totals["charged"] * per_100k_year,
        "backlog_per_100k": level("backlog") / residents * PER_100K,
        "wait_days": ratio(totals["wait_days"], totals["trials"]),
        "conviction_rate": ratio(totals["convictions"], totals["trials"]),
        "convictions_per_100k": totals["convictions"] * per_100k_year,
        "prisoners_per_100k": prisoners / residents * PER_100K,
        "pretrial_per_100k": level("pretrial") / residents * PER_100K,
        "unsentenced_share": ratio(level("pretrial"), prisoners),
        "juveniles_held_per_100k": level("juveniles_held") / residents * PER_100K,
        "prison_occupancy": ratio(level("adult_prisoners"), level("adult_prison_places")),
        "prison_sentences_per_100k": totals["prison_sentences"] * per_100k_year,
        "alternatives_share": ratio(totals["alternatives"], totals["convictions"]),
        "alternatives_per_100k": totals["alternatives"] * per_100k_year,
        "supervised_per_100k": level("supervised") / residents * PER_100K,
        "releases_per_100k": totals["releases"] * per_100k_year,
        "programmes_completed_per_100k": totals["programmes_completed"] * per_100k_year,
        "supported_per_100k": totals["supported"] * per_100k_year,
        "victims_assisted_per_100k": totals["victims_assisted"] * per_100k_year,
        "reparations_per_100k": totals["reparations"] * per_100k_year,
        "averted_by_assistance_per_100k": totals["averted_by_assistance"] * per_100k_year,
    }


SPENDING_LEVERS: tuple[str, ...] = tuple(line.name for line in governance.LINES)
"""Spending lines of the annual table (``spending_<line>``, US dollars a year)."""
SPENDING_GROUPS: tuple[str, ...] = (
    *(f"spending_pillar_{governance.column_name(p)}" for p in governance.PILLARS),
    *(f"spending_dimension_{governance.column_name(d)}" for d in governance.DIMENSIONS),
)
"""Spending by pillar and by dimension (columns of the annual table)."""


def spending(model: CityModel, period: np.ndarray, totals: dict[str, float]) -> dict[str, float]:
    """The year's spending by line, pillar and dimension at the unit costs of ``params.costs``
    (US dollars, scaled to a full year; simulation/governance.py): capacity is paid for whether
    it is used or not, at the levels in force at the year's end; prisoners, supervision,
    witness protection, restorative conciliation and regulation as they occur. Also the cost of
    the year's crimes to victims and society."""
    params = model.params
    year = 365 / len(period)

    def level(column: str) -> float:
        return float(period[:, COLUMN[column]].mean())

    demand = governance.Demand(prisoners=level("prisoners"), supervised=level("supervised"),
                               witness_cases=totals["witness_protected"] * year,
                               reparations=totals["reparations"] * year, guards=level("guards"))
    lines = governance.cost_lines(params, demand, list(model.cooperation.residents_by_municipality))
    row = {f"spending_{name}": value for name, value in lines.items()}
    for pillar, value in governance.by_pillar(lines).items():
        row[f"spending_pillar_{governance.column_name(pillar)}"] = value
    for dimension, value in governance.by_dimension(lines).items():
        row[f"spending_dimension_{governance.column_name(dimension)}"] = value
    residents = params.population.residents
    row["spending_total"] = float(sum(lines.values()))
    row["spending_per_resident"] = row["spending_total"] / residents
    crimes = {crime: totals[f"true_{crime}"] * year for crime in CRIME_TYPES}
    row["crime_cost"] = governance.crime_cost(params, crimes)
    row["crime_cost_per_resident"] = row["crime_cost"] / residents
    row["social_cost_per_resident"] = row["spending_per_resident"] + row["crime_cost_per_resident"]
    row["programme_level"] = model.government.programme_level
    return row


def victimisation_by_wealth(model: CityModel) -> tuple[float, float]:
    """Victimisations per 1,000 residents this year in the poorest and richest quarter of
    neighbourhoods (by SES)."""
    population = model.population
    per_neighbourhood = np.bincount(population.neighbourhood, weights=population.victimisations_year,
                                    minlength=model.city.neighbourhoods)
    residents = np.diff(population.neighbourhood_start)
    order = np.argsort(model.city.neighbourhood_ses, kind="stable")
    quarter = max(1, len(order) // 4)
    poorest, richest = order[:quarter], order[-quarter:]
    rate = lambda ids: 1000 * per_neighbourhood[ids].sum() / max(residents[ids].sum(), 1)  # noqa: E731
    return float(rate(poorest)), float(rate(richest))


def neighbourhood_table(model: CityModel) -> pd.DataFrame:
    """One row per neighbourhood: who lives there, what happened there, over the whole run."""
    city, population, log = model.city, model.population, model.indicators
    days = max(model.day + 1, 1)
    residents = np.diff(population.neighbourhood_start)
    years = days / 365
    table = pd.DataFrame({
        "neighbourhood": np.arange(city.neighbourhoods),
        "municipality": model.cooperation.municipality_of,
        "ses": city.neighbourhood_ses,
        "density": city.neighbourhood_density,
        "residents": residents,
        "blocks": np.bincount(city.neighbourhood, minlength=city.neighbourhoods),
        "mean_trust": np.bincount(population.neighbourhood,
                                  weights=model.trust_of(np.arange(population.size)),
                                  minlength=city.neighbourhoods) / np.maximum(residents, 1),
        "mean_fear": np.bincount(population.neighbourhood, weights=population.fear,
                                 minlength=city.neighbourhoods) / np.maximum(residents, 1),
    })
    counts = log.neighbourhood_counts
    for index, crime in enumerate(CRIME_TYPES):
        table[f"true_{crime}"] = counts["true_at"][:, index]
        table[f"recorded_{crime}"] = counts["recorded_at"][:, index]
    table["true_crimes"] = counts["true_at"].sum(axis=1)
    table["recorded_crimes"] = counts["recorded_at"].sum(axis=1)
    table["victimisations"] = counts["victims_living"].sum(axis=1)
    table["victimisation_rate"] = 1000 * table["victimisations"] / np.maximum(residents, 1) / years
    table["offences_by_residents"] = counts["offences_by_residents"].sum(axis=1)
    table["arrests_of_residents"] = counts["arrests_of_residents"]
    table["police_visits"] = counts["police_visits"]
    table["stops"] = counts["stops"]
    table["abuse_incidents"] = counts["abuse_incidents"]
    table["guard_coverage"] = counts["guard_coverage"] / days
    table["recorded_share"] = table["recorded_crimes"] / np.maximum(table["true_crimes"], 1)
    return table


def municipality_table(model: CityModel, neighbourhoods: pd.DataFrame, summary: dict[str, float]) -> pd.DataFrame:
    """One row per municipality of the metropolitan area over the whole run: residents, its
    police (officers per 100,000, units, visits), true crime and homicides (at its blocks, per
    100,000 a year) and its share of the spending (`governance.by_municipality`, from the run's
    mean annual spending by line)."""
    cooperation, params = model.cooperation, model.params
    years = max(model.day + 1, 1) / 365
    grouped = neighbourhoods.groupby("municipality").agg(
        neighbourhoods=("neighbourhood", "size"), residents=("residents", "sum"),
        true_crimes=("true_crimes", "sum"), true_homicide=("true_homicide", "sum"),
        recorded_crimes=("recorded_crimes", "sum"), police_visits=("police_visits", "sum"),
        arrests_of_residents=("arrests_of_residents", "sum"), stops=("stops", "sum"),
    ).reindex(range(cooperation.municipalities), fill_value=0)
    table = grouped.reset_index()
    residents = table["residents"].to_numpy(dtype=float)
    plan = municipal_plan(params)
    table["officers_per_100k"] = [float(officers) for officers, _ in plan]
    table["strategy"] = [str(getattr(strategy, "value", strategy)) for _, strategy in plan]
    sectors = cooperation.municipality_of
    table["police_units"] = np.bincount([sectors[unit.sector] for unit in model.police_units],
                                        minlength=cooperation.municipalities)
    per_100k_year = PER_100K / np.maximum(residents, 1) / years
    flows = cooperation.flows
    table["offences_by_residents"] = flows.sum(axis=1)
    table["offences_elsewhere"] = flows.sum(axis=1) - np.diag(flows)
    table["offences_from_elsewhere"] = flows.sum(axis=0) - np.diag(flows)
    table["true_crime_rate"] = table["true_crimes"] * per_100k_year
    table["homicide_rate"] = table["true_homicide"] * per_100k_year
    lines = {line: float(summary.get(f"spending_{line}", 0.0)) for line in SPENDING_LEVERS}
    officers = officers_by_municipality(params, list(residents))
    table["spending"] = governance.by_municipality(lines, officers, list(residents))
    table["spending_per_resident"] = table["spending"] / np.maximum(residents, 1)
    return table


def age_profile(log: IndicatorLog) -> pd.DataFrame:
    """Offences per 1,000 person-years by the offender's 5-year age band (S4)."""
    person_years = log.person_days_by_age / 365
    rate = np.divide(1000 * log.offences_by_age, person_years,
                     out=np.zeros(len(AGE_BANDS)), where=person_years > 0)
    return pd.DataFrame({"age_band": AGE_BANDS, "person_years": person_years,
                         "offences": log.offences_by_age, "offence_rate": rate})


YOUTH_SUMMARY: tuple[str, ...] = (
    "gang_members_per_100k", "gang_joined_per_100k", "network_violence_share",
    "network_homicide_share", "retaliation_homicide_share", "retaliations_per_100k",
    "retaliation_lag_mean", "firearm_homicide_share", "youth_offences_per_100k",
    "youth_in_programmes_per_100k", "disputes_defused_per_100k", "guards_per_100k",
    "security_abuse_per_100k", "firearms_availability",
)
COOPERATION_SUMMARY: tuple[str, ...] = (
    "arrivals_per_100k", "record_arrests_per_100k", "record_arrest_share", "record_clearance",
    "wanted_arrests_per_100k",
    "wanted_identified_per_100k", "extraditions_per_100k", "expected_homicide_rate",
    "border_crossings_per_100k", "firearms_stock", "drug_revenue",
)
"""Annual indicators of international cooperation that the run's summary averages."""
JUSTICE_SUMMARY: tuple[str, ...] = (
    "charged_per_100k", "backlog_per_100k", "wait_days", "conviction_rate", "prisoners_per_100k",
    "pretrial_per_100k", "unsentenced_share", "juveniles_held_per_100k", "prison_occupancy",
    "prison_sentences_per_100k", "alternatives_share", "supervised_per_100k", "releases_per_100k",
    "programmes_completed_per_100k", "supported_per_100k", "victims_assisted_per_100k",
    "reparations_per_100k", "averted_by_assistance_per_100k",
    *(f"spending_{lever}" for lever in SPENDING_LEVERS), *SPENDING_GROUPS, "spending_total",
    "spending_per_resident", "crime_cost_per_resident", "social_cost_per_resident",
    "programme_level",
)
"""Annual justice and spending indicators that the run's summary averages."""


def summary(model: CityModel, annual: pd.DataFrame, ages: pd.DataFrame) -> dict[str, float]:
    """Headline numbers of a run: annual indicators averaged over the run's years."""
    def mean(column: str) -> float:
        """Mean over years weighted by their days, ignoring years without a value."""
        values, days = annual[column].to_numpy(dtype=float), annual["days"].to_numpy(dtype=float)
        known = ~np.isnan(values)
        return float((values[known] * days[known]).sum() / days[known].sum()) if known.any() else float("nan")

    top5, half = crime_concentration(model.indicators.crimes_by_block_total)
    chronic_share, chronic_offences, top6 = offending_concentration(model.cohort_offences)
    peak = ages.loc[ages["offence_rate"].idxmax(), "age_band"] if ages["offences"].sum() else ""
    return {
        "days": int(model.day + 1),
        "residents": int(model.population.size),
        "true_crime_rate": mean("true_crime_rate"),
        "recorded_crime_rate": mean("recorded_crime_rate"),
        "homicide_rate": mean("homicide_rate"),
        "reporting_rate": mean("reporting_rate"),
        "dark_figure": mean("dark_figure"),
        "arrest_rate": mean("arrest_rate"),
        "arrests_per_recorded_crime": mean("arrests_per_recorded_crime"),
        **{key: mean(key) for key in JUSTICE_SUMMARY},
        **{key: mean(key) for key in YOUTH_SUMMARY},
        **{key: mean(key) for key in COOPERATION_SUMMARY},
        "share_crime_top5_blocks": mean("share_crime_top5_blocks"),
        "share_blocks_half_crime": mean("share_blocks_half_crime"),
        "share_crime_top5_blocks_whole_run": top5,
        "share_blocks_half_crime_whole_run": half,
        "repeat_victimisation_share": mean("repeat_victimisation_share"),
        "repeat_victimisation_chance": mean("repeat_victimisation_chance"),
        "victimisation_gap": mean("victimisation_gap"),
        "clearance_rate": mean("clearance_rate"),
        "response_minutes": mean("response_minutes"),
        "stops_per_100k": mean("stops_per_100k"),
        "abuse_per_100k": mean("abuse_per_100k"),
        "bribes_per_100k": mean("bribes_per_100k"),
        "corrupt_share": float(annual["corrupt_share"].iloc[-1]),
        "mean_trust": mean("mean_trust"),
        "mean_fear": mean("mean_fear"),
        "punitive_support": mean("punitive_support"),
        "private_security_demand": mean("private_security_demand"),
        "survey_victimisation_rate": mean("survey_victimisation_rate"),
        "true_victimisation_prevalence": mean("true_victimisation_prevalence"),
        "cohort_size": len(model.cohort_offences),
        "cohort_chronic_share": chronic_share,
        "cohort_offences_by_chronic": chronic_offences,
        "cohort_offences_by_top_6pct": top6,
        "peak_offending_age_band": peak,
    }
