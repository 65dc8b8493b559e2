"""Checking a published numbers-at-risk table against itself and the curve it sits under."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmipd.errors import InputError


class AtRiskTableError(InputError):
    """An at-risk table that contradicts itself or the curve it sits under."""


class NoCountAtStart(AtRiskTableError):
    """An at-risk table without a count at time 0 and no number of patients given to stand in for it."""


def check_at_risk(time, n_risk, *, end_time: float, n_total: int | None = None):
    """Validate one arm's at-risk table; apply the sound corrections and say which.

    Parameters
    ----------
    time, n_risk : array_like
        The table's times and counts, in any order.
    end_time : float
        Last time of the curve.
    n_total : int, optional
        The arm's number of patients, when known from elsewhere (text of the paper).

    Returns
    -------
    time : ndarray of float
        Table times, increasing, starting at 0 and not after ``end_time``.
    n_risk : ndarray of int
        The counts at those times, non-increasing.
    notes : list of str
        Corrections applied: a count at time 0 added from ``n_total``, repeated
        rows merged, counts after the end of the curve left out.

    Raises
    ------
    AtRiskTableError
        Counts that rise, negative counts or times, two different counts at
        one time, no count at time 0 and no ``n_total``, or a count at time 0
        that differs from ``n_total``.
    """
    time = np.asarray(time, dtype=float)
    n_risk = np.asarray(n_risk, dtype=np.int64)
    notes = []
    if np.any(time < 0) or np.any(n_risk < 0):
        raise AtRiskTableError("the at-risk table has a negative time or count")
    order = np.lexsort((n_risk, time))
    time, n_risk = time[order], n_risk[order]
    repeated = np.r_[False, time[1:] == time[:-1]]
    if np.any(repeated & np.r_[False, n_risk[1:] != n_risk[:-1]]):
        at = time[repeated][0]
        raise AtRiskTableError(f"the at-risk table gives two different counts at time {at:g}")
    if repeated.any():
        notes.append(f"{int(repeated.sum())} repeated at-risk row(s) merged")
        time, n_risk = time[~repeated], n_risk[~repeated]

    if time[0] > 0:
        if n_total is None:
            raise NoCountAtStart("the at-risk table has no count at time 0; give the arm's number of "
                             "patients (--n ARM=N)")
        time, n_risk = np.r_[0.0, time], np.r_[n_total, n_risk]
        notes.append(f"count at time 0 taken from N = {n_total}")
    elif n_total is not None and n_risk[0] != n_total:
        raise AtRiskTableError(f"the at-risk table starts with {n_risk[0]} patients but N is {n_total}")

    rising = np.flatnonzero(np.diff(n_risk) > 0)
    if rising.size:
        i = rising[0]
        raise AtRiskTableError(f"numbers at risk rise from {n_risk[i]} at time {time[i]:g} to "
                         f"{n_risk[i + 1]} at time {time[i + 1]:g}")
    if n_risk[0] == 0:
        raise AtRiskTableError("the at-risk table has no patients at time 0")

    late = time > end_time
    if late.any():
        notes.append(f"{int(late.sum())} at-risk count(s) after the curve ends at {end_time:g} "
                     "left out")
        time, n_risk = time[~late], n_risk[~late]
    return time, n_risk, notes


def snap_to_table(drop_time, table_time, time_error: float) -> np.ndarray:
    """Move drops that lie less than ``time_error`` before a table time onto it.

    Digitizing rounds times to pixel columns, which can put a drop at a table
    time just before it, where it would contradict the count printed there
    (the people dying at a table time are at risk at it). Events exactly at
    table times are common (times in whole days, weeks, months), events just
    before one are rare.
    """
    drop_time = np.asarray(drop_time, dtype=float)
    if time_error <= 0:
        return drop_time
    following = np.searchsorted(table_time, drop_time, side="left")
    target = np.asarray(table_time, dtype=float)[np.minimum(following, len(table_time) - 1)]
    near = (following < len(table_time)) & (target - drop_time < time_error * (1 - 1e-9))
    return np.where(near, target, drop_time)


class CurveTableConflict(AtRiskTableError):
    """An at-risk count the curve cannot meet: it falls further by then than the count allows.

    The table may be right and the curve misread (a band's edge, a legend's
    line or a drop traced too low), or the other way round; ``time`` says where.
    """

    def __init__(self, message: str, time: float):
        super().__init__(message)
        self.time = time


@dataclass(frozen=True)
class Shortfall:
    """Where the curve falls furthest below the survival an at-risk table needs (see :func:`table_shortfall`).

    Attributes
    ----------
    survival : float
        How far the curve lies below the least survival the table allows (survival
        units; negative or 0 where it never does).
    time, n_risk : float, int
        The table time and count where it does so.
    start_time, start_n : float, int
        The table time and count before it.
    curve, needed : float
        The curve's survival just before ``time``, and the least the two counts allow.
    """

    survival: float
    time: float
    n_risk: int
    start_time: float
    start_n: int
    curve: float
    needed: float

    def describe(self) -> str:
        """The conflict in words, to follow "the at-risk count N at time T cannot be met"."""
        return (f"the curve falls to {self.curve:.3f} by then, {self.survival:.3f} below the {self.needed:.3f} "
                f"that {self.n_risk} of the {self.start_n} at risk at time {self.start_time:g} need")


def table_shortfall(drop_time, after, first_survival: float, table_time, table_n) -> Shortfall:
    """How far the curve falls below the least survival its at-risk table allows.

    Between table times t0 and t1 the patients at risk fall from n0 to n1 by
    deaths and censorings, and each drop by d deaths among n multiplies
    survival by (n - d) / n, no less than the share of those n still at risk
    after it: so S(t1-) / S(t0-) >= n1 / n0, whatever the censoring. A curve
    below that at t1 cannot meet the count (deaths at a table time are among
    those at risk at it, so survival is taken just before each table time).

    Parameters
    ----------
    drop_time, after : array_like
        Time of each drop, increasing, and survival just after it.
    first_survival : float
        Survival before the first drop.
    table_time, table_n : array_like
        The checked table (see :func:`check_at_risk`).

    Returns
    -------
    Shortfall
        At the table time where the curve lies furthest below the least survival allowed.
    """
    table_time, table_n = np.asarray(table_time, dtype=float), np.asarray(table_n, dtype=np.int64)
    before_table = np.searchsorted(np.asarray(drop_time, dtype=float), table_time, side="left") - 1
    survival = np.where(before_table >= 0, np.asarray(after, dtype=float)[np.maximum(before_table, 0)],
                        first_survival)
    if table_time.size < 2:
        return Shortfall(0.0, float(table_time[0]), int(table_n[0]), float(table_time[0]), int(table_n[0]),
                         float(survival[0]), float(survival[0]))
    needed = survival[:-1] * table_n[1:] / np.maximum(table_n[:-1], 1)
    gap = needed - survival[1:]
    k = int(np.argmax(gap))
    return Shortfall(float(gap[k]), float(table_time[k + 1]), int(table_n[k + 1]), float(table_time[k]),
                     int(table_n[k]), float(survival[k + 1]), float(needed[k]))
