"""Parsing the small values of command-line options and manifest cells.

Each parser raises :class:`~kmipd.errors.InputError` with a message that
shows the expected form; :func:`argparse_type` adapts one for argparse, so
the command line and ``studies.csv`` accept and reject exactly the same text.
"""

from __future__ import annotations

import argparse
import functools
import math
from typing import Callable

from kmipd.errors import InputError


def parse_count(text: str) -> tuple[str, int]:
    """``"TKI=21"`` -> ``("TKI", 21)``: an arm's size or total of events."""
    name, sep, value = text.strip().rpartition("=")
    if not sep or not name.strip() or not value.strip().isdigit():
        raise InputError(f"expected ARM=N (N a whole number, as in 'TKI=21'), got '{text.strip()}'")
    return name.strip(), int(value)


def parse_counts(text: str) -> dict[str, int]:
    """``"TKI=21,TKI+ICI=49"`` -> ``{"TKI": 21, "TKI+ICI": 49}`` (see :func:`counts_by_arm`)."""
    return counts_by_arm((parse_count(part) for part in text.split(",") if part.strip()), f"'{text}'")


def counts_by_arm(pairs, where: str) -> dict[str, int]:
    """``[(arm, n), ...]`` as a dict, refusing an arm given twice with different numbers.

    ``where`` names the source in the message, e.g. ``"--n"``.
    """
    counts: dict[str, int] = {}
    for arm, count in pairs:
        if counts.get(arm, count) != count:
            raise InputError(f"arm {arm} is given twice in {where}: {counts[arm]} and {count}")
        counts[arm] = count
    return counts


def parse_numbers(text: str, at_least: int = 1) -> list[float]:
    """``"6,12,24"`` -> ``[6.0, 12.0, 24.0]``, with at least ``at_least`` numbers."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = [float("nan")]
    if not all(math.isfinite(value) for value in values):
        raise InputError(f"'{text}' is not numbers separated by commas, as in '6,12,24'")
    if len(values) < at_least:
        raise InputError(f"'{text}' gives {len(values)} number(s); at least {at_least} needed")
    return values


def parse_positive(text: str) -> float:
    """``"0.001"`` -> ``0.001``: a size (of an error, a noise) that must be a positive number."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise InputError(f"expected a positive number, as in '0.001', got '{text.strip()}'")
    return value


def parse_range(text: str) -> tuple[float, float]:
    """``"0,60"`` -> ``(0.0, 60.0)``: the lowest and highest labelled tick values of an axis."""
    parts = text.split(",")
    try:
        first, last = (float(part) for part in parts)
    except ValueError:
        first = last = float("nan")
    if not (math.isfinite(first) and math.isfinite(last) and first < last):
        raise InputError(f"expected two numbers A,B with A < B (the lowest and highest labelled ticks), "
                         f"as in '0,60', got '{text}'")
    return first, last


def argparse_type(parse: Callable, **keywords) -> Callable:
    """``parse`` as an argparse ``type=``: its message becomes argparse's error message."""

    @functools.wraps(parse)
    def parse_argument(text: str):
        try:
            return parse(text, **keywords)
        except InputError as error:
            raise argparse.ArgumentTypeError(error.message) from None

    return parse_argument


def add_pooling_arguments(parser: argparse.ArgumentParser, default_text: str) -> None:
    """``--model`` and ``--ci``: the pooling reported (shared by ``kmipd meta`` and ``kmipd run``).

    Checked by :func:`pooling_options` when the command runs, not by argparse ``choices``: the
    choices live in :mod:`meta.pooling`, whose import would slow every ``kmipd --help``.
    """
    parser.add_argument("--model", help=f"pooling model reported: REML, DL or PM (random effects) or common "
                                         f"(default: {default_text}REML)")
    parser.add_argument("--ci", help=f"CI method of the pooled estimate: hksj_adhoc (HKSJ with the ad-hoc "
                                      f"correction), hksj or wald (default: {default_text}hksj_adhoc)")


def pooling_options(args: argparse.Namespace) -> dict:
    """The ``model`` and ``ci_method`` of :func:`meta.analyse` given by ``--model`` and ``--ci``,
    checked (before any input is read)."""
    from meta.pooling import DEFAULT_CI, DEFAULT_MODEL, check_method

    try:
        check_method(args.model or DEFAULT_MODEL, args.ci or DEFAULT_CI)
    except InputError as error:
        option = "--model" if error.message.startswith("model") else "--ci"
        raise InputError(f"{option}: {error.message}") from None
    return {key: value for key, value in (("model", args.model), ("ci_method", args.ci)) if value}
