"""``kmipd digitize``: a KM figure (PNG, JPEG, TIFF, or a PDF or SVG) -> curves, censor marks, calibration, overlay."""

from __future__ import annotations

import argparse
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from kmipd.errors import InputError, input_source
from kmipd.options import argparse_type, parse_numbers, parse_range
from kmipd.outputs import StagedOutputs


def add_parser(subparsers) -> None:
    """Register ``kmipd digitize``."""
    parser = subparsers.add_parser(
        "digitize", help="read the curves of a Kaplan-Meier figure",
        description="Read a Kaplan-Meier figure: find the axes, read the tick labels, separate the "
                    "arms by colour and trace each as a step curve, with its censor marks. Writes "
                    "curves.csv (arm,time,survival), censor_marks.csv (arm,time), "
                    "digitization.json and overlay.png (check it) to the --out folder.",
    )
    add_figure_arguments(parser)
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write the outputs to")
    parser.set_defaults(func=run)


def add_figure_arguments(parser: argparse.ArgumentParser) -> None:
    """The figure and the options that say how to read it (shared with ``kmipd extract``)."""
    parser.add_argument("figure", help="the figure: PNG, JPEG or TIFF, or a PDF (its KM plots found on its pages) or "
                                             "an SVG (both read from their vector paths and text)")
    parser.add_argument("--arms", metavar="NAME=COLOUR,...",
                        help="arm names and colours (names like red or hex codes like #1f77b4), or names and "
                             "the labels the figure prints (NAME=label:TEXT,...); default: found "
                             "automatically, named from the legend")
    parser.add_argument("--x-range", type=argparse_type(parse_range), metavar="A,B",
                        help="values of the first and last labelled x ticks (when OCR cannot read them)")
    parser.add_argument("--y-range", type=argparse_type(parse_range), metavar="A,B",
                        help="values of the lowest and highest labelled y ticks (0,100 for percent)")
    parser.add_argument("--x-ticks", type=argparse_type(parse_numbers, at_least=2), metavar="A,B,...", help="values of all labelled x ticks")
    parser.add_argument("--y-ticks", type=argparse_type(parse_numbers, at_least=2), metavar="A,B,...", help="values of all labelled y ticks")
    parser.add_argument("--panel", type=int, metavar="N",
                        help="which plot of a multi-panel figure or PDF page, from 0 (left to right, top to "
                             "bottom; default 0)")
    parser.add_argument("--page", type=int, metavar="N",
                        help="the page of a PDF, from 1; without --page and --panel every KM plot of the PDF "
                             "is read, each into DIR/page_<p>_panel_<k>/")
    parser.add_argument("--explain", metavar="DIR",
                        help="also write what was found in the figure (diagnosis.json: plot box, arm colours, "
                             "legend labels, at-risk rows, calibration or what failed; overlay.png) to this "
                             "folder, also when reading fails")


def figure_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of :func:`digitize.digitize` given on the command line."""
    return {name: getattr(args, name)
            for name in ("arms", "x_range", "y_range", "x_ticks", "y_ticks", "panel", "page")}


def pdf_plots(args: argparse.Namespace) -> list:
    """The KM plots of a PDF given with neither --page nor --panel, when it holds more than one
    (each is then read into its own folder); else an empty list (one figure, read as usual)."""
    from digitize.pdf import find_km_plots, is_pdf

    if args.page is not None or args.panel is not None or not is_pdf(args.figure):
        return []
    plots = find_km_plots(args.figure)
    return plots if len(plots) > 1 else []


def panel_folder(panel: int) -> str:
    """``panel_A`` for the first plot of an image, ``panel_B`` for the second, ..."""
    return f"panel_{chr(ord('A') + panel)}" if panel < 26 else f"panel_{panel}"


def figure_places(args: argparse.Namespace) -> list[tuple[str, dict]]:
    """Where to read the figure: ``[("", {})]`` for one plot, else per KM plot of a PDF its output
    subfolder and ``page``/``panel`` options (each plot listed on the console)."""
    plots = pdf_plots(args)
    for plot in plots:
        print(plot.describe())
    return [(plot_folder(plot), {"page": plot.page, "panel": plot.panel}) for plot in plots] or [("", {})]


def read_places(args: argparse.Namespace, read: Callable, plot_areas: Callable) -> dict:
    """``read(**options)`` at every place of :func:`figure_places`, by output subfolder.

    An image given without ``--panel`` whose first read finds several plots
    (``plot_areas(result)``) has every panel read, into ``panel_A``,
    ``panel_B``, ... (the first read is panel A's); an error in one panel
    says which, and how to read the others alone.
    """
    places = figure_places(args)
    results = {}
    for name, place in places:
        with input_source(args.figure):
            results[name] = read(**{**figure_options(args), **place})
    from digitize.pdf import is_pdf

    if list(results) != [""] or args.panel is not None or is_pdf(args.figure) or plot_areas(results[""]) < 2:
        return results
    count = plot_areas(results[""])
    print(f"{args.figure}: {count} plots, each read into its own folder (--panel N reads one)")
    results = {panel_folder(0): results[""]}
    for panel in range(1, count):
        try:
            with input_source(args.figure):
                results[panel_folder(panel)] = read(**{**figure_options(args), "panel": panel})
        except InputError as error:
            error.message = (f"{panel_folder(panel)}: {error.message}; give --panel N to read one of the "
                             f"{count} plots alone")
            error.args = (error.message,)
            raise
    return results


def plot_folder(plot) -> str:
    """The output subfolder of one plot of a PDF."""
    return f"page_{plot.page}_panel_{plot.panel}"


@contextmanager
def explaining(args: argparse.Namespace, protected=()) -> Iterator[list]:
    """Write what was found to ``args.explain`` when the block fails; the block appends the
    :class:`digitize.diagnosis.Findings` of a figure read whole to the yielded list.

    The error then says where the findings are, or, without ``--explain``, that it shows them.
    """
    if args.explain and Path(args.explain).resolve() == Path(args.out).resolve():
        raise InputError("--explain must name another folder than --out")
    read: list = []
    try:
        yield read
    except InputError as error:
        findings = getattr(error, "findings", None)
        if findings is None or findings.image is None:
            raise  # the figure was not read at all: nothing found to show
        if not args.explain:
            error.message += " (--explain DIR shows what was found)"
        else:
            _write_explanation(findings, args.explain, protected)
            error.message += f" (what was found: {Path(args.explain) / 'diagnosis.json'})"
        raise
    if args.explain and read:
        _write_explanation(read[0], args.explain, protected)


def _write_explanation(findings, folder, protected) -> None:
    with StagedOutputs(protected=protected) as outputs:
        findings.write(outputs.folder(folder))


def run(args: argparse.Namespace) -> None:
    """Digitize the figure, write the four outputs at once, print a per-arm summary."""
    from kmipd.arm_labels import digitize_named  # loads OpenCV and the OCR models; keep `kmipd --help` quick
    from digitize.diagnosis import Findings

    with explaining(args, protected=[args.figure]) as read:
        results = read_places(args, lambda **options: digitize_named(args.figure, **options),
                              plot_areas=lambda result: result.quality.get("plot_areas", 1))
        read.append(Findings.from_result(next(iter(results.values()))))
    with StagedOutputs(protected=[args.figure]) as outputs:
        folder = outputs.folder(args.out)
        for name, result in results.items():
            result.to_folder(folder / name)
    for name, result in results.items():
        print(f"{name}:\n{result.summary()}" if name else result.summary())
