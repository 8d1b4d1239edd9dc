"""Figures of a run (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from simulation.params import CRIME_TYPES  # noqa: E402
from simulation.run import RunResult  # noqa: E402

COLOURS = {"property": "#4e79a7", "robbery": "#f28e2b", "assault": "#e15759",
           "homicide": "#000000", "domestic": "#b07aa1"}


def plot_run(result: RunResult, path: Path) -> None:
    """Four panels: crime by type, true vs reported vs recorded, arrests and prisoners, crime map."""
    daily = result.daily.copy()
    daily["month"] = daily["day"] * 12 // 365
    monthly = daily.groupby("month").sum(numeric_only=True)
    figure, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    axis = axes[0, 0]
    for crime in CRIME_TYPES:
        axis.plot(monthly.index, monthly[f"true_{crime}"], label=crime, color=COLOURS[crime])
    axis.set(title="True crimes per month, by type", xlabel="month", ylabel="crimes")
    axis.legend(fontsize=8)
    axis = axes[0, 1]
    for level, style in (("true", "-"), ("reported", "--"), ("recorded", ":")):
        total = monthly[[f"{level}_{c}" for c in CRIME_TYPES]].sum(axis=1)
        axis.plot(monthly.index, total, style, label=level, color="#333333")
    axis.set(title="True, reported and recorded crime (the dark figure)", xlabel="month",
             ylabel="crimes per month")
    axis.legend(fontsize=8)
    axis = axes[1, 0]
    axis.plot(monthly.index, monthly["arrests"], label="arrests per month", color="#59a14f")
    axis.set(title="Arrests and prisoners", xlabel="month", ylabel="arrests per month")
    twin = axis.twinx()
    twin.plot(daily["day"] * 12 / 365, daily["prisoners"], color="#9c755f",
              label="prisoners (pre-trial included)")
    twin.plot(daily["day"] * 12 / 365, daily["pretrial"], ":", color="#9c755f", label="pre-trial")
    twin.set_ylabel("residents held")
    axis.legend(loc="upper left", fontsize=8)
    twin.legend(loc="upper right", fontsize=8)
    axis = axes[1, 1]
    image = axis.imshow(np.log1p(result.crime_map), cmap="magma", interpolation="nearest")
    axis.set(title="Street crime per block over the run (log scale)", xticks=[], yticks=[])
    figure.colorbar(image, ax=axis, label="log(1 + crimes)")
    figure.suptitle(f"crimesim run, seed {result.seed}, {result.summary['residents']:,} residents, "
                    f"{result.summary['days']} days")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, format="png")
    plt.close(figure)
