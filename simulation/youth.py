"""Young people's networks, street gangs, retaliation and firearms.

The peer network is the ``peers`` array of the population (a fixed number of ties per
resident, drawn at start within the neighbourhood by age: school and neighbourhood ties). It
changes over time:

* friendship rewiring: each month a share of residents replace their last tie with the most
  similar of a few candidates (friends of friends and neighbours): same gang, both offenders or
  both not, close in age (homophily, and selection into delinquent friendships);
* prison ties: released prisoners bring fellow prisoners into their circle (``justice``).

Risk factors of the young: school drop-out and unemployment (``offending.motivation``), the
neighbourhood (gangs are based in the poorest), and the family: living with someone who has
served a prison sentence multiplies motivation by 1 + ``family_risk``.

What spreads on it:

* perceived risk of arrest (``offending.learn_perceived_risk``): peers who offend and are not
  caught teach that crime pays;
* gang membership: young men are recruited by their peers in a gang, with a chance that grows
  with the number of such peers and with their own risk; members offend more (facilitation)
  and carry guns more often;
* retaliation: violence involving a gang member (and, rarely, other violence) is avenged after
  a lognormal lag (S11: median 83, mean 125 days) by the victim, or by a peer of a victim who
  died, against the offender; retaliations can be avenged in turn (contagion). Violence
  interrupters (``prevention``) mediate some disputes before they are avenged.

Firearms: a violent offender is armed with probability ``availability`` (times ``gang_ratio``
for gang members); armed violence kills at ``lethality_armed``, unarmed at
``lethality_unarmed``.

``network_graph`` returns the ties as a networkx graph for analysis (components, degrees, the
co-offending network); the model itself keeps them as arrays, since a networkx graph of 10^6
residents would take far more memory than the rest of the population.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from simulation.cooperation import dispute_probability
from simulation.params import FirearmsParams, YouthParams
from simulation.population import Population, Status

NO_GANG = -1
DAYS_PER_YEAR = 365


def seed_gangs(population: Population, neighbourhood_ses: np.ndarray, params: YouthParams,
               rng: np.random.Generator) -> np.ndarray:
    """Gang of each resident at start (int8, -1 for none): each gang is based in one of the
    poorest neighbourhoods and holds a share of its young men, the most prone first likely."""
    gang = np.full(population.size, NO_GANG, dtype=np.int8)
    homes = np.argsort(neighbourhood_ses, kind="stable")[:params.gangs]
    young_men = population.male & (population.age >= 14) & (population.age < 21)
    for gang_id, home in enumerate(homes):
        eligible = np.flatnonzero(young_men & (population.neighbourhood == home))
        if len(eligible) == 0:
            continue
        weights = np.minimum(population.propensity[eligible], 10.0).astype(float)
        count = int(round(params.initial_members * len(eligible)))
        members = rng.choice(eligible, size=count, replace=False, p=weights / weights.sum())
        gang[members] = gang_id
    return gang


def family_at_risk(population: Population, below_age: float = 25.0) -> np.ndarray:
    """Young residents (under ``below_age``) living with someone who has served a prison
    sentence: the family risk factor (Murray & Farrington 2008)."""
    record = np.bincount(population.household, weights=population.prison_spells > 0,
                         minlength=len(population.household_size)) > 0
    return record[population.household] & (population.age < below_age)


def gang_homes(neighbourhood_ses: np.ndarray, params: YouthParams) -> np.ndarray:
    """The neighbourhood each gang is based in (the poorest ones, poorest first)."""
    return np.argsort(neighbourhood_ses, kind="stable")[:params.gangs]


def recruit_and_leave(population: Population, gang: np.ndarray, params: YouthParams,
                      rng: np.random.Generator, factor: float = 1.0) -> tuple[int, int]:
    """Monthly: young men join the gang of their gang peers; members leave. Returns (joined, left).

    A candidate with c gang peers and risk k joins with probability 1 - exp(-b F c k), b =
    ``recruitment`` and F = ``factor`` (the drug market's pull, `simulation.cooperation`; 1 at
    the status quo).
    """
    low, high = params.recruit_ages
    candidates = np.flatnonzero(population.male & (population.age >= low) & (population.age < high)
                                & (gang == NO_GANG) & (population.status == Status.FREE))
    joined = 0
    recruitment = params.recruitment if factor == 1.0 else params.recruitment * factor
    if len(candidates) and population.peers.shape[1] and recruitment > 0:
        peer_gangs = gang[population.peers[candidates]]
        in_gang = peer_gangs != NO_GANG
        count = in_gang.sum(axis=1)
        risk = np.minimum(population.propensity[candidates], 5.0) * (1.0 + population.dropped_out[candidates])
        chance = 1.0 - np.exp(-recruitment * count * risk)
        join = (count > 0) & (rng.random(len(candidates)) < chance)
        # He joins the gang of one of his gang peers, chosen at random.
        rows = np.flatnonzero(join)
        if len(rows):
            pick = rng.random((len(rows), in_gang.shape[1])) * in_gang[rows]
            gang[candidates[rows]] = peer_gangs[rows, pick.argmax(axis=1)]
        joined = len(rows)
    members = np.flatnonzero(gang != NO_GANG)
    leave = (population.age[members] >= params.exit_age) | (
        rng.random(len(members)) < 1.0 - math.exp(-params.exit_rate / 12.0))
    gang[members[leave]] = NO_GANG
    return joined, int(leave.sum())


def rewire_friendships(population: Population, gang: np.ndarray, params: YouthParams,
                       rng: np.random.Generator) -> int:
    """Monthly: a share of residents replace their last tie with the most similar candidate."""
    peers = population.peers
    n, k = peers.shape
    if k == 0 or params.rewiring == 0:
        return 0
    movers = np.flatnonzero(rng.random(n) < params.rewiring)
    if len(movers) == 0:
        return 0
    m = params.rewiring_candidates
    # Candidates are friends of friends (a random tie of a random tie): new ties stay within
    # reach of the network.
    via = peers[movers[:, None], rng.integers(0, k, (len(movers), m))]
    candidates = peers[via, rng.integers(0, k, (len(movers), m))]
    offender = population.offences > 0
    similar = ((gang[candidates] == gang[movers][:, None]) * (2.0 + 2.0 * (gang[movers] != NO_GANG))[:, None]
               + (offender[candidates] == offender[movers][:, None])
               - np.abs(population.age[candidates] - population.age[movers][:, None]) / 10.0
               + rng.random(candidates.shape) * 0.5)
    similar[candidates == movers[:, None]] = -np.inf
    best = candidates[np.arange(len(movers)), similar.argmax(axis=1)]
    keep = best != movers
    peers[movers[keep], k - 1] = best[keep]
    return int(keep.sum())


def armed(gang_member: np.ndarray, params: FirearmsParams, rng: np.random.Generator,
          availability: float | None = None, gang_ratio: float | None = None) -> np.ndarray:
    """Whether each violent offender carries a gun: min(1, availability x (gang ratio if a
    member, else 1)). ``availability`` and ``gang_ratio`` override the parameters (guns leaked
    from security firms, guns trafficked into the city)."""
    base = params.availability if availability is None else availability
    ratio = params.gang_ratio if gang_ratio is None else gang_ratio
    chance = np.minimum(1.0, base * np.where(gang_member, ratio, 1.0))
    return rng.random(len(gang_member)) < chance


def lethality(is_armed: np.ndarray, params: FirearmsParams) -> np.ndarray:
    """Chance that each violent offence kills."""
    return np.where(is_armed, params.lethality_armed, params.lethality_unarmed)


def lag_days(count: int, params: YouthParams, rng: np.random.Generator) -> np.ndarray:
    """Lognormal delays with the given median and mean (mean / median = exp(sigma^2 / 2))."""
    ratio = max(params.lag_mean_days / params.lag_median_days, 1.0)
    sigma = math.sqrt(2.0 * math.log(ratio))
    lags = rng.lognormal(math.log(params.lag_median_days), sigma, count)
    return np.maximum(1, np.rint(lags)).astype(np.int64)


@dataclass
class Retaliations:
    """Disputes waiting to be avenged: who avenges whom, when, and whether a gang is involved."""

    due: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    avenger: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    target: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    lag: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    carried_out_lags: list[np.ndarray] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.due)

    def add(self, day: int, avenger: np.ndarray, target: np.ndarray, lag: np.ndarray) -> None:
        self.due = np.concatenate([self.due, day + lag])
        self.avenger = np.concatenate([self.avenger, avenger])
        self.target = np.concatenate([self.target, target])
        self.lag = np.concatenate([self.lag, lag])

    def forget(self, residents: np.ndarray) -> None:
        """Drop the disputes of residents whose slot became a newborn."""
        if len(self.due) == 0 or len(residents) == 0:
            return
        keep = ~(np.isin(self.avenger, residents) | np.isin(self.target, residents))
        self.due, self.avenger, self.target, self.lag = (
            self.due[keep], self.avenger[keep], self.target[keep], self.lag[keep])

    def take_due(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Remove and return today's (avenger, target, lag)."""
        now = self.due <= day
        taken = self.avenger[now], self.target[now], self.lag[now]
        keep = ~now
        self.due, self.avenger, self.target, self.lag = (
            self.due[keep], self.avenger[keep], self.target[keep], self.lag[keep])
        return taken


def disputes(population: Population, gang: np.ndarray, offenders: np.ndarray,
             victims: np.ndarray, killed: np.ndarray, params: YouthParams,
             rng: np.random.Generator, conflict: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which of today's violent incidents (resident victims only) start a dispute.

    Gang-linked incidents start one with probability 1 - (1 - retaliation)^conflict, others
    with ``retaliation_other``; ``conflict`` is the drug market's pull on territorial disputes
    (`simulation.cooperation.dispute_probability`; 1 at the status quo).

    Returns (avenger, target, gang_linked) for the disputes: the avenger is the victim, or a
    peer of the victim (a fellow gang member if he has one) when the victim died.
    """
    linked = (gang[offenders] != NO_GANG) | (gang[victims] != NO_GANG)
    chance = np.where(linked, dispute_probability(params.retaliation, conflict), params.retaliation_other)
    start = rng.random(len(offenders)) < chance
    offenders, victims, killed, linked = offenders[start], victims[start], killed[start], linked[start]
    avenger = victims.copy()
    k = population.peers.shape[1]
    if k and killed.any():
        dead = np.flatnonzero(killed)
        circle = population.peers[victims[dead]]
        same_gang = (gang[circle] == gang[victims[dead]][:, None]) & (gang[circle] != NO_GANG)
        weight = rng.random(circle.shape) + 2.0 * same_gang
        avenger[dead] = circle[np.arange(len(dead)), weight.argmax(axis=1)]
    elif killed.any():
        keep = ~killed
        avenger, offenders, linked = avenger[keep], offenders[keep], linked[keep]
    valid = avenger != offenders
    return avenger[valid], offenders[valid], linked[valid]


def network_graph(population: Population, residents: np.ndarray | None = None) -> nx.Graph:
    """The ties among ``residents`` (default: everyone) as an undirected networkx graph."""
    peers = population.peers
    ids = np.arange(population.size) if residents is None else np.asarray(residents)
    graph = nx.Graph()
    graph.add_nodes_from(ids.tolist())
    if peers.shape[1] == 0 or len(ids) == 0:
        return graph
    inside = np.zeros(population.size, dtype=bool)
    inside[ids] = True
    rows = np.repeat(ids, peers.shape[1])
    cols = peers[ids].ravel()
    keep = inside[cols] & (rows != cols)
    graph.add_edges_from(zip(rows[keep].tolist(), cols[keep].tolist()))
    return graph
