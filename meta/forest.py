"""Forest plots drawn as metafor's ``forest()`` and meta's ``forest.meta()`` draw them.

One row per study: label, events/N per arm, a square sized by the study's
weight in the pooled model with its 95% CI, the estimate and weight in text;
then the pooled diamond, the prediction-interval bar, and a heterogeneity
line (I^2, tau^2 with its Q-profile CI, Q and its p). Hazard ratios on a log
axis.

As in metafor and meta, the x range is chosen from the study CIs and the
pooled CI only (for hazard ratios the narrowest of 1/2..2, 1/5..5, 1/10..10,
1/20..20, 1/100..100 that holds them); anything reaching beyond it (a wide
CI, the prediction interval of a few heterogeneous studies) is cut at the
edge with an arrow head, and its full value is in the text column.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from meta.pooling import CI_LABELS, study_weights  # noqa: E402

#: How each pooled measure is drawn: axis label, exponentiate?, null value.
DISPLAY = {
    "log_hr": ("Hazard ratio (log scale)", "HR", True, 1.0),
    "rmst_difference": ("RMST difference (treatment - control)", "Diff.", False, 0.0),
    "survival_difference": ("Survival difference (treatment - control)", "Diff.", False, 0.0),
}


#: Longest study label drawn in full (longer ones are cut, the tables keep them whole).
MAX_LABEL = 26
#: Hazard-ratio axes tried in turn, narrowest first: upper limit R of [1/R, R] and its labelled
#: ticks (few enough not to overprint on the plot's middle column).
HR_AXES = ((2, (0.5, 0.7, 1, 1.5, 2)), (5, (0.2, 0.5, 1, 2, 5)), (10, (0.1, 0.2, 0.5, 1, 2, 5, 10)),
           (20, (0.05, 0.2, 1, 5, 20)), (100, (0.01, 0.1, 1, 10, 100)))


def _axis_limits(values: np.ndarray, exponentiate: bool, null: float) -> tuple[tuple[float, float], list]:
    """x limits (display scale) holding ``values`` (pooling scale), and the ticks to label.

    Hazard ratios: the narrowest symmetric log range of :data:`HR_AXES` that
    holds them (the widest when none does). Differences: their range with
    the null, padded by 5%, with about five round ticks.
    """
    values = values[np.isfinite(values)]
    if exponentiate:
        reach = np.exp(np.abs(values).max()) if values.size else 1.0
        limit, ticks = next(((r, t) for r, t in HR_AXES if reach <= r), HR_AXES[-1])
        return (1 / limit, limit), list(ticks)
    low, high = (min(values.min(), null), max(values.max(), null)) if values.size else (null - 1, null + 1)
    pad = 0.05 * (high - low or 1.0)
    low, high = low - pad, high + pad
    ticks = matplotlib.ticker.MaxNLocator(5).tick_values(low, high)
    return (low, high), [t for t in ticks if low <= t <= high]


def _intervals(axis, low, high, rows, limits, **style) -> None:
    """Horizontal intervals cut at the x limits, with an arrow head where one is cut."""
    low, high, rows = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (low, high, rows))
    start, end = np.clip(low, *limits), np.clip(high, *limits)
    axis.add_collection(LineCollection(np.stack([np.c_[start, rows], np.c_[end, rows]], axis=1), **style))
    colour = style.get("color", "black")
    for cut, edge, marker in ((low < limits[0], limits[0], "<"), (high > limits[1], limits[1], ">")):
        if cut.any():
            axis.plot(np.full(cut.sum(), edge), rows[cut], marker=marker, markersize=6, color=colour,
                      linestyle="none", clip_on=False)


def _format_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _interval(estimate, low, high, exponentiate) -> str:
    if not np.isfinite(estimate):
        return "not estimable"
    if exponentiate:
        estimate, low, high = np.exp([estimate, low, high])
        return f"{estimate:.2f} [{low:.2f}, {high:.2f}]"
    return f"{estimate:.3g} [{low:.3g}, {high:.3g}]"


def forest_plot(studies: pd.DataFrame, pooled: pd.Series | None, measure: str, treatment: str,
                control: str, title: str = "", time_unit: str = "", counts_reconstructed: bool = False) -> Figure:
    """Draw a forest plot.

    Parameters
    ----------
    studies : DataFrame
        One row per study: ``study, estimate, se, events_treatment, n_treatment,
        events_control, n_control`` (estimate on the pooling scale, e.g. log HR).
    pooled : Series or None
        The pooled row (a row of ``pooled.csv``); None when nothing is pooled.
    measure : str
        A key of :data:`DISPLAY`.
    treatment, control : str
        Arm labels for the column headers.
    title : str
        Figure title.
    time_unit : str
        The unit of the times (``months``), shown on an RMST axis.
    counts_reconstructed : bool
        Whether events and N come from reconstructed IPD (kmipd's own): the
        columns are then marked so, lest a reader take them for the papers'.

    Returns
    -------
    matplotlib.figure.Figure
    """
    axis_label, column_label, exponentiate, null = DISPLAY[measure]
    if measure == "rmst_difference" and time_unit:
        axis_label = f"{axis_label}, {time_unit}"
    k = len(studies)
    transform = np.exp if exponentiate else (lambda value: value)
    estimate = studies["estimate"].to_numpy(dtype=float)
    se = studies["se"].to_numpy(dtype=float)
    estimable = np.isfinite(estimate) & np.isfinite(se) & (se > 0)  # SE 0 (e.g. no event before tau): no weight
    low, high = estimate - 1.959964 * se, estimate + 1.959964 * se
    tau2 = float(pooled["tau2"]) if pooled is not None else 0.0
    weights = np.full(k, np.nan)
    weights[estimable] = study_weights(se[estimable], tau2)

    height = 0.32 * (k + 7) + 1.2
    figure = plt.figure(figsize=(11, height))
    # fixed margins in inches (no tight bounding box: one draw, not two, for big plots)
    grid = figure.add_gridspec(1, 3, width_ratios=[4.2, 4.0, 3.2], wspace=0.02, left=0.02, right=0.98,
                               top=1 - 0.55 / height, bottom=0.75 / height)
    left, middle, right = (figure.add_subplot(grid[0, i]) for i in range(3))
    rows = np.arange(k, 0, -1, dtype=float)
    bottom = -3.2
    for axis in (left, middle, right):
        axis.set_ylim(bottom, k + 1.8)
        axis.tick_params(left=False, labelleft=False)
        for side in ("left", "right", "top"):
            axis.spines[side].set_visible(False)
    for axis in (middle, right):
        axis.patch.set_visible(False)  # let the left column's long lines run across
    for axis in (left, right):
        axis.set_xlim(0, 1)
        axis.axis("off")

    header = k + 1.0
    counts = "events/N\u2020" if counts_reconstructed else "events/N"
    left.text(0.0, header, "Study", fontweight="bold", va="center")
    left.text(0.70, header, f"{treatment}\n{counts}", fontweight="bold", va="center", ha="center", fontsize=8)
    left.text(0.92, header, f"{control}\n{counts}", fontweight="bold", va="center", ha="center", fontsize=8)
    if counts_reconstructed:
        left.text(0.0, bottom + 0.15, "\u2020 reconstructed from the published Kaplan-Meier figures, not the papers' "
                  "own counts", va="bottom", fontsize=8, clip_on=False)
    right.text(0.05, header, f"{column_label} [95% CI]", fontweight="bold", va="center")
    right.text(0.98, header, "Weight", fontweight="bold", va="center", ha="right")
    for row, (_, study), weight, e, lo, hi in zip(rows, studies.iterrows(), weights, estimate, low, high):
        label = str(study["study"])
        left.text(0.0, row, label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1] + "\u2026", va="center")
        left.text(0.70, row, f"{study['events_treatment']}/{study['n_treatment']}", va="center", ha="center")
        left.text(0.92, row, f"{study['events_control']}/{study['n_control']}", va="center", ha="center")
        right.text(0.05, row, _interval(e, lo, hi, exponentiate), va="center")
        right.text(0.98, row, f"{weight:.1f}%" if np.isfinite(weight) else "-", va="center", ha="right")

    extent = [low[estimable], high[estimable]]
    has_pooled = pooled is not None and np.isfinite(pooled.get("estimate", np.nan))
    if has_pooled:
        extent.append([pooled["ci_low"], pooled["ci_high"]])
    limits, ticks = _axis_limits(np.concatenate([np.ravel(part) for part in extent]).astype(float),
                                 exponentiate, null)

    if estimable.any():
        sizes = 4 + 10 * np.sqrt(weights[estimable] / np.nanmax(weights))
        _intervals(middle, transform(low[estimable]), transform(high[estimable]), rows[estimable], limits,
                   color="black", linewidth=1)
        # scatter sizes are areas (points^2); one collection, not one line per study
        middle.scatter(np.clip(transform(estimate[estimable]), *limits), rows[estimable], s=sizes**2,
                       marker="s", color="0.25", zorder=3, linewidths=0)

    if has_pooled:
        center, ci_low, ci_high = (float(pooled[c]) for c in ("estimate", "ci_low", "ci_high"))
        diamond_row = -0.6
        middle.fill(np.clip(transform(np.array([ci_low, center, ci_high, center])), *limits),
                    [diamond_row, diamond_row + 0.35, diamond_row, diamond_row - 0.35], color="black")
        middle.plot([transform(center)] * 2, [diamond_row, k + 0.5], color="0.4", linestyle=":", linewidth=1)
        model = f"RE model\n({pooled['model']}, {CI_LABELS[pooled['ci_method']]})"
        if pooled["model"] == "common":
            model = "Common effect model"
        left.text(0.0, diamond_row, model, fontweight="bold", va="center", linespacing=1.1)
        left.text(0.70, diamond_row, f"{int(studies['events_treatment'].sum())}/{int(studies['n_treatment'].sum())}",
                  va="center", ha="center", fontweight="bold", fontsize=8)
        left.text(0.92, diamond_row, f"{int(studies['events_control'].sum())}/{int(studies['n_control'].sum())}",
                  va="center", ha="center", fontweight="bold", fontsize=8)
        right.text(0.05, diamond_row, _interval(center, ci_low, ci_high, exponentiate), va="center",
                   fontweight="bold")
        right.text(0.98, diamond_row, "100%", va="center", ha="right", fontweight="bold")
        if np.isfinite(pooled.get("pi_low", np.nan)):
            pi_row = -1.5
            _intervals(middle, transform(pooled["pi_low"]), transform(pooled["pi_high"]), pi_row, limits,
                       color="firebrick", linewidth=3, capstyle="butt")
            left.text(0.0, pi_row, "Prediction interval", va="center")
            right.text(0.05, pi_row, _interval(center, pooled["pi_low"], pooled["pi_high"], exponentiate)
                       .split(" ", 1)[1], va="center")
        heterogeneity = (f"Heterogeneity: I\u00b2 = {pooled['i2']:.0f}%, \u03c4\u00b2 = {pooled['tau2']:.3g} "
                         f"[{pooled['tau2_ci_low']:.3g}, {pooled['tau2_ci_high']:.3g}], "
                         f"Q = {pooled['q']:.2f} (df = {int(pooled['q_df'])}), {_format_p(pooled['q_p'])}; "
                         f"test of effect {_format_p(pooled['p_value'])}")
    else:
        heterogeneity = "One study with an estimate: nothing pooled"
    left.text(0.0, -2.5, heterogeneity, va="center", fontsize=9, zorder=10, clip_on=False)

    middle.set_xlim(*limits)
    if exponentiate:
        middle.set_xscale("log")
        middle.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    middle.set_xticks(ticks, [f"{t:g}" for t in ticks])
    middle.plot([null, null], [-1.9, k + 0.6], color="black", linewidth=0.8)  # clear of the text below
    middle.set_xlabel(axis_label, labelpad=26)
    left_side, right_side = (treatment, control) if exponentiate else (control, treatment)
    for x, side, align in ((0.0, left_side, "left"), (1.0, right_side, "right")):
        # below the tick labels, whatever the figure's height
        middle.annotate(f"favours {side}", xy=(x, 0), xycoords="axes fraction", xytext=(0, -24),
                        textcoords="offset points", ha=align, va="top", fontsize=8)
    if title:
        figure.suptitle(title, x=0.02, ha="left", fontweight="bold")
    return figure
