"""Censor marks on figures drawn by matplotlib, lifelines and R, and the reconstruction over them.

The figures (``tests/data/world/marks``, drawn by ``python -m benchmarks.make_marks_figures``)
show the KM curves of real IPD (lifelines datasets) and of simulated trials of 300-1000
patients an arm, whose curves fall steeply in many small steps, with and without censor marks.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.digitize_scoring import score_censor_marks, score_curves
from benchmarks.km_points import at_risk_table, table_times
from benchmarks.make_marks_figures import FOLDER, load_source
from benchmarks.marks import gap_to_trace
from digitize import digitize
from reconstruct import reconstruct

TRUTH = {record["file"]: record for record in json.loads((FOLDER / "truth.json").read_text())}


def _digitize(file: str):
    truth = TRUTH[file]
    result = digitize(FOLDER / file)
    score = score_curves(result.curves, truth["arms"])
    assert score["right_n_arms"] and score["iae"] <= 0.004, score
    return truth, result, {arm["digitized_arm"]: arm["true_arm"] for arm in score["arms"] if arm["matched"]}


# No marks drawn; the false marks an earlier reading found, mostly corners of staircases of
# small steps (the strokes of the drop before and after meeting at each corner): ax.step of a
# simulated trial at 200 dpi, 3 px (10 marks), of gbsg2 at 100 dpi (4); plt.plot of the step
# corners of a simulated trial (2); R survminer, censor = FALSE, on gbsg2 (1).
UNMARKED = ["step_sim4.png", "step_gbsg2.png", "corners_sim7.png", "r_survminer_gbsg2.png"]


@pytest.mark.parametrize("file", UNMARKED)
def test_a_figure_without_censor_marks_has_none(file):
    _, result, _ = _digitize(file)
    assert result.censor_marks.empty, result.censor_marks


# Marks drawn: lifelines + marks (rossi: censored at 52 weeks), R survminer + marks on gbsg2.
@pytest.mark.parametrize("file", ["lifelines_marks_rossi.png", "r_survminer_marks_gbsg2.png"])
def test_marks_are_found_and_the_reconstruction_follows_its_trace(file):
    truth, result, names = _digitize(file)
    x_length = max(arm["km"]["time"][-1] for arm in truth["arms"])
    found = score_censor_marks(result.censor_marks, truth["arms"], names, time_tolerance=0.01 * x_length)
    assert found["censor_precision"] >= 0.98 and found["censor_recall"] >= 0.9, found
    ipd = load_source(truth["source"])
    table = at_risk_table(ipd, table_times(ipd, n_intervals=6))
    curves = result.curves.replace({"arm": names})
    marks = result.censor_marks.replace({"arm": names})
    rebuilt = reconstruct(curves, table, censor_marks=marks, **result.reading_errors).ipd
    for arm in names.values():
        curve = curves[curves["arm"] == arm]
        # The trace's reading error: how far it runs from the true KM, away from the drops.
        reading_error = gap_to_trace(curve, ipd[ipd["arm"] == arm], result.time_error)
        assert gap_to_trace(curve, rebuilt[rebuilt["arm"] == arm], result.time_error) <= reading_error, arm
