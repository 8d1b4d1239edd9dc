"""The app's settings, handed from ``crimesim app`` to the Solara server through the environment.

``crimesim app`` starts Solara's server in a child process; the options it was given (city
size, seed, the classroom's folder and the trainer's code) reach the app as ``CRIMESIM_APP_*``
environment variables, read once per process by `AppConfig.from_environment`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PREFIX = "CRIMESIM_APP_"


@dataclass(frozen=True)
class AppConfig:
    """What the trainer chose when starting the app.

    Attributes:
        residents: residents of the city the app opens with.
        seed: the seed the app opens with (the seed box changes it).
        years: horizon shown in the reproduce-this-run command.
        classroom_residents: residents of the classroom exercise's city.
        classroom_directory: where the classroom keeps every student's game.
        trainer_code: the code that opens the trainer page.
        classroom_seed: the seed of every student's city (one city for the whole class).
    """

    residents: int = 25_000
    seed: int = 0
    years: float = 10.0
    classroom_residents: int = 25_000
    classroom_directory: Path = Path("crimesim-classroom")
    trainer_code: str = ""
    classroom_seed: int = 0

    def environment(self) -> dict[str, str]:
        """These settings as environment variables for the server's process."""
        return {
            f"{PREFIX}RESIDENTS": str(self.residents),
            f"{PREFIX}SEED": str(self.seed),
            f"{PREFIX}YEARS": str(self.years),
            f"{PREFIX}CLASSROOM_RESIDENTS": str(self.classroom_residents),
            f"{PREFIX}CLASSROOM_DIRECTORY": str(self.classroom_directory),
            f"{PREFIX}TRAINER_CODE": self.trainer_code,
            f"{PREFIX}CLASSROOM_SEED": str(self.classroom_seed),
        }

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> AppConfig:
        environ = os.environ if environ is None else environ
        default = cls()

        def get(name: str, kind, fallback):
            text = environ.get(PREFIX + name)
            return fallback if text in (None, "") else kind(text)

        return cls(
            residents=get("RESIDENTS", int, default.residents),
            seed=get("SEED", int, default.seed),
            years=get("YEARS", float, default.years),
            classroom_residents=get("CLASSROOM_RESIDENTS", int, default.classroom_residents),
            classroom_directory=get("CLASSROOM_DIRECTORY", Path, default.classroom_directory),
            trainer_code=environ.get(PREFIX + "TRAINER_CODE", default.trainer_code),
            classroom_seed=get("CLASSROOM_SEED", int, default.classroom_seed),
        )
