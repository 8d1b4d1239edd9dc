"""Property-based tests: invariants of the model over random valid parameters."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import CityModel, with_overrides, Parameters
from simulation.population import Status

parameters = st.fixed_dictionaries({
    "city.width": st.integers(8, 30),
    "city.height": st.integers(8, 30),
    "city.neighbourhoods": st.integers(1, 9),
    "population.residents": st.integers(100, 2000),
    "population.propensity_sigma": st.floats(0, 3),
    "population.peers": st.integers(0, 6),
    "offending.attempt_rate": st.floats(0, 20),
    "offending.deterrence_exponent": st.floats(0, 5),
    "firearms.availability": st.floats(0, 1),
    "firearms.lethality_armed": st.floats(0, 1),
    "youth.gangs": st.integers(0, 9),
    "youth.recruitment": st.floats(0, 1),
    "youth.retaliation": st.floats(0, 1),
    "prevention.programmes.youth_places_per_100k": st.floats(0, 5000),
    "prevention.programmes.renewal_blocks_per_year": st.floats(0, 500),
    "prevention.programmes.interrupters_per_100k": st.floats(0, 500),
    "prevention.programmes.councils": st.integers(0, 9),
    "prevention.programmes.dv_places_per_100k": st.floats(0, 5000),
    "opportunity.eta": st.floats(0, 1),
    "opportunity.theta": st.floats(0, 5),
    "police.officers_per_100k": st.floats(0, 3000),
    "police.strategy": st.sampled_from(["random", "hotspot"]),
    "justice.court.charge_probability": st.floats(0, 1),
    "justice.court.preparation_days": st.floats(0, 60),
    "justice.court.prosecutors_per_100k": st.floats(0, 100),
    "justice.pretrial.policy": st.sampled_from(["broad", "restricted"]),
    "justice.pretrial.max_days": st.integers(1, 100),
    "justice.sentencing.severity": st.floats(0.1, 10),
    "justice.sentencing.alternatives": st.floats(0, 1),
    "justice.sentencing.adult_age": st.floats(12, 30),
    "justice.prison.capacity_per_100k": st.floats(0, 2000),
    "justice.prison.separation": st.floats(0, 1),
    "justice.reintegration.places_per_100k": st.floats(0, 2000),
    "justice.victims.assistance_places_per_100k": st.floats(0, 5000),
    "reporting.trust_effect": st.floats(0, 10),
    "warmup_days": st.integers(0, 40),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=parameters, seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_for_any_valid_parameters(overrides, seed):
    params = with_overrides(Parameters(), overrides)
    days = 70
    model = CityModel(params, rng=seed, days=days)
    size = model.population.size
    for _ in range(params.warmup_days + days):
        model.step()
        status = model.population.status
        assert model.population.size == size
        assert np.isin(status, list(Status)).all()
        # Everyone held is in exactly one prison, and every inmate is held.
        inmates = np.concatenate([prison.inmates["ids"] for prison in model.prisons.values()])
        assert len(np.unique(inmates)) == len(inmates)
        assert set(inmates.tolist()) == set(np.flatnonzero(status != Status.FREE).tolist())
        pretrial = sum(prison.pretrial for prison in model.prisons.values())
        assert pretrial == (status == Status.PRETRIAL).sum()
    daily = model.indicators.daily
    assert not np.isnan(daily).any()
    assert (daily >= 0).all()
    from simulation.indicators import COLUMN
    from simulation.params import CRIME_TYPES
    for crime in CRIME_TYPES:
        true = daily[:, COLUMN[f"true_{crime}"]]
        assert (daily[:, COLUMN[f"reported_{crime}"]] <= true).all()
        assert (daily[:, COLUMN[f"recorded_{crime}"]] <= true).all()
    assert np.isfinite(model.attractiveness).all() and (model.attractiveness >= 0).all()
    perceived = model.population.perceived_risk
    assert ((perceived >= 0) & (perceived <= 1)).all()
