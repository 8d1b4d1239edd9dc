"""The validation suite behind ``crimesim validate``: the model against what criminology knows.

Checks (`experiments.validation.checks.CHECKS`) set numbers the model produces against the
stylized facts S1-S13 of the project's REFERENCE.md (crime concentration, Weisburd 2015; repeat
and near-repeat victimisation, Farrell & Pease 1993, Johnson & Bowers 2004; the age-crime curve,
Farrington 1986; the concentration of offending, Wolfgang, Figlio & Sellin 1972; recidivism, BJS
2014 and 2021; certainty and severity, Nagin 2013; hot-spot policing, Braga et al. 2019;
displacement, Guerette & Bowers 2009; patrol dosage, Koper 1995; violence contagion, Green, Horel
& Papachristos 2017; rehabilitation and punishment, Berenji, Chou & D'Orsogna 2014; police and
homicides, Chalfin et al.), against the regimes of Short et al. (2008) and the continuum limit
of their model, and against the model's own accounting (population, money, crime counts).

Modules: `runs` (the configurations and what a run records), `measures` (the statistics, each
with its equation), `rules` (intervals over replicates and acceptance rules), `checks` (the
registry), `suite` (`validate`: run, measure, write) and `report` (the HTML page).

    from experiments.validation import validate
    table = validate("validation-out", quick=True, workers=2)
"""

from experiments.validation.checks import CHECK_IDS, CHECKS, Check
from experiments.validation.suite import (
    COLUMNS,
    HELP,
    HELP_CHECKS,
    HELP_OUT,
    HELP_QUICK,
    HELP_SEED,
    HELP_WORKERS,
    ROOT_SEED,
    ValidationOptionError,
    parse_checks,
    select_checks,
    summary_line,
    validate,
)

__all__ = ["CHECKS", "CHECK_IDS", "COLUMNS", "Check", "HELP", "HELP_CHECKS", "HELP_OUT", "HELP_QUICK",
           "HELP_SEED", "HELP_WORKERS", "ROOT_SEED", "ValidationOptionError", "parse_checks",
           "select_checks", "summary_line", "validate"]
