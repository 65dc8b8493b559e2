"""``kmipd meta``: IPD of several studies -> per-study and pooled results, figures."""

from __future__ import annotations

import argparse

from kmipd.errors import input_source
from kmipd.options import add_pooling_arguments, argparse_type, parse_numbers, parse_positive, pooling_options
from kmipd.outputs import StagedOutputs
from kmipd.tables import STUDY_IPD, read_table
from kmipd.time_units import parse_time_unit


def add_parser(subparsers) -> None:
    """Register ``kmipd meta``."""
    parser = subparsers.add_parser(
        "meta", help="pool the IPD of several studies",
        description="Per-study survival analyses, two-stage and one-stage pooling, pooled arms "
                    "and forest plots from an IPD CSV with columns study,arm,time,event[,outcome].",
    )
    parser.add_argument("ipd", help="IPD CSV (study,arm,time,event and optionally outcome)")
    parser.add_argument("--treatment", required=True, help="arm label of the treatment group")
    parser.add_argument("--control", required=True, help="arm label of the control group")
    parser.add_argument("--outcome", help="analyse only this outcome (default: every outcome)")
    parser.add_argument("--tau", type=argparse_type(parse_positive),
                        help="RMST truncation time (default: the largest time "
                        "every compared arm of every study reaches)")
    parser.add_argument("--milestones", type=argparse_type(parse_numbers), default=[],
                        help="comma-separated times for survival, e.g. 6,12,24")
    parser.add_argument("--time-unit", type=argparse_type(parse_time_unit),
                        help="unit of the IPD's times (days, weeks, months, years), shown on every time axis")
    add_pooling_arguments(parser, default_text="")
    parser.add_argument("--out", required=True, help="output folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    """Read the IPD, analyse it, write every table and figure into ``--out`` at once."""
    from meta import analyse  # the stage loads matplotlib; keep `kmipd --help` quick

    pooling = pooling_options(args)
    ipd = read_table(args.ipd, STUDY_IPD, optional={"outcome": "text"})
    with input_source(args.ipd):
        result = analyse(ipd, treatment=args.treatment, control=args.control, tau=args.tau,
                         milestones=args.milestones, outcome=args.outcome, show_progress=True,
                         time_unit=args.time_unit or "", **pooling)
    with StagedOutputs(protected=[args.ipd]) as outputs:
        folder = outputs.folder(args.out)
        result.write(lambda name: folder / name)
    print("\n".join(result.headline()))
    for note in result.notes:
        print(f"kmipd meta: note: {note}")
