"""Censor marks and the reconstruction's fit to its own trace: ``python -m benchmarks.marks``.

On the figures of ``tests/data/world/marks`` (drawn by matplotlib, lifelines
and R from real and simulated IPD, with and without censor marks; see
:mod:`benchmarks.make_marks_figures`), each figure is digitized with no user
input and every matched arm reconstructed with the true numbers at risk at
regular times and the marks the digitizer saw. Per figure it prints the
marks found (all false on figures that draw none), their precision and
recall, the censorings the reconstruction placed at marks, and how far the
reconstructed KM runs from the digitized curve (``max_dS``, the largest
vertical gap outside the drops' reading error) and from the true KM (``iae``), beside how
far the digitized curve runs from the true KM (``trace_error``, its reading error).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.digitize_scoring import score_censor_marks, score_curves, step_values
from benchmarks.km_points import at_risk_table, table_times
from benchmarks.make_marks_figures import FOLDER, load_source
from benchmarks.reconstruct import compare_arm
from digitize import digitize
from kmipd.errors import InputError
from reconstruct import reconstruct
from reconstruct.result import kaplan_meier


def gap_to_trace(curve: pd.DataFrame, ipd: pd.DataFrame, time_error: float) -> float:
    """Largest vertical gap between the KM of ``ipd`` and a digitized step curve, away from the drops.

    Both step functions are compared on a fine grid of times that lie more
    than ``time_error`` from any drop of either (where a drop placed a little
    off in time is no gap in survival).
    """
    km_time, km_survival = kaplan_meier(ipd["time"], ipd["event"])
    trace_time, trace_survival = curve["time"].to_numpy(float), curve["survival"].to_numpy(float)
    grid = np.linspace(0.0, trace_time.max(), 4001)
    drops = np.r_[km_time, trace_time[1:][np.diff(trace_survival) < 0]]
    away = np.abs(grid[:, None] - drops[None, :]).min(axis=1) > time_error
    rebuilt = np.r_[1.0, km_survival][np.searchsorted(km_time, grid, side="right")]
    traced = step_values(trace_time, trace_survival, grid)
    return float(np.abs(rebuilt - traced)[away].max(initial=0.0))


def run_figure(truth: dict) -> dict:
    """Digitize one figure and reconstruct its matched arms; one row of figures."""
    row = {"file": truth["file"], "marks_drawn": truth["marks_drawn"]}
    try:
        result = digitize(FOLDER / truth["file"])
    except InputError as error:
        return row | {"error": error.message}
    score = score_curves(result.curves, truth["arms"])
    matched = {arm["digitized_arm"]: arm["true_arm"] for arm in score["arms"] if arm["matched"]}
    x_length = max(arm["km"]["time"][-1] for arm in truth["arms"])
    marks = score_censor_marks(result.censor_marks, truth["arms"], matched, time_tolerance=0.01 * x_length)
    row |= {"curve_iae": score["iae"], "n_marks": marks["n_marks_found"],
            "precision": marks["censor_precision"], "recall": marks["censor_recall"],
            "n_censor_times": marks["n_censor_times"]}
    ipd = load_source(truth["source"])
    table = at_risk_table(ipd[ipd["arm"].isin(matched.values())], table_times(ipd, n_intervals=6))
    curves = result.curves[result.curves["arm"].isin(matched)].replace({"arm": matched})
    found = result.censor_marks[result.censor_marks["arm"].isin(matched)].replace({"arm": matched})
    try:
        rebuilt = reconstruct(curves, table, censor_marks=found, **result.reading_errors)
    except InputError as error:
        return row | {"error": error.message}
    gaps, reading, iaes, at_marks = [], [], [], 0
    for arm in matched.values():
        arm_ipd = rebuilt.ipd[rebuilt.ipd["arm"] == arm]
        gaps.append(gap_to_trace(curves[curves["arm"] == arm], arm_ipd, result.time_error))
        reading.append(gap_to_trace(curves[curves["arm"] == arm], ipd[ipd["arm"] == arm], result.time_error))
        window = float(ipd.loc[ipd["arm"] == arm, "time"].max())
        iaes.append(compare_arm(ipd[ipd["arm"] == arm], arm_ipd, window, window)["iae"])
        censored = arm_ipd.loc[arm_ipd["event"] == 0, "time"].to_numpy()
        at_marks += int(np.isin(censored, found.loc[found["arm"] == arm, "time"].to_numpy()).sum())
    return row | {"max_dS": max(gaps), "trace_error": max(reading), "iae": float(np.mean(iaes)),
                  "censored_at_marks": at_marks}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="*", help="glob of figure files to run")
    args = parser.parse_args(argv)
    records = [record for record in json.loads((FOLDER / "truth.json").read_text())
               if Path(record["file"]).match(args.only)]
    rows = pd.DataFrame([run_figure(record) for record in records])
    with pd.option_context("display.width", 200, "display.max_rows", 500, "display.float_format", "{:.4f}".format):
        print(rows.to_string(index=False))
    unmarked, marked = rows[~rows["marks_drawn"]], rows[rows["marks_drawn"]]
    print(f"\nfigures without marks: {len(unmarked)}, with a false mark: {int((unmarked['n_marks'] > 0).sum())}, "
          f"false marks: {int(unmarked['n_marks'].sum())}")
    print(f"figures with marks: precision median {marked['precision'].median():.3f}, "
          f"recall median {marked['recall'].median():.3f}")
    print(f"reconstruction max |dS| to its trace: median {rows['max_dS'].median():.4f}, "
          f"max {rows['max_dS'].max():.4f}; IAE to truth median {rows['iae'].median():.4f}")


if __name__ == "__main__":
    main()
