"""Pooled survival curves per treatment group, with a numbers-at-risk table."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: Colour-blind safe (Okabe-Ito), in arm order.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


#: Most at-risk columns drawn: a printed step that gives more is not followed.
MAX_BREAKS = 16


def pooled_km_plot(curves: pd.DataFrame, ipd: pd.DataFrame, title: str = "", n_ticks: int = 6,
                   time_unit: str = "", break_step: float | None = None) -> Figure:
    """Pooled curve and 95% band of every arm, numbers at risk summed over studies below.

    The curve is the study-stratified average-hazard estimator of
    :func:`meta.pooled_arms.stratified_curve` (never increasing). It is drawn
    up to the longest follow-up of at least two of its arm's studies (of the
    only study, for an arm in one study): beyond that it is one study's
    Kaplan-Meier estimate (the full curve is in the ``pooled_curves`` table).

    Parameters
    ----------
    curves : DataFrame
        ``arm, time, survival, ci_low, ci_high, followed`` (from :func:`meta.pooled_arms.pooled_arms`).
    ipd : DataFrame
        ``study, arm, time, event``, for the numbers at risk.
    title : str
        Figure title.
    n_ticks : int
        Roughly how many time ticks (and at-risk columns), when ``break_step`` is not given.
    time_unit : str
        The unit of the times (``months``), shown on the time axis.
    break_step : float, optional
        Time between the at-risk columns (and ticks), e.g. the step of the
        studies' own printed tables (at most :data:`MAX_BREAKS` columns).

    Returns
    -------
    matplotlib.figure.Figure
    """
    arms = sorted(curves["arm"].unique())
    colours = dict(zip(arms, itertools.cycle(COLOURS)))
    figure = plt.figure(figsize=(9, 6 + 0.25 * len(arms)))
    # room on the left for the at-risk table's arm labels (about 0.1 inch a character)
    left = min(0.4, 0.08 + 0.011 * max(len(arm) for arm in arms))
    grid = figure.add_gridspec(2, 1, height_ratios=[5, 0.6 + 0.3 * len(arms)], hspace=0.25, left=left, right=0.97)
    axis = figure.add_subplot(grid[0])
    table = figure.add_subplot(grid[1], sharex=axis)
    end = 0.0
    for arm, colour in colours.items():
        k = ipd.loc[ipd["arm"] == arm, "study"].nunique()
        curve = curves[(curves["arm"] == arm) & (curves["followed"] >= min(2, k))]
        end = max(end, curve["time"].max())
        axis.step(curve["time"], curve["survival"], where="post", color=colour,
                  label=f"{arm} ({k} stud{'y' if k == 1 else 'ies'})")
        axis.fill_between(curve["time"], curve["ci_low"], curve["ci_high"], step="post", color=colour,
                          alpha=0.15, linewidth=0)
    axis.set_ylim(0, 1.02)
    axis.set_ylabel("Pooled survival probability")
    axis.legend(loc="lower left", frameon=False, alignment="left", title_fontsize=8,
                title="study-stratified (average hazard), 95% band;\n"
                      "drawn while two or more studies are followed up (one-study arms: all)")
    axis.grid(alpha=0.3)
    axis.tick_params(labelbottom=False)
    if break_step and end / break_step < MAX_BREAKS:
        ticks = np.arange(0, end + break_step * 1e-9, break_step)
    else:
        ticks = matplotlib.ticker.MaxNLocator(n_ticks).tick_values(0, end)
    ticks = ticks[(ticks >= 0) & (ticks <= end)]
    axis.set_xlim(0, end * 1.02)
    for row, (arm, colour) in enumerate(colours.items()):
        times = ipd.loc[ipd["arm"] == arm, "time"].to_numpy()
        at_risk = [(times >= tick).sum() for tick in ticks]
        for tick, n in zip(ticks, at_risk):
            table.text(tick, -row, str(n), ha="center", va="center", color=colour, fontsize=9)
    table.set_ylim(-len(arms) + 0.5, 0.5)
    table.set_yticks(-np.arange(len(arms)), arms)
    table.tick_params(axis="y", length=0, pad=24)
    table.set_xticks(ticks)
    table.set_xlabel(f"Time ({time_unit})" if time_unit else "Time")
    table.set_title("Number at risk (all studies)", loc="left", fontsize=9)
    for side in ("top", "right", "left"):
        table.spines[side].set_visible(False)
    if title:
        axis.set_title(title, loc="left", fontweight="bold")
    return figure
