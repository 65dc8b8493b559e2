"""A Kaplan-Meier figure saved as SVG, read from its vector paths and text as a PDF page is.

The SVG is parsed with the standard library (:mod:`xml.etree.ElementTree`)
into the primitives :mod:`digitize.vector` reads: every stroked or filled
path (``<path>``, ``<line>``, ``<polyline>``, ``<polygon>``, ``<rect>``, and
the ``<use>`` of a path or symbol, which is how matplotlib draws its markers
and tick marks) with its points on the page, stroke colour, width and dash
pattern, and every ``<text>`` (with its ``<tspan>`` runs) as words with a box
and font size. Transforms (``matrix``, ``translate``, ``scale``, ``rotate``,
``skewX``/``skewY``) are composed down the tree, and styles are inherited
from the groups as SVG inherits them, from presentation attributes
(``stroke="..."``) and ``style="stroke: ...; stroke-width: ..."`` alike. A
curve segment (``C``, ``S``, ``Q``, ``T``, ``A``) contributes its end point,
as in a PDF: KM curves are straight steps.

Coordinates are in points, ``y`` downward from the top left, as pdfplumber
gives a PDF page: the root ``viewBox`` is mapped onto the ``width`` and
``height`` (``pt``, ``px`` at 96 dpi, ``in``, ``mm``, ``cm``).

What an SVG does not hold is the width of its text: a word's box is estimated
from its font size (DejaVu Sans / Helvetica advances: digits 0.6 em); its
anchor (``text-anchor`` start, middle or end) is exact, which is what ties a
tick label to its tick.

Programs that write text as glyph outlines (R's ``svg()`` device through
cairo, matplotlib with ``svg.fonttype = "path"``) leave no text to read:
the tick labels could only be read by rasterising the SVG, which needs a
renderer kmipd does not depend on, so such a file is refused with a
one-line error asking for the PNG or PDF of the figure.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from matplotlib.colors import to_rgb

from digitize.image import check_file, file_version
from digitize.result import DigitizationResult
from digitize.vector import MINUS_SIGNS, PageDrawing, VectorPath, Word, km_axes, names_format, read_plot
from kmipd.errors import InputError

#: Points per unit of an SVG length (CSS: 96 px to the inch, 72 pt to the inch).
POINTS_PER_UNIT = {"": 0.75, "px": 0.75, "pt": 1.0, "pc": 12.0, "in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54}
#: Advance of a character in em (DejaVu Sans and Helvetica digits are 0.64 and 0.56 em wide).
DIGIT_EM, NARROW_EM, SPACE_EM, OTHER_EM = 0.6, 0.3, 0.3, 0.6
#: The box of a line of text around its baseline, in em: ascent over it, descent under it.
ASCENT_EM, DESCENT_EM = 0.75, 0.25
#: Largest file read, in bytes.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Properties an element passes on to its children (the SVG inheritance rules for these).
INHERITED = ("stroke", "stroke-width", "stroke-dasharray", "fill", "font-size", "text-anchor", "display",
             "visibility")
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def is_svg(path) -> bool:
    """Whether ``path`` names an SVG file: by its name (``.svg``), or by an ``<svg`` in its first bytes."""
    return names_format(path, ".svg", lambda head: head.lstrip().startswith((b"<?xml", b"<svg", b"<!DOCTYPE svg"))
                        and b"<svg" in head)


def digitize_svg(path, *, panel: int | None = None, **options) -> DigitizationResult:
    """Digitize the KM plot of an SVG figure (``panel``: which, from 0, when it holds several).

    ``options`` as :func:`digitize.digitize` (only ``arms`` applies: the tick labels are text).
    The result's ``quality["plot_areas"]`` counts the KM plots, so that the command line reads
    every panel of a multi-panel SVG as it does an image's.

    Raises
    ------
    InputError
        For a file that is not well-formed SVG, one whose text is drawn as glyph outlines, one
        without a KM plot (axes with numbered ticks, survival on y, a step curve inside), or a
        ``panel`` it does not have.
    """
    drawing = svg_drawing(path)
    plots = km_axes(drawing)
    if not plots:
        if not any(word.number is not None for word in drawing.words):
            raise InputError("the SVG holds no numbers as text (its text is drawn as glyph outlines, as R's svg() "
                             "device and matplotlib's svg.fonttype='path' write it): its tick labels cannot be read "
                             "without rasterising it; give the figure as PNG or PDF", source=path)
        raise InputError("no Kaplan-Meier plot found in the SVG (no axes with numbered ticks, survival on the "
                         "y axis and a step curve inside)", source=path)
    panel = 0 if panel is None else panel
    if not 0 <= panel < len(plots):
        raise InputError(f"--panel {panel} asked for, but the SVG has {len(plots)} Kaplan-Meier plot(s) "
                         f"(panels count from 0)", source=path)
    result = read_plot(drawing, plots[panel], _render(drawing), **options)
    result.quality["source"] = "svg vector"
    result.quality["plot_areas"] = len(plots)
    return result


def svg_drawing(path) -> PageDrawing:
    """The paths and words of an SVG file, in points (see the module docstring).

    Raises
    ------
    InputError
        For a missing or oversized file, malformed XML, or a root element that is not ``<svg>``.
    """
    path = Path(path)
    check_file(path, "SVG", MAX_FILE_BYTES)
    return _cached_drawing(*file_version(path))


@lru_cache(maxsize=8)
def _cached_drawing(path: str, size: int, mtime_ns: int) -> PageDrawing:
    """:func:`svg_drawing` kept for the files last read (``size`` and ``mtime_ns`` tell a changed file),
    so that finding the panels of a figure and reading each parses it once."""
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise InputError(f"not well-formed SVG ({error})", source=path) from None
    if _tag(root) != "svg":
        raise InputError(f"not an SVG file (its root element is <{_tag(root)}>)", source=path)
    return _Walker(root).drawing()


def _tag(element) -> str:
    """An element's tag without its namespace."""
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def _length_pt(text: str | None, default: float) -> float:
    """An SVG length (``432pt``, ``6in``, ``800``) in points; ``default`` when absent or a percentage."""
    match = re.fullmatch(rf"\s*({_NUMBER})\s*([a-z]*)\s*", text or "")
    if not match or match.group(2) not in POINTS_PER_UNIT:
        return default
    return float(match.group(1)) * POINTS_PER_UNIT[match.group(2)]


def _numbers(text: str | None) -> list[float]:
    return [float(n) for n in re.findall(_NUMBER, text or "")]


def parse_transform(text: str | None) -> np.ndarray:
    """An SVG ``transform`` attribute as a 3x3 matrix (points as columns ``x, y, 1``)."""
    matrix = np.eye(3)
    for name, arguments in re.findall(r"(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)", text or ""):
        values = _numbers(arguments)
        step = np.eye(3)
        if name == "matrix" and len(values) == 6:
            step[:2] = np.array(values).reshape(3, 2).T
        elif name == "translate" and values:
            step[:2, 2] = [values[0], values[1] if len(values) > 1 else 0.0]
        elif name == "scale" and values:
            step[0, 0], step[1, 1] = values[0], values[1] if len(values) > 1 else values[0]
        elif name == "rotate" and values:
            angle = np.radians(values[0])
            centre = values[1:3] if len(values) >= 3 else [0.0, 0.0]
            rotation = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
            to_centre, back = np.eye(3), np.eye(3)
            to_centre[:2, 2], back[:2, 2] = centre, [-centre[0], -centre[1]]
            step = to_centre @ rotation @ back
        elif name == "skewX" and values:
            step[0, 1] = np.tan(np.radians(values[0]))
        elif name == "skewY" and values:
            step[1, 0] = np.tan(np.radians(values[0]))
        matrix = matrix @ step
    return matrix


def path_points(d: str | None) -> list[np.ndarray]:
    """The subpaths of an SVG path ``d`` as ``(n, 2)`` arrays of their points (user units).

    Absolute and relative ``M L H V Z``; ``C S Q T A`` contribute their end points. A ``Z``
    closes the subpath back to its start (the point is repeated, as a PDF's ``h`` is read).
    """
    tokens = re.findall(rf"[MmLlHhVvZzCcSsQqTtAa]|{_NUMBER}", d or "")
    arity = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7, "Z": 0}
    subpaths, current = [], []
    x = y = start_x = start_y = 0.0
    command, index = None, 0
    while index < len(tokens):
        token = tokens[index]
        if token.isalpha():
            command, index = token, index + 1
            if command in "Zz":
                if current:
                    current.append((start_x, start_y))
                    subpaths.append(current)
                    current = []
                x, y = start_x, start_y
                continue
        if command is None:
            break  # numbers before any command: not a path
        count = arity[command.upper()]
        arguments = tokens[index:index + count]
        if len(arguments) < count or any(t.isalpha() for t in arguments):
            break  # a command short of its numbers ends the path, as SVG renderers do
        values = [float(v) for v in arguments]
        index += count
        relative = command.islower()
        upper = command.upper()
        if upper == "H":
            x = values[0] + (x if relative else 0.0)
        elif upper == "V":
            y = values[0] + (y if relative else 0.0)
        else:
            end_x, end_y = values[-2], values[-1]
            x, y = (x + end_x, y + end_y) if relative else (end_x, end_y)
        if upper == "M":
            if current:
                subpaths.append(current)
            current, start_x, start_y = [], x, y
            command = "l" if relative else "L"  # further pairs after a move are lines
        current.append((x, y))
    if current:
        subpaths.append(current)
    return [np.asarray(points, dtype=float) for points in subpaths if points]


def _colour(value: str | None) -> tuple | None:
    """An SVG paint (``#1f77b4``, ``#fff``, ``rgb(31,119,180)``, ``red``) as RGB 0-255; None for none."""
    value = (value or "").strip()
    if not value or value in ("none", "transparent") or value.startswith("url("):
        return None
    match = re.fullmatch(r"rgb\(\s*([^)]*)\)", value)
    if match:
        parts = [p.strip() for p in match.group(1).split(",")]
        if len(parts) == 3:
            return tuple(int(round(min(max(float(p[:-1]) * 2.55 if p.endswith("%") else float(p), 0), 255)))
                         for p in parts)
        return None
    try:
        return tuple(int(round(255 * c)) for c in to_rgb(value))
    except ValueError:
        return None


def _style(element, inherited: dict) -> dict:
    """The element's properties: the inherited ones, then its presentation attributes, then ``style``."""
    style = {key: value for key, value in inherited.items() if key in INHERITED}
    for key in INHERITED + ("stroke-opacity", "opacity"):
        if element.get(key) is not None:
            style[key] = element.get(key).strip()
    for declaration in (element.get("style") or "").split(";"):
        if ":" in declaration:
            key, value = declaration.split(":", 1)
            style[key.strip()] = value.strip()
    return style


def _font_size(style: dict) -> float:
    """Font size in user units (``10px``, ``10``, ``12pt``: CSS pixels are user units), from
    ``font-size`` or the ``font`` shorthand (``font: 10px 'DejaVu Sans'``); 12 when neither says."""
    match = re.fullmatch(rf"\s*({_NUMBER})\s*(px|pt|)\s*", style.get("font-size", "")) \
        or re.search(rf"(?:^|\s)({_NUMBER})(px|pt)\b", style.get("font", ""))
    if not match:
        return 12.0
    return float(match.group(1)) * (4 / 3 if match.group(2) == "pt" else 1.0)


def _advance_em(text: str) -> float:
    """Estimated width of a run of text, in em (see :data:`DIGIT_EM`)."""
    return sum(DIGIT_EM if c.isdigit() else SPACE_EM if c.isspace() else NARROW_EM if c in ".,:;|!il'" else OTHER_EM
               for c in text)


class _Walker:
    """One pass down an SVG tree, collecting its paths and words in drawing order."""

    def __init__(self, root):
        self.root = root
        self.ids = {element.get("id"): element for element in root.iter() if element.get("id")}
        width_pt, height_pt = _length_pt(root.get("width"), 0.0), _length_pt(root.get("height"), 0.0)
        view_box = _numbers(root.get("viewBox"))
        self.page = np.eye(3)
        if len(view_box) == 4 and view_box[2] > 0 and view_box[3] > 0:
            width_pt, height_pt = width_pt or 0.75 * view_box[2], height_pt or 0.75 * view_box[3]
            self.page[0, 0], self.page[1, 1] = width_pt / view_box[2], height_pt / view_box[3]
            self.page[:2, 2] = [-view_box[0] * self.page[0, 0], -view_box[1] * self.page[1, 1]]
        self.width_pt, self.height_pt = width_pt, height_pt
        self.paths: list[VectorPath] = []
        self.words: list[Word] = []

    def drawing(self) -> PageDrawing:
        """The drawing; an SVG that gives no size is as large as what it draws."""
        self._visit(self.root, self.page @ parse_transform(self.root.get("transform")), {}, depth=0)
        right = max([float(p.points[:, 0].max()) for p in self.paths] + [w.x1 for w in self.words], default=0.0)
        bottom = max([float(p.points[:, 1].max()) for p in self.paths] + [w.bottom for w in self.words], default=0.0)
        return PageDrawing(self.paths, self.words, self.width_pt or right, self.height_pt or bottom)

    def _visit(self, element, matrix: np.ndarray, inherited: dict, depth: int) -> None:
        tag = _tag(element)
        if tag in ("defs", "symbol", "clipPath", "mask", "marker", "pattern", "metadata", "style", "title",
                   "desc", "linearGradient", "radialGradient", "filter") or depth > 50:
            return  # drawn only where used
        style = _style(element, inherited)
        if style.get("display") == "none" or style.get("visibility") == "hidden":
            return
        if tag == "text":
            self._text(element, matrix, style)
            return
        if tag == "use":
            self._use(element, matrix, style, depth)
            return
        subpaths = self._shape(element, tag)
        if subpaths:
            self._add_path(subpaths, matrix, style)
        for child in element:
            self._visit(child, matrix @ parse_transform(child.get("transform")), style, depth + 1)

    def _use(self, element, matrix: np.ndarray, style: dict, depth: int) -> None:
        """A ``<use>``: the element it names, drawn at ``x, y`` with the use's style inherited."""
        target = self.ids.get((element.get(XLINK_HREF) or element.get("href") or "").lstrip("#"))
        if target is None:
            return
        offset = np.eye(3)
        offset[:2, 2] = [float(element.get("x") or 0), float(element.get("y") or 0)]
        placed = matrix @ offset @ parse_transform(target.get("transform"))
        if _tag(target) == "symbol":  # a symbol is a group drawn only where used
            for child in target:
                self._visit(child, placed @ parse_transform(child.get("transform")), _style(target, style), depth + 1)
        else:
            self._visit(target, placed, style, depth + 1)

    @staticmethod
    def _shape(element, tag: str) -> list[np.ndarray]:
        """The subpaths of a basic shape, in its user units."""
        def get(name: str) -> float:
            return (_numbers(element.get(name)) or [0.0])[0]

        if tag == "path":
            return path_points(element.get("d"))
        if tag == "line":
            return [np.array([[get("x1"), get("y1")], [get("x2"), get("y2")]])]
        if tag in ("polyline", "polygon"):
            values = _numbers(element.get("points"))
            points = np.array(values[:len(values) // 2 * 2], dtype=float).reshape(-1, 2)
            if tag == "polygon" and len(points):
                points = np.vstack([points, points[:1]])
            return [points] if len(points) else []
        if tag == "rect":
            x, y, width, height = get("x"), get("y"), get("width"), get("height")
            if width <= 0 or height <= 0:
                return []
            return [np.array([[x, y], [x + width, y], [x + width, y + height], [x, y + height], [x, y]])]
        return []

    def _add_path(self, subpaths: list[np.ndarray], matrix: np.ndarray, style: dict) -> None:
        stroke = _colour(style.get("stroke"))
        fill = _colour(style.get("fill", "black"))
        if stroke is None and fill is None or style.get("stroke-opacity") == "0" or style.get("opacity") == "0":
            return
        scale = float(np.sqrt(abs(np.linalg.det(matrix[:2, :2]))))
        width = _numbers(style.get("stroke-width", "1"))
        dash = tuple(round(v * scale, 3) for v in _numbers(style.get("stroke-dasharray")))
        placed = [(np.c_[points, np.ones(len(points))] @ matrix.T)[:, :2] for points in subpaths]
        self.paths.append(VectorPath(placed, stroke, (width[0] if width else 1.0) * scale if stroke else 0.0,
                                     dash if any(dash) else (), fill is not None, len(self.paths) + len(self.words)))

    def _text(self, element, matrix: np.ndarray, style: dict) -> None:
        """The runs of a ``<text>`` (its own text, each ``<tspan>`` and the text after it) as words."""
        x, y = (_numbers(element.get("x")) or [0.0])[0], (_numbers(element.get("y")) or [0.0])[0]
        runs = [(element.text, style, None, None)]
        for span in element:
            if _tag(span) == "tspan":
                span_style = _style(span, style)
                span_x = (_numbers(span.get("x")) or [None])[0]
                span_y = (_numbers(span.get("y")) or [None])[0]
                dx, dy = (_numbers(span.get("dx")) or [0.0])[0], (_numbers(span.get("dy")) or [0.0])[0]
                runs.append((span.text, span_style, (span_x, dx), (span_y, dy)))
            runs.append((span.tail, style, None, None))
        for text, run_style, place_x, place_y in runs:
            if place_x is not None:
                x = (place_x[0] if place_x[0] is not None else x) + place_x[1]
                y = (place_y[0] if place_y[0] is not None else y) + place_y[1]
            if not text or not text.strip():
                continue
            size = _font_size(run_style)
            # svglite (R) writes each run's width; otherwise it is estimated from the characters.
            written = _numbers(element.get("textLength")) if len(runs) == 1 else []
            width = written[0] if written else _advance_em(text) * size
            anchor = run_style.get("text-anchor", "start")
            start = x - {"middle": width / 2, "end": width}.get(anchor, 0.0)
            self._add_words(text, start, y, size, matrix, _colour(run_style.get("fill", "black")), width)
            x = start + width

    def _add_words(self, text: str, start: float, baseline: float, size: float, matrix: np.ndarray,
                   colour: tuple | None, width: float) -> None:
        """Words of one run of text ``width`` wide (split at spaces when it reads across the page, whole
        when turned), each word's share of the width by its estimated advance."""
        along = matrix[:2, :2] @ np.array([1.0, 0.0])
        scale = float(np.hypot(*along))
        upright = abs(along[1]) <= 0.01 * scale and along[0] > 0
        pieces = [(m.group(), m.start()) for m in re.finditer(r"\S+", text)] if upright else [(text, 0)]
        per_em = width / max(_advance_em(text), 1e-9)
        for word, offset in pieces:
            x0 = start + _advance_em(text[:offset]) * per_em
            x1 = x0 + _advance_em(word) * per_em
            word = word.strip()
            corners = np.array([[x0, baseline - ASCENT_EM * size, 1], [x1, baseline - ASCENT_EM * size, 1],
                                [x0, baseline + DESCENT_EM * size, 1], [x1, baseline + DESCENT_EM * size, 1]])
            placed = corners @ matrix.T
            self.words.append(Word(word.translate(MINUS_SIGNS), float(placed[:, 0].min()), float(placed[:, 1].min()),
                                   float(placed[:, 0].max()), float(placed[:, 1].max()), size * scale, colour))


def _render(drawing: PageDrawing):
    """A function drawing a region of the parsed SVG: ``(left, top, right, bottom) pt, scale -> RGB array``.

    The picture is drawn from the primitives read (strokes in their colour and width, words as
    their boxes' text), not by an SVG renderer: it shows what was read, for the overlay.
    """

    def render(left, top, right, bottom, scale):
        width, height = max(int(round((right - left) * scale)), 1), max(int(round((bottom - top) * scale)), 1)
        image = np.full((height, width, 3), 255, dtype=np.uint8)
        origin = np.array([left, top])
        for path in drawing.paths:
            if path.stroke is None:
                continue
            thickness = max(int(round(path.width_pt * scale)), 1)
            lines = [np.round((points - origin) * scale * 16).astype(np.int32) for points in path.subpaths
                     if len(points) >= 2]
            cv2.polylines(image, lines, False, path.stroke, thickness, cv2.LINE_AA, shift=4)
        for word in drawing.words:
            turned = word.bottom - word.top > 1.5 * word.size  # drawn only as it reads across
            if turned or word.x1 < left or word.x0 > right or word.bottom < top or word.top > bottom:
                continue
            font_scale = word.size * scale / 30
            corner = (int(round((word.x0 - left) * scale)), int(round((word.bottom - top - DESCENT_EM * word.size)
                                                                          * scale)))
            cv2.putText(image, word.text.encode("ascii", "replace").decode(), corner, cv2.FONT_HERSHEY_SIMPLEX,
                        font_scale, word.colour or (0, 0, 0), 1, cv2.LINE_AA)
        return image

    return render
