"""Python-drawn figures of the world corpus (lifelines, matplotlib, journal redraws) and degradations.

:func:`draw_lifelines` draws with lifelines itself (``KaplanMeierFitter.plot_survival_function``
and ``lifelines.plotting.add_at_risk_counts``) and reads the numbers at risk back from the tick
labels lifelines printed; :func:`draw_matplotlib` draws the step plots papers make by hand
with matplotlib (a numbers-at-risk block written as text under the axis; the journal options:
``n=`` and medians in the legend, an inset hazard-ratio box, ``256 (0)`` counts, a bold row
label for a single arm, the table inside the plot as SAS prints it). Each returns the RGB image
and what the program drew: arm names and colours, plot box in pixels, and the printed counts.
:func:`degrade` applies the damage of a figure cut from a paper (JPEG, downscaling, blur,
rotation, a screenshot margin, greyscale), seeded, and moves the plot box with it.
"""

from __future__ import annotations

import re

import cv2
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.transforms import offset_copy  # noqa: E402
from lifelines import CoxPHFitter, KaplanMeierFitter  # noqa: E402
from lifelines.plotting import add_at_risk_counts  # noqa: E402

#: matplotlib's default colour cycle, which lifelines and plain matplotlib figures use.
MATPLOTLIB_COLOURS = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728")


def n_at_risk(ipd: pd.DataFrame, times) -> pd.DataFrame:
    """``arm, time, n_risk, n_censored``: patients with ``time >= t`` (R's ``summary(fit, times)``)
    and censored before ``t``, per arm in drawing order, at every time (0 past an arm's end)."""
    rows = []
    for arm in dict.fromkeys(ipd["arm"]):
        group = ipd[ipd["arm"] == arm]
        time, event = group["time"].to_numpy(float), group["event"].to_numpy(int)
        rows += [(arm, float(t), int(np.sum(time >= t)), int(np.sum((time < t) & (event == 0))))
                 for t in times]
    return pd.DataFrame(rows, columns=["arm", "time", "n_risk", "n_censored"])


def _canvas(width_px: int, height_px: int, dpi: int):
    plt.rcdefaults()
    return plt.figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)


def _finish(fig, ax) -> tuple[np.ndarray, dict]:
    """Render ``fig``; return the RGB image and the plot box of ``ax`` (pixel centres at integers)."""
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].copy()
    box = ax.get_window_extent()
    height = image.shape[0]
    plt.close(fig)
    return image, {"left": round(float(box.x0) - 0.5, 2), "right": round(float(box.x1) - 0.5, 2),
                   "top": round(height - float(box.y1) - 0.5, 2),
                   "bottom": round(height - float(box.y0) - 0.5, 2)}


def _fitters(ipd: pd.DataFrame) -> list[KaplanMeierFitter]:
    return [KaplanMeierFitter(label=arm).fit(ipd.loc[ipd["arm"] == arm, "time"],
                                              ipd.loc[ipd["arm"] == arm, "event"])
            for arm in dict.fromkeys(ipd["arm"])]


def read_lifelines_counts(tick_labels: list[str], arms: list[str], rows: list[str],
                          times) -> dict[str, pd.DataFrame]:
    """The counts lifelines printed under its plot, parsed back from ``add_at_risk_counts``'s tick labels.

    The first tick's label holds the row names with the counts right-aligned beside them; the
    other ticks' labels hold the counts alone, one a line, a blank line between arms.

    Returns
    -------
    dict
        Row name (``"At risk"``, ``"Censored"``, ``"Events"``) -> ``arm, time, n`` frame.
    """
    n_rows = len(rows)
    table = []
    for tick, label in zip(times, tick_labels):
        if tick == times[0]:
            counts = [int(m.group(1)) for m in re.finditer(r"(?:At risk|Censored|Events)\s+(\d+)\s*$",
                                                            label, flags=re.M)]
            if n_rows == 1:  # condensed: "At risk" heading, then "label   n" lines
                counts = [int(line.rsplit(None, 1)[1]) for line in label.splitlines()[1:] if line.strip()]
        else:
            counts = [int(line) for line in label.splitlines() if line.strip()]
        if len(counts) != n_rows * len(arms):
            raise ValueError(f"cannot parse lifelines' counts at {tick}: {label!r}")
        table += [(rows[i % n_rows], arms[i // n_rows], float(tick), c) for i, c in enumerate(counts)]
    frame = pd.DataFrame(table, columns=["row", "arm", "time", "n"])
    return {row: part.drop(columns="row").reset_index(drop=True) for row, part in frame.groupby("row")}


def draw_lifelines(ipd: pd.DataFrame, options: dict) -> tuple[np.ndarray, dict]:
    """Draw ``ipd`` with lifelines: survival functions, optional CI and censor marks, at-risk counts.

    ``options``: ``width, height, dpi, x_max, break_by, xlab, ylab, ci, censor, at_risk_rows``
    (a list of lifelines' row names, or empty for no table), ``legend`` (a matplotlib ``loc`` or
    ``"none"``).
    """
    fig = _canvas(options["width"], options["height"], options["dpi"])
    ax = fig.add_subplot(111)
    fitters = _fitters(ipd)
    for fitter, colour in zip(fitters, MATPLOTLIB_COLOURS):
        fitter.plot_survival_function(ax=ax, ci_show=options["ci"], show_censors=options["censor"],
                                      color=colour)
    breaks = np.arange(0, options["x_max"] + 1e-9, options["break_by"])
    ax.set_xlim(0, options["x_max"])
    ax.set_xticks(breaks)
    ax.set_xlabel(options["xlab"])
    ax.set_ylabel(options["ylab"])
    if options["legend"] == "none":
        ax.get_legend().remove()
    else:
        ax.legend(loc=options["legend"])
    counts = None
    if options["at_risk_rows"]:
        add_at_risk_counts(*fitters, ax=ax, rows_to_show=options["at_risk_rows"], fig=fig)
        fig.tight_layout()
        twin = [other for other in fig.axes if other is not ax][0]
        fig.canvas.draw()
        labels = [label.get_text() for label in twin.get_xticklabels()]
        counts = read_lifelines_counts(labels, [f.label for f in fitters], options["at_risk_rows"],
                                       list(twin.get_xticks()))
    else:
        fig.tight_layout()
    y_limits = [float(limit) for limit in ax.get_ylim()]
    image, box = _finish(fig, ax)
    drawn = {"colours": list(MATPLOTLIB_COLOURS[:len(fitters)]), "plot_box": box,
             "x_limits": [0.0, float(options["x_max"])], "y_limits": y_limits, "breaks": breaks.tolist()}
    if counts is not None and "At risk" in counts:
        drawn["risk_table"] = counts["At risk"].rename(columns={"n": "n_risk"}).to_dict(orient="list")
    return image, drawn


def legend_statistics(ipd: pd.DataFrame, arm: str, unit: str) -> str:
    """``NAME (n=N), median M UNIT`` as journals print it in a legend (``NR`` when not reached)."""
    group = ipd[ipd["arm"] == arm]
    median = KaplanMeierFitter().fit(group["time"], group["event"]).median_survival_time_
    shown = "NR" if not np.isfinite(median) else f"{median:.1f} {unit}"
    return f"{arm} (n={len(group)}), median {shown}"


def hazard_ratio_text(ipd: pd.DataFrame) -> str:
    """``HR 0.72 (95% CI 0.55-0.94)`` of the second arm against the first (Cox model)."""
    arms = list(dict.fromkeys(ipd["arm"]))
    data = ipd.assign(second=(ipd["arm"] == arms[1]).astype(int))[["time", "event", "second"]]
    summary = CoxPHFitter().fit(data, "time", "event").summary.loc["second"]
    return (f"HR {summary['exp(coef)']:.2f} (95% CI {summary['exp(coef) lower 95%']:.2f}-"
            f"{summary['exp(coef) upper 95%']:.2f})\np = {summary['p']:.3g}")


def draw_matplotlib(ipd: pd.DataFrame, options: dict) -> tuple[np.ndarray, dict]:
    """A hand-made matplotlib KM figure: step curves, censor marks, legend, at-risk block as text.

    ``options``: ``width, height, dpi, x_max, break_by, xlab, ylab, colours, line_styles,
    line_width, censor`` (``"+"``, ``"|"`` or None), ``legend`` (a ``loc`` or ``"none"``),
    ``at_risk`` (``"none"``, ``"below"`` or ``"inside"``: SAS's table inside the plot),
    ``count_format`` (``"n"`` or ``"n (censored)"``), ``legend_stats``, ``hazard_ratio``,
    ``row_label_bold``, ``unit``, ``frame``, ``title``, ``font_size``.
    """
    arms = list(dict.fromkeys(ipd["arm"]))
    breaks = np.arange(0, options["x_max"] + 1e-9, options["break_by"])
    plt.rcdefaults()
    plt.rcParams["font.size"] = options["font_size"]
    fig = plt.figure(figsize=(options["width"] / options["dpi"], options["height"] / options["dpi"]),
                     dpi=options["dpi"])
    n_table = len(arms) + 1 if options["at_risk"] == "below" else 0
    line_height = options["font_size"] * 1.45 / 72 * options["dpi"] / options["height"]
    bottom = 0.13 + n_table * line_height
    label_room = (_label_offset_pt(ipd.groupby("arm").size().max(), options) + 0.62 * options["font_size"] * max(map(len, arms))
                  ) / 72 * options["dpi"] / options["width"] if n_table else 0.0
    ax = fig.add_axes((0.11 + label_room, bottom, 0.85 - label_room, 0.92 - bottom
                       - (0.05 if options["title"] else 0)))
    y_floor = -(0.04 + 0.07 * len(arms)) if options["at_risk"] == "inside" else 0.0
    handles = []
    for arm, colour, style in zip(arms, options["colours"], options["line_styles"]):
        group = ipd[ipd["arm"] == arm]
        fitter = KaplanMeierFitter().fit(group["time"], group["event"])
        curve = fitter.survival_function_.iloc[:, 0]
        label = legend_statistics(ipd, arm, options["unit"]) if options["legend_stats"] else arm
        (line,) = ax.step(curve.index, curve.to_numpy(), where="post", color=colour, linestyle=style,
                          linewidth=options["line_width"], label=label)
        handles.append(line)
        censored = np.unique(group.loc[group["event"] == 0, "time"])
        censored = censored[censored <= options["x_max"]]
        if options["censor"] and censored.size:
            ax.plot(censored, fitter.survival_function_at_times(censored), linestyle="none",
                    marker=options["censor"], color=colour, markersize=6)
    ax.set_xlim(0, options["x_max"])
    ax.set_ylim(y_floor, 1.02)
    ax.set_xticks(breaks)
    ax.set_yticks(np.arange(0, 1.01, 0.2))
    ax.set_xlabel(options["xlab"])
    ax.set_ylabel(options["ylab"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(options["frame"])
    if options["title"]:
        ax.set_title(options["title"])
    if options["legend"] != "none":
        ax.legend(handles=handles, loc=options["legend"], frameon=options["frame"])
    if options["hazard_ratio"] and len(arms) == 2:
        ax.text(0.04, 0.06 if options["at_risk"] != "inside" else 0.3, hazard_ratio_text(ipd),
                transform=ax.transAxes, ha="left", va="bottom",
                bbox=dict(boxstyle="square", facecolor="white", edgecolor="black"))
    counts = n_at_risk(ipd, breaks)
    if options["at_risk"] != "none":
        _write_at_risk(ax, counts, arms, options, line_height / ax.get_position().height)
    image, box = _finish(fig, ax)
    drawn = {"colours": [c.upper() for c in options["colours"][:len(arms)]], "plot_box": box,
             "x_limits": [0.0, float(options["x_max"])], "y_limits": [y_floor, 1.02],
             "breaks": breaks.tolist()}
    if options["at_risk"] != "none":
        printed = counts[counts["time"] > 0] if options["at_risk"] == "inside" else counts
        drawn["risk_table"] = printed[["arm", "time", "n_risk"]].to_dict(orient="list")
    return image, drawn


def _label_offset_pt(n_max: int, options: dict) -> float:
    """How far left of time 0 a row label ends: half the widest first count, and a gap."""
    widest = len(str(n_max)) + (4 if options["count_format"] == "n (censored)" else 0)
    return (0.35 * widest + 0.8) * options["font_size"]


def _write_at_risk(ax, counts: pd.DataFrame, arms: list[str], options: dict, row_height: float) -> None:
    """The numbers at risk as text: under the axis (heading, then a row an arm) or inside the plot."""
    inside = options["at_risk"] == "inside"
    transform = ax.get_xaxis_transform()  # x in data, y in axes fractions
    y_floor = ax.get_ylim()[0]
    first_row = (-0.05 - y_floor) / (ax.get_ylim()[1] - y_floor) if inside else -0.16 - row_height * 1.4
    if not inside:
        ax.text(0, first_row + row_height, "No. at risk", transform=transform, ha="right",
                va="center", fontweight="bold")
    for index, arm in enumerate(arms):
        y = first_row - index * (0.07 / (ax.get_ylim()[1] - y_floor) if inside else row_height)
        rows = counts[counts["arm"] == arm]
        colour = "black" if inside else options["colours"][index]
        weight = "bold" if options["row_label_bold"] else "normal"
        label_transform = transform if inside else offset_copy(
            transform, fig=ax.figure, x=-_label_offset_pt(counts["n_risk"].max(), options), units="points")
        ax.text(0, y, arm, transform=label_transform, ha="right" if not inside else "left",
                va="center", color=colour, fontweight=weight,
                fontsize=options["font_size"] * (0.8 if inside else 1))
        for t, n, c in rows[["time", "n_risk", "n_censored"]].itertuples(index=False):
            if inside and t == 0:
                continue  # the arm's name stands there; SAS prints the counts from the next tick
            text = f"{n} ({c})" if options["count_format"] == "n (censored)" else str(n)
            ax.text(t, y, text, transform=transform, ha="center", va="center", color=colour,
                    fontsize=options["font_size"] * (0.8 if inside else 1))


def degrade(image: np.ndarray, plot_box: dict | None, steps: list[dict]) -> tuple[np.ndarray, dict | None]:
    """Apply ``steps`` (each ``{"kind": ..., parameters}``) in order; return the image and moved box.

    Kinds: ``border`` (``pad_px``, ``grey``: a screenshot's margin with a thin frame),
    ``rotate`` (``degrees``, about the centre, white fill; the box becomes None),
    ``downscale`` (``width_px``, area interpolation), ``blur`` (``sigma_px``), ``greyscale``.
    JPEG compression is applied when saving.
    """
    box = None if plot_box is None else dict(plot_box)
    for step in steps:
        kind = step["kind"]
        if kind == "border":
            pad, grey = step["pad_px"], step["grey"]
            image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT,
                                       value=(grey, grey, grey))
            cv2.rectangle(image, (pad // 2, pad // 2),
                          (image.shape[1] - 1 - pad // 2, image.shape[0] - 1 - pad // 2),
                          (150, 150, 150), 1)
            if box:
                box = {side: value + pad for side, value in box.items()}
        elif kind == "rotate":
            height, width = image.shape[:2]
            matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), step["degrees"], 1.0)
            image = cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))
            box = None
        elif kind == "downscale":
            height, width = image.shape[:2]
            scale = step["width_px"] / width
            image = cv2.resize(image, (step["width_px"], max(1, round(height * scale))),
                               interpolation=cv2.INTER_AREA)
            if box:  # pixel centres at integers: x' = (x + 0.5) * scale - 0.5
                box = {side: round((value + 0.5) * scale - 0.5, 2) for side, value in box.items()}
        elif kind == "blur":
            image = cv2.GaussianBlur(image, (0, 0), step["sigma_px"])
        elif kind == "greyscale":
            image = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
        else:
            raise ValueError(f"unknown degradation {kind!r}")
    return image, box


def encode(image: np.ndarray, jpeg_quality: int | None) -> bytes:
    """The image as PNG (most compressed) or as JPEG at ``jpeg_quality``; the same bytes every run."""
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if jpeg_quality:
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
    else:
        ok, data = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise OSError("could not encode the image")
    return data.tobytes()
