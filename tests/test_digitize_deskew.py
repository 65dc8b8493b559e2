"""Figures scanned a little askew are set straight before they are read (issue 12; issue 9, items 7-8).

Real figures drawn by R (survminer, base ``plot(survfit)``) and matplotlib from real IPD
(``tests/data/world/arms``, see ``benchmarks.make_arm_figures``) are turned here by a degree or
so, as a page laid askew on a scanner is; before the fix their axes were not found as a box (or
their tick labels not cut out on a line) and nothing was read. The world corpus's rotated dev
figures give the angle they were turned by.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from benchmarks.digitize_scoring import score_curves
from benchmarks.make_arm_figures import FOLDER, true_arms
from benchmarks.world_data import CORPUS, read_truth
from digitize import digitize
from digitize.deskew import skew_degrees
from digitize.image import load_image

TRUTHS = {truth["id"]: truth for truth in json.loads((FOLDER / "truth.json").read_text())}
WORLD_DEV = CORPUS / "dev"


def _turned(image: np.ndarray, degrees: float) -> np.ndarray:
    """The figure turned counter-clockwise about its centre, white corners: a page scanned askew."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


@pytest.mark.parametrize("figure,degrees,max_iae", [
    ("sm_lancet_lt_2", 0.9, 0.006),
    ("base_red_dashed_lwd2", -1.2, 0.008),
    ("mpl_red_dashed", 0.6, 0.006),
])
def test_a_figure_turned_by_a_degree_is_read_as_if_straight(figure, degrees, max_iae):
    truth = TRUTHS[figure]
    result = digitize(_turned(load_image(FOLDER / truth["file"]), degrees))
    assert result.quality["deskew_degrees"] == pytest.approx(degrees, abs=0.1)
    assert any("turned straight" in warning for warning in result.warnings)
    score = score_curves(result.curves, true_arms(truth))
    assert score["n_found_arms"] == truth["n_arms"], result.arms
    assert max(arm["iae"] for arm in score["arms"]) <= max_iae, score["arms"]


def test_a_straight_figure_is_not_turned():
    result = digitize(FOLDER / TRUTHS["sm_lancet_lt_2"]["file"])
    assert result.quality["deskew_degrees"] == 0.0
    assert not any("turned straight" in warning for warning in result.warnings)


def test_lines_that_lean_without_a_rotation_are_not_taken_for_one():
    # A shear tilts the horizontal lines and leaves the vertical ones upright: the two
    # measurements disagree, so no rotation explains the figure.
    image = load_image(FOLDER / TRUTHS["sm_lancet_lt_2"]["file"])
    shear = np.float32([[1, 0, 0], [np.tan(np.radians(1.0)), 1, 0]])
    sheared = cv2.warpAffine(image, shear, image.shape[1::-1], borderValue=(255, 255, 255))
    assert skew_degrees(sheared) is None


def test_the_rotation_of_the_world_corpus_rotated_dev_figures_is_measured():
    rotated = [(truth["file"], step["degrees"]) for truth in read_truth("dev")
               for step in truth["degradations"] if step["kind"] == "rotate"]
    assert len(rotated) >= 10
    for file, degrees in rotated:
        assert skew_degrees(load_image(WORLD_DEV / file)) == pytest.approx(degrees, abs=0.1), file
