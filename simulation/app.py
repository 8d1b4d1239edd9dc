"""The teaching app: a browser city for public-security management courses (Solara).

Pages:

* ``/`` — the city: levers grouped by the five pillars, presets, budget meter, live map,
  charts, monitors, an Info tab for trainers and a seed box that reproduces a command-line run;
* ``/classroom`` — the exercise: each student governs the city for five years, setting the
  levers once a year, then a debrief against the punitive and comprehensive presets;
* ``/trainer`` — every student's results side by side and as CSV, behind the trainer's code.

Start it with ``crimesim app`` (which runs ``solara run simulation.app --production``); the
components live in `simulation.appkit`. Mesa's SolaraViz is not used: its controls are one
flat list of model arguments (no pillars, presets or budget), and its map and charts redraw
with matplotlib or altair, too slow for a city animated on two cores.
"""

from __future__ import annotations

import solara

from simulation.appkit.citypage import CityPage
from simulation.appkit.classroompage import ClassroomPage, TrainerPage

routes = [
    solara.Route(path="/", component=CityPage, label="City"),
    solara.Route(path="classroom", component=ClassroomPage, label="Classroom"),
    solara.Route(path="trainer", component=TrainerPage, label="Trainer"),
]
