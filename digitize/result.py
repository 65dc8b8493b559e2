"""The result of digitizing one Kaplan-Meier figure, and its writers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import pandas as pd

from digitize.axes import PlotArea
from digitize.calibration import Calibration

#: Decimals kept in the CSV files: far below a pixel, and stable across platforms.
CSV_FLOAT_FORMAT = "%.6g"
#: Noise of a traced level, in pixels (levels are traced to sub-pixel). Told 0.15, 0.25 or 0.5 px,
#: reconstruct missed the corpus's log hazard ratios by 0.011, 0.0097, 0.012 (median; benchmarks.chain).
TRACE_NOISE_PX = 0.25
#: Farthest a traced drop may lie from the drawn one, in pixels: on the corpus, 9 drops in 10 are
#: traced within 1.5 px (a line's width blurs where it falls).
TRACE_TIME_ERROR_PX = 1.5
#: A plot window whose bottom is under this survival shows the axis from 0 (a margin, or the plot
#: area found a little above the axis): a curve reaching it has not left the window.
TRUNCATED_AXIS_SURVIVAL = 0.05


def window_exits(curves: pd.DataFrame, floor_survival: float, tolerance: float, edge: str) -> list[str]:
    """A warning for each arm that reaches the lowest survival the figure can show and so leaves it.

    A y axis cut short (0.4 to 1.0) or a figure cropped under its plot shows a curve only down to
    its edge: what follows is not in the figure, and the curve read ends there.

    Parameters
    ----------
    curves : pandas.DataFrame
        ``arm, time, survival``.
    floor_survival : float
        Survival at the edge (the plot window's bottom, the figure's); an edge under
        :data:`TRUNCATED_AXIS_SURVIVAL` is no exit (a curve falls to 0 inside it).
    tolerance : float
        How near the edge a curve's lowest level counts as reaching it, in survival (a line width).
    edge : str
        What the edge is, for the message ("plot window", "figure").

    Returns
    -------
    list of str
    """
    if floor_survival <= max(tolerance, TRUNCATED_AXIS_SURVIVAL):
        return []
    warnings = []
    for arm, curve in curves.groupby("arm", sort=False):
        low = curve["survival"].to_numpy() <= floor_survival + tolerance
        if low.any():
            time = float(curve["time"].to_numpy()[np.argmax(low)])
            warnings.append(f"arm {arm} leaves the {edge} at its bottom edge (survival {floor_survival:.3g}, "
                            f"time {time:.4g}): the curve is known only down to there")
    return warnings


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as the stages' CSV files hold it: no index, :data:`CSV_FLOAT_FORMAT`, ``\\n`` lines."""
    return frame.to_csv(index=False, float_format=CSV_FLOAT_FORMAT, lineterminator="\n").encode()


def write_files(folder: str | Path, files: dict[str, bytes]) -> list[Path]:
    """Write ``files`` (bytes by file name) into ``folder``, made when missing; the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in files]


@dataclass
class DigitizationResult:
    """Curves, censor marks and calibration read from one KM figure.

    Attributes
    ----------
    curves : pandas.DataFrame
        ``arm, time, survival``: the corners of each arm's step function, in
        data units, per arm by time (the ``curves.csv`` contract); survival
        also when the figure plots cumulative incidence (:attr:`measure`).
    censor_marks : pandas.DataFrame
        ``arm, time``: the censor marks seen on each arm.
    at_risk : pandas.DataFrame
        ``arm, time, n_risk``: the numbers-at-risk table under the figure
        (empty when none was read).
    calibration : Calibration
        Pixel <-> data maps of the axes.
    arms : pandas.DataFrame
        One row an arm: ``arm, colour`` (hex), ``n_points, n_censor_marks,
        line_width_px``, ``seen`` and ``hidden`` (shares of the arm's time
        range where its line is visible, and covered by other ink) and
        ``line_type`` (``solid`` or ``dashed``: two arms of one colour are told
        apart by it).
    quality : dict
        Figure-level quality figures (see :func:`digitize.digitize`).
    warnings : list of str
        Doubts a person should check.
    image : ndarray
        The figure (RGB), for the overlay.
    plot_area : PlotArea
        Where the curves were read.
    working_scale : float
        Pixels the curves were traced in per pixel of the figure (below 1 for
        large figures, read at a bounded resolution; see
        :func:`digitize.image.working_image`).
    """

    curves: pd.DataFrame
    censor_marks: pd.DataFrame
    at_risk: pd.DataFrame
    calibration: Calibration
    arms: pd.DataFrame
    quality: dict
    warnings: list[str]
    image: np.ndarray = field(repr=False)
    plot_area: PlotArea
    working_scale: float = 1.0

    def with_arm_tables(self, change: Callable[[pd.DataFrame], pd.DataFrame]) -> "DigitizationResult":
        """A copy with ``change`` applied to every table that has a row per arm or per arm and
        time (:attr:`curves`, :attr:`censor_marks`, :attr:`at_risk`, :attr:`arms`): to rename
        or leave out arms in all of them alike."""
        return replace(self, curves=change(self.curves), censor_marks=change(self.censor_marks),
                       at_risk=change(self.at_risk), arms=change(self.arms))

    @property
    def measure(self) -> str:
        """What the figure's y axis shows: ``"survival"`` or ``"cumulative_incidence"`` (rising from 0).

        Either way :attr:`curves` hold survival: a cumulative incidence F was
        read as ``1 - F`` (see :attr:`digitize.calibration.Calibration.measure`).
        """
        return self.calibration.measure

    @property
    def survival_noise(self) -> float:
        """Standard deviation of the digitizing error of a survival value (a quarter of a pixel traced).

        The traced curves are clean step functions, so their noise cannot be
        told from them: give this to :func:`reconstruct.reconstruct` as
        ``survival_noise``, or it takes the drop sizes as exact (and, on a
        dense curve, fits them with too many patients at risk and deaths).
        """
        return TRACE_NOISE_PX * abs(self.calibration.y.slope) / self.working_scale

    @property
    def time_error(self) -> float:
        """How far a traced drop may lie from the drawn one, in time units (1.5 pixels traced).

        Give it to :func:`reconstruct.reconstruct` as ``time_error``: a drop
        traced just before an at-risk table time may then be read at it.
        """
        return TRACE_TIME_ERROR_PX * self.calibration.x.value_per_px() / self.working_scale

    @property
    def reading_errors(self) -> dict:
        """:attr:`survival_noise` and :attr:`time_error`, as keywords of :func:`reconstruct.reconstruct`."""
        return {"survival_noise": self.survival_noise, "time_error": self.time_error}

    def overlay(self) -> np.ndarray:
        """The figure with the traced curves, censor marks and calibrated axes drawn over it (RGB)."""
        from digitize.overlay import draw_overlay

        return draw_overlay(self)

    def to_dict(self) -> dict:
        """Calibration, arms, quality and warnings, JSON-ready (the content of ``digitization.json``)."""
        return {
            "measure": self.measure,
            "calibration": self.calibration.to_dict(),
            "arms": json.loads(self.arms.to_json(orient="records", double_precision=6)),
            "plot_area": {"left": self.plot_area.left, "top": self.plot_area.top,
                          "right": self.plot_area.right, "bottom": self.plot_area.bottom,
                          "framed": self.plot_area.framed},
            "quality": self.quality,
            "survival_noise": float(f"{self.survival_noise:.6g}"),
            "time_error": float(f"{self.time_error:.6g}"),
            "working_scale": float(f"{self.working_scale:.6g}"),
            "warnings": list(self.warnings),
        }

    def files(self) -> dict[str, bytes]:
        """The bytes of ``curves.csv``, ``censor_marks.csv``, ``digitization.json`` and
        ``overlay.png`` by file name, and of ``at_risk.csv`` (``arm,time,n_risk``) when a
        numbers-at-risk table was read."""
        encoded, overlay = cv2.imencode(".png", cv2.cvtColor(self.overlay(), cv2.COLOR_RGB2BGR))
        if not encoded:
            raise OSError("could not encode overlay.png")
        files = {"curves.csv": csv_bytes(self.curves), "censor_marks.csv": csv_bytes(self.censor_marks),
                 "digitization.json": (json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n").encode(),
                 "overlay.png": overlay.tobytes()}
        if len(self.at_risk):
            files["at_risk.csv"] = csv_bytes(self.at_risk)
        return files

    def to_folder(self, folder: str | Path) -> list[Path]:
        """Write :meth:`files` into ``folder``.

        Use with :meth:`kmipd.outputs.StagedOutputs.folder` to write all or nothing.

        Returns
        -------
        list of Path
            The files written.
        """
        return write_files(folder, self.files())

    def summary(self) -> str:
        """A few lines per arm for a person: points, censor marks, time range, last survival."""
        lines = [] if self.measure == "survival" else ["read as survival: 1 - the cumulative incidence plotted"]
        for arm in self.arms.itertuples():
            curve = self.curves[self.curves["arm"] == arm.arm]
            lines.append(
                f"{arm.arm} ({arm.colour}): {len(curve)} corners, {arm.n_censor_marks} censor marks, "
                f"time {curve['time'].min():.4g}-{curve['time'].max():.4g}, "
                f"last survival {curve['survival'].iloc[-1]:.3f}"
            )
        if len(self.at_risk):
            lines.append(f"numbers at risk: {len(self.at_risk)} counts read for "
                         f"{self.at_risk['arm'].nunique()} arm(s)")
        lines += [f"warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)
