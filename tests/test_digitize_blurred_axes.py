"""Thin axis lines blurred below the darkness of ink are still found (issue 9, items 7-8).

Real figures drawn by matplotlib and R survminer from real IPD (``tests/data/world/arms``, see
``benchmarks.make_arm_figures``) are scaled down to 560 px and blurred here as a scan or a
screenshot of a small figure blurs them: a 1-px black axis line then peaks under the darkness
an axis pixel needs, though it keeps its ink. Before the fix the image border was taken for the
plot (or no plot was found) and the tick labels were not read.
"""

from __future__ import annotations

import json

import cv2
import pytest

from benchmarks.digitize_scoring import score_curves
from benchmarks.make_arm_figures import FOLDER, true_arms
from digitize import digitize
from digitize.image import load_image

TRUTHS = {truth["id"]: truth for truth in json.loads((FOLDER / "truth.json").read_text())}


@pytest.mark.parametrize("figure,max_iae", [("mpl_red_dashed", 0.005), ("sm_lancet_lt_2", 0.004)])
def test_a_small_blurred_figure_has_its_axes_found_and_read(figure, max_iae):
    truth = TRUTHS[figure]
    image = load_image(FOLDER / truth["file"])
    scale = 560 / image.shape[1]
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    result = digitize(cv2.GaussianBlur(small, (0, 0), 1.1))
    height, width = small.shape[:2]
    area = result.plot_area
    assert area.left > 0.05 * width and area.bottom < 0.95 * height  # not the image's border
    score = score_curves(result.curves, true_arms(truth))
    assert score["n_found_arms"] == truth["n_arms"], result.arms
    assert max(arm["iae"] for arm in score["arms"]) <= max_iae, score["arms"]
