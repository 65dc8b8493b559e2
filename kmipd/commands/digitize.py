"""``kmipd digitize``: a KM figure (PNG, JPEG, TIFF) -> curves, censor marks, calibration, overlay."""

from __future__ import annotations

import argparse

from kmipd.errors import input_source
from kmipd.outputs import StagedOutputs


def _pair(text: str) -> tuple[float, float]:
    """Parse ``A,B`` (two numbers)."""
    parts = text.split(",")
    try:
        first, last = (float(part) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two numbers A,B, got '{text}'") from None
    if first == last:
        raise argparse.ArgumentTypeError(f"the two values must differ, got '{text}'")
    return first, last


def _values(text: str) -> list[float]:
    """Parse ``A,B,C,...`` (tick values)."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got '{text}'") from None
    if len(values) < 2:
        raise argparse.ArgumentTypeError(f"give at least two tick values, got '{text}'")
    return values


def add_parser(subparsers) -> None:
    """Register ``kmipd digitize``."""
    parser = subparsers.add_parser(
        "digitize", help="read the curves of a Kaplan-Meier figure",
        description="Read a Kaplan-Meier figure: find the axes, read the tick labels, separate the "
                    "arms by colour and trace each as a step curve, with its censor marks. Writes "
                    "curves.csv (arm,time,survival), censor_marks.csv (arm,time), "
                    "digitization.json and overlay.png (check it) to the --out folder.",
    )
    parser.add_argument("figure", help="the figure: PNG, JPEG or TIFF")
    parser.add_argument("--arms", metavar="NAME=COLOUR,...",
                        help="arm names and colours (names like red or hex codes like #1f77b4); "
                             "default: found automatically, named from the legend")
    parser.add_argument("--x-range", type=_pair, metavar="A,B",
                        help="values of the first and last labelled x ticks (when OCR cannot read them)")
    parser.add_argument("--y-range", type=_pair, metavar="A,B",
                        help="values of the lowest and highest labelled y ticks (0,100 for percent)")
    parser.add_argument("--x-ticks", type=_values, metavar="A,B,...", help="values of all labelled x ticks")
    parser.add_argument("--y-ticks", type=_values, metavar="A,B,...", help="values of all labelled y ticks")
    parser.add_argument("--panel", type=int, default=0, metavar="N",
                        help="which plot of a multi-panel figure, from 0 (left to right, top to bottom)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write the outputs to")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    """Digitize the figure, write the four outputs at once, print a per-arm summary."""
    from digitize import digitize  # loads OpenCV and the OCR models; keep `kmipd --help` quick

    with input_source(args.figure):
        result = digitize(args.figure, arms=args.arms, x_range=args.x_range, y_range=args.y_range,
                          x_ticks=args.x_ticks, y_ticks=args.y_ticks, panel=args.panel)
    with StagedOutputs(protected=[args.figure]) as outputs:
        result.to_folder(outputs.folder(args.out))
    print(result.summary())
