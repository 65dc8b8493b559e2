"""One-stage pooling: Cox models fitted to all studies' IPD at once.

Two models of a common treatment effect: the Cox model stratified by study
(each study its own baseline hazard; R ``coxph(Surv(time, event) ~ treated
+ strata(study))``), and the shared gamma-frailty Cox model (one baseline
hazard, a gamma-distributed multiplier per study; R ``coxph(... +
frailty(study, distribution="gamma"))``), which also estimates the frailty
variance theta, the one-stage analogue of tau^2.

lifelines fits the stratified model but has no frailty models; both are fitted
here on :class:`meta.risk_sets.RiskSets` (the stratified fit is checked against
lifelines in the tests).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special

from meta.per_study import comparative_pairs, hazard_ratio_summary
from meta.risk_sets import RiskSets, tally

#: Range searched for the frailty variance theta.
THETA_RANGE = (1e-6, 10.0)
#: How closely the profile's maximiser is found, in log theta.
THETA_XATOL = 1e-4
#: Half-width, in log theta, of the bracket searched first (around the secant search's theta).
THETA_BRACKET = 0.005
#: Where the secant search for the search's start begins, and its most steps.
THETA_START, MAX_SECANT_STEPS = 0.1, 20
#: Columns of the one-stage table, whatever was fitted.
COLUMNS = ["model", "log_hr", "se_log_hr", "hr", "hr_ci_low", "hr_ci_high", "hr_p", "k", "n", "events",
           "frailty_variance", "note"]


def _summary(model: str, log_hr: float, se: float, ipd: pd.DataFrame, **extra) -> dict:
    return {"model": model, **hazard_ratio_summary(log_hr, se), "k": ipd["study"].nunique(),
            "n": len(ipd), "events": int(ipd["event"].sum()), **extra}


def stratified_cox(ipd: pd.DataFrame, treated: np.ndarray) -> dict:
    """Cox model of ``treated``, stratified by study, Efron ties; one summary row."""
    study_index = pd.factorize(ipd["study"].to_numpy(), sort=True)[0]  # np.unique's, hashed: quicker on text
    (time, event, x, stratum), counts, _ = tally(ipd["time"], ipd["event"], treated, study_index)
    risk_sets = RiskSets(time, event, x, strata=stratum, weights=counts)
    log_hr = risk_sets.fit()
    se = 1.0 / np.sqrt(risk_sets.terms(log_hr).information.sum())
    return _summary("stratified Cox", log_hr, se, ipd, frailty_variance=np.nan,
                    note="common effect, baseline hazard per study")


class GammaFrailtyCox:
    """Shared gamma-frailty Cox model for one covariate, fitted by EM with a profiled theta.

    Written here because lifelines has no frailty models. For a fixed frailty
    variance theta, the EM algorithm of Klein (1992) alternates the expected
    frailty of each study, ``(1/theta + D) / (1/theta + H)`` (D its events, H
    its cumulative hazard), with a Cox fit (Efron ties) that takes the log
    frailties as an offset and a Breslow baseline hazard. theta is chosen by
    maximising the marginal log-likelihood (frailties integrated out, Klein
    1992) over ``THETA_RANGE`` on the log scale: the profile of the EM
    estimates, maximised by Brent's method to ``THETA_XATOL``.

    Each profile evaluation is a whole EM, so the search starts near the
    answer: an EM that also updates theta at every step (to the maximiser of
    the studies' marginal likelihood given their H; its fixed point is where
    the marginal likelihood is stationary in every parameter, which is the
    profile's maximum up to the small difference between Efron's and
    Breslow's ties) gives a starting theta, and the profile is maximised
    within ``THETA_BRACKET`` of it, warm-starting each EM from the previous
    solution. A maximum found at the bracket's edge means the bracket missed
    it: the whole range is then searched.

    The standard error of the log HR is the ``beta`` element of the inverse
    information of the penalised partial likelihood in ``(beta, log
    frailties)``, as R's ``coxph`` ``se(coef)`` (R approximates the frailty
    block by its diagonal when there are more than five groups; this uses
    the full matrix).

    Attributes
    ----------
    log_hr_, se_log_hr_ : float
        Treatment effect and its SE.
    theta_ : float
        Frailty variance.
    frailty_ : pandas.Series
        Estimated frailty of each study.
    log_likelihood_ : float
        Marginal log-likelihood at the estimate.

    References
    ----------
    Klein JP (1992). Semiparametric estimation of random effects using the Cox
    model based on the EM algorithm. Biometrics 48:795-806.
    Nielsen GG, Gill RD, Andersen PK, Sorensen TIA (1992). A counting process
    approach to maximum likelihood estimation in frailty models. Scand J Stat
    19:25-43.
    Therneau TM, Grambsch PM, Pankratz VS (2003). Penalized survival models
    and frailty. J Comput Graph Stat 12:156-175.
    Varadhan R, Roland C (2008). Simple and globally convergent methods for
    accelerating the convergence of any EM algorithm. Scand J Stat 35:335-353.
    """

    def __init__(self, tol: float = 1e-8, max_iter: int = 500):
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, time, event, treated, study) -> "GammaFrailtyCox":
        """Fit to the pooled IPD; returns self."""
        study_index, self._studies = pd.factorize(np.asarray(study), sort=True)  # as np.unique, quicker on text
        # identical subjects are one weighted row: the EM runs on the distinct rows only
        (time, event, treated, cluster), counts, _ = tally(time, event, treated, study_index)
        self._risk_sets = RiskSets(time, event, treated, weights=counts)
        self._counts = counts
        self._cluster = cluster.astype(int)
        self._events_per_study = np.bincount(self._cluster, weights=event * counts)
        # death times never change between fits: where each row's time falls among them
        self._death_index = np.searchsorted(self._risk_sets.death_time, time, side="right")
        self._x = treated
        self._beta = 0.0
        self._log_frailty = np.zeros(len(self._studies))
        log_low, log_high = np.log(THETA_RANGE)
        start = self._score_root()
        low, high = max(log_low, start - THETA_BRACKET), min(log_high, start + THETA_BRACKET)
        log_theta = self._maximise_profile(low, high)
        missed = (low > log_low and log_theta < low + 2 * THETA_XATOL) or (
            high < log_high and log_theta > high - 2 * THETA_XATOL)
        if missed:
            log_theta = self._maximise_profile(log_low, log_high)
        self.theta_ = float(np.exp(log_theta))
        self.log_likelihood_ = self._profile(self.theta_)
        self.log_hr_ = float(self._beta)
        self.se_log_hr_ = self._penalised_se(self.theta_)
        self.frailty_ = pd.Series(np.exp(self._log_frailty), index=self._studies, name="frailty")
        return self

    def _maximise_profile(self, log_low: float, log_high: float) -> float:
        """log theta maximising :meth:`_profile` within the bounds (Brent's method)."""
        best = optimize.minimize_scalar(lambda s: -self._profile(np.exp(s)), bounds=(log_low, log_high),
                                        method="bounded", options={"xatol": THETA_XATOL})
        return float(best.x)

    def _score_root(self) -> float:
        """log theta where the studies' marginal score vanishes, by the secant method (the search's start).

        The score is :func:`_studies_score` at each theta's converged EM (clipped to ``THETA_RANGE``;
        at a bound where the score points outwards the iterates stay on the bound).
        """
        log_low, log_high = np.log(THETA_RANGE)
        previous = np.log(THETA_START)
        current = previous + THETA_BRACKET
        previous_score = self._theta_score(previous)
        for _ in range(MAX_SECANT_STEPS):
            score = self._theta_score(current)
            if score == previous_score:
                break
            following = np.clip(current - score * (current - previous) / (score - previous_score), log_low, log_high)
            previous, previous_score, current = current, score, float(following)
            if abs(current - previous) < THETA_XATOL / 10:
                break
        return current

    def _theta_score(self, log_theta: float) -> float:
        """Derivative in log theta of the marginal log-likelihood at theta's EM estimate (H held)."""
        self._profile(np.exp(log_theta))
        return _studies_score(np.exp(log_theta), self._events_per_study, self._hazard_per_study)

    def _penalised_se(self, theta: float) -> float:
        """SE of beta from the penalised partial likelihood's information in (beta, log frailties).

        The gamma frailty adds ``exp(u) / theta`` to the information of each
        log frailty u (Therneau, Grambsch & Pankratz 2003).
        """
        offset = self._log_frailty[self._cluster]
        information = self._risk_sets.information_with_groups(self._beta, offset, self._cluster,
                                                               len(self._studies))
        information[1:, 1:] += np.diag(np.exp(self._log_frailty) / theta)
        return float(np.sqrt(np.linalg.inv(information)[0, 0]))

    def _cumulative_hazard(self, terms) -> np.ndarray:
        """Breslow cumulative baseline hazard at each distinct row's time (the order of ``tally``)."""
        cumulative = np.concatenate(([0.0], np.cumsum(terms.n_deaths / terms.risk_total)))
        return cumulative[self._death_index]

    def _em_step(self, log_frailty: np.ndarray, nu: float) -> tuple[np.ndarray, np.ndarray]:
        """One ECM iteration: a Newton step for beta with the frailties as offset,
        the Breslow baseline hazard, then the expected frailties.

        A single Newton step (not a full refit) has the same fixed point and
        needs one pass over the data. Returns the new log frailties and each
        study's cumulative hazard ``H``.
        """
        offset = log_frailty[self._cluster]
        terms = self._risk_sets.terms(self._beta, offset)
        self._beta += terms.score.sum() / terms.information.sum()
        h = self._study_hazard(self._cumulative_hazard(terms))
        log_frailty = np.log((nu + self._events_per_study) / (nu + h))
        # frailties x c with the baseline hazard / c fit the data equally well; only their prior (mean 1)
        # fixes c, and with many events per study EM drifts along c very slowly. At the fixed point the
        # mean frailty is exactly 1 (Breslow's hazard makes the expected events add up to the events),
        # so rescaling to mean 1 at every step keeps the fixed point and removes the slow direction.
        return log_frailty - np.log(np.mean(np.exp(log_frailty))), h

    def _study_hazard(self, cumulative: np.ndarray) -> np.ndarray:
        """Each study's summed cumulative hazard (``H`` of the EM step), frailties left out."""
        return np.bincount(self._cluster, weights=self._counts * cumulative * np.exp(self._beta * self._x),
                           minlength=len(self._studies))

    def _squarem(self, step, start: np.ndarray, tol: float) -> np.ndarray:
        """The fixed point of the EM map ``step`` from ``start``, SQUAREM-accelerated.

        SQUAREM (Varadhan & Roland 2008) extrapolates two EM steps and
        stabilises with a third; EM alone converges slowly when theta is
        large. Stops when a cycle moves no parameter by more than ``tol``.
        """
        current = start
        for _ in range(self.max_iter):
            first = step(current)
            second = step(first)
            r, v = first - current, second - 2 * first + current
            if np.linalg.norm(v) > 0:
                alpha = min(-1.0, -np.linalg.norm(r) / np.linalg.norm(v))
                following = step(current - 2 * alpha * r + alpha**2 * v)
            else:
                following = second
            change = np.max(np.abs(following - current))
            current = following
            if change < tol:
                break
        return current

    def _profile(self, theta: float) -> float:
        """EM at fixed theta (warm-started, SQUAREM-accelerated); the marginal log-likelihood."""
        nu = 1.0 / theta
        u = self._squarem(lambda log_frailty: self._em_step(log_frailty, nu)[0], self._log_frailty, self.tol)
        self._log_frailty = u
        offset = u[self._cluster]
        self._beta = self._risk_sets.fit(offset, beta=self._beta)
        terms = self._risk_sets.terms(self._beta, offset)
        hazard = terms.n_deaths / terms.risk_total
        h = self._hazard_per_study = self._study_hazard(self._cumulative_hazard(terms))
        # marginal likelihood (frailties integrated out) at the EM estimate of beta and h0
        linear = (self._beta * np.dot(self._risk_sets.deaths, self._risk_sets.x)
                  + np.sum(terms.n_deaths * np.log(hazard)))
        return float(linear + _studies_log_likelihood(theta, self._events_per_study, h))


def _studies_log_likelihood(theta: float, d: np.ndarray, h: np.ndarray) -> float:
    """The studies' part of the marginal log-likelihood: gamma frailties integrated out (Klein 1992).

    ``d`` each study's events, ``h`` its cumulative hazard (frailty left out).
    """
    nu = 1.0 / theta
    return float(np.sum(d * np.log(theta) + special.gammaln(nu + d) - special.gammaln(nu)
                        - (nu + d) * np.log1p(theta * h)))


def _studies_score(theta: float, d: np.ndarray, h: np.ndarray) -> float:
    """Derivative of :func:`_studies_log_likelihood` in log theta, closed form (digamma)."""
    nu = 1.0 / theta
    return float(np.sum(d - nu * (special.digamma(nu + d) - special.digamma(nu)) + nu * np.log1p(theta * h)
                        - (nu + d) * theta * h / (1 + theta * h)))


def gamma_frailty_cox(ipd: pd.DataFrame, treated: np.ndarray) -> dict:
    """:class:`GammaFrailtyCox` on the pooled IPD; one summary row."""
    model = GammaFrailtyCox().fit(ipd["time"], ipd["event"], treated, ipd["study"])
    at_bound = model.theta_ <= THETA_RANGE[0] * 1.01
    note = ("frailty variance 0 (at the search's lower bound): no detectable between-study heterogeneity"
            if at_bound else "gamma frailty by study, EM with profiled theta")
    return _summary("gamma frailty Cox", model.log_hr_, model.se_log_hr_, ipd,
                    frailty_variance=0.0 if at_bound else model.theta_, note=note)


def one_stage(ipd: pd.DataFrame, treatment: str, control: str) -> pd.DataFrame:
    """Both one-stage models on the treatment and control arms of every study holding both.

    Returns one row per model, or a single row saying why nothing was fitted
    (fewer than two studies, or an arm without events in every study).
    """
    pair = comparative_pairs(ipd, treatment, control)
    k = pair["study"].nunique()
    events = pair.groupby("arm")["event"].sum()
    if k < 2:
        rows = [{"model": "one-stage", "k": k, "note": "fewer than two studies: nothing pooled"}]
    elif (events == 0).any():
        empty = ", ".join(events.index[events == 0])
        rows = [{"model": "one-stage", "k": k, "note": f"no events in arm {empty} of any study: not estimable"}]
    else:
        treated = (pair["arm"] == treatment).to_numpy(dtype=float)
        rows = [stratified_cox(pair, treated), gamma_frailty_cox(pair, treated)]
    return pd.DataFrame(rows, columns=COLUMNS)
