"""crimesim's city model: residents as arrays, institutions as Mesa agents, one step a day.

The one entry point for experiments is `run` (parameters, seed) -> `RunResult`.
"""

from simulation.model import CityModel
from simulation.params import ParameterError, Parameters, validate, with_overrides
from simulation.run import RunResult, run

__all__ = ["CityModel", "ParameterError", "Parameters", "RunResult", "run", "validate", "with_overrides"]
