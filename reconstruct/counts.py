"""Numbers at risk and events at every drop: one exact dynamic programme over the whole arm.

Guyot et al. (2012) fix the number censored in each at-risk interval by
iterating until the interval's end count matches, with censorings spread
evenly and events rounded from the curve. That ignores what the curve itself
says about the number at risk: a drop by d deaths among n at risk multiplies
survival by exactly 1 - d/n, so in small arms and in the last interval the
relative size of a drop pins n down. Here every drop's (n, d) is chosen at
once, by a Viterbi-style dynamic programme over the integer number at risk:

* each drop costs the squared misfit of its size, ``S_before * (q - d/n)``
  against the digitizing noise, plus a soft pull of ``n`` towards the number
  expected from the censoring model (:class:`reconstruct.censoring.CensoringModel`),
  plus ``event_price * d`` (a Lagrange multiplier used to meet a published
  total of events);
* between drops the number at risk can only fall (censoring), each patient
  censored costing -log of the number of censorings the model expects there
  (nothing where it expects one or more, up to :data:`MAX_SPAN_COST` where it
  expects none: no censor mark, or no censoring in the table; nothing after
  the last table time, where the model only guesses);
* at each at-risk table time it must equal the published count exactly.

Each step is a vectorised NumPy operation over all numbers at risk. The
search is exact but for a beam that drops numbers at risk costing
:data:`PRUNE` more than the best (it is rerun in full if that makes a table
count unreachable); it has no iteration to converge or oscillate.

References
----------
Guyot P, Ades AE, Ouwens MJ, Welton NJ. BMC Med Res Methodol 2012;12:9.
Viterbi AJ. Error bounds for convolutional codes and an asymptotically
optimum decoding algorithm. IEEE Trans Inf Theory 1967;13(2):260-269.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reconstruct.at_risk import AtRiskTableError
from reconstruct.censoring import CensoringModel

#: Weight of the pull towards the expected number at risk, per (n - expected)^2 / expected.
PRIOR_WEIGHT = 1.0
#: Most a censored patient costs where the censoring model expects none (no mark, no pace).
MAX_SPAN_COST = 6.0
#: Cost above the best beyond which a number at risk is dropped from the search (chi-square units).
PRUNE = 100.0


@dataclass(frozen=True)
class Counts:
    """The numbers chosen for one arm.

    Attributes
    ----------
    n_risk, events : ndarray of int
        Number at risk just before, and deaths at, each drop.
    censored : list of (start, end, count)
        Patients censored in each span ``[start, end)`` between drops and table times.
    remaining : int
        Patients still at risk after the last drop or table time (censored in the tail).
    cost : float
        Value of the objective at the optimum.
    """

    n_risk: np.ndarray
    events: np.ndarray
    censored: list
    remaining: int
    cost: float


def fit_counts(drop_time, before, after, drop_noise, censoring: CensoringModel,
               event_price: float = 0.0, spare_deaths: int = 0) -> Counts:
    """Choose the number at risk and the deaths at every drop (see the module docstring).

    Parameters
    ----------
    drop_time, before, after : ndarray
        Time of each drop and survival just before and after it.
    drop_noise : ndarray
        Standard deviation of the digitizing error of each drop's size.
    censoring : CensoringModel
        The at-risk table and the censoring expected from it (the prior).
    event_price : float
        Cost added per death; positive values give fewer deaths.
    spare_deaths : int
        Also try up to this many deaths fewer than n * fraction rounds down
        to, for curves whose drop sizes are unsure (smoothed jitter), so that
        a drop too large for the table does not make it unreachable.

    Returns
    -------
    Counts

    Raises
    ------
    AtRiskTableError
        If no sequence of deaths and censorings meets the at-risk table.
    """
    fraction = np.clip(1.0 - np.asarray(after) / before, 0.0, 1.0)
    table_time, table_n = censoring.table_time, censoring.table_n.astype(np.int64)
    # Table times come before drops at the same time: at-risk counts include those who die then.
    steps = sorted([(t, 0, i) for i, t in enumerate(table_time[1:], start=1)]
                   + [(t, 1, k) for k, t in enumerate(drop_time)])
    ends = np.array([time for time, _, _ in steps])
    # Censoring where the model expects none (mu patients, mu << 1) costs -log(mu) a patient.
    expected_censored = censoring.expected_censored(np.r_[0.0, ends[:-1]], ends)
    span_cost = np.clip(-np.log(np.maximum(expected_censored, 1e-300)), 0.0, MAX_SPAN_COST)
    span_cost[np.isnan(expected_censored)] = 0.0
    return _best_path(steps, fraction, np.asarray(before) / drop_noise,
                      censoring.expected_at_risk(drop_time), table_n,
                      event_price, span_cost, spare_deaths, PRUNE)


def _best_path(steps, fraction, scale, expected, table_n, event_price, span_cost, spare_deaths,
               prune) -> Counts:
    """The dynamic programme for given relative drop sizes.

    ``steps`` lists ``(time, is_drop, index)`` in time order; ``scale`` is
    the survival before each drop over the noise of a drop; ``span_cost`` the
    cost of each patient censored just before each step.
    Numbers at risk costing more than ``prune`` above the best are not
    followed; if that makes a table count unreachable the search is rerun in full.
    The forward pass keeps each step's values and candidates rather than
    back-pointers for every number at risk: only the one best path is traced
    back, so finding where it came from is left until then.
    """
    # value[n] is the least cost of reaching n at risk; states above the last entry are unreachable.
    n_total = int(table_n[0])
    programme = _Programme(n_total, spare_deaths, event_price, prune)
    value = np.full(n_total + 1, np.inf)
    value[n_total] = 0.0
    trail = []
    previous_time = 0.0
    # Python floats: cheaper than NumPy scalars in the per-step arithmetic.
    drop_terms = list(zip(fraction.tolist(), scale.tolist(), expected.tolist()))
    for (time, is_drop, index), cost_each in zip(steps, span_cost.tolist()):
        trail.append(("censor", previous_time, time, value, cost_each))
        value = programme.censor(value, cost_each)
        if is_drop:
            value, candidates = programme.drop(value, *drop_terms[index])
            trail.append(("drop", index, value, candidates))
        else:
            count = int(table_n[index])
            reachable = count < value.size and np.isfinite(value[count])
            pinned = np.full(count + 1, np.inf)
            pinned[count] = value[count] if reachable else np.inf
            value = pinned
            if not reachable:
                if np.isfinite(prune):
                    return _best_path(steps, fraction, scale, expected, table_n, event_price,
                                      span_cost, spare_deaths, prune=np.inf)
                raise AtRiskTableError(f"the at-risk count {count} at time {time:g} cannot be met: "
                                 "fewer patients are left by then")
        previous_time = time

    state = int(np.argmin(value))
    cost = float(value[state])
    n_risk = np.zeros(len(fraction), dtype=np.int64)
    events = np.zeros(len(fraction), dtype=np.int64)
    censored = []
    remaining = state
    for record in reversed(trail):
        if record[0] == "censor":
            _, start, end, old_value, cost_each = record
            source = programme.censored_from(old_value, cost_each, state)
            censored.append((start, end, source - state))
            state = source
        else:
            _, index, new_value, candidates = record
            n_risk[index], events[index] = programme.died_from(new_value, candidates, state)
            state = int(n_risk[index])
    censored.reverse()
    return Counts(n_risk=n_risk, events=events, censored=censored, remaining=remaining, cost=cost)


class _Programme:
    """The two kinds of step of the dynamic programme, over numbers at risk 0..N, and their inverses.

    Each step maps values by number at risk to new values; the inverses
    say, for one number at risk after the step, which one before it led there.
    """

    def __init__(self, n_total: int, spare_deaths: int, event_price: float, prune: float):
        self.states = np.arange(n_total + 1, dtype=float)
        self.divisors = np.maximum(self.states, 1.0)
        self.spare_deaths = spare_deaths
        self.offsets = np.arange(-spare_deaths, 2.0)[:, np.newaxis]
        self.event_price, self.prune = event_price, prune

    def censor(self, value: np.ndarray, cost_each: float) -> np.ndarray:
        """Let any number of patients leave: new[n] = min over m >= n of value[m] + cost_each (m - n)."""
        if not cost_each:
            return np.minimum.accumulate(value[::-1])[::-1]
        charge = cost_each * self.states[:value.size]
        return np.minimum.accumulate((value + charge)[::-1])[::-1] - charge

    def censored_from(self, value: np.ndarray, cost_each: float, state: int) -> int:
        """The number at risk m >= ``state`` that :meth:`censor` took ``state`` from.

        The largest such m on ties: censor as late as the data allow.
        """
        reached = value[state:]
        if cost_each:
            reached = reached + cost_each * self.states[state:value.size]
        return value.size - 1 - int(np.argmin(reached[::-1]))

    def drop(self, value, fraction, scale, expected):
        """Deaths at one drop of relative size ``fraction``; returns values by survivors and the candidates.

        For each number at risk n the two whole numbers of deaths around
        n * fraction (and ``spare_deaths`` fewer, as ``offsets``) are tried;
        the survivors n - d index the new values. Numbers at risk costing
        more than ``prune`` above the best are left out (a beam search; the
        caller reruns in full if a table count becomes unreachable). The
        candidates are ``(at_risk, deaths, survivors, cost)``, one row an offset.
        """
        at_risk = self.states[:value.size]
        # In-place arithmetic: at a few hundred numbers at risk, allocating costs as much as computing.
        base = at_risk - expected
        base **= 2
        base /= (expected + 1.0) / PRIOR_WEIGHT
        base += value
        kept = (base <= base.min() + self.prune).nonzero()[0]
        lowest = int(kept[0])
        window = slice(lowest, int(kept[-1]) + 1)
        at_risk, base = at_risk[window], base[window]
        # Deaths outside [0, n] are clipped onto 0 or n, which another offset already tries. Only
        # spare deaths go below 0; one more than n * fraction exceeds n only if n = 0 or fraction = 1.
        deaths = np.floor(at_risk * fraction) + self.offsets
        if self.spare_deaths:
            deaths = np.maximum(deaths, 0.0)
        if fraction >= 1.0 or lowest == 0:
            deaths = np.minimum(deaths, at_risk)
        cost = deaths / self.divisors[window]
        np.subtract(fraction, cost, out=cost)
        cost *= scale
        cost **= 2
        cost += base
        if self.event_price:
            cost += self.event_price * deaths
        survivors = (at_risk - deaths).astype(np.intp).ravel()
        cost = cost.ravel()
        # The most survivors: the fewest deaths (first row) among the most at risk (last column).
        new_value = np.full(survivors[at_risk.size - 1] + 1, np.inf)
        np.minimum.at(new_value, survivors, cost)
        return new_value, (at_risk, deaths.ravel(), survivors, cost)

    @staticmethod
    def died_from(new_value, candidates, state: int) -> tuple[int, int]:
        """The number at risk and deaths that :meth:`drop` took ``state`` survivors from.

        Where several (n, d) reach the same survivors with the lowest cost, the last listed wins.
        """
        at_risk, deaths, survivors, cost = candidates
        # Exact ties of cost are rare, so test the survivors of the few candidates costing as much.
        match = [i for i in (cost == new_value[state]).nonzero()[0] if survivors[i] == state][-1]
        return int(at_risk[match % at_risk.size]), int(deaths[match])
