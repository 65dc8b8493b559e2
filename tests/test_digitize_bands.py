"""Translucent confidence bands are not arms, even where two of them overlap.

R survminer fills each arm's confidence band with its colour at low opacity. Where two bands
overlap, and where one arm's line runs under another's band, new colours appear: blends of two
arms' colours with the background. ``r_survminer_02.png`` (a real R figure of the lung data by
ECOG score, three arms, in the corpus) was read with a fourth arm, the overlap of two bands; the
legend could not then name the arms either.
"""

from __future__ import annotations

import json

from benchmarks.digitize_scoring import score_curves
from benchmarks.make_digitize_corpus import CORPUS
from digitize import digitize

TRUTH = {record["id"]: record for record in json.loads((CORPUS / "truth.json").read_text())}
FIGURE = "r_survminer_02.png"


def test_the_figure_reads_as_its_three_arms_named_from_the_legend():
    truth = TRUTH[FIGURE]
    result = digitize(CORPUS / truth["file"])
    score = score_curves(result.curves, truth["arms"])
    assert len(result.arms) == truth["n_arms"] == 3
    assert sorted(result.arms["arm"]) == sorted(arm["name"] for arm in truth["arms"])
    assert score["iae"] <= 0.03, score["arms"]
