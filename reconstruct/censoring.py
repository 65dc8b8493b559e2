"""The censoring model: how many patients are expected at risk, and when the censored ones leave.

Censoring is what a KM figure hides. Between two at-risk table times Guyot et
al. (2012) spread it uniformly in time; when the figure shows censor marks,
Rogula et al. (2022) put it at the marks. :class:`CensoringModel` holds both
readings and serves twice: as the prior of the number at risk at each drop
(which the drop sizes then correct) and to give each censored patient a time.

With patients censored at times u, the Kaplan-Meier identity
``n(t) = S(t-) * (n(T) / S(T-) - sum over u in [T, t) of 1 / S(u))`` turns a
censoring pace into numbers at risk. The table says how many leave in each
table interval; the marks say when some of them leave, each at least one
patient. But a digitizer may find a few marks where none is drawn (the corners
of a steep staircase) or a few of hundreds, so marks take no more than their
share: one patient a mark, and of the patients left over the share the marks
account for of all the interval's censored (nearly all, when the marks are all
there and some are ties; next to none, for two marks in an interval where 60
leave). The rest are spread uniformly in time, as Guyot does. (Taking all of
an interval's censoring at its marks, as Rogula does, put 55 and 116 patients
on two false marks of gbsg2 and moved its KM 0.009 and 0.016 off the curve.)
After the last table time, patients leave at the marks there, else in time.
"""

from __future__ import annotations

import copy

import numpy as np

from reconstruct.clean import Drops


class CensoringModel:
    """Censoring paces per at-risk table interval, at the marks and in time, fitted to the table.

    Parameters
    ----------
    drops : Drops
        The cleaned curve.
    table_time, table_n : ndarray
        Checked at-risk table, starting at time 0 (only ``(0, N)`` without a table).
    marks : array_like, optional
        Censor-mark times of the arm.

    Attributes
    ----------
    rate_ : ndarray
        Censoring pace of each table interval in time, in patients (weighted
        by 1/S) per time unit; the last entry is the pace after the last table
        time (per mark there, when the tail has marks).
    mark_rate_ : ndarray
        Patients censored at each mark of each table interval (weighted by
        1/S): under 1 where the table lets fewer leave than there are marks,
        else 1 and the marks' share of those left over.

    References
    ----------
    Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of
    survival data: reconstructing the data from published Kaplan-Meier survival
    curves. BMC Med Res Methodol 2012;12:9.
    Rogula B, Lozano-Ortega G, Johnston KM. A method for reconstructing
    individual patient data from Kaplan-Meier survival curves that incorporate
    marked censoring times. MDM Policy Pract 2022;7(1).
    """

    def __init__(self, drops: Drops, table_time, table_n, marks=None):
        self.drops = drops
        self.table_time = np.asarray(table_time, dtype=float)
        self.table_n = np.asarray(table_n, dtype=float)
        self.marks = np.sort(np.asarray([] if marks is None else marks, dtype=float))
        self._tail_marked = bool(np.any(self.marks >= self.table_time[-1]))
        # Both clocks (marks weighted by 1/S passed, the integral of 1/S over time) at the marks
        # and at the drops, for _marks_clock and _time_clock_at to read.
        self._mark_clock = np.r_[0.0, np.cumsum(1.0 / np.maximum(drops.survival_at(self.marks),
                                                                 1e-9))]
        self._levels = np.maximum(np.r_[1.0, drops.after], 1e-9)
        self._level_starts = np.r_[0.0, drops.time]
        self._time_clock = np.r_[0.0, np.cumsum(np.diff(self._level_starts) / self._levels[:-1])]
        self._scaled_n = self.table_n / drops.survival_before(self.table_time)
        rate, mark_rate = np.zeros(self.table_time.size), np.zeros(self.table_time.size)
        for i in range(self.table_time.size - 1):
            leaving = max(self._scaled_n[i] - self._scaled_n[i + 1], 0.0)
            start, end = self.table_time[i], self.table_time[i + 1]
            at_marks = self._marks_clock(end) - self._marks_clock(start)
            span = self._time_clock_at(end) - self._time_clock_at(start)
            if at_marks >= leaving:
                mark_rate[i] = leaving / at_marks if at_marks > 0 else 0.0
            elif leaving > 0:
                # One a mark, and of those left over the share the marks account for of all leaving.
                excess = leaving - at_marks
                mark_rate[i] = 1.0 + excess / leaving
                rate[i] = excess * (1.0 - at_marks / leaving) / span if span > 0 else 0.0
        if self._tail_marked:
            rate[-1] = 1.0
        elif self.table_time.size > 1:
            rate[-1] = rate[-2]
        self.rate_, self.mark_rate_ = rate, mark_rate

    def with_last_rate(self, rate: float) -> "CensoringModel":
        """The same model with the pace after the last table time set to ``rate``."""
        model = copy.copy(self)
        model.rate_ = np.r_[self.rate_[:-1], rate]
        return model

    def last_rate_to_empty(self) -> float:
        """The pace after the last table time at which everyone left is censored by the curve's end."""
        last = self.table_time.size - 1
        clock = self._marks_clock if self._tail_marked else self._time_clock_at
        span = clock(self.drops.end_time) - clock(self.table_time[last])
        return float(self._scaled_n[last] / span) if span > 0 else 0.0

    def _marks_clock(self, t) -> np.ndarray:
        """Marks passed before ``t``, each weighted by 1/S at the mark."""
        return self._mark_clock[np.searchsorted(self.marks, np.asarray(t, dtype=float), side="left")]

    def _time_clock_at(self, t) -> np.ndarray:
        """Integral of du / S(u) from 0 to ``t``: S is a step function, so it is piecewise linear."""
        t = np.asarray(t, dtype=float)
        k = np.searchsorted(self._level_starts, t, side="right") - 1
        return self._time_clock[k] + (t - self._level_starts[k]) / self._levels[k]

    def _leaving(self, interval, start, end) -> tuple[np.ndarray, np.ndarray]:
        """Patients (weighted by 1/S) censored in [start, end) within table interval ``interval``:
        at the marks, and in time."""
        at_marks = self._marks_clock(end) - self._marks_clock(start)
        in_time = self._time_clock_at(end) - self._time_clock_at(start)
        tail = interval == self.table_time.size - 1
        tail_marks = tail & self._tail_marked
        at_marks = np.where(tail, np.where(tail_marks, self.rate_[-1], 0.0), self.mark_rate_[interval]) * at_marks
        in_time = np.where(tail_marks, 0.0, self.rate_[interval]) * in_time
        return at_marks, in_time

    def expected_at_risk(self, t) -> np.ndarray:
        """Expected number at risk just before each of the times ``t``."""
        t = np.asarray(t, dtype=float)
        interval = np.searchsorted(self.table_time, t, side="right") - 1
        passed = sum(self._leaving(interval, self.table_time[interval], t))
        scaled = np.maximum(self._scaled_n[interval] - passed, 0.0)
        return self.drops.survival_before(t) * scaled

    def expected_censored(self, start, end) -> np.ndarray:
        """Expected number of patients censored in each span [start, end) lying within one table interval.

        The pace times the clock's advance, scaled back from 1/S-weighted
        patients by the survival at the start of the span; NaN after the last
        table time when there are no marks there, where the pace is a guess.
        """
        start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
        interval = np.searchsorted(self.table_time, start, side="right") - 1
        expected = sum(self._leaving(interval, start, end)) * self.drops.survival_at(start)
        if not self._tail_marked:
            expected[interval == self.table_time.size - 1] = np.nan
        return expected

    def censor_times(self, start, end, count, tail: bool = False) -> np.ndarray:
        """Times of ``count[i]`` patients censored in each span [start[i], end[i]), or in the tail.

        Between drops, a span's patients are shared between its censor marks
        and its time as the model expects them to leave (at least one a mark
        while there are patients): those at the marks go as evenly as possible
        among them, several a mark when there are more, the others evenly over
        the span, as do all of a span without marks. In the tail (one span
        ``[start, end]`` up to the end of the curve, where survival is flat)
        they leave at the marks, or at the last interval's pace in time, and
        whoever is left is censored at the end of the curve (``tail``). All
        spans are done at once.
        """
        start, end, count = (np.atleast_1d(np.asarray(x)) for x in (start, end, count))
        first = np.searchsorted(self.marks, start, side="left")
        n_marks = np.searchsorted(self.marks, end, side="right" if tail else "left") - first
        if tail:
            at_marks = np.where(n_marks > 0, count, 0)
        else:
            interval = np.searchsorted(self.table_time, start, side="right") - 1
            expected_at_marks, expected_in_time = self._leaving(interval, start, end)
            expected = expected_at_marks + expected_in_time
            share = np.divide(expected_at_marks, expected, out=np.ones(count.size), where=expected > 0)
            at_marks = np.where(n_marks > 0, np.clip(np.round(count * share), np.minimum(count, n_marks), count), 0)
        # Each patient's span, and its place k among that span's patients: the first at_marks at the marks.
        span = np.repeat(np.arange(count.size), count)
        place = np.arange(span.size) - np.repeat(np.cumsum(count) - count, count)
        start, end, count, first, n_marks, at_marks = (x[span] for x in (start, end, count, first, n_marks, at_marks))
        if tail:
            times = (np.minimum(start + (place + 0.5) / self.rate_[-1], end) if self.rate_[-1] > 0
                     else end.astype(float))  # after the last drop S is flat: r scaled patients is r a time unit
        else:
            times = start + (end - start) * (place - at_marks + 0.5) / np.maximum(count - at_marks, 1)
        marked = place < at_marks
        pick = first[marked] + np.floor((place[marked] + 0.5) * n_marks[marked] / at_marks[marked])
        times[marked] = self.marks[pick.astype(int)]
        return times
