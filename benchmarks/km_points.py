"""What a reader of a published figure sees of known IPD: KM step corners, at-risk tables, censor marks.

Tests and benchmarks of ``reconstruct`` (and of ``digitize``) start from real
IPD (:mod:`benchmarks.datasets`), turn it into the inputs a figure offers,
optionally degrade them as digitizing does, and compare what comes back with
the IPD. All functions take and return tidy frames in the file contracts
(``arm,time,survival``; ``arm,time,n_risk``; ``arm,time``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def km_step_corners(ipd: pd.DataFrame) -> pd.DataFrame:
    """The exact corners of each arm's Kaplan-Meier step function.

    Parameters
    ----------
    ipd : pandas.DataFrame
        Columns ``arm,time,event``.

    Returns
    -------
    pandas.DataFrame
        Columns ``arm,time,survival``: ``(0, 1)``, then at each event time the
        upper and the lower corner of the vertical drop, then the end of
        follow-up at the last survival, as a digitizer would trace them.
    """
    frames = []
    for arm, group in ipd.groupby("arm", sort=True):
        time = group["time"].to_numpy(float)
        event = group["event"].to_numpy(int)
        event_times, deaths = np.unique(time[event == 1], return_counts=True)
        n_risk = np.array([np.sum(time >= t) for t in event_times])
        after = np.cumprod(1.0 - deaths / n_risk)
        before = np.r_[1.0, after[:-1]]
        corners_time = np.r_[0.0, np.repeat(event_times, 2), time.max()]
        corners_survival = np.r_[1.0, np.column_stack([before, after]).ravel(),
                                 after[-1] if len(after) else 1.0]
        frames.append(pd.DataFrame({"arm": arm, "time": corners_time, "survival": corners_survival}))
    return pd.concat(frames, ignore_index=True)


def at_risk_table(ipd: pd.DataFrame, times) -> pd.DataFrame:
    """Numbers at risk (``time >= t``) of each arm at ``times``, as printed under a figure.

    Times after an arm's last follow-up are left out, as journals print no count there.
    """
    rows = []
    for arm, group in ipd.groupby("arm", sort=True):
        time = group["time"].to_numpy(float)
        rows += [(arm, float(t), int(np.sum(time >= t))) for t in times if t <= time.max()]
    return pd.DataFrame(rows, columns=["arm", "time", "n_risk"])


def table_times(ipd: pd.DataFrame, n_intervals: int = 8) -> np.ndarray:
    """Regular at-risk table times: a round step giving about ``n_intervals`` intervals."""
    span = float(ipd["time"].max())
    raw = span / n_intervals
    magnitude = 10.0 ** np.floor(np.log10(raw))
    step = magnitude * min((m for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))
    return np.arange(0.0, span + 1e-9 * span, step)


def censor_marks(ipd: pd.DataFrame) -> pd.DataFrame:
    """The distinct censoring times of each arm, where a figure draws its tick marks."""
    censored = ipd.loc[ipd["event"] == 0, ["arm", "time"]].drop_duplicates()
    return censored.sort_values(["arm", "time"], kind="mergesort").reset_index(drop=True)


def quantise(frame: pd.DataFrame, width_px: int = 1000, height_px: int = 800,
             time_range: float | None = None) -> pd.DataFrame:
    """Points (curves or censor marks) rounded to the pixel grid of a ``width_px`` x ``height_px`` plot.

    Time is rounded to 1/``width_px`` of the plotted range (0 to ``time_range``,
    by default the largest time of ``frame``), survival (when present) to
    1/``height_px``; points landing on the same pixel merge.
    """
    time_px = (frame["time"].max() if time_range is None else time_range) / width_px
    out = frame.assign(time=np.round(frame["time"] / time_px) * time_px)
    if "survival" in frame:
        out["survival"] = np.round(frame["survival"] * height_px) / height_px
    return out.drop_duplicates().reset_index(drop=True)


def traced(curves: pd.DataFrame, seed: int, width_px: int = 1000, height_px: int = 800,
           level_sd_px: float = 0.4, drop_shift_px: float = 1.0) -> pd.DataFrame:
    """Clean step curves as an automatic digitizer traces them, off by fractions of a pixel.

    Each level is moved by a normal error (standard deviation ``level_sd_px``
    pixels of a ``height_px`` plot) and each drop in time by a uniform one (up
    to ``drop_shift_px`` pixels of a ``width_px`` plot over the largest time):
    still a non-increasing step function through the corners, but no longer on
    a pixel grid, so its errors cannot be seen in it.

    Parameters
    ----------
    curves : pandas.DataFrame
        Exact corners (:func:`km_step_corners`).
    seed : int
        Seed of the random generator (the result is reproducible).

    Returns
    -------
    pandas.DataFrame
        Columns ``arm,time,survival``.
    """
    rng = np.random.default_rng(seed)
    time_px = curves["time"].max() / width_px
    frames = []
    for arm, corners in curves.groupby("arm", sort=True):
        levels = np.unique(corners["survival"])
        moved = levels + rng.normal(0.0, level_sd_px / height_px, levels.size)
        # 1 (the start) and 0 stay; higher levels stay higher, so the curve never rises.
        moved = np.maximum.accumulate(np.clip(np.where((levels == 1.0) | (levels == 0.0), levels, moved),
                                              0.0, 1.0))
        # The start and the end of follow-up stay; drops keep their order.
        times = np.unique(corners["time"])
        shift = rng.uniform(-drop_shift_px, drop_shift_px, times.size) * time_px
        shift[[0, -1]] = 0.0
        shifted = np.maximum.accumulate(np.clip(times + shift, 0.0, times[-1]))
        frames.append(pd.DataFrame({
            "arm": arm,
            "time": shifted[np.searchsorted(times, corners["time"])],
            "survival": moved[np.searchsorted(levels, corners["survival"])]}))
    return pd.concat(frames, ignore_index=True)


def jitter(curves: pd.DataFrame, seed: int, time_sd: float = 0.001, survival_sd: float = 0.002,
           n_between: int = 3) -> pd.DataFrame:
    """Messy hand-digitized points: extra points along flat runs, every point jittered.

    Parameters
    ----------
    curves : pandas.DataFrame
        Exact corners (:func:`km_step_corners`).
    seed : int
        Seed of the random generator (the result is reproducible).
    time_sd : float
        Standard deviation of the time jitter, as a fraction of the time range.
    survival_sd : float
        Standard deviation of the survival jitter (probability units).
    n_between : int
        Points added inside each flat run, as a clicking user would.

    Returns
    -------
    pandas.DataFrame
        Columns ``arm,time,survival``, in shuffled order and not monotone.
    """
    rng = np.random.default_rng(seed)
    frames = []
    for arm, group in curves.groupby("arm", sort=True):
        time = group["time"].to_numpy(float)
        survival = group["survival"].to_numpy(float)
        flat = np.flatnonzero((np.diff(time) > 0) & (np.diff(survival) == 0))
        fraction = np.linspace(0, 1, n_between + 2)[1:-1]
        extra_time = (time[flat, None] + fraction * (time[flat + 1] - time[flat])[:, None]).ravel()
        extra_survival = np.repeat(survival[flat], n_between)
        time = np.r_[time, extra_time]
        survival = np.r_[survival, extra_survival]
        time = np.clip(time + rng.normal(0, time_sd * time.max(), time.size), 0, None)
        survival = np.clip(survival + rng.normal(0, survival_sd, survival.size), 0, 1)
        frames.append(pd.DataFrame({"arm": arm, "time": time, "survival": survival}))
    messy = pd.concat(frames, ignore_index=True)
    return messy.iloc[rng.permutation(len(messy))].reset_index(drop=True)
