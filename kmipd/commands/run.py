"""``kmipd run``: the whole job on a folder of figures, from images to pooled results."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kmipd.cli import EXIT_PARTIAL
from kmipd.errors import InputError
from kmipd.options import add_pooling_arguments, argparse_type, parse_numbers, parse_positive, pooling_options
from kmipd.outputs import StagedOutputs


def add_parser(subparsers) -> None:
    """Register ``kmipd run``."""
    parser = subparsers.add_parser(
        "run", help="figures folder -> IPD per study -> pooled results",
        description="Digitize every figure listed in FOLDER/studies.csv, reconstruct its IPD and "
                    "pool the studies. Writes OUT/figures/<study_outcome>/ (curves, overlay, IPD, "
                    "reconstruction plot), OUT/ipd.csv, OUT/summary.csv and OUT/meta/.")
    parser.add_argument("folder", help="folder of figures with studies.csv (and analysis.json)")
    parser.add_argument("--treatment", help="group compared (default: from analysis.json)")
    parser.add_argument("--control", help="reference group (default: from analysis.json)")
    parser.add_argument("--milestones", type=argparse_type(parse_numbers), help="comma-separated milestone times")
    parser.add_argument("--tau", type=argparse_type(parse_positive), help="RMST truncation time")
    add_pooling_arguments(parser, default_text="from analysis.json, else ")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="extract N figures at once, each in its own process (default 1)")
    parser.add_argument("--dask", metavar="ADDRESS",
                        help="extract the figures on the workers of this Dask scheduler (tcp://host:8786) "
                             "instead of local processes; needs pip install 'kmipd[dask]'")
    parser.add_argument("--cache", metavar="DIR",
                        help="keep extractions here, so a rerun redoes only changed figures "
                             "(default: $KMIPD_CACHE or ~/.cache/kmipd)")
    parser.add_argument("--no-cache", action="store_true", help="extract every figure afresh and keep nothing")
    parser.add_argument("--out", required=True, help="output folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int | None:
    """Run the pipeline and write all of its outputs at once; :data:`kmipd.cli.EXIT_PARTIAL` when
    some figures could not be read (each named on standard error; the others' results written)."""
    from kmipd import pipeline  # loads every stage; keep `kmipd --help` quick

    from kmipd.cache import ExtractionCache, default_folder

    if args.jobs < 1:
        raise InputError(f"--jobs must be 1 or more, got {args.jobs}")
    cache = None if args.no_cache else ExtractionCache(args.cache or default_folder())
    result = pipeline.run(args.folder, treatment=args.treatment, control=args.control,
                          milestones=args.milestones, tau=args.tau,
                          **pooling_options(args),
                          jobs=args.jobs, cache=cache, dask=args.dask)
    with StagedOutputs(protected=result.input_files) as outputs:
        result.to_folder(outputs.folder(args.out))
    print(result.summary.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
    print("\n".join(result.meta.headline()))
    for warning in result.warnings:
        print(f"kmipd run: warning: {warning}")
    print(f"kmipd run: results in {args.out}; open {Path(args.out) / 'report.html'} to read them")
    if result.failures:
        for message in result.failures.values():
            print(f"kmipd: error: {' '.join(message.splitlines())}", file=sys.stderr)
        print(f"kmipd: error: {len(result.failures)} of {len(result.failures) + len(result.extractions)} figures "
              f"could not be read and are left out of the results in {args.out} (see report.html)", file=sys.stderr)
        return EXIT_PARTIAL
    return None
