"""The fully automatic chain on a slice of the world corpus's held-out ``test`` half.

The slice (:func:`slice_of`) is chosen by rule, not by result: the first two figures of each
drawing program (R survminer and base graphics, lifelines, matplotlib, and the SAS, Stata,
Prism and journal look-alikes), then the first figure of each hard kind not yet in it (risk
tables with colour bars or coloured names, cumulative events, bands, line types, one ink,
cumulative incidence, JPEG, downscaling, blur, rotation, screenshot borders, greyscale, one to
four arms, legend statistics, inset HR boxes, counts with censored, bold row labels, tables
inside the plot, a cut x axis, no censor marks). Nothing was tuned on these figures.

The bounds are the levels measured when the slice was made (see the closing note of that
session), so that a regression in any style fails here; issue 9's targets (95% of figures that
print a table completed, IAE median 0.002) are well above them and are tracked by
``python -m benchmarks.world``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.world import CORPUS, run_figure
from benchmarks.world_data import read_truth

#: The hard kinds of figure (truth tags) the slice holds one of each, after two per program.
KINDS = ["risk_table", "table_colour_bars", "table_coloured_names", "cumevents", "conf_int", "linetype",
         "one_colour", "legend_inside", "legend_top", "cumulative_incidence", "jpeg", "downscaled", "blurred",
         "rotated", "screenshot_border", "greyscale", "single_arm", "n_arms_3", "n_arms_4", "legend_stats",
         "inset_hr", "counts_with_censored", "bold_row_label", "table_inside_plot", "x_axis_cut",
         "no_censor_marks"]
#: Without a printed table or an n= in the legend, N is not in the figure: refusing is right.
ASKS_FOR_N = "give the numbers-at-risk table or the number of patients"


def slice_of(records: list[dict], per_program: int = 2) -> list[dict]:
    """The first ``per_program`` figures (by id) of each program, then the first of each kind of :data:`KINDS`."""
    records = sorted(records, key=lambda record: record["id"])
    chosen = []
    for program in sorted({record["program"] for record in records}):
        chosen += [record for record in records if record["program"] == program][:per_program]
    for kind in KINDS:
        if not any(kind in record["tags"] for record in chosen):
            chosen += [record for record in records if kind in record["tags"]][:1]
    return chosen


@pytest.fixture(scope="module")
def scores():
    truth = read_truth("test")
    return [run_figure(Path(CORPUS / "test" / record["file"]), record) for record in slice_of(truth)]


def test_the_slice_covers_every_program_and_kind(scores):
    assert len({score["program"] for score in scores}) == 8
    assert all(any(kind in score["tags"] for score in scores) for kind in KINDS)


def test_no_figure_crashes_and_none_is_read_wrong_in_silence(scores):
    assert [score["id"] for score in scores if score["status"] == "crash"] == []
    assert [score["id"] for score in scores if score["silent_wrong"]] == []


def test_figures_without_their_n_ask_for_it_and_those_with_a_table_complete(scores):
    printed = [score for score in scores if score.get("cells_printed")]
    unprinted = [score for score in scores if not score.get("cells_printed")]
    # Completed when the figure prints its numbers at risk: 9 of 16 when measured (1 of 16 before).
    assert sum(score["completed"] for score in printed) >= 8
    # A figure that prints no table (and no n=) cannot be reconstructed: the error says what to give.
    asked = [score for score in unprinted if not score["completed"]]
    assert all(ASKS_FOR_N in score["message"] or "no plot axes" in score["message"]
               or "tick labels" in score["message"] or "no Kaplan-Meier curve" in score["message"] for score in asked)


def test_curves_arms_and_tables_are_read_as_measured(scores):
    digitized = [score for score in scores if score["digitized"]]
    assert len(digitized) >= 22  # 23 of 24 when measured
    assert sum(score["right_n_arms"] for score in scores) >= 15  # 16
    iae = [value for score in digitized for value in score["iae"]]
    assert float(np.median(iae)) <= 0.004  # 0.0029
    cells = sum(score.get("cells_right", 0) for score in scores) / sum(score.get("cells_printed", 0) for score in scores)
    assert cells >= 0.65  # 127 of 179 (0.71)
    assert np.mean([score["legend_loose"] for score in scores]) >= 0.7  # 0.78


@pytest.mark.parametrize("program", ["journal", "lifelines", "matplotlib", "prism", "r_base", "r_survminer",
                                     "sas", "stata"])
def test_every_program_has_an_arm_traced_closely(scores, program):
    mine = [score for score in scores if score["program"] == program and score["digitized"]]
    assert any(min(score["iae"]) <= 0.01 for score in mine), [(s["id"], s["iae"]) for s in mine]
