"""Checking a published numbers-at-risk table against itself and the curve it sits under."""

from __future__ import annotations

import numpy as np

from kmipd.errors import InputError


class AtRiskTableError(InputError):
    """An at-risk table that contradicts itself or the curve it sits under."""


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
            raise AtRiskTableError("the at-risk table has no count at time 0; give the arm's number of "
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
