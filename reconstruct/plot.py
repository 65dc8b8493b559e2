"""A picture a person can check: the reconstructed KM curves over the input points, at-risk table below."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from reconstruct.result import Reconstruction, kaplan_meier

#: Line colours of the arms, in order (colour-blind safe, Okabe-Ito).
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def plot_reconstruction(result: Reconstruction, title: str | None = None) -> Figure:
    """Draw each arm's reconstructed KM curve over its input points, with the at-risk table.

    Under the plot, each arm's numbers at risk are printed as
    ``published/reconstructed`` at the table times (one number where they agree).

    Parameters
    ----------
    result : Reconstruction
        From :func:`reconstruct.reconstruct`.
    title : str, optional
        Title over the plot.

    Returns
    -------
    matplotlib.figure.Figure
        Drawn without pyplot (no global state); save it with ``fig.savefig(path)``.
    """
    arms = list(result.arms)
    figure = Figure(figsize=(8, 5.5 + 0.3 * len(arms)), dpi=100)
    grid = figure.add_gridspec(2, 1, height_ratios=[5, 0.6 + 0.35 * len(arms)], hspace=0.25)
    curve_axes = figure.add_subplot(grid[0])
    table_axes = figure.add_subplot(grid[1], sharex=curve_axes)
    end = max(float(arm.curve["time"].max()) for arm in result.arms.values())

    for row, (name, arm) in enumerate(result.arms.items()):
        colour = COLOURS[row % len(COLOURS)]
        curve_axes.scatter(arm.curve["time"], arm.curve["survival"], s=9, color=colour, alpha=0.35,
                           linewidths=0, label=f"{name}: input points")
        event_time, survival = kaplan_meier(arm.ipd["time"], arm.ipd["event"])
        last = float(arm.ipd["time"].max())
        curve_axes.step(np.r_[0.0, event_time, last], np.r_[1.0, survival, survival[-1:] if
                        survival.size else 1.0], where="post", color=colour, linewidth=1.4,
                        label=f"{name}: reconstructed (N={arm.n_total}, events={arm.n_events})")
        censored = arm.ipd.loc[arm.ipd["event"] == 0, "time"].to_numpy(float)
        levels = np.r_[1.0, survival][np.searchsorted(event_time, censored, side="right")]
        curve_axes.plot(censored, levels, "|", color=colour, markersize=5)
        for _, interval in arm.intervals.iterrows():
            published, rebuilt = interval["n_risk_published"], interval["n_risk_reconstructed"]
            text = str(rebuilt) if published == rebuilt else f"{published}/{rebuilt}"
            table_axes.text(interval["time"], -row, text, ha="center", va="center", fontsize=8,
                            color=colour)

    curve_axes.set_ylim(-0.02, 1.02)
    curve_axes.set_xlim(0, end * 1.02)
    curve_axes.set_ylabel("Survival probability")
    curve_axes.grid(alpha=0.3)
    curve_axes.legend(loc="lower left", fontsize=7, frameon=False)
    curve_axes.tick_params(labelbottom=False)
    if title:
        curve_axes.set_title(title)
    table_axes.set_ylim(-len(arms) + 0.5, 0.5)
    table_axes.set_yticks(-np.arange(len(arms)), arms, fontsize=8)
    table_axes.set_xlabel("Time")
    table_axes.set_title("Number at risk (published/reconstructed where they differ)", fontsize=8,
                         loc="left")
    for side in ("top", "right", "left"):
        table_axes.spines[side].set_visible(False)
    table_axes.tick_params(axis="y", length=0, pad=14)
    return figure
