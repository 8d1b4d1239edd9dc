"""The classroom exercise (``/classroom``) and the trainer's page (``/trainer``)."""

from __future__ import annotations

import solara


@solara.component
def ClassroomPage() -> None:
    solara.Info("The classroom exercise is being built.")


@solara.component
def TrainerPage() -> None:
    solara.Info("The trainer page is being built.")
