"""Kaplan-Meier plots in a PDF: found on every page, read from their vectors, or as images.

A page's drawing is read with pdfplumber (on pdfminer.six; MIT): every path
with its segments in page coordinates, stroke colour, line width and dash
pattern, Form XObjects (matplotlib's markers) flattened into the page, and
every character with its position, font size and colour. A KM plot is a pair
of calibrated axes (:func:`digitize.vector.find_axes`) whose y axis spans
survival (0-1 or 0-100) and inside which at least one path steps only down:
a bar chart or a scatter plot has axes but no such path. An image embedded in
a page (a pasted or scanned figure) goes the image route: rendered at its own
resolution and read by :func:`digitize.figure.digitize`.

Library chosen by measurement, on this project's PDF corpus (``tests/data/world/pdf``: R
``pdf()``, matplotlib, A4 journal pages; CPU seconds a page to get every path's segments and every
word, pdfplumber 0.11.10 / pdfminer.six 20260107 against pypdfium2 5.15.2):

==============  ==================  ==========================================================
library         CPU s / page        what it exposes
==============  ==================  ==========================================================
pdfplumber      median 0.015,       every path's segments (m/l/c/h) in page points, stroke
                max 0.149 (an A4    colour, line width and dash pattern per path; Form
                page of text)       XObjects flattened (their matrix applied); characters with
                                    box, font size, colour, rotation. Loses the colour of
                                    marks drawn from a Form XObject (matplotlib's markers).
pypdfium2       median 0.0023,      the same segments, colours, widths and dash arrays, but
                max 0.010           objects inside Form XObjects in the form's own space
                                    (matrices to compose by hand), and font size 1.0 for R's
                                    text (the size sits in the text matrix): the facts needed
                                    must be rebuilt around it.
==============  ==================  ==========================================================

pdfplumber gives what the reader needs as it is, and even its slowest page is far inside the
2 s a page allowed (the whole PDF route: see ``benchmarks/pdf.py``); pypdfium2 (a pdfplumber
dependency) renders the overlay pictures and embedded images. PyMuPDF is left out (AGPL).
Nothing needs the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from digitize.image import file_version
from digitize.result import DigitizationResult
from digitize.vector import (GLYPH_CHARACTERS, MINUS_SIGNS, MarkCharacter, PageDrawing, VectorPath, Word, km_axes,
                             names_format, read_arms, read_legend, read_plot)
from kmipd.errors import InputError

#: An embedded image smaller than this on the page (points, either side) is a logo, not a figure.
MIN_IMAGE_PT = 100.0


@dataclass(frozen=True)
class PdfPlot:
    """A KM plot found in a PDF.

    Attributes
    ----------
    page : int
        Page number, from 1.
    panel : int
        Its place among the page's plots (top to bottom, left to right), from 0.
    kind : str
        ``"vector"`` or ``"image"`` (an embedded raster, read by the image route).
    box_pt : tuple
        ``left, top, right, bottom`` on the page, in points.
    caption : str
        The first caption line under it (``Figure 3. ...``), else the title over it, else "".
    arms : list of str
        The legend names (vector plots; empty for images, known once read).
    drawing : PageDrawing
        The page's paths and words, kept so that reading the plot parses the page no more.
    """

    page: int
    panel: int
    kind: str
    box_pt: tuple
    caption: str
    arms: list
    drawing: PageDrawing | None = field(default=None, repr=False, compare=False)

    def describe(self) -> str:
        arms = ", ".join(self.arms) if self.arms else "arms read when digitized"
        caption = f' "{self.caption}"' if self.caption else ""
        return f"page {self.page} panel {self.panel} ({self.kind}){caption}: {arms}"


def is_pdf(path) -> bool:
    """Whether ``path`` names a PDF file: by its name, or by its first bytes whatever its name."""
    return names_format(path, ".pdf", lambda head: head.startswith(b"%PDF-"))


def _pdf_errors() -> tuple:
    """The errors pdfplumber and pdfminer raise for a broken file (the file is bad, not kmipd)."""
    from pdfminer.pdfexceptions import PDFException
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import PdfminerException

    return (PdfminerException, PDFException, PSException)


def _open(path):
    import pdfplumber

    try:
        pdf = pdfplumber.open(path)
        pdf.pages  # noqa: B018 - reads the page tree, where a broken file fails
        return pdf
    except _pdf_errors() as error:
        raise InputError(f"not a readable PDF ({error})") from None


def _read_page(page) -> PageDrawing:
    """:func:`page_drawing` of a page, a broken page's content stream reported as bad input."""
    try:
        return page_drawing(page)
    except _pdf_errors() as error:
        raise InputError(f"page {page.page_number} of the PDF cannot be read ({error})") from None


@lru_cache(maxsize=32)
def _cached_page(path: str, size: int, mtime_ns: int, number: int | None) -> tuple:
    """The page count of a PDF (``number`` None), or ``(PageDrawing, image boxes)`` of page ``number``.

    Kept for the pages last read (``size`` and ``mtime_ns`` tell a changed file), so
    that finding a PDF's plots and then reading one of them parses its page once.
    """
    with _open(path) as pdf:
        if number is None:
            return len(pdf.pages)
        return _read_page(pdf.pages[number - 1]), _images(pdf.pages[number - 1])


def _drawings(path, page: int | None = None) -> list[tuple]:
    """``(page number, PageDrawing, image boxes)`` of every page of a PDF, or of ``page`` (from 1)."""
    key = file_version(Path(path))
    count = _cached_page(*key, None)
    if page is not None and not 1 <= page <= count:
        raise InputError(f"--page {page} asked for, but the PDF has {count} page(s) (pages count from 1)")
    return [(number, *_cached_page(*key, number)) for number in ([page] if page else range(1, count + 1))]


def _rgb(colour) -> tuple | None:
    """A pdfplumber colour (gray, RGB or CMYK components in 0-1) as RGB 0-255, None for none."""
    if colour is None:
        return None
    values = [float(c) for c in (colour if isinstance(colour, (tuple, list)) else [colour])
              if isinstance(c, (int, float))]
    if len(values) == 1:
        values = values * 3
    elif len(values) == 4:
        c, m, y, k = values
        values = [(1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)]
    elif len(values) != 3:
        return None
    return tuple(int(round(255 * min(max(v, 0.0), 1.0))) for v in values)


def page_drawing(page) -> PageDrawing:
    """The paths and words of a pdfplumber page."""
    paths = []
    # In drawing order (page.curves, .lines and .rects keep it only within each kind).
    drawn = [obj for obj in page.iter_layout_objects(page.layout) if obj["object_type"] in ("curve", "line", "rect")
             or obj["object_type"] == "char" and obj["text"] in GLYPH_CHARACTERS]
    glyphs = [MarkCharacter(float(obj["x0"] + obj["x1"]) / 2, float(obj["top"] + obj["bottom"]) / 2,
                            float(obj["size"]), _rgb(obj.get("non_stroking_color")), order)
              for order, obj in enumerate(drawn) if obj["object_type"] == "char"]
    for order, obj in enumerate(drawn):
        if obj["object_type"] == "char":
            continue
        subpaths, current = [], []
        for op in obj.get("path") or []:
            if op[0] == "m" and current:
                subpaths.append(current)
                current = []
            if op[0] in ("m", "l", "c", "v", "y"):
                current.append(op[-1])
            elif op[0] == "h" and current:
                current.append(current[0])
        if current:
            subpaths.append(current)
        if not subpaths:
            subpaths = [list(obj["pts"])]
        dash = obj.get("dash")
        pattern = tuple(round(float(d), 3) for d in dash[0]) if dash and dash[0] else ()
        paths.append(VectorPath([np.asarray(points, dtype=float) for points in subpaths],
                                _rgb(obj.get("stroking_color")) if obj.get("stroke") else None,
                                float(obj.get("linewidth") or 0.0), pattern, bool(obj.get("fill")), order))
    words = [Word(w["text"].translate(MINUS_SIGNS), float(w["x0"]), float(w["top"]), float(w["x1"]),
                  float(w["bottom"]), float(w["size"]), _rgb(w.get("non_stroking_color")))
             for w in page.extract_words(extra_attrs=["size", "non_stroking_color", "upright"]) if w["upright"]]
    words += _rotated_words([char for char in page.chars if not char["upright"]])
    return PageDrawing(paths, words, float(page.width), float(page.height), glyphs)


def _rotated_words(chars: list) -> list[Word]:
    """Words of text turned a quarter (y tick labels printed along the axis, as base R prints them).

    Characters in one column, each within a third of the font size of the
    next, make a word, read the way they advance (up or down the page).
    """
    words, current = [], []
    for char in sorted(chars, key=lambda c: (round(float(c["x0"])), float(c["top"]))):
        if current and (abs(float(char["x0"]) - float(current[-1]["x0"])) > 1
                        or float(char["top"]) - float(current[-1]["bottom"]) > 0.3 * float(char["size"])):
            words.append(current)
            current = []
        current.append(char)
    if current:
        words.append(current)
    rotated = []
    for word in words:
        upward = word[0]["matrix"][1] > 0  # advancing up the page: read from the bottom
        text = "".join(c["text"] for c in (reversed(word) if upward else word)).translate(MINUS_SIGNS)
        rotated.append(Word(text, min(float(c["x0"]) for c in word), float(word[0]["top"]),
                            max(float(c["x1"]) for c in word), float(word[-1]["bottom"]),
                            float(word[0]["size"]), _rgb(word[0].get("non_stroking_color"))))
    return rotated


def _caption(drawing: PageDrawing, box: tuple, legend: list) -> str:
    """The nearest line starting ``Fig`` under the plot (within a third of the page), else the title
    line just over it (not the legend, which some programs put there)."""
    left, top, right, bottom = box
    lines = {}
    for word in drawing.words:
        lines.setdefault(round(word.top), []).append(word)
    below = []
    for top_pt, words in sorted(lines.items()):
        words = sorted(words, key=lambda w: w.x0)
        if bottom < top_pt < bottom + drawing.height_pt / 3 and words[0].text.lower().startswith("fig") \
                and words[0].x0 < right:
            below.append(" ".join(w.text for w in words))
    if below:
        return below[0]
    legend_words = {word for name in legend for word in name.split()}
    above = [(top_pt, words) for top_pt, words in lines.items() if top - 40 < top_pt < top
             and any(left - 20 <= w.x0 <= right for w in words)
             and not all(w.text in legend_words for w in words)]
    if above:
        _, words = max(above, key=lambda item: item[0])
        return " ".join(w.text for w in sorted(words, key=lambda w: w.x0) if left - 20 <= w.x0 <= right)
    return ""


def _images(page) -> list[tuple]:
    """Boxes (points) of the figure-sized images embedded in a page."""
    boxes = []
    for image in page.images:
        box = (float(image["x0"]), float(image["top"]), float(image["x1"]), float(image["bottom"]))
        if box[2] - box[0] >= MIN_IMAGE_PT and box[3] - box[1] >= MIN_IMAGE_PT:
            boxes.append(box)
    return sorted(boxes, key=lambda b: (b[1], b[0]))


def find_km_plots(path, page: int | None = None) -> list[PdfPlot]:
    """Every KM plot of every page of a PDF (or of one ``page``, from 1): the vector plots, and the
    embedded images of pages (figure-sized; read, and judged KM or not, by the image route when
    digitized).

    Raises
    ------
    InputError
        For a file that is not a readable PDF, or a ``page`` it does not have.
    """
    found = []
    for number, drawing, images in _drawings(path, page):
        plots = [(axes.box, "vector", axes) for axes in km_axes(drawing)]
        plots += [(box, "image", None) for box in images]
        for panel, (box, kind, axes) in enumerate(plots):
            names = []
            if axes is not None:
                arms = read_arms(drawing, axes)
                legend = read_legend(drawing, axes, arms)
                names = [legend.get(k, f"arm{k + 1}") for k in range(len(arms))]
            found.append(PdfPlot(number, panel, kind, box, _caption(drawing, box, names), names, drawing))
    return found


def _render(pdf_path, page_index: int):
    """A function drawing a region of a page: ``(left, top, right, bottom) pt, scale -> RGB array``."""
    import pypdfium2

    def render(left, top, right, bottom, scale):
        document = pypdfium2.PdfDocument(str(pdf_path))
        try:
            page = document[page_index]
            width, height = page.get_size()
            bitmap = page.render(scale=scale, crop=(left, height - bottom, width - right, top))
            return np.ascontiguousarray(bitmap.to_numpy()[:, :, :3][:, :, ::-1]
                                        if bitmap.mode == "BGR" else bitmap.to_numpy()[:, :, :3])
        finally:
            document.close()

    return render


def choose_plot(plots: list[PdfPlot], page: int | None, panel: int | None) -> PdfPlot:
    """The plot ``page``/``panel`` names (either may be left out when it leaves one choice)."""
    if not plots:
        raise InputError("no Kaplan-Meier plot found in the PDF (no axes with survival ticks and a step curve, "
                         "and no embedded figure image)")
    chosen = [p for p in plots if (page is None or p.page == page) and (panel is None or p.panel == panel)]
    if len(chosen) == 1:
        return chosen[0]
    listing = "; ".join(p.describe() for p in plots)
    if not chosen:
        raise InputError(f"no plot at page {page}, panel {panel}; the PDF has: {listing}")
    raise InputError(f"the PDF has {len(chosen)} Kaplan-Meier plots ({listing}); pick one with --page N "
                     f"(from 1) and --panel K (from 0)")


def digitize_pdf_plot(path, plot: PdfPlot, **options) -> DigitizationResult:
    """Digitize one plot found by :func:`find_km_plots` (``options`` as :func:`digitize.digitize`)."""
    render = _render(path, plot.page - 1)
    if plot.kind == "image":
        from digitize.figure import digitize

        left, top, right, bottom = plot.box_pt
        with _open(path) as pdf:
            image = next(i for i in pdf.pages[plot.page - 1].images
                         if abs(float(i["x0"]) - left) < 0.01 and abs(float(i["top"]) - top) < 0.01)
        # Drawn at the image's own resolution, so its pixels are read as they were embedded.
        scale = max(float(image["srcsize"][0]) / (right - left), 1.0)
        return digitize(render(left, top, right, bottom, scale), **{k: v for k, v in options.items() if v is not None})
    drawing = plot.drawing if plot.drawing is not None else _drawings(path, plot.page)[0][1]
    return read_plot(drawing, km_axes(drawing)[plot.panel], render, **options)


def digitize_pdf(path, *, page: int | None = None, panel: int | None = None, **options) -> DigitizationResult:
    """Digitize the KM plot of a PDF at ``page`` (from 1) and ``panel`` (from 0 within the page).

    Either may be left out when it leaves a single plot; otherwise the
    :class:`InputError` lists the plots found.
    """
    plots = find_km_plots(path, page)
    return digitize_pdf_plot(path, choose_plot(plots, page, panel), **options)
