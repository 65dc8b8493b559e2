"""The censoring model: how many patients are expected at risk, and when the censored ones leave.

Censoring is what a KM figure hides. Between two at-risk table times Guyot et
al. (2012) spread it uniformly in time; when the figure shows censor marks,
Rogula et al. (2022) put it at the marks. :class:`CensoringModel` holds both
readings and serves twice: as the prior of the number at risk at each drop
(which the drop sizes then correct) and to give each censored patient a time.

With patients censored at times u, the Kaplan-Meier identity
``n(t) = S(t-) * (n(T) / S(T-) - sum over u in [T, t) of 1 / S(u))`` turns a
censoring pace into numbers at risk. The pace is uniform in a *clock*: time
(Guyot) or the count of censor marks passed (Rogula, one patient a mark),
chosen per table interval by whether the interval has marks.
"""

from __future__ import annotations

import copy

import numpy as np

from reconstruct.clean import Drops


class CensoringModel:
    """Censoring pace per at-risk table interval, fitted to the table.

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
        Censoring pace of each table interval, in patients (weighted by 1/S)
        per clock unit; the last entry is the pace after the last table time.

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
        ends = np.r_[self.table_time[1:], np.inf]
        self._by_marks = np.array([np.any((self.marks >= a) & (self.marks < b))
                                   for a, b in zip(self.table_time, ends)])
        # Both clocks at the drops and marks, for _clock to interpolate.
        self._mark_clock = np.r_[0.0, np.cumsum(1.0 / np.maximum(drops.survival_at(self.marks),
                                                                 1e-9))]
        self._levels = np.maximum(np.r_[1.0, drops.after], 1e-9)
        self._level_starts = np.r_[0.0, drops.time]
        self._time_clock = np.r_[0.0, np.cumsum(np.diff(self._level_starts) / self._levels[:-1])]
        self._scaled_n = self.table_n / drops.survival_before(self.table_time)
        rate = np.zeros(self.table_time.size)
        for i in range(self.table_time.size - 1):
            span = self._clock(i, self.table_time[i + 1]) - self._clock(i, self.table_time[i])
            if span > 0:
                rate[i] = max((self._scaled_n[i] - self._scaled_n[i + 1]) / span, 0.0)
        if self._by_marks[-1]:
            rate[-1] = 1.0
        elif self.table_time.size > 1 and not self._by_marks[-2]:
            rate[-1] = rate[-2]
        self.rate_ = rate

    def with_last_rate(self, rate: float) -> "CensoringModel":
        """The same model with the pace after the last table time set to ``rate``."""
        model = copy.copy(self)
        model.rate_ = np.r_[self.rate_[:-1], rate]
        return model

    def last_rate_to_empty(self) -> float:
        """The pace after the last table time at which everyone left is censored by the curve's end."""
        last = self.table_time.size - 1
        span = self._clock(last, self.drops.end_time) - self._clock(last, self.table_time[last])
        return float(self._scaled_n[last] / span) if span > 0 else 0.0

    def _clock(self, interval, t) -> np.ndarray:
        """The censoring clock of ``interval`` (one, or one per time) at ``t``.

        Weighted marks passed where the interval has marks, else weighted time.
        """
        t = np.asarray(t, dtype=float)
        by_marks = self._mark_clock[np.searchsorted(self.marks, t, side="left")]
        # Integral of du / S(u): S is a step function, so the integral is piecewise linear.
        k = np.searchsorted(self._level_starts, t, side="right") - 1
        by_time = self._time_clock[k] + (t - self._level_starts[k]) / self._levels[k]
        return np.where(self._by_marks[interval], by_marks, by_time)

    def expected_at_risk(self, t) -> np.ndarray:
        """Expected number at risk just before each of the times ``t``."""
        t = np.asarray(t, dtype=float)
        interval = np.searchsorted(self.table_time, t, side="right") - 1
        passed = self._clock(interval, t) - self._clock(interval, self.table_time[interval])
        scaled = np.maximum(self._scaled_n[interval] - self.rate_[interval] * passed, 0.0)
        return self.drops.survival_before(t) * scaled

    def expected_censored(self, start, end) -> np.ndarray:
        """Expected number of patients censored in each span [start, end) lying within one table interval.

        The pace times the clock's advance, scaled back from 1/S-weighted
        patients by the survival at the start of the span; NaN after the last
        table time when there are no marks there, where the pace is a guess.
        """
        start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
        interval = np.searchsorted(self.table_time, start, side="right") - 1
        advance = self._clock(interval, end) - self._clock(interval, start)
        expected = self.rate_[interval] * advance * self.drops.survival_at(start)
        expected[(interval == self.table_time.size - 1) & ~self._by_marks[-1]] = np.nan
        return expected

    def censor_times(self, start, end, count, tail: bool = False) -> np.ndarray:
        """Times of ``count[i]`` patients censored in each span [start[i], end[i]), or in the tail.

        Between drops they go to the censor marks in the span (as evenly as
        possible among them when there are fewer patients than marks, several a
        mark when there are more), else they are spread evenly. In the tail
        (one span ``[start, end]`` up to the end of the curve, where survival
        is flat) they leave at the last interval's pace and whoever is left is
        censored at the end of the curve (``tail``). All spans are done at once.
        """
        start, end, count = (np.atleast_1d(np.asarray(x)) for x in (start, end, count))
        # Each patient's span, and its place (k + 0.5) / count among that span's patients.
        span = np.repeat(np.arange(count.size), count)
        place = np.arange(span.size) - np.repeat(np.cumsum(count) - count, count) + 0.5
        start, end, count = start[span], end[span], count[span]
        first = np.searchsorted(self.marks, start, side="left")
        n_marks = np.searchsorted(self.marks, end, side="right" if tail else "left") - first
        if not tail:
            times = start + (end - start) * place / count
        elif self.rate_[-1] > 0:
            # After the last drop S is flat, so a pace of r (scaled patients per time) is r per time.
            times = np.minimum(start + place / self.rate_[-1], end)
        else:
            times = end.astype(float)
        at_marks = n_marks > 0
        pick = first[at_marks] + np.floor(place[at_marks] * n_marks[at_marks] / count[at_marks])
        times[at_marks] = self.marks[pick.astype(int)]
        return times
