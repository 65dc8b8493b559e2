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
    """

    def __init__(self, time, event, x, ties: str = "efron", strata=None):
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
        deaths_at = np.bincount(self._group, weights=self.event, minlength=n_keys)
        self._has_death = deaths_at > 0
        self.n_deaths = deaths_at[self._has_death].astype(int)
        self.death_time = self.time[self._first][self._has_death]
        #: Position (in sorted order) of the first subject at each death time.
        self.death_rows = self._first[self._has_death]
        self._x_dead_sum = np.bincount(self._group, weights=self.event * self.x,
                                       minlength=n_keys)[self._has_death]

    def _at_each_time(self, values: np.ndarray, dead_only: bool = False) -> np.ndarray:
        weights = values * self.event if dead_only else values
        return np.bincount(self._group, weights=weights, minlength=self._n_keys)

    def _risk_set_sums(self, at_key: np.ndarray) -> np.ndarray:
        """Sum over the risk set (same stratum, time >= t) at every key (rows of a 2-D array)."""
        tail = np.cumsum(at_key[::-1], axis=0)[::-1]
        tail = np.concatenate([tail, np.zeros((1,) + at_key.shape[1:])])
        return tail[:-1] - tail[self._next_stratum]

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
        # Efron: the l-th of d tied deaths sees the risk set minus l/d of the dead (Breslow: l/d = 0)
        rows, fraction = self._efron_rows()
        a0 = s0[rows] - fraction * d0[rows]
        a1 = s1[rows] - fraction * d1[rows]
        a2 = s2[rows] - fraction * d2[rows]
        mean = a1 / a0
        score = self._x_dead_sum - np.bincount(rows, weights=mean)
        information = np.bincount(rows, weights=a2 / a0 - mean**2)
        log_lik = eta_dead - np.bincount(rows, weights=np.log(a0))
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
            weights = values * self.event if dead_only else values
            at_key = np.bincount(cell, weights=weights, minlength=size).reshape(self._n_keys, n_groups)
            if dead_only:
                return at_key[self._has_death]
            return self._risk_set_sums(at_key)[self._has_death]

        rows, fraction = self._efron_rows()

        def efron(values):
            """Risk-set sums per group seen by each death (Efron: minus l/d of the tied dead)."""
            return by_group(values)[rows] - fraction[:, None] * by_group(values, dead_only=True)[rows]

        g0, g1 = efron(risk), efron(risk * self.x)
        a0, a1, a2 = g0.sum(axis=1), g1.sum(axis=1), efron(risk * self.x**2).sum(axis=1)
        mean_x, share = a1 / a0, g0 / a0[:, None]
        information = np.empty((1 + n_groups, 1 + n_groups))
        information[0, 0] = np.sum(a2 / a0 - mean_x**2)
        information[0, 1:] = information[1:, 0] = np.sum(g1 / a0[:, None] - mean_x[:, None] * share, axis=0)
        information[1:, 1:] = np.diag(share.sum(axis=0)) - share.T @ share
        return information
