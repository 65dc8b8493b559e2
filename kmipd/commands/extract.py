"""``kmipd extract``: a KM figure -> curves (digitize) -> IPD (reconstruct), with both pictures."""

from __future__ import annotations

import argparse

from kmipd.commands.digitize import add_figure_arguments, explaining, read_places
from kmipd.options import argparse_type, counts_by_arm, parse_count
from kmipd.outputs import StagedOutputs
from kmipd.tables import AT_RISK, read_table


def add_parser(subparsers) -> None:
    """Register ``kmipd extract``."""
    parser = subparsers.add_parser(
        "extract", help="digitize a figure and reconstruct its IPD",
        description="Digitize a Kaplan-Meier figure, then reconstruct the IPD of every arm from the "
                    "curves, the numbers-at-risk table (given, or read from the figure) and the censor "
                    "marks. Writes digitize's outputs plus ipd.csv (arm,time,event) and "
                    "reconstruction.png to the --out folder.")
    add_figure_arguments(parser)
    parser.add_argument("--at-risk", help="numbers-at-risk CSV (arm,time,n_risk); default: read from the figure")
    parser.add_argument("--n", type=argparse_type(parse_count), action="append", default=[], metavar="ARM=N",
                        help="number of patients of an arm (repeat for each arm)")
    parser.add_argument("--total-events", type=argparse_type(parse_count), action="append", default=[],
                        metavar="ARM=N", help="published total of events of an arm")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write the outputs to")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    """Extract the figure's IPD and write every output at once; print both summaries."""
    from digitize.diagnosis import Findings  # loads every stage; keep `kmipd --help` quick
    from kmipd.pipeline import extract

    at_risk = read_table(args.at_risk, AT_RISK) if args.at_risk else None
    inputs = [path for path in (args.figure, args.at_risk) if path]
    with explaining(args, protected=inputs) as read:
        counts = {"n_total": counts_by_arm(args.n, "--n"),
                  "total_events": counts_by_arm(args.total_events, "--total-events")}
        extractions = read_places(args, lambda **options: extract(args.figure, at_risk=at_risk, **counts, **options),
                                  plot_areas=lambda extraction: extraction.digitization.quality.get("plot_areas", 1))
        read.append(Findings.from_result(next(iter(extractions.values())).digitization))
    with StagedOutputs(protected=inputs) as outputs:
        folder = outputs.folder(args.out)
        for name, extraction in extractions.items():
            extraction.to_folder(folder / name)
    for name, extraction in extractions.items():
        if name:
            print(f"{name}:")
        print(extraction.digitization.summary())
        print(extraction.reconstruction.summary.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
