"""Calibration by approximate Bayesian computation (ABC-SMC, through pyabc).

Uncertain parameters (the shared specification, `calibration.parameters`) get their priors;
the city is run at proposed values, its runs are seen through the observation model
(`calibration.observation`) and compared with the targets (`calibration.targets`); pyabc's
sequential Monte Carlo keeps the values whose statistics come close to the data, tightening
the tolerance generation by generation (Toni et al. 2009, J. R. Soc. Interface 6: 187-202;
Beaumont et al. 2009, Biometrika 96: 983-990; pyabc: Schaelte et al. 2022, JOSS 7: 4304).

Modules:

* `calibration.abc.models`: the parameter space (priors, names) and the model functions pyabc
  calls (the city, and a linear Gaussian test model with an analytic posterior);
* `calibration.abc.smc`: the distance, the tolerance, the samplers, `calibrate` (a run that
  resumes from its SQLite history) and its output tables;
* `calibration.abc.diagnostics`: posterior summaries, identifiability, correlations,
  posterior predictive checks, and posterior draws for `crimesim compare --posterior`;
* `calibration.abc.report`: figures and the HTML report.

pyabc is imported only by `smc` (it takes seconds to import): the other modules are light.
"""
