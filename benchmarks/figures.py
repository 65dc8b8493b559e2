"""Draw Kaplan-Meier figures from IPD in the styles journals print, with a record of the truth.

The digitizer's benchmark and tests need figures whose true curves are known
exactly. :func:`draw_km_figure` draws the Kaplan-Meier estimate of real IPD
(see :mod:`benchmarks.datasets`) with matplotlib in the look of the tools that
make published figures (R survminer and base graphics, SAS, GraphPad Prism,
Stata, lifelines, plain matplotlib) and returns the RGB image with a truth
record: the exact step corners of each arm, the censor times, the numbers at
risk, the axis limits and ticks, and the pixel box of the plotting region.

Every figure is rendered at an exact pixel size (``width_px`` x ``height_px``)
with no automatic cropping, so the plot-area box read back from matplotlib is
the box in the saved image. Line widths and font sizes are given in pixels and
converted to points at the figure's DPI.
"""

from __future__ import annotations

import dataclasses
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.statistics import multivariate_logrank_test  # noqa: E402

from benchmarks.km_points import at_risk_table, km_step_corners, table_times  # noqa: E402

#: Days in each time unit, to convert a dataset's times to the unit printed on a figure.
DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25}


@dataclass(frozen=True)
class FigureStyle:
    """How one figure looks. Families set sensible defaults; see :data:`FAMILIES`.

    Parameters
    ----------
    family : str
        The program imitated: ``"survminer"``, ``"ggplot_grey"``, ``"base_r"``, ``"sas"``,
        ``"prism"``, ``"stata"``, ``"lifelines"``, ``"matplotlib"``; or the R program that
        really draws the figure: ``"r_survminer"``, ``"r_base"`` (:func:`draw_r_figure`).
    width_px, height_px : int
        Size of the image in pixels.
    dpi : int
        Dots per inch at which fonts and lines are rasterised.
    colours : tuple of str
        Line colour of each arm (hex), used in order.
    line_styles : tuple of str
        Matplotlib line style of each arm, cycled.
    line_width_px : float
        Width of the survival curves in pixels.
    axis_width_px : float
        Width of the axis lines and frame in pixels.
    font : str
        Font family of all text.
    font_size_px : float
        Height of the tick-label font in pixels (em size).
    bold : bool
        Bold tick labels and axis titles (GraphPad Prism's look).
    panel_colour, figure_colour : str
        Background of the plotting region and of the whole image.
    grid : str
        ``"none"``, ``"major"`` (grey lines), ``"white"`` (white lines on a grey panel, ggplot2's
        theme_grey), or ``"y"`` (horizontal lines only, Stata's look).
    frame : bool
        A full box around the plotting region; otherwise L-shaped axes.
    censor_marker : str or None
        ``"+"``, ``"|"`` or None for no censor marks.
    bands : bool
        Draw the 95% pointwise confidence band as a light fill.
    legend : str
        ``"inside"`` (upper right of the plot), ``"top"`` (above the plot), ``"right"``
        (right of the plot), ``"bottom"`` (under the plot, above any risk table), ``"none"``.
    risk_table : bool
        Print the numbers at risk under the plot, one row per arm, at the x ticks.
    y_percent : bool
        Y axis labelled 0-100 instead of 0-1.
    y_tick_step : float
        Spacing of the y ticks as a probability (0.2, 0.25, 0.5, ...).
    y_min : float
        Lowest survival on the y axis (a probability; 0 unless the curves stay high).
    x_end : str
        ``"beyond"``: the x axis ends at the first tick past the last time; ``"at"``: it ends at
        the last time; ``"before"``: it ends at a tick well before the last time, cutting the
        curves off there (the truth is cut off too).
    axis_padding : float
        Share of each axis range added beyond the data limits (0.04 in base R, 0.05 in
        matplotlib's default), so that time 0 is not on the y axis line.
    y_labels_rotated : bool
        Y tick labels written vertically, parallel to the axis (base R's and Stata's default).
    title : str or None
        Title printed above the plot.
    log_rank : bool
        Print the log-rank test's p value inside the plot, at the lower left.
    jpeg_quality : int or None
        Save as JPEG at this quality; PNG when None.
    """

    family: str
    width_px: int = 900
    height_px: int = 650
    dpi: int = 100
    colours: tuple[str, ...] = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")
    line_styles: tuple[str, ...] = ("-",)
    line_width_px: float = 2.0
    axis_width_px: float = 1.0
    font: str = "DejaVu Sans"
    font_size_px: float = 14.0
    bold: bool = False
    panel_colour: str = "#ffffff"
    figure_colour: str = "#ffffff"
    grid: str = "none"
    frame: bool = True
    censor_marker: str | None = "+"
    bands: bool = False
    legend: str = "inside"
    risk_table: bool = False
    y_percent: bool = False
    y_tick_step: float = 0.2
    y_min: float = 0.0
    x_end: str = "beyond"
    axis_padding: float = 0.0
    y_labels_rotated: bool = False
    title: str | None = None
    log_rank: bool = False
    jpeg_quality: int | None = None

    def but(self, **changes) -> "FigureStyle":
        """A copy of this style with some fields changed."""
        return dataclasses.replace(self, **changes)


#: One default style per program imitated; figures vary these with :meth:`FigureStyle.but`.
FAMILIES = {
    # survminer::ggsurvplot defaults: theme_survminer (L axes, no grid), legend on top,
    # `+` censor marks, ggplot2 hue colours, risk table under the plot.
    "survminer": FigureStyle(
        family="survminer", colours=("#F8766D", "#00BFC4", "#7CAE00", "#C77CFF"),
        line_width_px=2.0, axis_width_px=1.5, font_size_px=15, frame=False, legend="top",
        risk_table=True, y_tick_step=0.25, axis_padding=0.03),
    # ggplot2 theme_grey: grey panel with white grid lines, legend on the right.
    "ggplot_grey": FigureStyle(
        family="ggplot_grey", colours=("#E7B800", "#2E9FDF", "#FC4E07", "#868686"),
        line_width_px=2.0, font_size_px=14, panel_colour="#EBEBEB", grid="white", frame=False,
        axis_width_px=0.0, legend="right", y_tick_step=0.25, axis_padding=0.03),
    # base R plot(survfit(...)): black/grey, L axes (bty = "l"), `|` censor ticks, 4% padding.
    "base_r": FigureStyle(
        family="base_r", colours=("#000000", "#9E9E9E", "#DF536B", "#2297E6"),
        line_width_px=1.5, font_size_px=15, frame=False, censor_marker="|", legend="inside",
        axis_padding=0.04),
    # SAS PROC LIFETEST (ODS graphics, HTMLBlue style): boxed plot, `+` censors, title,
    # legend under the plot, numbers at risk.
    "sas": FigureStyle(
        family="sas", colours=("#445694", "#A23A2E", "#01665E", "#9D3CDB"),
        line_width_px=1.5, font_size_px=13, figure_colour="#ffffff", frame=True, legend="bottom",
        risk_table=True, title="Product-Limit Survival Estimates", axis_padding=0.02),
    # GraphPad Prism: thick L axes, bold text, percent survival, thick lines, legend at right.
    "prism": FigureStyle(
        family="prism", colours=("#000000", "#E41A1C", "#0000FF", "#008000"),
        line_width_px=3.0, axis_width_px=3.0, font_size_px=16, bold=True, frame=False,
        censor_marker="|", legend="right", y_percent=True, y_tick_step=0.25),
    # Stata sts graph (s2color scheme): blue-grey surround, horizontal grid, title.
    "stata": FigureStyle(
        family="stata", colours=("#1A476F", "#90353B", "#55752F", "#E37E00"),
        line_width_px=2.0, font_size_px=14, figure_colour="#EAF2F3", grid="y", frame=True,
        censor_marker=None, legend="bottom", title="Kaplan-Meier survival estimates",
        y_tick_step=0.25),
    # lifelines' own KaplanMeierFitter.plot_survival_function: matplotlib defaults, CI bands.
    "lifelines": FigureStyle(family="lifelines", bands=True, axis_padding=0.0),
    # A hand-made matplotlib step plot with the default 5% margins.
    "matplotlib": FigureStyle(family="matplotlib", censor_marker=None, axis_padding=0.05),
    # Real R figures (draw_r_figure): survminer::ggsurvplot and base R plot(survfit(...)).
    "r_survminer": FigureStyle(family="r_survminer", colours=("#F8766D", "#00BFC4", "#7CAE00",
                                                              "#C77CFF"),
                               frame=False, legend="top", risk_table=True),
    "r_base": FigureStyle(family="r_base", colours=("#000000", "#DF536B", "#2297E6", "#61D04F"),
                          frame=False, legend="inside"),
}


def convert_time(ipd: pd.DataFrame, from_unit: str, to_unit: str) -> pd.DataFrame:
    """IPD with ``time`` converted between ``"days"``, ``"weeks"``, ``"months"`` and ``"years"``."""
    factor = DAYS_PER_UNIT[from_unit] / DAYS_PER_UNIT[to_unit]
    return ipd.assign(time=ipd["time"] * factor)


def _tick_label(value: float) -> str:
    return f"{value:g}"


def _points(pixels: float, dpi: int) -> float:
    return pixels * 72.0 / dpi


def draw_km_figure(ipd: pd.DataFrame, style: FigureStyle, *, time_label: str = "Time",
                   max_x_ticks: int = 7) -> tuple[np.ndarray, dict]:
    """Draw the Kaplan-Meier curves of ``ipd`` in ``style``.

    Parameters
    ----------
    ipd : pandas.DataFrame
        Columns ``arm, time, event`` with times already in the unit to print. Arms are drawn in
        order of first appearance.
    style : FigureStyle
        The look of the figure.
    time_label : str
        The x axis title, e.g. ``"Time (months)"``.
    max_x_ticks : int
        At most this many intervals between x ticks.

    Returns
    -------
    image : numpy.ndarray
        ``(height_px, width_px, 3)`` uint8 RGB.
    truth : dict
        JSON-ready record: ``arms`` (name, colour, ``km``: the step corners as ``time`` and
        ``survival`` lists, in the ``curves.csv`` layout; ``censor_times``, ``n``), ``at_risk``
        (``arm, time, n_risk`` lists at the x ticks within each arm's follow-up), ``x_limits``,
        ``y_limits`` (printed units), ``x_ticks``, ``y_ticks`` (printed values), ``y_percent``,
        ``plot_area`` (``left, top, right, bottom``: where the data limits fall, in pixel
        coordinates with pixel centres at integers and row 0 at the top; drawn axis lines may
        sit up to a pixel off, as matplotlib snaps straight lines to the pixel grid), and the
        style's fields.
    """
    image, (truth,) = draw_km_panels([ipd], style, time_label=time_label, max_x_ticks=max_x_ticks)
    return image, truth


def draw_km_panels(ipds: list[pd.DataFrame], style: FigureStyle, *, time_label: str = "Time",
                   max_x_ticks: int = 7) -> tuple[np.ndarray, list[dict]]:
    """Draw several Kaplan-Meier plots side by side, as panels A, B, ... of one figure.

    Each panel is ``style.width_px / len(ipds)`` wide and is lettered at its top left when
    there is more than one. Parameters as :func:`draw_km_figure`.

    Returns
    -------
    image : numpy.ndarray
        The whole figure, ``(height_px, width_px, 3)`` uint8 RGB.
    truths : list of dict
        One record per panel, left to right, as :func:`draw_km_figure`'s (plot areas in the
        whole image's pixels).
    """
    dpi = style.dpi
    font_pt = _points(style.font_size_px, dpi)
    bold = "bold" if style.bold else "normal"
    plt.rcdefaults()
    rc = {"font.family": style.font, "font.size": font_pt, "font.weight": bold,
          "axes.labelweight": bold, "axes.linewidth": _points(style.axis_width_px, dpi),
          "xtick.major.width": _points(max(style.axis_width_px, 1.0), dpi),
          "ytick.major.width": _points(max(style.axis_width_px, 1.0), dpi),
          "xtick.major.size": _points(style.font_size_px * 0.4, dpi),
          "ytick.major.size": _points(style.font_size_px * 0.4, dpi),
          "legend.fontsize": font_pt, "axes.titlesize": font_pt * 1.15}
    with plt.rc_context(rc):
        fig = plt.figure(figsize=(style.width_px / dpi, style.height_px / dpi), dpi=dpi,
                         facecolor=style.figure_colour)
        panels = fig.subfigures(1, len(ipds), squeeze=False, facecolor=style.figure_colour)[0]
        drawn = [_draw_panel(panel, ipd, style, style.width_px / len(ipds), time_label,
                             max_x_ticks) for panel, ipd in zip(panels, ipds)]
        if len(ipds) > 1:
            for letter, panel in zip("ABCDEFGH", panels):
                panel.text(0.02, 0.99, letter, ha="left", va="top", fontweight="bold",
                           fontsize=font_pt * 1.5)
        fig.canvas.draw()
        image = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].copy()
        plt.close(fig)
    height = image.shape[0]
    truths = []
    for ax, truth in drawn:
        box = ax.get_window_extent()
        # matplotlib's display coordinates put pixel centres at half-integers and count rows up
        truth["plot_area"] = {"left": round(float(box.x0) - 0.5, 2), "right": round(float(box.x1) - 0.5, 2),
                              "top": round(height - float(box.y1) - 0.5, 2),
                              "bottom": round(height - float(box.y0) - 0.5, 2)}
        truths.append(truth)
    return image, truths


def _draw_panel(panel, ipd: pd.DataFrame, style: FigureStyle, width_px: float, time_label: str,
                max_x_ticks: int):
    """Draw one KM plot into a (sub)figure ``width_px`` wide; return its axes and truth record."""
    arm_names = [str(name) for name in dict.fromkeys(ipd["arm"])]
    y_scale = 100.0 if style.y_percent else 1.0
    t_last = float(ipd["time"].max())
    x_step = float(np.diff(table_times(ipd, max_x_ticks)[:2])[0])  # a round step, as journals use
    x_max = {"beyond": np.ceil(t_last / x_step - 1e-9) * x_step, "at": t_last,
             "before": np.floor(0.8 * t_last / x_step) * x_step}[style.x_end]
    x_ticks = np.arange(0.0, x_max + 1e-9 * x_max, x_step)
    y_ticks = np.round(np.arange(style.y_min, 1.0 + 1e-9, style.y_tick_step) * y_scale, 6)
    x_pad, y_pad = style.axis_padding * x_max, style.axis_padding * y_scale * (1 - style.y_min)
    x_limits = (-x_pad, x_max + x_pad)
    y_limits = (style.y_min * y_scale - y_pad, y_scale + y_pad)

    ax, table_ax = _layout(panel, style, arm_names, width_px)
    ax.set_facecolor(style.panel_colour)
    arms = arms_truth(ipd, style, end=x_max if style.x_end == "before" else None)
    handles = [_draw_arm(ax, ipd[ipd["arm"] == arm["name"]], style, arm["colour"],
                         style.line_styles[index % len(style.line_styles)], y_scale)
               for index, arm in enumerate(arms)]
    ax.set_xlim(*x_limits)
    ax.set_ylim(*y_limits)
    ax.set_xticks(x_ticks, [_tick_label(v) for v in x_ticks])
    ax.set_yticks(y_ticks, [_tick_label(v) for v in y_ticks],
                  rotation=90 if style.y_labels_rotated else 0, va="center")
    ax.set_xlabel(time_label)
    ax.set_ylabel("Survival (%)" if style.y_percent else "Survival probability")
    _decorate(ax, style)
    _legend(ax, style, handles)
    at_risk = at_risk_table(ipd, x_ticks)
    if table_ax is not None:
        _draw_risk_table(table_ax, at_risk, arms, x_limits, style)
    if style.title:
        ax.set_title(style.title)
    if style.log_rank:
        p_value = multivariate_logrank_test(ipd["time"], ipd["arm"], ipd["event"]).p_value
        ax.text(0.04, 0.05, f"Log-rank p = {p_value:.2g}" if p_value >= 1e-4
                else "Log-rank p < 0.0001", transform=ax.transAxes, ha="left", va="bottom")
    return ax, _truth_record(
        arms, style, at_risk=at_risk.to_dict(orient="list"),
        x_limits=[float(v) for v in x_limits], y_limits=[float(v) for v in y_limits],
        x_ticks=[float(v) for v in x_ticks], y_ticks=[float(v) for v in y_ticks])


def _truth_record(arms: list[dict], style: FigureStyle, *, at_risk=None, x_limits=None,
                  y_limits=None, x_ticks=None, y_ticks=None, plot_area=None) -> dict:
    """The truth record of a figure; what the drawing program chose itself is None."""
    return {"arms": arms, "at_risk": at_risk, "x_limits": x_limits, "y_limits": y_limits,
            "x_ticks": x_ticks, "y_ticks": y_ticks, "plot_area": plot_area,
            "y_percent": style.y_percent, "n_arms": len(arms), "style": dataclasses.asdict(style)}


#: The R script drawing real survminer and base-R figures (see :func:`draw_r_figure`).
R_SCRIPT = Path(__file__).with_name("r") / "km_figures.R"


def draw_r_figure(ipd: pd.DataFrame, style: FigureStyle, *, time_label: str = "Time",
                  rscript: str = "Rscript") -> tuple[np.ndarray, dict]:
    """Draw the Kaplan-Meier curves of ``ipd`` with R itself (survminer or base graphics).

    Only needed to regenerate the committed R figures; nothing else in kmipd needs R. The
    style's ``family`` (``"r_survminer"`` or ``"r_base"``), size, ``dpi`` (R's ``res``),
    colours, ``y_percent``, censor marks, bands, risk table, ``frame`` (base R's ``bty``) and
    ``grid == "white"`` (ggplot2's theme_grey) are passed on; R chooses the rest (fonts, line
    widths, ticks, layout), so the truth has no ticks, limits or plot-area box.

    Returns
    -------
    image, truth
        As :func:`draw_km_figure`.
    """
    if style.family == "r_survminer":
        look = "survminer_grey" if style.grid == "white" else "survminer"
    else:
        look = "base_boxed" if style.frame else "base"
    flags = [style.y_percent, style.censor_marker is not None, style.bands, style.risk_table]
    with tempfile.TemporaryDirectory() as folder:
        ipd_csv, png = Path(folder) / "ipd.csv", Path(folder) / "figure.png"
        ipd.to_csv(ipd_csv, index=False)
        subprocess.run([rscript, str(R_SCRIPT), str(ipd_csv), str(png), look,
                        str(style.width_px), str(style.height_px), str(style.dpi), time_label,
                        ",".join(style.colours), *(str(int(flag)) for flag in flags)],
                       check=True, capture_output=True)
        image = cv2.cvtColor(cv2.imread(str(png), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return image, r_figure_truth(ipd, style)


def r_figure_truth(ipd: pd.DataFrame, style: FigureStyle) -> dict:
    """The truth record of an R figure, which needs no R: the arms are computed in Python."""
    return _truth_record(arms_truth(ipd, style), style)


def _layout(panel, style: FigureStyle, arm_names: list[str], width: float):
    """Place the plot axes (and the risk-table axes) in a (sub)figure with margins in pixels."""
    height, font = style.height_px, style.font_size_px
    name_width = font * 0.7 * max(len(name) for name in arm_names)  # generous for bold fonts
    left = font * 5.5 + (name_width if style.risk_table else 0)
    right = font * 1.5 + (name_width + font * 3.5 if style.legend == "right" else 0)
    top = font * (1.2 + (2.0 if style.title else 0) + (3.5 if style.legend == "top" else 0))
    table = font * (2.2 + 1.4 * len(arm_names)) if style.risk_table else 0.0
    legend_below = font * 2.2 if style.legend == "bottom" else 0.0
    bottom = font * 3.8 + legend_below + table
    plot_height = height - top - bottom
    if plot_height < height * 0.3 or width - left - right < width * 0.4:
        raise ValueError(f"{width}x{height} px is too small for {style.font_size_px} px text")
    ax = panel.add_axes((left / width, bottom / height, (width - left - right) / width,
                       plot_height / height))
    table_ax = None
    if style.risk_table:
        table_ax = panel.add_axes((left / width, font * 0.6 / height, (width - left - right) / width,
                                 (table - font * 1.6) / height))
    return ax, table_ax


def arms_truth(ipd: pd.DataFrame, style: FigureStyle, end: float | None = None) -> list[dict]:
    """The truth of each arm, in drawing order: name, colour, KM step corners, censor times, n.

    The corners are :func:`benchmarks.km_points.km_step_corners`, computed independently of the
    lifelines estimate the curves are drawn from, so the two cross-check each other in tests.
    With ``end``, the curves are cut off there, as by an x axis ending before the last time.
    """
    ipd = ipd.assign(arm=ipd["arm"].astype(str))
    arms = []
    for index, name in enumerate(dict.fromkeys(ipd["arm"])):
        rows = ipd[ipd["arm"] == name]
        corners = km_step_corners(rows)
        censor_times = np.unique(rows.loc[rows["event"] == 0, "time"])
        if end is not None and end < corners["time"].iloc[-1]:
            survival_at_end = corners.loc[corners["time"] <= end, "survival"].iloc[-1]
            corners = pd.concat([corners[corners["time"] < end],
                                 pd.DataFrame({"time": [end], "survival": [survival_at_end]})])
            censor_times = censor_times[censor_times <= end]
        arms.append({"name": name, "colour": style.colours[index % len(style.colours)],
                     "km": {"time": corners["time"].tolist(),
                            "survival": corners["survival"].tolist()},
                     "censor_times": censor_times.tolist(), "n": len(rows)})
    return arms


def _draw_arm(ax, ipd: pd.DataFrame, style: FigureStyle, colour: str, line_style: str,
              y_scale: float):
    """Draw one arm's KM step curve (lifelines' estimate), band and censor marks; return the line.

    The ``lifelines`` family is drawn by lifelines itself
    (:meth:`~lifelines.KaplanMeierFitter.plot_survival_function`); the others by hand.
    """
    time, event = ipd["time"].to_numpy(float), ipd["event"].to_numpy(int)
    fitter = KaplanMeierFitter(label=str(ipd["arm"].iloc[0])).fit(time, event)
    line_width = _points(style.line_width_px, style.dpi)
    censor_style = {"marker": style.censor_marker,
                    "ms": _points(max(style.line_width_px * 3.5, style.font_size_px * 0.6), style.dpi),
                    "mew": _points(max(style.line_width_px * 0.75, 1.0), style.dpi)}
    if style.family == "lifelines":
        assert y_scale == 1, "lifelines plots survival as a probability"
        first_new_line = len(ax.lines)
        fitter.plot_survival_function(ax=ax, ci_show=style.bands,
                                      show_censors=style.censor_marker is not None,
                                      censor_styles=censor_style, color=colour, lw=line_width,
                                      ls=line_style)
        return next(line for line in ax.lines[first_new_line:] if line.get_label() == fitter.label)
    survival = fitter.survival_function_.iloc[:, 0]
    timeline = survival.index.to_numpy(float)
    (handle,) = ax.step(timeline, survival.to_numpy() * y_scale, where="post", color=colour,
                        linestyle=line_style, linewidth=line_width, label=fitter.label, zorder=3,
                        solid_joinstyle="miter")
    if style.bands:
        band = fitter.confidence_interval_survival_function_
        ax.fill_between(timeline, band.iloc[:, 0] * y_scale, band.iloc[:, 1] * y_scale,
                        step="post", color=colour, alpha=0.2, linewidth=0, zorder=2)
    censor_times = np.unique(time[event == 0])
    if style.censor_marker is not None and censor_times.size:
        ax.plot(censor_times, fitter.survival_function_at_times(censor_times) * y_scale,
                linestyle="none", color=colour, zorder=4, marker=censor_style["marker"],
                markersize=censor_style["ms"], markeredgewidth=censor_style["mew"])
    return handle


def _decorate(ax, style: FigureStyle) -> None:
    """Frame or L axes, grid lines and tick directions."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(style.frame)
    if style.axis_width_px == 0:
        for spine in ax.spines.values():
            spine.set_visible(False)
    if style.grid == "major":
        ax.grid(True, color="#D9D9D9", linewidth=_points(1.0, style.dpi), zorder=0)
    elif style.grid == "white":
        ax.grid(True, color="#FFFFFF", linewidth=_points(1.5, style.dpi), zorder=0)
    elif style.grid == "y":
        ax.grid(True, axis="y", color="#D4E2E5", linewidth=_points(1.0, style.dpi), zorder=0)
    ax.set_axisbelow(True)
    ax.tick_params(direction="out", top=False, right=False)


def _legend(ax, style: FigureStyle, handles) -> None:
    if style.legend == "none":
        if ax.get_legend() is not None:  # lifelines adds one of its own
            ax.get_legend().remove()
        return
    placement = {
        "inside": dict(loc="upper right", frameon=style.family in ("lifelines", "matplotlib")),
        "top": dict(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(handles),
                    frameon=False, title="Strata" if style.family == "survminer" else None),
        "right": dict(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False),
        "bottom": dict(loc="upper center", ncol=len(handles), frameon=True,
                       bbox_to_anchor=(0.5, -style.font_size_px * 3.0 / ax.bbox.height)),
    }[style.legend]
    ax.legend(handles=handles, **placement)


def _draw_risk_table(table_ax, at_risk: pd.DataFrame, arms: list, x_limits,
                     style: FigureStyle) -> None:
    """Numbers at risk under the plot, one row per arm in its colour, at the x ticks."""
    table_ax.set_xlim(*x_limits)
    table_ax.set_ylim(len(arms) - 0.5, -0.5)
    table_ax.axis("off")
    table_ax.set_title("Number at risk", loc="left", fontsize=_points(style.font_size_px, style.dpi),
                       fontweight="bold" if style.bold else "normal")
    for row, arm in enumerate(arms):
        counts = at_risk[at_risk["arm"] == arm["name"]]
        colour = arm["colour"] if style.family != "sas" else "#000000"
        for t, n in zip(counts["time"], counts["n_risk"]):
            table_ax.text(t, row, str(n), ha="center", va="center", color=colour)
        table_ax.text(x_limits[0] - 0.02 * (x_limits[1] - x_limits[0]), row, arm["name"],
                      ha="right", va="center", color=colour)


def save_image(image: np.ndarray, path, jpeg_quality: int | None = None) -> None:
    """Write an RGB image as PNG, or as JPEG at ``jpeg_quality``, deterministically."""
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if jpeg_quality else [
        cv2.IMWRITE_PNG_COMPRESSION, 9]
    if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR), params):
        raise OSError(f"could not write {path}")


def truth_to_pixels(truth: dict, time, survival) -> tuple[np.ndarray, np.ndarray]:
    """Where ``(time, survival)`` falls in a figure drawn by :func:`draw_km_figure`.

    Uses the truth record's plot-area box and axis limits, the true calibration. Survival is a
    probability, also on percent axes.

    Returns
    -------
    x_px, y_px : numpy.ndarray
        Column and row (pixel centres at integers, row 0 at the top).
    """
    box, (x0, x1), (y0, y1) = truth["plot_area"], truth["x_limits"], truth["y_limits"]
    printed = np.asarray(survival, float) * (100.0 if truth["y_percent"] else 1.0)
    x_px = box["left"] + (np.asarray(time, float) - x0) / (x1 - x0) * (box["right"] - box["left"])
    y_px = box["bottom"] - (printed - y0) / (y1 - y0) * (box["bottom"] - box["top"])
    return x_px, y_px


def draw_truth(image: np.ndarray, truth: dict) -> np.ndarray:
    """The figure with its true curves drawn over it in thin magenta, to check a truth record."""
    out = image.copy()
    for arm in truth["arms"]:
        x_px, y_px = truth_to_pixels(truth, arm["km"]["time"], arm["km"]["survival"])
        # the corners already hold both ends of every drop, so joining them draws the steps
        points = np.round(np.column_stack([x_px, y_px])).astype(np.int32)
        cv2.polylines(out, [points], isClosed=False, color=(255, 0, 255), thickness=1)
    return out
