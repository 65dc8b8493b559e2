"""Censor marks on figures drawn by matplotlib, lifelines and R, and the reconstruction over them.

The figures (``tests/data/world/marks``, drawn by ``python -m benchmarks.make_marks_figures``)
show the KM curves of real IPD (lifelines datasets) and of simulated trials of 300-1000
patients an arm, whose curves fall steeply in many small steps, with and without censor marks;
so do dev figures of the world corpus (``benchmarks/world_corpus/dev``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from benchmarks.digitize_scoring import score_censor_marks, score_curves
from benchmarks.km_points import at_risk_table, table_times
from benchmarks.make_marks_figures import FOLDER, load_source
from benchmarks.marks import gap_to_trace
from benchmarks.world_data import CORPUS, read_truth
from digitize import digitize
from digitize.censor import MARK_COLUMNS, marks_of_one_form
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


# Dev figures of the world corpus (benchmarks/world_corpus/dev) that draw no censor mark, where an
# earlier reading found marks that are no glyph: survminer's steep staircases of two arms of 339
# under bands in JPEG (55 false marks: stair corners, and one lone blot that set their form);
# a solid and a dashed arm of 631 and 753 falling steeply, whose dashes stand upright apart from
# each other (36); Stata's three arms of 156-376 (9); a journal look of two arms, one dashed (5).
DEV_UNMARKED = ["r_survminer_dev_053", "r_survminer_dev_006", "stata_dev_001", "journal_dev_010"]
DEV_TRUTH = {record["id"]: record for record in read_truth("dev")}


@pytest.mark.parametrize("figure", DEV_UNMARKED)
def test_a_world_figure_without_censor_marks_has_none(figure):
    truth = DEV_TRUTH[figure]
    assert not truth["censor_marks_drawn"]
    result = digitize(CORPUS / "dev" / truth["file"], read_at_risk=False)
    assert len(truth["arms"]) == len(result.curves["arm"].unique())
    assert result.censor_marks.empty, result.censor_marks


# Dev figures that draw marks: matplotlib `+` on 4 px lines (147 marks), survminer `+` on lines
# read 10.9 px wide (thick lines under dense marks; since lines under bands of marks are traced at
# the width their bare columns show, 0.76 of its 501 censor times are found, was 0.83), SAS on four arms.
DEV_MARKED = [("matplotlib_dev_003", 0.97, 0.95), ("r_survminer_dev_063", 0.97, 0.75), ("sas_dev_002", 0.97, 0.95)]


@pytest.mark.parametrize("figure,precision,recall", DEV_MARKED, ids=[figure for figure, _, _ in DEV_MARKED])
def test_a_world_figure_keeps_its_censor_marks(figure, precision, recall):
    truth = DEV_TRUTH[figure]
    result = digitize(CORPUS / "dev" / truth["file"], read_at_risk=False)
    score = score_curves(result.curves, truth["arms"])
    names = {arm["digitized_arm"]: arm["true_arm"] for arm in score["arms"] if arm["matched"]}
    found = score_censor_marks(result.censor_marks, truth["arms"], names, 0.01 * truth["options"]["x_max"])
    assert found["censor_precision"] >= precision and found["censor_recall"] >= recall, found


def _candidates(kinds, above_px, below_px):
    """Censor-mark candidates of one arm, as :func:`digitize.censor.find_censor_marks` gives them."""
    n = len(kinds)
    return pd.DataFrame({"x_px": np.arange(n) * 10.0, "y_px": 5.0, "height_px": np.asarray(above_px) - 1,
                         "kind": kinds, "above_px": above_px, "below_px": below_px,
                         "first_col": 0, "last_col": 0}, columns=MARK_COLUMNS)


def test_stair_corners_have_no_form_without_marks_where_the_step_is_flat():
    corners = _candidates(["stair"] * 6 + ["free"], [4.5, 5.5, 4.5, 6.5, 5.5, 4.5, 4.0], [4.5, 4.5, 5.5, 5.5, 6.5, 4.5, 7.0])
    # One free-standing candidate (a blot) gives the stair corners no form: no marks.
    assert marks_of_one_form([corners])[0].empty
    # Two alike, on another arm, do: the corners reaching as far are marks among the steps.
    glyphs = _candidates(["free", "free", "loose"], [4.5, 5.0, 12.0], [5.0, 5.0, 12.0])
    kept = marks_of_one_form([corners, glyphs])
    assert len(kept[0]) == 7 and kept[1]["kind"].tolist() == ["free", "free"]


def test_marks_at_the_feet_of_drops_share_a_form_by_their_lower_half():
    # Censorings at event times: marks seen only by what hangs below the foot of each drop.
    feet = _candidates(["foot", "foot", "crossing"], [np.nan, np.nan, 3.0], [3.0, 3.0, 4.0])
    assert marks_of_one_form([feet])[0].empty  # two lower halves may be the next small steps
    more = pd.concat([feet, _candidates(["foot"], [np.nan], [3.5])], ignore_index=True)
    assert len(marks_of_one_form([more])[0]) == 4


def test_marks_where_curves_end_stand_alone():
    # Everyone left censored at the end of follow-up: a mark where a line stops on a level, or
    # two at the feet of drops ending curves, are marks without others to share their form.
    assert len(marks_of_one_form([_candidates(["last", "stair"], [4.0, 5.0], [5.0, 5.0])])[0]) == 1
    # ... centred on the line, as marks are: not ink reaching twice as far above it as below.
    assert marks_of_one_form([_candidates(["last"], [22.5], [13.5])])[0].empty
    end = _candidates(["end"], [np.nan], [np.nan])
    assert [len(marks) for marks in marks_of_one_form([end, end])] == [1, 1]
    assert marks_of_one_form([end, _candidates(["free"], [4.0], [5.0])])[0].empty
