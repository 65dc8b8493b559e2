"""Stage 1: read a Kaplan-Meier figure (image) into curve points, censor marks and calibration.

The steps, one module each: :mod:`~digitize.image` (load), :mod:`~digitize.axes`
(plot area, ticks), :mod:`~digitize.ocr` and :mod:`~digitize.calibration`
(tick labels -> pixel/data maps), :mod:`~digitize.colours` (arm colours),
:mod:`~digitize.trace` (step curves), :mod:`~digitize.line_type` (arms of one
colour told apart by line type), :mod:`~digitize.censor` (censor marks),
:mod:`~digitize.at_risk` (numbers-at-risk table), :mod:`~digitize.legend` (arm names), :mod:`~digitize.result` and
:mod:`~digitize.overlay` (the result and its picture); :mod:`~digitize.figure`
chains them into :func:`digitize`. A PDF goes its own way: :mod:`~digitize.pdf` finds the KM
plots on its pages and :mod:`~digitize.vector` reads each from its paths and text; an SVG is
parsed by :mod:`~digitize.svg` into the same paths and text.
"""

from digitize.figure import digitize
from digitize.result import DigitizationResult

__all__ = ["digitize", "DigitizationResult"]
