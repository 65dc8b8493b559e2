"""``kmipd reconstruct``: digitized curves (+ at-risk table, N, events, censor marks) -> IPD CSV."""

from __future__ import annotations

import argparse

from kmipd.errors import input_source
from kmipd.options import argparse_type, counts_by_arm, parse_count, parse_positive
from kmipd.outputs import StagedOutputs
from kmipd.tables import AT_RISK, CENSOR_MARKS, CURVES, read_table


def add_parser(subparsers) -> None:
    """Register ``kmipd reconstruct``."""
    parser = subparsers.add_parser(
        "reconstruct", help="reconstruct IPD from digitized KM curves",
        description="Reconstruct individual patient data (arm,time,event) from digitized KM curves "
                    "(arm,time,survival), using the numbers-at-risk table, each arm's N, its total "
                    "of events and censor marks where given.",
    )
    parser.add_argument("curves", help="curves CSV (arm,time,survival)")
    parser.add_argument("--at-risk", help="numbers-at-risk CSV (arm,time,n_risk)")
    parser.add_argument("--n", type=argparse_type(parse_count), action="append", default=[], metavar="ARM=N",
                        help="number of patients of an arm (repeat for each arm)")
    parser.add_argument("--total-events", type=argparse_type(parse_count), action="append", default=[],
                        metavar="ARM=N", help="published total of events of an arm")
    parser.add_argument("--censor-marks", help="censor marks CSV (arm,time)")
    parser.add_argument("--survival-noise", type=argparse_type(parse_positive), metavar="SD",
                        help="standard deviation of the digitizing error of a survival value "
                             "(estimated from the points by default; for curves from `kmipd "
                             "digitize`, give its digitization.json's survival_noise)")
    parser.add_argument("--time-error", type=argparse_type(parse_positive), metavar="T",
                        help="how far digitizing may have moved a drop in time, in the curves' "
                             "time unit (estimated by default; digitization.json gives time_error)")
    parser.add_argument("--out", required=True, help="IPD CSV to write (arm,time,event)")
    parser.add_argument("--plot", help="PNG of the reconstruction over the input points")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    """Read the inputs, reconstruct every arm, write the IPD (and plot) at once, print the summary."""
    from reconstruct import reconstruct  # loads scipy; keep `kmipd --help` quick
    from reconstruct.at_risk import AtRiskTableError

    curves = read_table(args.curves, CURVES)
    at_risk = read_table(args.at_risk, AT_RISK) if args.at_risk else None
    marks = read_table(args.censor_marks, CENSOR_MARKS) if args.censor_marks else None
    n_total, total_events = counts_by_arm(args.n, "--n"), counts_by_arm(args.total_events, "--total-events")
    with input_source(args.curves):
        try:
            result = reconstruct(curves, at_risk, n_total=n_total, total_events=total_events,
                                 censor_marks=marks, survival_noise=args.survival_noise,
                                 time_error=args.time_error)
        except AtRiskTableError as error:
            error.source = error.source or args.at_risk
            raise
    inputs = [path for path in (args.curves, args.at_risk, args.censor_marks) if path]
    with StagedOutputs(protected=inputs) as outputs:
        result.ipd.to_csv(outputs.path(args.out), index=False, lineterminator="\n")
        if args.plot:
            from reconstruct.plot import plot_reconstruction

            figure = plot_reconstruction(result)
            figure.savefig(outputs.path(args.plot), format="png", metadata={"Software": None})
    print(result.summary.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
    for arm, arm_result in result.arms.items():
        for note in arm_result.notes:
            print(f"kmipd reconstruct: note: arm {arm}: {note}")

