"""Cox partial-likelihood terms at each death time, for one covariate.

lifelines fits Cox models but does not expose the per-death-time score and
information that kmipd needs: the Grambsch-Therneau test (:mod:`meta.zph`)
adds a time-varying covariate, and the gamma frailty model
(:mod:`meta.one_stage`) refits with an offset hundreds of times. A lifelines
fit also costs ~80 ms of pandas overhead, too slow for pooling many studies,
so the per-study and stratified Cox fits use :meth:`RiskSets.fit` too. The
tests check it against lifelines ``CoxPHFitter`` (and R) to 1e-6. Tied
deaths are handled by Efron's method (R's and lifelines' default) or
Breslow's.

Subjects that share every column (time, event, covariate, stratum, group)
contribute identical terms, so :func:`tally` merges them into one row with
a frequency count and :class:`RiskSets` takes the counts as ``weights``:
the terms are exactly those of the expanded data (Efron's tie correction
counts every subject), at the cost of the distinct rows only. Reconstructed
IPD is heavily tied (every death of a step shares its time), so a pooled
analysis of 10^6 reconstructed patients runs on a few ten thousand rows.

References
----------
Efron B (1977). The efficiency of Cox's likelihood function for censored
data. JASA 72:557-565.
Therneau TM, Grambsch PM (2000). Modeling Survival Data: Extending the Cox
Model. Springer, chapter 3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TIES = ("efron", "breslow")


@dataclass(frozen=True)
class DeathTimeTerms:
    """Contributions of each distinct death time to a one-covariate Cox model.

    Attributes
    ----------
    time : ndarray
        The distinct death times, ascending.
    n_deaths : ndarray
        Deaths at each time.
    score : ndarray
        Sum over the deaths of ``x - mean(x | risk set)`` (the Schoenfeld
        residuals summed at that time).
    information : ndarray
        The matching variance term.
    log_likelihood : ndarray
        The log partial likelihood contribution.
    risk_total : ndarray
        Sum of ``exp(eta)`` over the risk set (Breslow's denominator).
    """

    time: np.ndarray
    n_deaths: np.ndarray
    score: np.ndarray
    information: np.ndarray
    log_likelihood: np.ndarray
    risk_total: np.ndarray


class RiskSets:
    """Right-censored data sorted once, ready to evaluate Cox terms many times.

    Parameters
    ----------
    time : array_like
        Follow-up times.
    event : array_like
        1 for an event, 0 for censored.
    x : array_like
        The covariate (e.g. 1 for the treatment arm, 0 for control).
    ties : {"efron", "breslow"}
        How tied deaths are handled.
    strata : array_like, optional
        Stratum labels (e.g. study): risk sets are formed within strata, as
        R's ``strata()`` and lifelines' ``strata=``.
    weights : array_like of int, optional
        Frequency counts: each row stands for this many identical subjects
        (see :func:`tally`). Default 1 each.
    """

    def __init__(self, time, event, x, ties: str = "efron", strata=None, weights=None):
        if ties not in TIES:
            raise ValueError(f"ties must be one of {TIES}, got {ties!r}")
        time = np.asarray(time, dtype=float)
        stratum = np.zeros(len(time), dtype=int) if strata is None else np.unique(
            np.asarray(strata), return_inverse=True)[1]
        order = np.lexsort((time, stratum))
        self.order = order
        self.time = time[order]
        self.event = np.asarray(event, dtype=int)[order]
        self.x = np.asarray(x, dtype=float)[order]
        self.weights = np.ones(len(time)) if weights is None else np.asarray(weights, dtype=float)[order]
        #: Deaths each row stands for (event times its frequency).
        self.deaths = self.event * self.weights
        self.ties = ties
        stratum = stratum[order]
        # one "key" per distinct (stratum, time); subjects sorted so keys ascend
        new_key = np.ones(len(time), dtype=bool)
        new_key[1:] = (np.diff(self.time) != 0) | (np.diff(stratum) != 0)
        self._group = np.cumsum(new_key) - 1
        self._first = np.flatnonzero(new_key)
        key_stratum = stratum[self._first]
        n_keys = len(self._first)
        # the key where the next stratum starts, to end each stratum's risk-set sums
        self._next_stratum = np.searchsorted(key_stratum, key_stratum, side="right")
        self._n_keys = n_keys
        deaths_at = np.bincount(self._group, weights=self.deaths, minlength=n_keys)
        self._has_death = deaths_at > 0
        self.n_deaths = np.rint(deaths_at[self._has_death]).astype(int)
        self.death_time = self.time[self._first][self._has_death]
        #: Position (in sorted order) of the first subject at each death time.
        self.death_rows = self._first[self._has_death]
        self._x_dead_sum = np.bincount(self._group, weights=self.deaths * self.x,
                                       minlength=n_keys)[self._has_death]
        self._death_of_row, self._fraction = self._efron_rows()
        #: Where each death time's run starts in ``_death_of_row`` (every death time has a death).
        self._death_starts = np.cumsum(self.n_deaths) - self.n_deaths

    def _at_each_time(self, values: np.ndarray, dead_only: bool = False) -> np.ndarray:
        """Sum of ``values`` over the subjects (or only the dead) of each key, counting frequencies."""
        weights = values * (self.deaths if dead_only else self.weights)
        return np.bincount(self._group, weights=weights, minlength=self._n_keys)

    def _risk_set_sums(self, at_key: np.ndarray) -> np.ndarray:
        """Sum over the risk set (same stratum, time >= t) at every key (rows of a 2-D array)."""
        tail = np.cumsum(at_key[::-1], axis=0)[::-1]
        tail = np.concatenate([tail, np.zeros((1,) + at_key.shape[1:])])
        return tail[:-1] - tail[self._next_stratum]

    def _per_death_time(self, values: np.ndarray) -> np.ndarray:
        """Sum of per-death ``values`` (one per tied death, as ``_efron_rows``) at each death time.

        The deaths of a time are contiguous, so this is a segmented sum (several times
        quicker than ``np.bincount`` on the 10^5-10^6 deaths of a large pooled analysis).
        """
        return np.add.reduceat(values, self._death_starts) if values.size else np.zeros(0)

    def _efron_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Each death's death-time index and its Efron fraction l/d (0 for Breslow)."""
        d = self.n_deaths
        rows = np.repeat(np.arange(len(d)), d)
        if self.ties == "breslow":
            return rows, np.zeros(rows.size)
        return rows, (np.arange(rows.size) - np.repeat(np.cumsum(d) - d, d)) / d[rows]

    def terms(self, beta: float, offset=None) -> DeathTimeTerms:
        """The Cox terms at coefficient ``beta`` (and an optional offset, sorted like the input).

        Parameters
        ----------
        beta : float
            The log hazard ratio at which to evaluate.
        offset : array_like, optional
            A fixed part of the linear predictor per subject, in input order
            (e.g. the log frailty of the subject's study).

        Returns
        -------
        DeathTimeTerms
        """
        eta = beta * self.x
        if offset is not None:
            eta = eta + np.asarray(offset, dtype=float)[self.order]
        risk = np.exp(eta)
        sums = []
        for power in range(3):
            moment = risk * self.x**power
            at_time = self._at_each_time(moment)
            at_risk = self._risk_set_sums(at_time)[self._has_death]
            dead = self._at_each_time(moment, dead_only=True)[self._has_death]
            sums.append((at_risk, dead))
        (s0, d0), (s1, d1), (s2, d2) = sums
        eta_dead = self._at_each_time(eta, dead_only=True)[self._has_death]
        d = self.n_deaths
        # Efron: the l-th of d tied deaths sees the risk set minus l/d of the dead (Breslow: l/d = 0),
        # a_p = s_p - (l/d) d_p. Since a1/a0 = k + m/a0 with k = d1/d0 and m = s1 - k s0 (and so for
        # a2), the sums over l need only those of log a0, 1/a0 and 1/a0^2: one array over the deaths.
        rows, fraction = self._death_of_row, self._fraction
        a0 = s0[rows] - fraction * d0[rows]
        inverse_a0 = 1 / a0
        inverse, inverse_squared, log_a0 = (self._per_death_time(values)
                                            for values in (inverse_a0, inverse_a0**2, np.log(a0)))
        k1, k2 = d1 / d0, d2 / d0
        m1, m2 = s1 - k1 * s0, s2 - k2 * s0
        score = self._x_dead_sum - (d * k1 + m1 * inverse)
        information = (d * k2 + m2 * inverse) - (d * k1**2 + 2 * k1 * m1 * inverse + m1**2 * inverse_squared)
        log_lik = eta_dead - log_a0
        return DeathTimeTerms(self.death_time, d, score, information, log_lik, s0)

    def fit(self, offset=None, beta: float = 0.0, tol: float = 1e-10, max_iter: int = 50) -> float:
        """Maximise the partial likelihood in ``beta`` by Newton-Raphson (with step halving).

        Returns the maximising ``beta``; a value of large magnitude means the
        likelihood has no finite maximum (monotone likelihood).
        """
        current = self.terms(beta, offset)
        for _ in range(max_iter):
            information = current.information.sum()
            if not information > 0:  # the likelihood went flat: beta is running off to infinity
                break
            step = current.score.sum() / information
            candidate_beta = beta + step
            candidate = self.terms(candidate_beta, offset)
            while candidate.log_likelihood.sum() < current.log_likelihood.sum() - 1e-12 and abs(step) > tol:
                step /= 2
                candidate_beta = beta + step
                candidate = self.terms(candidate_beta, offset)
            beta, current = candidate_beta, candidate
            if abs(step) < tol:
                break
        return beta

    def information_with_groups(self, beta: float, offset, group, n_groups: int) -> np.ndarray:
        """Information matrix of ``(beta, group effects)`` at ``beta`` and ``offset``.

        The group effects are the coefficients of group indicator columns (the
        log frailties of a frailty model); ``offset`` holds their current
        values per subject. Row/column 0 is ``beta``.

        Parameters
        ----------
        beta : float
        offset : array_like
            Per subject (input order).
        group : array_like of int
            Group index 0 .. n_groups - 1 per subject (input order).
        n_groups : int

        Returns
        -------
        ndarray, shape (1 + n_groups, 1 + n_groups)
            Minus the Hessian of the log partial likelihood (Efron or Breslow).
        """
        group = np.asarray(group)[self.order]
        risk = np.exp(beta * self.x + np.asarray(offset, dtype=float)[self.order])
        cell = self._group * n_groups + group
        size = self._n_keys * n_groups

        def by_group(values, dead_only=False):
            """Per death time and group: the risk-set sum (or the dead's sum) of ``values``."""
            weights = values * (self.deaths if dead_only else self.weights)
            at_key = np.bincount(cell, weights=weights, minlength=size).reshape(self._n_keys, n_groups)
            if dead_only:
                return at_key[self._has_death]
            return self._risk_set_sums(at_key)[self._has_death]

        # Efron: the l-th of d tied deaths sees S - f D (f = l/d) of every sum. Each entry below is a
        # sum over l of (S - f D) products divided by powers of a0, so it expands into S and D
        # weighted by per-death-time sums of f^k / a0^p: exact, with no (death x group) array.
        s0, d0 = by_group(risk), by_group(risk, dead_only=True)
        s1, d1 = by_group(risk * self.x), by_group(risk * self.x, dead_only=True)
        total = [part.sum(axis=1) for part in (s0, d0, s1, d1)]
        s2 = self._risk_set_sums(self._at_each_time(risk * self.x**2))[self._has_death]
        d2 = self._at_each_time(risk * self.x**2, dead_only=True)[self._has_death]
        rows, fraction = self._death_of_row, self._fraction
        a0 = total[0][rows] - fraction * total[1][rows]
        a1 = total[2][rows] - fraction * total[3][rows]
        a2 = s2[rows] - fraction * d2[rows]

        mean_x = a1 / a0
        per_time = self._per_death_time
        inverse = [per_time(fraction**k / a0) for k in range(2)]  # sum of f^k / a0
        inverse_squared = [per_time(fraction**k / a0**2) for k in range(3)]  # sum of f^k / a0^2
        mean_over_a0 = [per_time(fraction**k * mean_x / a0) for k in range(2)]  # sum of f^k a1 / a0^2
        information = np.empty((1 + n_groups, 1 + n_groups))
        information[0, 0] = np.sum(a2 / a0 - mean_x**2)
        # sum over l of g1/a0 - (a1/a0) g0/a0, per group
        information[0, 1:] = information[1:, 0] = (
            inverse[0] @ s1 - inverse[1] @ d1 - mean_over_a0[0] @ s0 + mean_over_a0[1] @ d0)
        # diag(sum g0/a0) - sum over l of (g0/a0)(g0/a0)^T
        cross = s0.T @ (inverse_squared[1][:, None] * d0)
        information[1:, 1:] = (np.diag(inverse[0] @ s0 - inverse[1] @ d0)
                               - (s0.T @ (inverse_squared[0][:, None] * s0) - cross - cross.T
                                  + d0.T @ (inverse_squared[2][:, None] * d0)))
        return information


def tally(*columns) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Distinct rows of the given columns, how often each occurs, and each input row's distinct row.

    Parameters
    ----------
    *columns : array_like
        Equal-length columns (e.g. time, event, covariate, study index).

    Returns
    -------
    distinct : list of ndarray
        The columns of the distinct rows (float, sorted), in the order of ``columns``.
    counts : ndarray of int
        How many input rows each distinct row stands for (the ``weights``
        of :class:`RiskSets`).
    inverse : ndarray of int
        For each input row, the index of its distinct row.
    """
    stacked = [np.asarray(column, dtype=float) for column in columns]
    order = np.lexsort(stacked[::-1])
    ordered = [column[order] for column in stacked]
    new_row = np.zeros(len(order), dtype=bool)
    new_row[:1] = True
    for column in ordered:
        new_row[1:] |= column[1:] != column[:-1]
    first = np.flatnonzero(new_row)
    inverse = np.empty(len(order), dtype=int)
    inverse[order] = np.cumsum(new_row) - 1
    return [column[first] for column in ordered], np.diff(np.append(first, len(order))), inverse
