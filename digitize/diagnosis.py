"""What :func:`digitize.digitize` found in a figure, also when it failed: for ``--explain``.

A figure that cannot be read fails with an :class:`~kmipd.errors.InputError`
naming the step that failed; the user then needs to see what the earlier
steps found (the plot box, the arm colours, the legend labels, the at-risk
rows, the calibration) to give the one missing piece. :func:`digitize` notes
each finding as it is made (:func:`note`), and :func:`collecting_findings`
attaches them to the error it raises as ``error.findings``, a
:class:`Findings`. Nothing is computed twice: a finding is what the step
returned, or absent when the step was not reached.
"""

from __future__ import annotations

import functools
import json
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from digitize.axes import PlotArea
from digitize.colours import hex_colour
from kmipd.errors import InputError

#: Colours of the explain overlay (RGB): the plot area read, other candidate boxes, tick marks.
CHOSEN_COLOUR = (0, 90, 255)
CANDIDATE_COLOUR = (255, 140, 0)

_notes: ContextVar[dict | None] = ContextVar("digitize_findings", default=None)


def note(**found) -> None:
    """Record findings of the :func:`digitize.digitize` call under way (nothing outside one)."""
    notes = _notes.get()
    if notes is not None:
        notes.update(found)


def collecting_findings(function):
    """Decorate :func:`digitize.digitize`: an InputError it raises carries its findings as ``.findings``."""

    @functools.wraps(function)
    def collecting(*args, **kwargs):
        token = _notes.set({})
        try:
            return function(*args, **kwargs)
        except InputError as error:
            error.findings = Findings.from_notes(_notes.get(), error)
            raise
        finally:
            _notes.reset(token)

    return collecting


@dataclass
class Findings:
    """What was read of a figure, as far as the reading went.

    Attributes
    ----------
    image : ndarray or None
        The figure (RGB); None when it could not be loaded.
    plot_areas : list of PlotArea
        Every plot area found (one per panel).
    plot_area : PlotArea or None
        The one read.
    calibration : dict or None
        :meth:`digitize.calibration.Calibration.to_dict`, once calibrated.
    arm_colours : list of str
        Hex colours of the inks found in the plot (candidate arms, before tracing).
    legend_labels : list of str
        Text read beside legend swatches.
    at_risk_rows : list of dict
        Rows of the numbers-at-risk table: ``label`` (or None), ``colour``, ``counts`` (time, n).
    arms : list of dict
        The arms traced (name, colour, line type) when digitizing succeeded.
    warnings : list of str
    error : str or None
        The message of the failure, or None when the figure was read.
    drawn : ndarray or None
        The overlay of a figure read whole (:meth:`DigitizationResult.overlay`), shown as it is.
    """

    image: np.ndarray | None = field(default=None, repr=False)
    plot_areas: list = field(default_factory=list)
    plot_area: PlotArea | None = None
    calibration: dict | None = None
    arm_colours: list = field(default_factory=list)
    legend_labels: list = field(default_factory=list)
    at_risk_rows: list = field(default_factory=list)
    arms: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    error: str | None = None
    drawn: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def from_notes(cls, notes: dict, error: Exception | None = None) -> "Findings":
        """The findings noted by a :func:`digitize.digitize` call that stopped at ``error``."""
        inks = notes.get("inks")
        if isinstance(inks, Future):
            inks = inks.result() if inks.done() and inks.exception() is None else None
        calibration = notes.get("calibration")
        at_risk = notes.get("at_risk")
        rows = [] if at_risk is None else at_risk.rows
        labels = at_risk.labels if at_risk is not None and at_risk.labels is not None else [None] * len(rows)
        return cls(
            image=notes.get("image"),
            plot_areas=list(notes.get("plot_areas", [])),
            plot_area=notes.get("plot_area"),
            calibration=None if calibration is None else calibration.to_dict(),
            arm_colours=[] if inks is None else [hex_colour(colour) for colour in inks],
            legend_labels=[text for text, _ in notes.get("legend_labels", {}).values()],
            at_risk_rows=[{"label": label, "colour": hex_colour(row["colour"]),
                           "counts": [[float(time), int(count)] for time, count in row["cells"]]}
                          for label, row in zip(labels, rows)],
            warnings=[] if calibration is None else list(calibration.warnings),
            error=None if error is None else error.message if isinstance(error, InputError) else str(error),
        )

    @classmethod
    def from_result(cls, result, error: Exception | None = None) -> "Findings":
        """The findings of a figure read whole (a :class:`digitize.result.DigitizationResult`),
        with the ``error`` of a later stage (reconstruction) if there was one."""
        at_risk = result.at_risk
        return cls(
            image=result.image, plot_areas=[result.plot_area], plot_area=result.plot_area,
            calibration=result.calibration.to_dict(), arm_colours=list(result.arms["colour"]),
            legend_labels=list(result.arms["arm"]),
            at_risk_rows=[{"label": arm, "colour": None,
                           "counts": [[float(t), int(n)] for t, n in zip(rows["time"], rows["n_risk"])]}
                          for arm, rows in at_risk.groupby("arm", sort=False)],
            arms=[{"arm": arm.arm, "colour": arm.colour, "line_type": arm.line_type, "seen": arm.seen}
                  for arm in result.arms.itertuples()],
            warnings=list(result.warnings),
            error=None if error is None else error.message if isinstance(error, InputError) else str(error),
            drawn=result.overlay(),
        )

    def to_dict(self) -> dict:
        """JSON-ready, the content of ``diagnosis.json``."""
        height, width = self.image.shape[:2] if self.image is not None else (None, None)
        return {
            "read": self.error is None,
            "error": self.error,
            "image_size": {"width": width, "height": height},
            "plot_area": _box(self.plot_area),
            "plot_areas": [_box(area) for area in self.plot_areas],
            "calibration": self.calibration,
            "arm_colours": self.arm_colours,
            "legend_labels": self.legend_labels,
            "at_risk_rows": self.at_risk_rows,
            "arms": self.arms,
            "warnings": self.warnings,
        }

    def overlay(self) -> np.ndarray | None:
        """The figure with the plot areas found and the calibrated ticks drawn over it (RGB)."""
        if self.drawn is not None:
            return self.drawn
        if self.image is None:
            return None
        picture = self.image.copy()
        for area in self.plot_areas:
            if area != self.plot_area:
                cv2.rectangle(picture, (area.left, area.top), (area.right, area.bottom), CANDIDATE_COLOUR, 1)
        if self.plot_area is not None:
            area = self.plot_area
            cv2.rectangle(picture, (area.left, area.top), (area.right, area.bottom), CHOSEN_COLOUR, 2)
            for axis in ("x", "y") if self.calibration else ():
                for tick in self.calibration[axis]["ticks"]:
                    px = int(round(tick["px"]))
                    start, end = ((px, area.bottom), (px, area.bottom + 8)) if axis == "x" else \
                        ((area.left - 8, px), (area.left, px))
                    cv2.line(picture, start, end, CHOSEN_COLOUR, 2)
        return picture

    def write(self, folder: str | Path) -> list[Path]:
        """Write ``diagnosis.json`` and, when the image was loaded, ``overlay.png`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / "diagnosis.json"]
        paths[0].write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        picture = self.overlay()
        if picture is not None:
            paths.append(folder / "overlay.png")
            if not cv2.imwrite(str(paths[1]), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR)):
                raise OSError(f"could not write {paths[1]}")
        return paths


def _box(area: PlotArea | None) -> dict | None:
    if area is None:
        return None
    return {"left": area.left, "top": area.top, "right": area.right, "bottom": area.bottom, "framed": area.framed}
