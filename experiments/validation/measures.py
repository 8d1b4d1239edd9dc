"""Statistics the validation checks measure on runs, each with its equation.

Pure functions of arrays and tables: nothing here runs the model. Where the model already
computes an indicator (`simulation.indicators`: ``share_blocks_half_crime``,
``repeat_victimisation_share``, the recidivism curve, the cohort's concentration of offending,
the retaliation lag) the checks read it; what no indicator gives is computed here:

* concentration at any share of crime (S1's 25%) from a map of crimes per block;
* the share of victimisations suffered by the most victimised 4% (Farrell & Pease 1993) and how
  soon repeats come (S2);
* Knox ratios of space-time clustering (near repeats, S3; Knox 1964, Johnson et al. 2007);
* the peak of the age-crime curve (S4);
* paired relative differences, elasticities and homicides averted per officer (S7, S12, S13);
* crime on hot spots and in the ring around them, by sector (S8; the ring of
  `simulation.prevention.displacement`);
* the dwell time that gives a patrol unit the most protection (S10; Koper 1995);
* the regimes of Short et al. (2008) and the wavelength of the hotspot pattern against the
  linear stability of their continuum limit;
* conservation: population, custody, money and crime counts that must add up.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numba import njit
from scipy import ndimage

from simulation.indicators import SPENDING_GROUPS, SPENDING_LEVERS
from simulation.params import CRIME_TYPES, Parameters, PoliceParams
from simulation.policing import visit_guardianship, visits_per_day
from simulation.short2008 import Short2008Params, Short2008Result

STREET_CRIMES = tuple(crime for crime in CRIME_TYPES if crime != "domestic")

# -- S1: the law of crime concentration ----------------------------------------------------------


def share_of_blocks_holding(crimes_by_block: np.ndarray, share: float) -> float:
    """Smallest share of blocks that together hold ``share`` of the crime (Weisburd 2015).

    With the blocks' crimes in decreasing order c_(1) >= c_(2) >= ... >= c_(N) and C = sum c:

        k* = min { k : sum_{j <= k} c_(j) >= share * C },   result = k* / N.

    At ``share`` = 0.5 this is `simulation.indicators.crime_concentration`'s second number.
    NaN without crime.
    """
    crimes = np.asarray(crimes_by_block, dtype=float).ravel()
    total = crimes.sum()
    if total <= 0:
        return float("nan")
    cumulative = np.cumsum(np.sort(crimes)[::-1]) / total
    return (int(np.searchsorted(cumulative, share)) + 1) / len(crimes)


def concentration_curve(crimes_by_block: np.ndarray, points: int = 201) -> tuple[np.ndarray, np.ndarray]:
    """Share of crime held by the top x of blocks, for x on [0, 1] (the figure of S1)."""
    crimes = np.sort(np.asarray(crimes_by_block, dtype=float).ravel())[::-1]
    held = np.concatenate([[0.0], np.cumsum(crimes) / max(crimes.sum(), 1e-12)])
    blocks = np.linspace(0, 1, points)
    return blocks, np.interp(blocks * len(crimes), np.arange(len(held)), held)


def annual_maps(days: np.ndarray, blocks: np.ndarray, cells: int, recorded_days: int) -> list[np.ndarray]:
    """Street crimes per block in each whole recorded year (365 days), from crime events."""
    years = recorded_days // 365
    year = days // 365
    return [np.bincount(blocks[year == y], minlength=cells) for y in range(years)]


# -- S2: repeat victimisation --------------------------------------------------------------------


def top_victims_share(victimisations: np.ndarray, top: float = 0.04, people: int | None = None) -> float:
    """Share of victimisations suffered by the most victimised ``top`` of people.

    With the victimisations of each person in decreasing order v_(1) >= v_(2) >= ... and
    k = ceil(top N): result = sum_{i <= k} v_(i) / sum v (Farrell & Pease 1993: ~4% suffer ~40%).
    N is ``people``, or the length of ``victimisations`` (which may hold zeros for others: only
    the top k entries count).
    """
    counts = np.sort(np.asarray(victimisations).ravel())[::-1]
    total = counts.sum()
    if total <= 0:
        return float("nan")
    population = len(counts) if people is None else people
    return float(counts[:int(np.ceil(top * population))].sum() / total)


def revictimisation_rate_ratio(days: np.ndarray, residents: np.ndarray, end_day: int,
                               early: tuple[int, int] = (1, 7),
                               late: tuple[int, int] = (31, 365)) -> float:
    """How much sooner repeats come than the same victims' later risk implies.

    For every victimisation e (resident i_e, day t_e) followed to the end of the late window
    (t_e + late[1] < end_day), count i_e's later victimisations whose delay t - t_e lies in the
    early window (days 1-7) and in the late one (days 31-365):

        ratio = (sum_e n_early(e) / |early|) / (sum_e n_late(e) / |late|),

    the daily rate of revictimisation in the first week over its rate a month to a year later.
    The same victims appear in both windows, so their heterogeneity cancels: 1 means repeats
    are no sooner than chance, above 1 that they come quickly (Farrell & Pease 1993).
    """
    order = np.lexsort((days, residents))
    who, when = np.asarray(residents)[order], np.asarray(days)[order]
    anchor = when + late[1] < end_day
    counts = {"early": 0, "late": 0}
    for offset in range(1, len(who)):
        same = who[offset:] == who[:-offset]
        if not same.any():
            break
        delay = (when[offset:] - when[:-offset])[same & anchor[:-offset]]
        counts["early"] += int(((delay >= early[0]) & (delay <= early[1])).sum())
        counts["late"] += int(((delay >= late[0]) & (delay <= late[1])).sum())
    early_rate = counts["early"] / (early[1] - early[0] + 1)
    late_rate = counts["late"] / (late[1] - late[0] + 1)
    return early_rate / late_rate if late_rate > 0 else float("nan")


# -- S3: near repeats (Knox ratios) --------------------------------------------------------------


@njit(cache=True)
def _knox_pairs(days, rows, cols, max_distance, max_lag):  # pragma: no cover - compiled
    """Pairs of events (days sorted) by Chebyshev distance 0..max_distance and lag 1..max_lag."""
    table = np.zeros((max_distance + 1, max_lag + 1), dtype=np.int64)
    count = len(days)
    for first in range(count):
        for second in range(first + 1, count):
            lag = days[second] - days[first]
            if lag > max_lag:
                break
            if lag == 0:
                continue
            distance = max(abs(rows[second] - rows[first]), abs(cols[second] - cols[first]))
            if distance <= max_distance:
                table[distance, lag] += 1
    return table


def knox_table(days: np.ndarray, blocks: np.ndarray, grid_shape: tuple[int, int],
               max_distance: int = 10, max_lag: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """Observed and expected event pairs by distance (blocks) and time lag (days) (Knox 1964).

    For n events, O[d, k] counts the pairs whose Chebyshev distance is d blocks and whose days
    differ by k (k >= 1). If place and time were independent, a pair would be d apart with
    the share P_S[d] / P of all P = n(n-1)/2 pairs that are d apart (whatever their days) and k
    apart in time with the share P_T[k] / P (whatever their places), so

        E[d, k] = P_S[d] P_T[k] / P,
        P_S[d] = #{pairs at distance d} (from the map of all events),
        P_T[k] = sum_t n_t n_{t+k}       (n_t events on day t).

    Returns (O, E), each of shape (max_distance + 1, max_lag + 1) (column 0 unused). A band's
    Knox ratio is sum O / sum E over its cells: above 1 means more pairs close in space and
    time than chance (near repeats; Johnson & Bowers 2004).
    """
    days = np.asarray(days, dtype=np.int64)
    order = np.argsort(days, kind="stable")
    days, blocks = days[order], np.asarray(blocks, dtype=np.int64)[order]
    height, width = grid_shape
    observed = _knox_pairs(days, blocks // width, blocks % width, max_distance, max_lag)
    count = len(days)
    pairs = count * (count - 1) / 2
    if pairs == 0:
        return observed.astype(float), np.full(observed.shape, np.nan)
    events_map = np.bincount(blocks, minlength=height * width).reshape(grid_shape).astype(float)
    within = np.array([_pairs_within(events_map, radius) for radius in range(max_distance + 1)])
    space = np.diff(np.concatenate([[0.0], within]))
    per_day = np.bincount(days - days.min()).astype(float)
    time = np.zeros(max_lag + 1)
    for lag in range(1, min(max_lag, len(per_day) - 1) + 1):
        time[lag] = float(per_day[:-lag] @ per_day[lag:])
    return observed.astype(float), np.outer(space, time) / pairs


def _pairs_within(events_map: np.ndarray, radius: int) -> float:
    """Unordered pairs of events within Chebyshev distance ``radius`` (same block included):
    (sum_c m_c * box_r(m)_c - sum_c m_c) / 2, box_r the sum over the (2r+1)^2 square (not wrapping)."""
    size = 2 * radius + 1
    box = ndimage.uniform_filter(events_map, size=size, mode="constant", cval=0.0) * size**2
    return float((events_map * np.rint(box)).sum() - events_map.sum()) / 2


def knox_ratio(observed: np.ndarray, expected: np.ndarray, distances: tuple[int, int],
               lags: tuple[int, int]) -> float:
    """Knox ratio of a band: sum O / sum E over distances d0..d1 and lags k0..k1 (inclusive)."""
    rows, columns = slice(distances[0], distances[1] + 1), slice(lags[0], lags[1] + 1)
    expected_pairs = expected[rows, columns].sum()
    return float(observed[rows, columns].sum() / expected_pairs) if expected_pairs > 0 else float("nan")


# -- S4: the age-crime curve ---------------------------------------------------------------------


def peak_offending_age(age_profile: pd.DataFrame) -> float:
    """Mid-point (years) of the 5-year age band with the highest offence rate (17 for 15-19).

    ``age_profile`` is `RunResult.age_profile`: offences per 1,000 person-years by band.
    """
    band = age_profile.loc[age_profile["offence_rate"].idxmax(), "age_band"]
    low = float(str(band).split("-")[0].rstrip("+"))
    return low + 2.0


# -- S7, S12, S13: policy contrasts ------------------------------------------------------------


def period_mean(annual: pd.DataFrame, column: str, years: int | None = None) -> float:
    """Mean of an annual indicator over the first ``years`` recorded years, weighted by their
    days (as `simulation.indicators.summary` averages a whole run)."""
    rows = annual if years is None else annual[annual["year"] <= years]
    values, weights = rows[column].to_numpy(dtype=float), rows["days"].to_numpy(dtype=float)
    known = ~np.isnan(values)
    return float((values[known] * weights[known]).sum() / weights[known].sum()) if known.any() else float("nan")


def relative_difference(treated: float, reference: float) -> float:
    """treated / reference - 1 (e.g. -0.08: 8% less)."""
    return treated / reference - 1.0 if reference else float("nan")


def elasticity(outcome: float, outcome_reference: float, lever: float, lever_reference: float) -> float:
    """Arc elasticity ln(y1 / y0) / ln(x1 / x0) of an outcome y with respect to a lever x."""
    return float(np.log(outcome / outcome_reference) / np.log(lever / lever_reference))


def homicides_averted_per_officer(homicide_rate: float, homicide_rate_reference: float,
                                  officers_per_100k: float, officers_per_100k_reference: float) -> float:
    """Homicides averted a year per extra officer: (h0 - h1) / (o1 - o0), both per 100,000
    residents a year (Chalfin et al.: 0.06-0.1)."""
    return (homicide_rate_reference - homicide_rate) / (officers_per_100k - officers_per_100k_reference)


# -- S8, S9: hot spots, their ring, displacement -------------------------------------------------


def hotspot_blocks(visits: np.ndarray, share: float = 0.02) -> np.ndarray:
    """The blocks hot-spot policing treated: police presence at or above its (1 - share)
    quantile (the top 2%, as tests/test_model.py)."""
    return visits >= np.quantile(visits, 1.0 - share)


def ring_blocks(treated: np.ndarray, radius: int = 2) -> np.ndarray:
    """Untreated blocks within ``radius`` rows and columns of a treated block (the ring of
    `simulation.prevention.displacement`; cut at the city's edge)."""
    square = np.ones((2 * radius + 1,) * 2, dtype=bool)
    return ndimage.binary_dilation(treated, structure=square) & ~treated


def sector_diffusion_share(treated: np.ndarray, neighbourhood: np.ndarray,
                           crimes_treated_run: np.ndarray, crimes_control_run: np.ndarray,
                           radius: int = 2) -> float:
    """Of the sectors whose ring changed, the share where it lost crime (diffusion of benefits).

    For each neighbourhood n with ring blocks R_n: change_n = X1(R_n) - X0(R_n), the ring's
    crimes under the intervention minus the control run. Returns
    #{n : change_n < 0} / #{n : change_n != 0} (NaN if no ring changed).
    """
    ring = ring_blocks(treated, radius)
    changes = [crimes_treated_run[ring & (neighbourhood == n)].sum()
               - crimes_control_run[ring & (neighbourhood == n)].sum()
               for n in np.unique(neighbourhood[ring])]
    changed = [change for change in changes if change != 0]
    return sum(change < 0 for change in changed) / len(changed) if changed else float("nan")


# -- S10: patrol dosage --------------------------------------------------------------------------


def patrol_protection(police: PoliceParams, dwell_minutes: float) -> float:
    """Protection a unit gives in a shift at a given dwell: visits a day x one visit's
    guardianship (Section 7.12.2 of docs/ODD.md)."""
    params = police.model_copy(update={"dwell_minutes": dwell_minutes})
    return visits_per_day(params) * visit_guardianship(params)


def optimal_dwell_minutes(police: PoliceParams, dwells: Sequence[float] | None = None) -> float:
    """The dwell time (minutes, 1-60 by half minutes) that maximises `patrol_protection`
    (Koper 1995: 10-15 minutes); the shortest if several tie."""
    grid = np.arange(1.0, 60.01, 0.5) if dwells is None else np.asarray(dwells, dtype=float)
    protection = np.array([patrol_protection(police, dwell) for dwell in grid])
    return float(grid[int(np.argmax(protection))])


# -- Short et al. (2008) -------------------------------------------------------------------------

HOMOGENEOUS_VARIATION = 0.1
"""Below this spatial coefficient of variation of a quarter's mean A the field is homogeneous
(tests/test_short2008.py: set a < 0.1)."""
STATIONARY_STABILITY = 0.9
"""Above this correlation of the third and fourth quarters' mean A maps, hotspots are
stationary (tests/test_short2008.py: set c > 0.9)."""
REGIMES = ("spatially homogeneous", "stationary hotspots", "dynamic hotspots")


def quarter_variation(result: Short2008Result) -> float:
    """Spatial variation of attractiveness on a quarter's time scale: the mean over the third
    and fourth quarters of the run of CV = sd(A_q) / mean(A_q), A_q the quarter's mean map."""
    return float(np.mean([quarter.std() / quarter.mean() for quarter in result.half_maps]))


def short_regime(result: Short2008Result) -> str:
    """Which regime a run shows:

    * spatially homogeneous if `quarter_variation` < 0.1;
    * else stationary hotspots if the map stability (correlation of the third and fourth
      quarters' mean A, `Short2008Result.map_stability`) >= 0.9;
    * else dynamic hotspots (hotspots that form, move and vanish).
    """
    if quarter_variation(result) < HOMOGENEOUS_VARIATION:
        return REGIMES[0]
    return REGIMES[1] if result.map_stability >= STATIONARY_STABILITY else REGIMES[2]


def continuum_growth_rate(params: Short2008Params, wavenumbers: np.ndarray) -> np.ndarray:
    """Growth rate sigma(k) of a perturbation of wavenumber k (radians per site) of the
    homogeneous state in the continuum limit of Short et al. (2008).

    In lattice units (site spacing 1) the continuum limit is

        dB/dt = D_B lap B - omega B + theta n A,          D_B = eta / (4 dt),
        dn/dt = D div(grad n - 2 n grad A / A) - n A + Gamma,   D = 1 / (4 dt),

    with A = A0 + B and n burglars per site. Its homogeneous state is B = theta Gamma / omega,
    n = Gamma / A. Linearising, a mode exp(sigma t + i k.x) grows at the larger real eigenvalue
    of

        [[-D_B k^2 - omega + theta n,   theta A        ],
         [ 2 D n k^2 / A - n,           -D k^2 - A     ]].
    """
    bar_b = params.equilibrium_dynamic
    bar_a = params.a0 + bar_b
    bar_n = params.gamma / bar_a
    diffusion_b, diffusion_n = params.eta / (4 * params.dt), 1.0 / (4 * params.dt)
    rates = []
    for k in np.atleast_1d(wavenumbers):
        square = k * k
        matrix = np.array([[-diffusion_b * square - params.omega + params.theta * bar_n,
                            params.theta * bar_a],
                           [2 * diffusion_n * bar_n * square / bar_a - bar_n,
                            -diffusion_n * square - bar_a]])
        rates.append(np.linalg.eigvals(matrix).real.max())
    return np.array(rates)


def continuum_wavelength(params: Short2008Params) -> float:
    """Wavelength 2 pi / k* (sites) of the fastest-growing mode of the continuum limit, or NaN
    if the homogeneous state is stable (no k grows): the spacing of hotspots the continuum
    predicts as they form."""
    wavenumbers = np.linspace(1e-3, np.pi, 20_000)
    rates = continuum_growth_rate(params, wavenumbers)
    return float(2 * np.pi / wavenumbers[int(np.argmax(rates))]) if rates.max() > 0 else float("nan")


def radial_power_spectrum(field: np.ndarray) -> np.ndarray:
    """Power of a square periodic field by integer radial wavenumber m = |(m_x, m_y)| (waves
    per side), averaged over the directions, for m = 0 .. size // 2."""
    size = field.shape[0]
    power = np.abs(np.fft.fft2(field - field.mean())) ** 2
    frequency = np.fft.fftfreq(size) * size
    radius = np.rint(np.hypot(*np.meshgrid(frequency, frequency, indexing="ij"))).astype(int).ravel()
    spectrum = np.bincount(radius, weights=power.ravel()) / np.maximum(np.bincount(radius), 1)
    return spectrum[:size // 2 + 1]


def dominant_wavelength(fields: Sequence[np.ndarray]) -> float:
    """Dominant wavelength (sites) of a hotspot pattern: size / m_c, where m_c is the
    power-weighted mean radial wavenumber over the peak of the mean radial power spectrum of
    the fields and its two neighbours (m >= 1)."""
    size = fields[0].shape[0]
    spectrum = np.mean([radial_power_spectrum(field) for field in fields], axis=0)
    peak = 1 + int(np.argmax(spectrum[1:]))
    band = np.arange(max(1, peak - 1), min(len(spectrum) - 1, peak + 1) + 1)
    centre = float((band * spectrum[band]).sum() / spectrum[band].sum())
    return size / centre


def hotspot_count(field: np.ndarray, radius: int = 3, factor: float = 2.0) -> int:
    """Hotspots of a periodic field: local maxima within ``radius`` sites that exceed ``factor``
    times the field's mean."""
    peaks = ndimage.maximum_filter(field, size=2 * radius + 1, mode="wrap")
    return int(((field == peaks) & (field > factor * field.mean())).sum())


# -- conservation --------------------------------------------------------------------------------


def resident_drift(annual: pd.DataFrame, residents: int) -> int:
    """sum over years of |residents at the year's end - residents at the start| (zero in a
    closed population of constant size)."""
    return int((annual["residents"] - residents).abs().sum())


def spending_imbalance(annual: pd.DataFrame) -> float:
    """Largest relative gap, over years, between total spending and the sum of its lines, of
    its pillars and of its dimensions (each should add up to ``spending_total``)."""
    total = annual["spending_total"].to_numpy(dtype=float)
    groups = [[f"spending_{name}" for name in SPENDING_LEVERS],
              [c for c in SPENDING_GROUPS if c.startswith("spending_pillar_")],
              [c for c in SPENDING_GROUPS if c.startswith("spending_dimension_")]]
    gaps = [np.abs(annual[columns].sum(axis=1).to_numpy(dtype=float) - total) / np.maximum(np.abs(total), 1.0)
            for columns in groups]
    return float(np.max(gaps))


def crime_cost_imbalance(annual: pd.DataFrame, params: Parameters) -> float:
    """Largest relative gap, over years, between the cost of crime and each type's true
    offences priced at its unit cost, scaled to a year: sum_type x_type c_type 365 / days."""
    unit = params.costs.crime
    expected = sum(annual[f"true_{crime}"] * getattr(unit, crime) for crime in CRIME_TYPES) \
        * 365 / annual["days"]
    gap = (annual["crime_cost"] - expected).abs() / np.maximum(expected.abs(), 1.0)
    return float(gap.max())


def crime_count_imbalance(daily: pd.DataFrame, crime_map: np.ndarray) -> int:
    """Crimes that do not add up: |street crimes on the map - true street crimes of the daily
    table| + days on which more crimes were recorded than committed, by type."""
    street = int(daily[[f"true_{crime}" for crime in STREET_CRIMES]].to_numpy().sum())
    excess = sum(int((daily[f"recorded_{crime}"] > daily[f"true_{crime}"]).sum()) for crime in CRIME_TYPES)
    return abs(int(crime_map.sum()) - street) + excess
