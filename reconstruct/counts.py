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
search is exact but for a beam that leaves out the states costing
:data:`PRUNE` more than their lane's best in every lane (it is rerun in full if
that makes a table count unreachable); it has no iteration to converge or
oscillate.

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
    scale = np.asarray(before) / drop_noise
    try:
        return _best_path(lanes, _Programme(lanes, fraction, scale, expected, spare_deaths,
                                            event_price, PRUNE))
    except AtRiskTableError:
        return _best_path(lanes, _Programme(lanes, fraction, scale, expected, spare_deaths,
                                            event_price, np.inf))


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


def _best_path(lanes: _Lanes, programme: "_Programme") -> Counts:
    """The dynamic programme over all lanes at once.

    The forward pass keeps each step's values and candidates rather than
    back-pointers for every number at risk: only the one best path is traced
    back, so finding where it came from is left until then.
    """
    # value[j, c - origin] is the least cost of lane j reaching top[j] - c at risk (c patients
    # gone). Lanes still running are the first rows; the others are set aside when they end.
    n_lanes = lanes.top.size
    value = np.where(programme.columns == 0, 0.0, np.inf) + np.zeros((n_lanes, 1))
    origin = 0
    ended = [None] * n_lanes
    trail = []
    for k, m in enumerate(lanes.n_lanes.tolist() + [0]):
        for lane in range(m, value.shape[0]):
            ended[lane] = np.r_[np.full(origin, np.inf), value[lane]]
        if not m:
            break
        censored, leaving = programme.censor(value[:m], k, origin)
        dropped, candidates = programme.drop(censored, k, origin)
        trail.append((origin, leaving, candidates, dropped))
        value, origin = dropped, candidates[0]
    value = np.array(ended)
    # Pinned lanes censor up to their table time and must end on its count; the last lane is free.
    censored, leaving = programme.censor(value, -1, 0)
    final = np.where(lanes.pinned[:, np.newaxis], censored, value)
    final += programme.barrier
    state = np.where(lanes.pinned, lanes.top - lanes.floor, np.argmin(final, axis=1))
    reached = final[np.arange(n_lanes), state]
    if not np.isfinite(reached).all():
        row = int(np.argmax(~np.isfinite(reached)))
        raise AtRiskTableError(f"the at-risk count {lanes.floor[row]} at time {lanes.end_time[row]:g} "
                               "cannot be met: fewer patients are left by then")

    # n_censored[j, k]: censored in lane j's span before its k-th drop (last column: before its end).
    n_censored = np.zeros(lanes.span_cost.shape, dtype=np.int64)
    source = np.where(lanes.pinned, programme.censored_from(leaving, state, 0), state)
    n_censored[:, -1] = state - source
    end_state, state = state, source
    n_drops = int(lanes.drops.max(initial=-1)) + 1
    n_risk = np.zeros(n_drops, dtype=np.int64)
    events = np.zeros(n_drops, dtype=np.int64)
    for k in range(len(trail) - 1, -1, -1):
        origin, leaving, candidates, dropped = trail[k]
        m = dropped.shape[0]
        index = lanes.drops[:m, k]
        before_drop, events[index] = programme.died_from(dropped, candidates, state[:m])
        n_risk[index] = lanes.top[:m] - before_drop
        source = programme.censored_from(leaving, before_drop, origin)
        n_censored[:m, k] = before_drop - source
        state[:m] = source
    used = np.c_[lanes.drops >= 0, lanes.pinned]
    censored = np.c_[lanes.spans[used], n_censored[used]]
    tail = int(np.flatnonzero(~lanes.pinned)[0])
    return Counts(n_risk=n_risk, events=events, censored=censored[np.lexsort(censored[:, 1::-1].T)],
                  remaining=int(lanes.top[tail] - end_state[tail]), cost=float(reached.sum()))


class _Programme:
    """The two kinds of step of the dynamic programme, over lanes and patients gone, and their inverses.

    Values are indexed ``[lane, c - origin]``, ``c`` the number of patients
    gone since the lane's start (so the number at risk is ``top - c``), and
    ``origin`` the fewest gone in any state still reachable (deaths only add
    to it, so the states before it are left out). Each step maps values to
    new values; the inverses say, for one state after the step, which one
    before it led there.
    """

    def __init__(self, lanes: _Lanes, fraction, scale, expected, spare_deaths: int,
                 event_price: float, prune: float):
        """Lay the drops' relative sizes, scales (survival before over noise) and expected
        numbers at risk out by lane and step (columns past a lane's end repeat its last drop)."""
        # One state past the widest lane's floor, where the targets of deaths too many are parked.
        size = int((lanes.top - lanes.floor).max()) + 2
        self.columns = np.arange(size, dtype=float)
        self.lane_number = np.arange(lanes.top.size, dtype=float)[:, np.newaxis]
        at_risk = lanes.top[:, np.newaxis] - self.columns
        below_floor = at_risk < lanes.floor[:, np.newaxis]
        self.at_risk = np.maximum(at_risk, 0.0)
        self.inverse_at_risk = 1.0 / np.maximum(self.at_risk, 1.0)
        # Numbers at risk below a lane's floor cannot meet its table count: the prior makes them cost inf.
        self.prior_at_risk = np.where(below_floor, np.inf, at_risk)
        self.barrier = np.where(below_floor, np.inf, 0.0)
        self.spare_deaths = spare_deaths
        self.offsets = np.arange(-spare_deaths, 2.0)[:, np.newaxis]
        self.event_price, self.beam = event_price, bool(np.isfinite(prune))
        self.prune = prune
        self.fraction, self.scale = fraction[lanes.drops], scale[lanes.drops]
        self.scaled_fraction = self.scale * self.fraction
        self.expected = expected[lanes.drops]
        self.prior_weight = PRIOR_WEIGHT / (self.expected + 1.0)
        self.span_cost = lanes.span_cost
        self.charged = (lanes.span_cost > 0).any(axis=0).tolist()

    def censor(self, value: np.ndarray, step: int, origin: int):
        """Let any number of patients leave before drop ``step`` (-1: before the lanes' ends).

        new[c] = min over b <= c of value[b] + cost_each (c - b). Returns the
        new values and what :meth:`censored_from` needs: the values less the
        charge for leaving, and their running minimum.
        """
        if not self.charged[step]:
            running = np.minimum.accumulate(value, axis=1)
            return running, (value, running)
        charge = self.span_cost[:value.shape[0], step, np.newaxis] * self.columns[origin:]
        charged = value - charge
        running = np.minimum.accumulate(charged, axis=1)
        return running + charge, (charged, running)

    @staticmethod
    def censored_from(leaving, state: np.ndarray, origin: int) -> np.ndarray:
        """For each lane, the state b <= ``state`` that :meth:`censor` took ``state`` from.

        The smallest such b on ties (the first to reach the running minimum):
        censor as late as the data allow.
        """
        charged, running = leaving
        column = state - origin
        best = running[np.arange(state.size), column]
        return origin + np.argmax(charged[:, :column.max() + 1] == best[:, np.newaxis], axis=1)

    def drop(self, value, step: int, origin: int):
        """Deaths at the ``step``-th drop of each lane; returns values after it and the candidates.

        For each number at risk n the two whole numbers of deaths around
        n * fraction (and ``spare_deaths`` fewer) are tried: ``fewest`` + each
        of ``offsets``. States costing more than ``prune`` above their lane's
        best are left out (a beam search; the caller reruns in full if a
        table count becomes unreachable). The candidates are ``(start,
        fewest, target, cost)``: ``start`` the first state tried (the origin
        of the new values), the others shaped (lanes, offsets, states tried),
        ``target`` the flat index of the new state each leads to. Deaths
        beyond [0, n], which another offset already tries, lead to states
        past the lane's floor (cost inf).
        """
        lanes = value.shape[0]
        fraction, scale = self.fraction[:lanes, step, np.newaxis], self.scale[:lanes, step, np.newaxis]
        # In-place arithmetic: at a few hundred numbers at risk, allocating costs as much as computing.
        base = self.prior_at_risk[:lanes, origin:] - self.expected[:lanes, step, np.newaxis]
        base **= 2
        base *= self.prior_weight[:lanes, step, np.newaxis]
        base += value
        start, stop = origin, self.columns.size
        if self.beam:
            kept = (base <= base.min(axis=1, keepdims=True) + self.prune).any(axis=0).nonzero()[0]
            start, stop = origin + int(kept[0]), origin + int(kept[-1]) + 1
            base = base[:, start - origin:stop - origin]
        fewest = self.at_risk[:lanes, start:stop] * fraction
        np.floor(fewest, out=fewest)
        # The misfit of the drop's size, scale * (fraction - deaths / n), is linear in the offset.
        per_death = scale * self.inverse_at_risk[:lanes, start:stop]
        misfit = fewest * per_death
        np.subtract(self.scaled_fraction[:lanes, step, np.newaxis], misfit, out=misfit)
        cost = misfit[:, np.newaxis, :] - self.offsets * per_death[:, np.newaxis, :]
        cost **= 2
        cost += base[:, np.newaxis, :]
        if self.event_price:
            cost += self.event_price * (fewest[:, np.newaxis, :] + self.offsets)
        # New states run from ``start`` to the one past the widest lane's floor, lane after lane.
        width = self.columns.size - start
        lane_start = width * self.lane_number[:lanes]
        lane_last = (lane_start + (width - 1))[:, :, np.newaxis]
        first = lane_start + self.columns[:stop - start]
        first += fewest
        target = np.minimum(first[:, np.newaxis, :] + self.offsets, lane_last)
        if self.spare_deaths:
            target = np.where(fewest[:, np.newaxis, :] + self.offsets < 0, lane_last, target)
        target = target.astype(np.intp)
        new_value = np.full((lanes, width), np.inf)
        np.minimum.at(new_value.ravel(), target.ravel(), cost.ravel())
        return new_value, (start, fewest, target, cost)

    def died_from(self, new_value, candidates, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each lane, the state before and the deaths by which :meth:`drop` reached ``state``.

        Where several candidates reach the same state with the lowest cost, the last listed wins.
        """
        start, fewest, target, cost = candidates
        lanes, tried = state.size, fewest.shape[1]
        column = state - start
        flat_state = column + new_value.shape[1] * np.arange(lanes)
        # Exact ties of cost are rare, so test the targets of the few candidates costing as much.
        lowest = new_value.ravel()[flat_state]
        before, died = np.empty(lanes, dtype=np.int64), np.empty(lanes, dtype=np.int64)
        for i in np.flatnonzero(cost == lowest[:, np.newaxis, np.newaxis]).tolist():
            lane, rest = divmod(i, cost[0].size)
            offset, at = divmod(rest, tried)
            if target.flat[i] == flat_state[lane]:
                before[lane], died[lane] = start + at, fewest[lane, at] + self.offsets[offset, 0]
        return before, died
