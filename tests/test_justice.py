"""Justice, prisons, reintegration and victims: the rules of each stage, then what they add up to.

The first tests check one rule at a time on a small city; the later ones run larger cities and
compare policies with the same seeds (common random numbers), with margins a broken mechanism
would miss.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from conftest import small_params, stepped

from simulation import Parameters, run, with_overrides
from simulation.indicators import COLUMN
from simulation.justice import Outcome, Places, Prison, Released, pretrial_detention
from simulation.model import CityModel
from simulation.params import CRIME_TYPES
from simulation.population import Status

PROPERTY, ROBBERY, HOMICIDE = (CRIME_TYPES.index(c) for c in ("property", "robbery", "homicide"))


# -- one rule at a time --------------------------------------------------------------------


def test_restricted_pretrial_detention_spares_first_non_violent_defendants():
    rng = np.random.default_rng(0)
    n = 20_000
    crimes = np.repeat([PROPERTY, ROBBERY, HOMICIDE], n)
    priors = np.zeros(3 * n, dtype=np.int64)
    adults = np.zeros(3 * n, dtype=bool)
    restricted = with_overrides(Parameters(), {"justice.pretrial.policy": "restricted"}).justice
    held = pretrial_detention(crimes, priors, adults, restricted, rng)
    assert not held[crimes == PROPERTY].any()  # first offence, not violent: never
    assert held[crimes == ROBBERY].mean() == pytest.approx(restricted.pretrial.violent_probability, abs=0.02)
    assert held[crimes == HOMICIDE].all()
    # With a record, a non-violent defendant is a flight risk.
    flight = pretrial_detention(np.full(n, PROPERTY), np.ones(n, dtype=np.int64), np.zeros(n, bool),
                                restricted, rng)
    assert flight.mean() == pytest.approx(restricted.pretrial.flight_risk_probability, abs=0.02)
    broad = Parameters().justice
    held = pretrial_detention(crimes, priors, adults, broad, rng)
    assert held[crimes == PROPERTY].mean() == pytest.approx(broad.pretrial.broad_probability, abs=0.02)
    # Juveniles are detained before trial on violent charges only, under either policy.
    juvenile = pretrial_detention(crimes, priors, np.ones(3 * n, dtype=bool), broad, rng)
    assert not juvenile[crimes == PROPERTY].any() and juvenile[crimes == ROBBERY].mean() > 0.4


def test_places_are_first_come_first_served_and_free_again_when_time_is_up():
    places = Places(5)
    assert places.admit(3, day=0, days=10) == 3
    assert places.admit(4, day=1, days=10) == 2  # two places left
    assert places.admit(1, day=9, days=10) == 0
    assert places.occupied(10) == 2 and places.admit(4, day=10, days=10) == 3


def test_remand_counts_towards_the_sentence_and_a_second_sentence_follows_the_first():
    model = CityModel(small_params(), rng=1, days=10)
    prison = Prison(model, "adult", places=100, programme_places=0)
    ids = np.array([5, 7, 9])
    prison.admit(ids, day=0, until=np.full(3, 730), sentenced=False)
    prison.sentence(np.array([5, 7]), np.array([100, 20]), day=50)
    until = dict(zip(prison.inmates["ids"].tolist(), prison.inmates["until"].tolist()))
    assert until == {5: 100, 7: 50, 9: 730}  # 7 served his 20 days on remand: out today
    prison.sentence(np.array([5]), np.array([30]), day=60)
    assert prison.inmates["until"][prison.inmates["ids"] == 5][0] == 130  # consecutive
    out = prison.release(50)
    assert out.ids.tolist() == [7] and out.sentenced.all() and out.days_held.tolist() == [50]
    assert prison.pretrial == 1


def test_the_court_hears_the_oldest_ready_cases_up_to_its_capacity():
    params = small_params(**{"justice.court.preparation_days": 5})
    model = CityModel(params, rng=1, days=10)
    court = model.court
    court.capacity_per_day, court.credit = 2.0, 0.0
    court.queue = {name: values[:0] for name, values in court.queue.items()}
    defendants = np.arange(100, 110)
    charged = np.zeros(0, dtype=bool)
    while not charged.any():  # charge_probability 0.75: draw until some are charged
        charged = court.charge(0, defendants, np.zeros(10, dtype=np.int64), np.full(10, -1),
                               np.zeros(10, dtype=bool))
    queued = court.queue["defendant"].tolist()
    assert len(court.hear(4)[0].defendant) == 0  # not ready before the preparation time
    outcome, waited = court.hear(5)
    assert outcome.defendant.tolist() == queued[:2] and waited.tolist() == [5, 5]
    assert court.backlog == len(queued) - 2


def test_severity_multiplies_prison_sentences_and_nothing_else():
    def verdicts(severity: float):
        model = CityModel(small_params(**{"justice.sentencing.severity": severity}), rng=4, days=10)
        count = 4000
        cases = {"defendant": np.arange(count) % model.population.size,
                 "crime": np.full(count, ROBBERY), "victim": np.full(count, -1),
                 "arrest_day": np.zeros(count, dtype=np.int64), "ready_day": np.zeros(count, dtype=np.int64),
                 "on_scene": np.zeros(count, dtype=bool), "protected": np.zeros(count, dtype=bool)}
        return model.court.decide(cases)

    single, double = verdicts(1.0), verdicts(2.0)
    assert (single.convicted == double.convicted).all()
    assert ((single.prison_days > 0) == (double.prison_days > 0)).all()
    sent = single.prison_days > 0
    assert sent.mean() > 0.3
    assert np.abs(double.prison_days[sent] - 2 * single.prison_days[sent]).max() <= 1


def test_nobody_below_the_minimum_age_is_charged_and_adults_never_go_to_juvenile_centres():
    params = small_params(**{"population.residents": 6000, "justice.sentencing.min_age": 14,
                             "justice.sentencing.adult_age": 14, "warmup_days": 0})
    model = CityModel(params, rng=2, days=365)
    for _ in range(365):
        model.step()
        assert model.prisons["juvenile"].population == 0
        queue = model.court.queue["defendant"]
        # Cases are opened only against residents aged 14 or more at their arrest.
        assert (model.population.age[queue] >= 14).all()
    assert model.indicators.daily[:, COLUMN["charged"]].sum() > 20


def test_verdicts_fill_prisons_and_supervision_and_the_counts_add_up():
    params = small_params(**{"population.residents": 8000, "warmup_days": 200})
    model = stepped(params, days=730)
    daily = model.indicators.daily
    total = lambda column: daily[:, COLUMN[column]].sum()  # noqa: E731
    assert total("trials") > 50
    assert total("convictions") <= total("trials")
    assert total("prison_sentences") + total("supervision_orders") + total("reparations") <= total("convictions")
    assert total("prison_sentences") > 0 and total("supervision_orders") > 0
    held = model.population.status != Status.FREE
    assert held.sum() == sum(prison.population for prison in model.prisons.values())
    # Everyone still in prison on a sentence has a conviction on record.
    sentenced = model.population.status == Status.PRISON
    assert (model.population.convictions[sentenced] > 0).all()


def test_a_court_without_prosecutors_tries_nothing_and_detainees_leave_at_the_pretrial_limit():
    params = small_params(**{"population.residents": 8000, "justice.court.prosecutors_per_100k": 0,
                             "justice.pretrial.max_days": 60, "warmup_days": 0})
    model = stepped(params, days=400)
    daily = model.indicators.daily
    assert daily[:, COLUMN["trials"]].sum() == 0
    backlog = daily[:, COLUMN["backlog"]]
    assert backlog[-1] > backlog[100] > 0  # the backlog only grows
    # Nobody sentenced, and nobody held longer than the limit.
    assert (model.population.status != Status.PRISON).all()
    held = model.prisons["adult"].inmates
    assert (model.steps - 1 - held["entry"] <= 60).all()


def test_released_prisoners_bring_fellow_prisoners_into_their_circle_more_after_crowding():
    model = CityModel(small_params(**{"justice.prison.prison_ties": 0.3}), rng=3, days=10)
    population, prison = model.population, model.prisons["adult"]
    inmates = np.arange(200, 400)
    prison.admit(inmates, 0, np.full(len(inmates), 1000), sentenced=True)
    width = population.peers.shape[1]

    def ties_inside(crowding: float, days_held: int, released_id: int) -> int:
        ids = np.array([released_id])
        released = Released(ids, np.array([days_held]), np.array([True]), np.array([crowding]),
                            np.array([0.0]), np.array([False]), "adult")
        model.form_prison_ties(released)
        return int(np.isin(population.peers[released_id], inmates).sum())

    # A year inside: 30% of the circle (rounded) becomes fellow prisoners; twice as many when
    # the prison ran at twice its capacity; half as many after half a year.
    assert ties_inside(0.0, 365, 10) >= round(0.3 * width)
    assert ties_inside(1.0, 365, 11) >= round(0.6 * width)
    assert ties_inside(0.0, 182, 12) >= round(0.15 * width) - 1
    before = population.peers[13].copy()
    model.params = with_overrides(model.params, {"justice.prison.prison_ties": 0.0})
    ties_inside(1.0, 365, 13)
    assert (population.peers[13] == before).all()


def test_restorative_conciliation_lowers_the_offender_s_propensity_and_repairs_the_victim():
    model = CityModel(small_params(), rng=3, days=10)
    population, params = model.population, model.params.justice
    offenders, victims = np.array([5, 6, 7]), np.array([50, 51, -1])
    propensity, trust = population.propensity.copy(), population.trust.copy()
    none = np.zeros(3, dtype=bool)
    outcome = Outcome(defendant=offenders, crime=np.full(3, PROPERTY), victim=victims,
                      convicted=np.ones(3, dtype=bool), juvenile=none,
                      prison_days=np.zeros(3, dtype=np.int64), alternative=np.ones(3, dtype=bool),
                      restorative=np.array([True, True, False]),
                      supervised=np.array([False, False, True]))
    model.carry_out(20, outcome, np.zeros(3, dtype=np.int64))
    factor = np.exp(-params.sentencing.restorative_effect)
    assert factor < 0.99
    np.testing.assert_allclose(population.propensity[[5, 6]], propensity[[5, 6]] * factor, rtol=1e-6)
    assert population.propensity[7] == propensity[7]  # supervised, not conciliated
    gain = params.victims.reparation_trust_gain
    np.testing.assert_allclose(population.trust[[50, 51]],
                               np.minimum(1.0, trust[[50, 51]] + gain), rtol=1e-6)
    assert (population.assisted_until[[50, 51]] == 20 + params.victims.assistance_days).all()
    assert model.indicators.today[COLUMN["reparations"]] == 2
    assert population.supervised_until[7] == 20 + params.sentencing.supervision_days


# -- what the mechanisms add up to ----------------------------------------------------------


def test_rearrest_after_release_rises_steeply_then_flattens_near_the_published_curves(default_run):
    # S6: re-arrest 44% within a year, 68% within 3 (BJS 2014); Rossi et al. (1980): 30.6% within
    # a year; return to prison (recid data): 12.7%, 23.4%, 29.6% within 1, 2, 3 years.
    table = default_run.recidivism
    curve = table[table["cohort"] == "all"].set_index("years_after_release")
    assert curve.loc[3, "releases_followed"] > 300
    rearrest, back = curve["rearrest_share"], curve["reimprisonment_share"]
    assert 0.25 < rearrest[1] < 0.55
    assert rearrest[1] > 2 * (rearrest[2] - rearrest[1]) > 0  # the first year carries most
    assert rearrest[2] - rearrest[1] >= rearrest[3] - rearrest[2] - 0.01
    assert 0.08 < back[1] < 0.2 and 0.18 < back[3] < 0.4  # the lower, return-to-prison curve
    assert (back <= rearrest).all()
    # Cohorts: one per recorded year of release.
    assert set(table["cohort"]) >= {"all", "1", "5"}


def test_default_city_holds_prisoners_and_detainees_at_the_region_s_scale(default_run):
    summary = default_run.summary
    # The Americas: ~376 prisoners per 100,000 and ~36% unsentenced (World Prison Brief,
    # secondary); crime4: conviction given arrest median 0.47.
    assert 150 < summary["prisoners_per_100k"] < 500
    assert 0.2 < summary["unsentenced_share"] < 0.55
    assert summary["prison_occupancy"] > 1.0  # overcrowded, as most prisons of the region
    assert summary["wait_days"] > 150  # preparation time plus queue
    assert 0 < summary["alternatives_share"] < 0.2
    assert summary["spending_prisons"] > 0 and summary["spending_total"] > summary["spending_prisons"]


def test_overcrowded_prisons_raise_recidivism(policies):
    # Default city, capacity 100 instead of 170 places per 100,000 (occupancy ~2 against ~1.1).
    assert policies["crowded"]["prison_occupancy"] > 1.5 * policies["baseline"]["prison_occupancy"]
    assert policies["crowded"]["rearrest_1y"] > policies["baseline"]["rearrest_1y"] + 0.02


def test_separating_first_offenders_lowers_recidivism(policies):
    assert policies["separated"]["rearrest_1y"] < policies["baseline"]["rearrest_1y"] - 0.04


def _support_trial(seed: int) -> tuple[float, int, float, int]:
    params = with_overrides(Parameters(), {"years": 6, "justice.reintegration.places_per_100k": 20})
    model = stepped(params, params.days, seed)
    end = params.warmup_days + params.days
    return (*model.releases.rearrest_share(params.warmup_days, end, 1, supported=True),
            *model.releases.rearrest_share(params.warmup_days, end, 1, supported=False))


def test_reintegration_support_lowers_rearrest_as_much_as_the_rossi_trial():
    # Rossi, Berk & Lenihan (1980): re-arrest within a year 30.6% without aid, 22.2% with it
    # (216 men each; the 95% interval of the difference is about 0 to 17 points). Places for
    # about half of the releases, handed out in random order: a randomised trial inside the run.
    trials = [_support_trial(seed) for seed in (1, 2)]
    supported = sum(share * n for share, n, _, _ in trials) / sum(n for _, n, _, _ in trials)
    unsupported = sum(share * n for _, _, share, n in trials) / sum(n for _, _, _, n in trials)
    assert min(n for _, n, _, _ in trials) > 150 and min(n for _, _, _, n in trials) > 100
    # Without aid the model's re-arrest follows the S6 curve (44% within a year, BJS 2014), above
    # Rossi's sample of 30.6%: what is compared with the trial is the difference aid makes.
    assert 0.3 < unsupported < 0.55
    assert 0.02 < unsupported - supported < 0.17


def test_victim_assistance_averts_repeat_victimisation_and_relieves_fear():
    # Only victims who report are offered assistance: let most of them report, so that the
    # service reaches most victims and its effect on repeats is large enough to measure.
    reporting = {f"reporting.base.{crime}": 0.9 for crime in CRIME_TYPES}

    def city(places: float) -> CityModel:
        params = small_params(**{"population.residents": 20_000, "city.width": 50, "city.height": 50,
                                 "justice.victims.assistance_places_per_100k": places, **reporting})
        return stepped(params, days=3 * 365, seed=3)

    without, with_ = city(0.0), city(3000.0)
    assert without.indicators.daily[:, COLUMN["victims_assisted"]].sum() == 0
    assert with_.indicators.daily[:, COLUMN["victims_assisted"]].sum() > 1000
    assert with_.indicators.daily[:, COLUMN["averted_by_assistance"]].sum() > 100
    repeats = [log.annual for log in (without.indicators, with_.indicators)]
    share = [np.mean([row["repeat_victimisation_share"] for row in annual]) for annual in repeats]
    assert share[1] < share[0] - 0.02
    # Among residents victimised in the last year, the assisted fear less (they lose half of
    # the fear of their own victimisation, 0.5 x 0.3) and trust the police more.
    population, today = with_.population, with_.steps - 1
    recent = today - population.last_victimised < 365
    assisted = recent & (population.assisted_until > today)
    alone = recent & ~assisted
    assert assisted.sum() > 100 and alone.sum() > 100
    assert population.fear[alone].mean() - population.fear[assisted].mean() > 0.1
    assert population.trust[assisted].mean() > population.trust[alone].mean() + 0.03


def test_witness_protection_and_evidence_at_the_scene_raise_convictions():
    model = CityModel(small_params(), rng=5, days=10)
    count = 20_000

    def conviction_rate(on_scene: bool, protected: bool) -> float:
        cases = {"defendant": np.arange(count) % model.population.size,
                 "crime": np.full(count, ROBBERY), "victim": np.full(count, -1),
                 "arrest_day": np.zeros(count, dtype=np.int64), "ready_day": np.zeros(count, dtype=np.int64),
                 "on_scene": np.full(count, on_scene), "protected": np.full(count, protected)}
        return model.court.decide(cases).convicted.mean()

    court = model.params.justice.court
    base = court.conviction.robbery
    assert conviction_rate(False, False) == pytest.approx(base, abs=0.015)
    assert conviction_rate(True, False) == pytest.approx(base * court.evidence_on_scene, abs=0.015)
    assert conviction_rate(False, True) == pytest.approx(
        min(1.0, base * (1 + court.witness_protection_effect)), abs=0.015)


# -- certainty against severity (S7) and the mix at a fixed budget (S12) --------------------

POLICY_YEARS = 5
# S7: certainty. 30% more officers (visible patrols: the chance of being caught goes up)
# against twice the sentence lengths (severity 2): the extra officers cost what the extra
# prison-years cost, counting what each saves elsewhere.
CERTAINTY = {"police.officers_per_100k": 195.0}
SEVERITY = {"justice.sentencing.severity": 2.0}
# S12 (Berenji, Chou & D'Orsogna 2014): one justice budget (prisons, programmes in prison,
# reintegration support, supervision) of about USD 30 per resident a year, spent three ways.
ALL_PUNISHMENT = {"justice.sentencing.severity": 1.8, "justice.sentencing.alternatives": 0.0,
                  "justice.prison.rehabilitation_places_per_100k": 0.0}
MIX = {"justice.sentencing.severity": 1.5, "justice.sentencing.alternatives": 0.1,
       "justice.prison.rehabilitation_places_per_100k": 60.0,
       "justice.reintegration.places_per_100k": 50.0}
ALL_LENIENCY = {"justice.sentencing.severity": 0.5, "justice.sentencing.alternatives": 1.0,
                "justice.prison.rehabilitation_places_per_100k": 0.0,
                "justice.reintegration.places_per_100k": 430.0}
POLICIES = {"baseline": {}, "certainty": CERTAINTY, "severity": SEVERITY,
            "crowded": {"justice.prison.capacity_per_100k": 100.0},
            "separated": {"justice.prison.separation": 1.0}}
# Four seeds: certainty and severity differ by about 6% in crime and crowding raises re-arrest by
# about 3 points, each with a spread between seeds about as large.
POLICY_SEEDS = (1, 2, 3, 4)
# S12 needs more than the few seeds above: the three budgets' crime differs by about 3%, with a
# paired spread between seeds of about 2.5%. Ten recorded years, eight seeds, and the budget
# held for the whole run (a cross-party agreement: no election cuts the programmes).
S12 = {"punishment": ALL_PUNISHMENT, "mix": MIX, "leniency": ALL_LENIENCY}
S12_SEEDS = tuple(range(1, 9))
S12_RUN = {"years": 10, "governance.cross_party_agreement": True}
JUSTICE_SPENDING = ("spending_prisons", "spending_rehabilitation", "spending_reintegration",
                    "spending_supervision")


def _policy_run(job: tuple[str, int]) -> tuple[str, int, dict]:
    name, seed = job
    params = with_overrides(Parameters(), {"years": POLICY_YEARS, **POLICIES[name]})
    return name, seed, run(params, seed=seed).summary


@pytest.fixture(scope="module")
def policies():
    """Every policy on the default city, means of seeds 1-4 (common random numbers), five
    recorded years each."""
    jobs = [(name, seed) for name in POLICIES for seed in POLICY_SEEDS]
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_policy_run, jobs))
    summaries = {}
    for name, _, summary in results:
        summaries.setdefault(name, []).append(summary)
    return {name: {key: float(np.mean([s[key] for s in runs])) for key in runs[0]
                   if isinstance(runs[0][key], (int, float))}
            for name, runs in summaries.items()}


def _s12_run(job: tuple[str, int]) -> tuple[str, int, dict]:
    name, seed = job
    params = with_overrides(Parameters(), {**S12_RUN, **S12[name]})
    return name, seed, run(params, seed=seed).summary


@pytest.fixture(scope="module")
def s12():
    """The three S12 budgets on the default city, seeds 1-8 (common random numbers): name ->
    one summary per seed, in seed order."""
    jobs = [(name, seed) for name in S12 for seed in S12_SEEDS]
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_s12_run, jobs))
    return {name: [summary for n, _, summary in results if n == name] for name in S12}


def test_certainty_of_arrest_deters_more_than_an_equal_cost_rise_in_severity(policies):
    # S7 (Nagin 2013): certainty of apprehension deters, severity much less.
    base, certain, severe = policies["baseline"], policies["certainty"], policies["severity"]
    assert certain["spending_total"] < 1.02 * severe["spending_total"]  # the same money
    assert certain["true_crime_rate"] < 0.92 * base["true_crime_rate"]
    assert certain["true_crime_rate"] < 0.97 * severe["true_crime_rate"]
    # Severity deters little (offenders discount future prison time, offending.sentence_discounting):
    # most of what it averts is incapacitation, bought with many more prisoners.
    assert severe["true_crime_rate"] > 0.9 * base["true_crime_rate"]
    assert severe["prisoners_per_100k"] > 1.3 * base["prisoners_per_100k"]
    # Diminishing returns to police (Chalfin & McCrary 2018): the response of crime to officers
    # stays near the published elasticities (-0.2 to -0.5), not the -0.9 of a linear sentinel.
    elasticity = np.log(certain["true_crime_rate"] / base["true_crime_rate"]) / np.log(195 / 150)
    assert -0.65 < elasticity < -0.2


def test_at_one_budget_a_mix_of_punishment_and_rehabilitation_beats_both_extremes(s12):
    # S12 (Berenji, Chou & D'Orsogna 2014), setup in S12 above and in docs/ODD.md: at one
    # budget, all-punishment buys prison-years that make released prisoners worse, all-leniency
    # loses what sentences deter and incapacitate; the mix beats both, seed by seed.
    def mean(name, key):
        return float(np.mean([summary[key] for summary in s12[name]]))

    justice = {name: sum(mean(name, key) for key in JUSTICE_SPENDING) for name in S12}
    budget = justice["punishment"]
    assert all(abs(spent / budget - 1) < 0.05 for spent in justice.values())
    crime = {name: np.array([summary["true_crime_rate"] for summary in s12[name]]) for name in S12}
    for extreme in ("punishment", "leniency"):
        paired = crime["mix"] / crime[extreme] - 1
        print(f"S12 mix against {extreme}: {np.round(100 * paired, 1)} %, mean {100 * paired.mean():.1f} %")
        assert paired.mean() < -0.02, (extreme, paired)
        assert (paired < 0).sum() >= 6, (extreme, paired)
    # Punishment fills the prisons, leniency empties them; the mix cuts re-arrest.
    assert (mean("punishment", "prisoners_per_100k") > mean("mix", "prisoners_per_100k")
            > mean("leniency", "prisoners_per_100k"))
    assert mean("mix", "rearrest_1y") < mean("punishment", "rearrest_1y") - 0.05
    assert mean("mix", "rearrest_1y") < mean("leniency", "rearrest_1y") - 0.03
