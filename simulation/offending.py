"""Opportunity and offending: the attractiveness field and the offender's daily choice.

Opportunity follows Short et al. (2008, Math. Models Methods Appl. Sci. 18:1249): each block
has an attractiveness A = A0 + B. A0 is static (land use, disorder, lighting; see
`simulation.city.City.base_attractiveness`); B rises by theta with every crime at the block,
spreads to the four neighbours and decays:

    B <- [(1 - eta) B + (eta / 4) * sum of neighbours' B] * (1 - omega dt) + theta E

so repeat and near-repeat victimisation (S2, S3) emerge from the field rather than being
written in.

Offending combines routine-activity and rational-choice elements:

* motivation of resident i (a weight, refreshed monthly)
  m_i = propensity_i * f(age_i) * (1 + s_u unemployed_i + s_d dropped_out_i), with the
  age-crime curve f(a) = x^k exp(k (1 - x)), x = (a - onset) / (peak - onset)
  (Farrington 1986; Hirschi & Gottfredson 1983);
* attempts arrive as a Poisson process with rate attempt_rate * m_i / 365 per day; they are
  drawn for the whole city at once (K ~ Poisson(sum of rates), offenders by their share), so a
  day costs O(attempts), not O(residents);
* deterrence: the offender goes ahead with probability (1 - r_i)^d, r_i his perceived risk of
  arrest; r_i is learnt from his own and his peers' outcomes (certainty deters: Nagin 2013);
* target choice: candidate blocks at exponentially distributed distances from home (journey
  to crime with distance decay), one chosen with probability proportional to A;
* the offence happens with Short's probability 1 - exp(-A) unless a capable guardian blocks it
  (police visits, residents at home and people in the street; see
  `guardian_block_probability` and `CityModel.informal_guardians`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulation.city import City
from simulation.params import CRIME_TYPES, LAND_USES, OffendingParams, Parameters

PROPERTY, ROBBERY, ASSAULT, HOMICIDE, DOMESTIC = range(len(CRIME_TYPES))
VIOLENT = (ROBBERY, ASSAULT, HOMICIDE, DOMESTIC)


def update_attractiveness(
    dynamic: np.ndarray, crimes: np.ndarray, eta: float, omega: float, theta: float,
    dt: float = 1.0, periodic: bool = False, scratch: np.ndarray | None = None,
) -> np.ndarray:
    """One step of Short et al.'s (2008) dynamic attractiveness B on a 2-D grid, in place.

    B <- [(1 - eta) B + (eta / 4) * sum of the 4 neighbours' B] * (1 - omega dt) + theta E

    Args:
        dynamic: B, a 2-D float array; updated in place and returned.
        crimes: E, crimes at each block this step (same shape).
        eta: diffusion share, omega: decay rate, theta: rise per crime.
        dt: the step length in the units of omega (1 day in the city).
        periodic: wrap the edges (Short's lattice) or reflect them (a city has an edge: the
            missing neighbour counts as the block itself, so nothing leaks out).
        scratch: an array of B's shape to work in (saves an allocation per step).
    """
    neighbours = np.empty_like(dynamic) if scratch is None else scratch
    # Sum of the four neighbours, built in place: up, down, left, right.
    neighbours[1:] = dynamic[:-1]
    neighbours[0] = dynamic[-1] if periodic else dynamic[0]
    neighbours[:-1] += dynamic[1:]
    neighbours[-1] += dynamic[0] if periodic else dynamic[-1]
    neighbours[:, 1:] += dynamic[:, :-1]
    neighbours[:, 0] += dynamic[:, -1] if periodic else dynamic[:, 0]
    neighbours[:, :-1] += dynamic[:, 1:]
    neighbours[:, -1] += dynamic[:, 0] if periodic else dynamic[:, -1]
    neighbours *= eta / 4.0
    dynamic *= 1.0 - eta
    dynamic += neighbours
    dynamic *= 1.0 - omega * dt
    dynamic += theta * crimes
    return dynamic


def age_crime_curve(age: np.ndarray, params: OffendingParams) -> np.ndarray:
    """f(a) = x^k exp(k (1 - x)) with x = (a - onset) / (peak - onset); 0 before onset; f(peak) = 1."""
    span = max(params.age_peak - params.age_onset, 1e-6)
    x = np.maximum((age - params.age_onset) / span, 0.0)
    k = params.age_curve_shape
    with np.errstate(divide="ignore"):
        return np.where(x > 0, np.exp(k * (np.log(np.maximum(x, 1e-12)) + 1.0 - x)), 0.0)


def motivation(
    propensity: np.ndarray, age: np.ndarray, unemployed: np.ndarray, dropped_out: np.ndarray,
    params: OffendingParams,
) -> np.ndarray:
    """m = propensity * f(age) * (1 + strain_unemployed * unemployed + strain_dropout * dropped_out)."""
    strain = 1.0 + params.strain_unemployed * unemployed + params.strain_dropout * dropped_out
    return propensity * age_crime_curve(age, params) * strain


def draw_weighted(cumulative: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Indices drawn with replacement in proportion to the weights whose cumsum is given."""
    if count == 0 or cumulative[-1] <= 0:
        return np.empty(0, dtype=np.int64)
    draws = rng.random(count) * cumulative[-1]
    return np.minimum(np.searchsorted(cumulative, draws, side="right"), len(cumulative) - 1)


def with_visible_police(perceived_risk: np.ndarray, presence: np.ndarray, effect: float,
                        concavity: float = 1.0) -> np.ndarray:
    """Perceived risk with the police an offender sees around home: 1 - (1 - r)(1 - s v^a).

    ``presence`` v is the police visits a block gets a day in his neighbourhood over the last
    month, ``effect`` s the risk read from one visit per block-day and ``concavity`` a the
    exponent that makes each further visit add less (the sentinel effect of visible police,
    Nagin, Solow & Lum 2015; diminishing returns to police numbers, Chalfin & McCrary 2018).
    """
    seen = np.minimum(1.0, effect * np.power(presence, concavity))
    return 1.0 - (1.0 - perceived_risk) * (1.0 - seen)


def go_ahead_probability(perceived_risk: np.ndarray, exponent: float) -> np.ndarray:
    """Deterrence: an offender goes ahead with probability (1 - r)^d."""
    return np.power(1.0 - perceived_risk, exponent)


def deterrence_exponent(params: Parameters) -> float:
    """The exponent of `go_ahead_probability`: d u(S)^w, where the expected cost of an offence
    grows with the chance of arrest and, much less, with the sentence.

    S is the sentencing severity lever, u(S) = (1 - exp(-k S)) / (1 - exp(-k)) the sentence as
    an offender who discounts future prison time sees it, relative to the default (u(1) = 1, so
    the exponent is d exactly at S = 1), k = ``offending.sentence_discounting`` and w =
    ``offending.severity_weight``.
    """
    offending = params.offending
    severity, k = params.justice.sentencing.severity, offending.sentence_discounting
    seen = severity if k == 0 else np.expm1(-k * severity) / np.expm1(-k)
    return float(offending.deterrence_exponent * seen ** offending.severity_weight)


def choose_targets(
    home_cells: np.ndarray, attractiveness: np.ndarray, city: City, params: OffendingParams,
    rng: np.random.Generator,
    candidate_weight: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Journey to crime: each offender weighs candidate blocks near home by attractiveness.

    Candidates lie at exponentially distributed distances (mean ``journey_mean``) in uniformly
    random directions from home, clipped to the city; one is chosen with probability
    proportional to its A, times ``candidate_weight(cells)`` if given (one weight per offender
    and candidate: the border weight of a metropolitan area, `simulation.cooperation`).
    """
    count, candidates = len(home_cells), params.target_candidates
    if count == 0:
        return np.empty(0, dtype=np.int64)
    row, col = city.rows_cols(home_cells)
    distance = rng.exponential(params.journey_mean, (count, candidates))
    angle = rng.uniform(0.0, 2.0 * np.pi, (count, candidates))
    target_row = np.clip(np.rint(row[:, None] + distance * np.sin(angle)), 0, city.height - 1)
    target_col = np.clip(np.rint(col[:, None] + distance * np.cos(angle)), 0, city.width - 1)
    cells = (target_row * city.width + target_col).astype(np.int64)
    values = attractiveness[cells]
    if candidate_weight is not None:
        values = values * candidate_weight(cells)
    weights = np.cumsum(values, axis=1)
    pick = (weights < rng.random(count)[:, None] * weights[:, -1:]).sum(axis=1)
    return cells[np.arange(count), np.minimum(pick, candidates - 1)]


def crime_type_table(params: OffendingParams) -> np.ndarray:
    """Cumulative probabilities of property, robbery, assault by land use (rows)."""
    rows = []
    for use in LAND_USES:
        robbery = getattr(params.mix, f"robbery_{use}")
        assault = getattr(params.mix, f"assault_{use}")
        total = robbery + assault
        if total > 1:
            robbery, assault = robbery / total, assault / total
        rows.append([1.0 - robbery - assault, 1.0 - assault, 1.0])
    return np.array(rows)


def draw_crime_types(
    land_use: np.ndarray, table: np.ndarray, lethality: float, rng: np.random.Generator
) -> np.ndarray:
    """Crime type of each offence from its block's land use; violence turns lethal at ``lethality``."""
    crime = (rng.random(len(land_use))[:, None] >= table[land_use]).sum(axis=1)
    violent = (crime == ROBBERY) | (crime == ASSAULT)
    crime[violent & (rng.random(len(land_use)) < lethality)] = HOMICIDE
    return crime


def guardian_block_probability(
    police_visits: np.ndarray, informal: np.ndarray, police_guardianship: float
) -> np.ndarray:
    """Chance that a capable guardian blocks an attempt: 1 - (1 - g)^visits * (1 - informal)."""
    return 1.0 - np.power(1.0 - police_guardianship, police_visits) * (1.0 - informal)


def learn_perceived_risk(
    perceived_risk: np.ndarray, peers: np.ndarray, offenders: np.ndarray, arrested: np.ndarray,
    params: OffendingParams,
) -> None:
    """Update perceived risk from today's outcomes, in place.

    The offender moves toward the outcome (1 if arrested, 0 if not) by ``learning_own``; each
    of his peers by ``learning_peer``: r <- r + w (outcome - r). Several updates of one resident
    on one day add up from the morning's values.
    """
    if len(offenders) == 0:
        return
    outcome = arrested.astype(np.float32)
    delta_own = params.learning_own * (outcome - perceived_risk[offenders])
    if peers.shape[1]:
        peer_ids = peers[offenders].ravel()
        peer_outcome = np.repeat(outcome, peers.shape[1])
        delta_peer = params.learning_peer * (peer_outcome - perceived_risk[peer_ids])
        np.add.at(perceived_risk, peer_ids, delta_peer)
    else:
        peer_ids = np.empty(0, dtype=offenders.dtype)
    np.add.at(perceived_risk, offenders, delta_own)
    touched = np.concatenate([offenders, peer_ids])
    perceived_risk[touched] = np.clip(perceived_risk[touched], 0.0, 1.0)
