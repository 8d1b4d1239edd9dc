"""Legitimacy, trust, fear, reporting, police integrity and the victimisation survey.

Small vectorised kernels; `simulation.model.CityModel` decides when they run.

* Trust in the police has two parts: a resident's own trust, moved by his contacts with the
  police (a stop, abuse, a respectful community contact, how fast his call was answered) and
  drifting back to his long-run baseline; and his neighbourhood's shared shock, which falls
  with every abuse incident and bribe seen there and recovers with time. Effective trust is
  their sum, clipped to [0, 1] (procedural justice and legitimacy: Tyler 2006; the policy
  papers' "accountable police").
* Low trust lowers reporting (logistic in trust) and cooperation with investigations, and
  raises offending (legitimacy; cf. Epstein 2002).
* Fear of crime: own recent victimisation, the neighbourhood's victimisation rate, physical
  disorder and the media's amplification of homicides and other violence; fearful residents
  stay home, support mano dura and, if they can pay, want private security.
* Police integrity: abuse per stop or arrest falls with training and oversight and rises with
  military deployment; the corrupt share of officers moves towards an equilibrium set by pay
  and audits; a corrupt officer takes a bribe and voids the arrest.
* The annual victimisation survey, at the end of each recorded year (and at the horizon): a
  random sample asked whether they were victimised during that year; the estimate carries its
  Wilson interval.
"""

from __future__ import annotations

import numpy as np

from simulation.params import PerceptionParams, PoliceParams

TRAINING_EFFECT = 0.7
"""Abuse falls by this share at full training (assumption)."""
OVERSIGHT_EFFECT = 0.5
"""Abuse falls by this share at full civilian oversight (assumption)."""
AUDIT_EFFECT = 0.6
"""The equilibrium corrupt share falls by this share at full internal, and again at full
external, auditing (assumption)."""


def effective_trust(personal: np.ndarray, shock: np.ndarray, neighbourhood: np.ndarray) -> np.ndarray:
    """Trust = clip(personal trust + the neighbourhood's shared shock, 0, 1)."""
    return np.clip(personal + shock[neighbourhood], 0.0, 1.0)


def report_probability(base: np.ndarray, trust: np.ndarray, reference: float, effect: float) -> np.ndarray:
    """P(report) = logistic(logit(base) + effect (trust - reference)); base 1 stays 1."""
    clipped = np.clip(base, 1e-9, 1 - 1e-9)
    logit = np.log(clipped / (1 - clipped)) + effect * (trust - reference)
    return np.where(base >= 1.0, 1.0, 1.0 / (1.0 + np.exp(-logit)))


def legitimacy_factor(trust: np.ndarray, reference: float, effect: float) -> np.ndarray:
    """Motivation multiplier: max(0.1, 1 + effect (reference - trust))."""
    return np.maximum(0.1, 1.0 + effect * (reference - trust))


def cooperation_factor(trust: np.ndarray, reference: float, cooperation: float) -> np.ndarray:
    """Clearance multiplier from witnesses' and victims' cooperation: max(0, 1 + c (trust - ref))."""
    return np.maximum(0.0, 1.0 + cooperation * (trust - reference))


def fear_of_crime(
    victimised_recently: np.ndarray, neighbourhood_rate: np.ndarray, disorder: np.ndarray,
    homicides_per_100k_month: float, violence_per_100k_month: float, params: PerceptionParams,
) -> np.ndarray:
    """fear = clip(f0 + f_own own + f_n rate + f_d disorder + media, 0, 1), where the media's
    salience = intensity x (w_h homicides + w_v robberies and assaults), recent, per 100,000."""
    media = params.media_intensity * (params.media_homicide_weight * homicides_per_100k_month
                                      + params.media_violence_weight * violence_per_100k_month)
    return np.clip(params.fear_base + params.fear_own_victimisation * victimised_recently
                   + params.fear_neighbourhood * neighbourhood_rate
                   + params.fear_disorder * disorder + media, 0.0, 1.0)


def punitive_support(fear: np.ndarray, params: PerceptionParams) -> np.ndarray:
    """Support for mano dura: clip(s0 + s_f fear, 0, 1) per resident (the electorate's demand
    for punitive policy)."""
    return np.clip(params.punitive_support_base + params.punitive_support_fear * fear, 0.0, 1.0)


def private_security_demand(fear: np.ndarray, ses: np.ndarray, params: PerceptionParams) -> np.ndarray:
    """Demand for private security: fear, for households that can pay (SES above threshold)."""
    return np.where(ses > params.security_demand_ses, fear, 0.0)


def abuse_factor(params: PoliceParams, military: bool) -> float:
    """(1 - 0.7 training)(1 - 0.5 oversight), times military_force for soldiers."""
    factor = (1 - TRAINING_EFFECT * params.training) * (1 - OVERSIGHT_EFFECT * params.oversight)
    return factor * (params.military_force if military else 1.0)


def corruption_equilibrium(params: PoliceParams) -> float:
    """base / wage_ratio x (1 - 0.6 internal audits) x (1 - 0.6 external audits), at most 1."""
    return float(min(1.0, params.corruption_base / params.wage_ratio
                     * (1 - AUDIT_EFFECT * params.internal_audits)
                     * (1 - AUDIT_EFFECT * params.external_audits)))


def update_corruption(share: float, params: PoliceParams, months: float = 1.0) -> float:
    """Move the corrupt share towards its equilibrium: exponential with ``corruption_months``."""
    target = corruption_equilibrium(params)
    return float(target + (share - target) * np.exp(-months / params.corruption_months))


def wilson_interval(successes: int, trials: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default)."""
    if trials == 0:
        return float("nan"), float("nan")
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return float(centre - half), float(centre + half)


def victimisation_survey(
    victimised: np.ndarray, eligible: np.ndarray, sample_size: int, rng: np.random.Generator,
) -> dict[str, float]:
    """Ask a simple random sample of eligible residents whether they were victimised.

    Returns the survey estimate with its 95% Wilson interval, and the true share among all
    eligible residents (which a real survey never sees).
    """
    pool = np.flatnonzero(eligible)
    size = min(sample_size, len(pool))
    sample = rng.choice(pool, size=size, replace=False)
    hits = int(victimised[sample].sum())
    low, high = wilson_interval(hits, size)
    return {"survey_victimisation_rate": hits / size if size else float("nan"),
            "survey_ci_low": low, "survey_ci_high": high, "survey_sample": size,
            "true_victimisation_prevalence": float(victimised[pool].mean()) if len(pool) else float("nan")}
