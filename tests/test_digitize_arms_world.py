"""Arms lost and spurious arms, on figures drawn by the real programs (issue 9, item 5).

The figures in ``tests/data/world/arms`` were drawn by R (survminer ``ggsurvplot``, base
``plot(survfit)``), lifelines and matplotlib from real IPD by
``python -m benchmarks.make_arm_figures``; their true KM is rebuilt from the same IPD. Each case
lost an arm or found one too many before the fix named beside it. The last test reads a figure of
the world corpus's dev half (``benchmarks/world_corpus/dev``).
"""

from __future__ import annotations

import json

import pytest

from benchmarks.digitize_scoring import score_curves
from benchmarks.make_arm_figures import FOLDER, true_arms
from benchmarks.world_data import CORPUS, read_truth
from digitize import digitize

TRUTHS = {truth["id"]: truth for truth in json.loads((FOLDER / "truth.json").read_text())}

CASES = [
    # a dashed colour arm beside a solid black one: its dashes alone trace no curve
    ("base_red_dashed_lwd2", 0.006),
    # ... nor over its dash pattern, where it falls steeply beside a grey arm: a drop every column or
    # two priced following it above giving it up at once
    ("base_red_dashed_halves", 0.005),
    ("sm_lancet_lt_2", 0.003),
    # dashed and dot-dashed colour arms, and a ruled HR table inside the plot
    ("mpl_three_inset", 0.004),
    # the rules of an HR table, a boxed legend and an HR box inside the plot are no arms
    ("sm_inset_default", 0.003),
    ("base_box_inset", 0.003),
    # a line seen through another arm's band is still its arm's line
    ("sm_default_ci_2", 0.004),
    ("sm_npg_lt_ci_2", 0.004),
    # a line over its own band is kept, the band (wider, a paler tint of it) is no arm
    ("sm_jco_ci_2", 0.01),
    # where two bands overlap (in grey, of complementary colours) is no arm
    ("ll_ci_2_small", 0.008),
]


@pytest.mark.parametrize("figure,max_iae", CASES, ids=[figure for figure, _ in CASES])
def test_every_arm_drawn_is_found_and_no_other(figure, max_iae):
    truth = TRUTHS[figure]
    result = digitize(FOLDER / truth["file"])
    score = score_curves(result.curves, true_arms(truth))
    assert score["n_found_arms"] == truth["n_arms"], result.arms
    assert max(arm["iae"] for arm in score["arms"]) <= max_iae, score["arms"]


def test_a_pale_thin_arm_taken_on_the_tables_word_is_warned_of():
    truth = next(record for record in read_truth("dev") if record["id"] == "r_survminer_dev_057")
    result = digitize(CORPUS / "dev" / truth["file"])
    assert any("paler and thinner" in warning for warning in result.warnings), result.warnings
    # Without the table's word, the pale thin line is no arm.
    alone = digitize(CORPUS / "dev" / truth["file"], read_at_risk=False)
    assert len(alone.arms) == 1, alone.arms



def _dev_truth(figure_id: str) -> dict:
    return next(record for record in read_truth("dev") if record["id"] == figure_id)


def _dev_truth(figure_id: str) -> dict:
    return next(record for record in read_truth("dev") if record["id"] == figure_id)


@pytest.mark.parametrize("figure", ["r_survminer_dev_050", "matplotlib_dev_002"])
def test_two_arms_of_one_black_ink_running_close_are_told_apart_on_the_tables_word(figure):
    # Two black arms (solid and dashed, or both solid) within their censor marks' reach of each
    # other: the numbers-at-risk table's rows ask for them, and the reading says it took its word.
    truth = _dev_truth(figure)
    result = digitize(CORPUS / "dev" / truth["file"])
    score = score_curves(result.curves, truth["arms"])
    assert score["n_found_arms"] == truth["n_arms"], result.arms
    assert max(arm["iae"] for arm in score["arms"]) <= 0.015, score["arms"]
    assert any("told apart only because" in warning for warning in result.warnings), result.warnings
    # Without the table's word, they stay one arm.
    alone = digitize(CORPUS / "dev" / truth["file"], read_at_risk=False)
    assert len(alone.arms) == truth["n_arms"] - 1, alone.arms
