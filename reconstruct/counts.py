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
  expected from the censoring model (:func:`reconstruct.censoring.expected_at_risk`),
  plus ``event_price * d`` (a Lagrange multiplier used to meet a published
  total of events);
* between drops the number at risk can only fall (censoring);
* at each at-risk table time it must equal the published count exactly.

Each step is a vectorised NumPy operation over all numbers at risk, so the
programme is exact, has no iteration to converge, and runs in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmipd.errors import InputError

#: Weight of the pull towards the expected number at risk, per (n - expected)^2 / expected.
PRIOR_WEIGHT = 1.0


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


def fit_counts(drop_time, before, after, noise: float, expected, table_time, table_n,
               event_price: float = 0.0) -> Counts:
    """Choose the number at risk and the deaths at every drop (see the module docstring).

    Parameters
    ----------
    drop_time, before, after : ndarray
        Time of each drop and survival just before and after it.
    noise : float
        Standard deviation of a digitized survival level.
    expected : ndarray
        Expected number at risk at each drop (the prior).
    table_time, table_n : ndarray
        Checked at-risk table; its first row (time 0) gives N.
    event_price : float
        Cost added per death; positive values give fewer deaths.

    Returns
    -------
    Counts

    Raises
    ------
    InputError
        If no sequence of deaths and censorings meets the at-risk table.
    """
    n_total = int(table_n[0])
    states = np.arange(n_total + 1)
    value = np.full(n_total + 1, np.inf)
    value[n_total] = 0.0
    drop_noise = np.sqrt(2.0) * noise
    # Table times come before drops at the same time: at-risk counts include those who die then.
    steps = sorted([(t, 0, i) for i, t in enumerate(table_time[1:], start=1)]
                   + [(t, 1, k) for k, t in enumerate(drop_time)])
    trail = []
    previous_time = 0.0
    for time, is_drop, index in steps:
        value, from_state = _censor(value)
        trail.append(("censor", previous_time, time, from_state))
        if is_drop:
            value, from_state, deaths = _drop(value, states, 1.0 - after[index] / before[index],
                                              before[index] / drop_noise, expected[index], event_price)
            trail.append(("drop", index, from_state, deaths))
        else:
            pinned = np.full_like(value, np.inf)
            count = int(table_n[index])
            pinned[count] = value[count]
            value = pinned
            if not np.isfinite(value[count]):
                raise InputError(f"the at-risk count {count} at time {time:g} cannot be met: "
                                 "fewer patients are left by then")
        previous_time = time

    state = int(np.argmin(value))
    cost = float(value[state])
    n_risk = np.zeros(len(drop_time), dtype=np.int64)
    events = np.zeros(len(drop_time), dtype=np.int64)
    censored = []
    remaining = state
    for record in reversed(trail):
        if record[0] == "drop":
            _, index, from_state, deaths = record
            n_risk[index], events[index] = from_state[state], deaths[state]
            state = int(from_state[state])
        else:
            _, start, end, from_state = record
            censored.append((start, end, int(from_state[state] - state)))
            state = int(from_state[state])
    censored.reverse()
    return Counts(n_risk=n_risk, events=events, censored=censored, remaining=remaining, cost=cost)


def _censor(value: np.ndarray):
    """Let any number of patients leave: new[n] = min over m >= n of value[m].

    Returns the new values and, for each n, the m it came from (the largest
    such m on ties: censor as late as the data allow).
    """
    reverse = value[::-1]
    best = np.minimum.accumulate(reverse)
    improves = reverse < np.r_[np.inf, best[:-1]]
    source = np.maximum.accumulate(np.where(improves, np.arange(value.size), 0))
    return best[::-1], (value.size - 1 - source)[::-1]


def _drop(value, states, fraction, scale, expected, event_price):
    """Deaths at one drop of relative size ``fraction``; returns values and back-pointers by survivors.

    For each number at risk n the two whole numbers of deaths around
    n * fraction are tried; the survivors n - d index the new values.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.floor(states * fraction)
        deaths = np.minimum(np.stack([low, low + 1]), states)
        ratio = np.where(states > 0, deaths / states, 0.0)
    prior = PRIOR_WEIGHT * (states - expected) ** 2 / (expected + 1.0)
    cost = value + (scale * (fraction - ratio)) ** 2 + prior + event_price * deaths
    survivors = (states - deaths).ravel().astype(np.int64)
    cost = cost.ravel()
    order = np.lexsort((cost, survivors))
    first = order[np.r_[True, survivors[order][1:] != survivors[order][:-1]]]
    new_value = np.full(value.size, np.inf)
    new_value[survivors[first]] = cost[first]
    from_state = np.zeros(value.size, dtype=np.int64)
    from_state[survivors[first]] = np.tile(states, 2)[first]
    new_deaths = np.zeros(value.size, dtype=np.int64)
    new_deaths[survivors[first]] = deaths.ravel()[first]
    return new_value, from_state, new_deaths
