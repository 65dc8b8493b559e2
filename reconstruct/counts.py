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

Between two at-risk table times the number at risk starts at one published
count and must end at the next, so each table interval is a problem of its own
(a *lane*; the last one, after the last table time, has a free end). The
lanes are run side by side, one a row of a 2-D array, so that each step is a
vectorised NumPy operation over all lanes and numbers at risk at once: the
Python loop runs over the drops of the longest lane, not over all drops. The
search is exact (no beam), bounded by the table counts, and has no iteration
to converge or oscillate.

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


@dataclass(frozen=True)
class Counts:
    """The numbers chosen for one arm.

    Attributes
    ----------
    n_risk, events : ndarray of int
        Number at risk just before, and deaths at, each drop.
    censored : ndarray, shape (spans, 3)
        ``start, end, count``: patients censored in each span ``[start, end)``
        between drops and table times, in time order.
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
    fraction = np.clip(1.0 - np.asarray(after, dtype=float) / before, 0.0, 1.0)
    lanes = _Lanes.cut(np.asarray(drop_time, dtype=float), censoring)
    expected = censoring.expected_at_risk(drop_time)
    return _best_path(lanes, _Programme(lanes, spare_deaths, event_price),
                      fraction, np.asarray(before) / drop_noise, expected)


@dataclass(frozen=True)
class _Lanes:
    """The arm's drops cut into lanes at the table times, longest lane first.

    Lane ``j`` starts with ``top[j]`` at risk; a pinned lane ends with exactly
    ``floor[j]`` (the next table count), the last lane (after the last table
    time, ``floor`` 0) anywhere. ``drops[j, k]`` is the index of the lane's
    k-th drop, -1 past its last; ``spans[j, k]`` the ``(start, end)`` time of
    the span before it and ``span_cost[j, k]`` the cost of each patient
    censored there. The last column holds the span before the lane's end
    (table time), used by pinned lanes only. ``n_lanes[k]`` lanes have a k-th drop.
    """

    top: np.ndarray
    floor: np.ndarray
    pinned: np.ndarray
    end_time: np.ndarray
    drops: np.ndarray
    spans: np.ndarray
    span_cost: np.ndarray
    n_lanes: np.ndarray

    @classmethod
    def cut(cls, drop_time: np.ndarray, censoring: CensoringModel) -> "_Lanes":
        table_time, table_n = censoring.table_time, censoring.table_n.astype(np.int64)
        # Table times come before drops at the same time: at-risk counts include those who die then.
        lane_of_drop = np.maximum(np.searchsorted(table_time, drop_time, side="right") - 1, 0)
        n_drops = np.bincount(lane_of_drop, minlength=table_time.size)
        order = np.argsort(-n_drops, kind="stable")
        width = int(n_drops.max(initial=0))
        drops = np.full((order.size, width), -1, dtype=np.int64)
        starts = np.zeros((order.size, width + 1))
        ends = np.zeros((order.size, width + 1))
        lane_end = np.r_[table_time[1:], np.inf]
        for row, lane in enumerate(order):
            mine = np.flatnonzero(lane_of_drop == lane)
            drops[row, :mine.size] = mine
            times = np.r_[table_time[lane], drop_time[mine], lane_end[lane]]
            starts[row, :mine.size] = times[:-2]
            ends[row, :mine.size] = times[1:-1]
            starts[row, -1], ends[row, -1] = times[-2], times[-1]
        ends[:, -1] = np.minimum(ends[:, -1], table_time[-1])  # the last lane's end span is not used
        # Censoring where the model expects none (mu patients, mu << 1) costs -log(mu) a patient.
        expected_censored = censoring.expected_censored(starts.ravel(), ends.ravel()).reshape(starts.shape)
        span_cost = np.clip(-np.log(np.maximum(expected_censored, 1e-300)), 0.0, MAX_SPAN_COST)
        span_cost[np.isnan(expected_censored)] = 0.0
        last = order == table_time.size - 1
        return cls(top=table_n[order], floor=np.where(last, 0, np.r_[table_n[1:], 0][order]),
                   pinned=~last, end_time=lane_end[order], drops=drops,
                   spans=np.stack([starts, ends], axis=-1), span_cost=span_cost,
                   n_lanes=(drops >= 0).sum(axis=0))


def _best_path(lanes: _Lanes, programme: "_Programme", fraction, scale, expected) -> Counts:
    """The dynamic programme for given relative drop sizes, over all lanes at once.

    ``scale`` is the survival before each drop over the noise of a drop. The
    forward pass keeps each step's values and candidates rather than
    back-pointers for every number at risk: only the one best path is traced
    back, so finding where it came from is left until then.
    """
    # value[j, c] is the least cost of lane j reaching top[j] - c at risk (c patients gone).
    n_lanes = lanes.top.size
    value = np.where(programme.columns == 0, 0.0, np.inf) + np.zeros((n_lanes, 1))
    trail = []
    for k, m in enumerate(lanes.n_lanes.tolist()):
        index = lanes.drops[:m, k]
        censored = programme.censor(value[:m], lanes.span_cost[:m, k])
        dropped, candidates = programme.drop(censored, fraction[index], scale[index], expected[index])
        trail.append((value[:m], candidates, dropped))
        value = np.concatenate([dropped, value[m:]]) if m < n_lanes else dropped
    # Pinned lanes censor up to their table time and must end on its count; the last lane is free.
    final = np.where(lanes.pinned[:, np.newaxis], programme.censor(value, lanes.span_cost[:, -1]), value)
    final += programme.barrier
    state = np.where(lanes.pinned, lanes.top - lanes.floor, np.argmin(final, axis=1))
    reached = final[np.arange(n_lanes), state]
    if not np.isfinite(reached).all():
        row = int(np.argmax(~np.isfinite(reached)))
        raise AtRiskTableError(f"the at-risk count {lanes.floor[row]} at time {lanes.end_time[row]:g} "
                               "cannot be met: fewer patients are left by then")

    # n_censored[j, k]: censored in lane j's span before its k-th drop (last column: before its end).
    n_censored = np.zeros(lanes.span_cost.shape, dtype=np.int64)
    source = np.where(lanes.pinned, programme.censored_from(value, lanes.span_cost[:, -1], state), state)
    n_censored[:, -1] = state - source
    end_state, state = state, source
    n_risk = np.zeros(len(fraction), dtype=np.int64)
    events = np.zeros(len(fraction), dtype=np.int64)
    for k in range(len(trail) - 1, -1, -1):
        old_value, candidates, dropped = trail[k]
        m = old_value.shape[0]
        index = lanes.drops[:m, k]
        before_drop, events[index] = programme.died_from(dropped, candidates, state[:m])
        n_risk[index] = lanes.top[:m] - before_drop
        source = programme.censored_from(old_value, lanes.span_cost[:m, k], before_drop)
        n_censored[:m, k] = before_drop - source
        state[:m] = source
    used = np.c_[lanes.drops >= 0, lanes.pinned]
    censored = np.c_[lanes.spans[used], n_censored[used]]
    tail = int(np.flatnonzero(~lanes.pinned)[0])
    return Counts(n_risk=n_risk, events=events, censored=censored[np.lexsort(censored[:, 1::-1].T)],
                  remaining=int(lanes.top[tail] - end_state[tail]), cost=float(reached.sum()))


class _Programme:
    """The two kinds of step of the dynamic programme, over lanes and patients gone, and their inverses.

    Values are indexed ``[lane, c]``, ``c`` the number of patients gone since
    the lane's start (so the number at risk is ``top - c``). Each step maps
    values to new values; the inverses say, for one state after the step,
    which one before it led there.
    """

    def __init__(self, lanes: _Lanes, spare_deaths: int, event_price: float):
        # One state past the widest lane's floor, where the targets of deaths too many are parked.
        size = int((lanes.top - lanes.floor).max()) + 2
        self.columns = np.arange(size, dtype=float)
        lane_start = size * np.arange(lanes.top.size, dtype=float)[:, np.newaxis]
        self.flat_columns = lane_start + self.columns
        self.lane_last = (lane_start + size - 1)[:, :, np.newaxis]
        at_risk = lanes.top[:, np.newaxis] - self.columns
        below_floor = at_risk < lanes.floor[:, np.newaxis]
        self.at_risk = np.maximum(at_risk, 0.0)
        self.inverse_at_risk = 1.0 / np.maximum(self.at_risk, 1.0)
        # Numbers at risk below a lane's floor cannot meet its table count: the prior makes them cost inf.
        self.prior_at_risk = np.where(below_floor, np.inf, at_risk)
        self.barrier = np.where(below_floor, np.inf, 0.0)
        self.spare_deaths = spare_deaths
        self.offsets = np.arange(-spare_deaths, 2.0)[:, np.newaxis]
        self.event_price = event_price

    def censor(self, value: np.ndarray, cost_each: np.ndarray) -> np.ndarray:
        """Let any number of patients leave: new[c] = min over b <= c of value[b] + cost_each (c - b)."""
        if not cost_each.any():
            return np.minimum.accumulate(value, axis=1)
        charge = cost_each[:, np.newaxis] * self.columns
        return np.minimum.accumulate(value - charge, axis=1) + charge

    def censored_from(self, value: np.ndarray, cost_each: np.ndarray, state: np.ndarray) -> np.ndarray:
        """For each lane, the state b <= ``state`` that :meth:`censor` took ``state`` from.

        The smallest such b on ties: censor as late as the data allow.
        """
        reached = np.where(self.columns <= state[:, np.newaxis],
                           value - cost_each[:, np.newaxis] * self.columns, np.inf)
        return np.argmin(reached, axis=1)

    def drop(self, value, fraction, scale, expected):
        """Deaths at one drop in each lane; returns values after the drop and the candidates.

        For each number at risk n the two whole numbers of deaths around
        n * fraction (and ``spare_deaths`` fewer) are tried: ``fewest`` + each
        of ``offsets``. The candidates are ``(fewest, target, cost)``, the last
        two shaped (lanes, offsets, states), ``target`` the flat index of the
        state each leads to. Deaths beyond [0, n], which another offset
        already tries, lead to states past the lane's floor (cost inf).
        """
        lanes = value.shape[0]
        fraction, scale = fraction[:, np.newaxis], scale[:, np.newaxis]
        # In-place arithmetic: at a few hundred numbers at risk, allocating costs as much as computing.
        base = self.prior_at_risk[:lanes] - expected[:, np.newaxis]
        base **= 2
        base *= (PRIOR_WEIGHT / (expected + 1.0))[:, np.newaxis]
        base += value
        fewest = self.at_risk[:lanes] * fraction
        np.floor(fewest, out=fewest)
        # The misfit of the drop's size, scale * (fraction - deaths / n), is linear in the offset.
        step = scale * self.inverse_at_risk[:lanes]
        misfit = fewest * step
        np.subtract(scale * fraction, misfit, out=misfit)
        cost = misfit[:, np.newaxis, :] - self.offsets * step[:, np.newaxis, :]
        cost **= 2
        cost += base[:, np.newaxis, :]
        if self.event_price:
            cost += self.event_price * (fewest[:, np.newaxis, :] + self.offsets)
        target = np.minimum((self.flat_columns[:lanes] + fewest)[:, np.newaxis, :] + self.offsets,
                            self.lane_last[:lanes])
        if self.spare_deaths:
            target = np.where(fewest[:, np.newaxis, :] + self.offsets < 0, self.lane_last[:lanes], target)
        target = target.astype(np.intp)
        new_value = np.full((lanes, self.columns.size), np.inf)
        np.minimum.at(new_value.ravel(), target.ravel(), cost.ravel())
        return new_value, (fewest, target, cost)

    def died_from(self, new_value, candidates, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each lane, the state before and the deaths by which :meth:`drop` reached ``state``.

        Where several candidates reach the same state with the lowest cost, the last listed wins.
        """
        fewest, target, cost = candidates
        lanes = np.arange(state.size)
        flat_state = self.flat_columns[lanes, state][:, np.newaxis, np.newaxis]
        lowest = new_value[lanes, state][:, np.newaxis, np.newaxis]
        match = ((target == flat_state) & (cost == lowest)).reshape(state.size, -1)
        last = match.shape[1] - 1 - np.argmax(match[:, ::-1], axis=1)
        offset, column = np.divmod(last, self.columns.size)
        return column, (fewest[lanes, column] + self.offsets[offset, 0]).astype(np.int64)
