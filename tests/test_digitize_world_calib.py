"""Calibration on figures drawn by R, lifelines and matplotlib (``tests/data/world/calib``).

The figures and their truth were made by ``python -m benchmarks.make_calib_figures``: base R
tells the device pixel of every tick (``grconvertX``/``grconvertY``), each figure's JSON holds
the true KM of every arm, and the small JPEGs are journal copies of figures drawn large
(area-averaged down to 350-420 px wide, JPEG quality 50-75, tick labels 5-7 px high).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from benchmarks.digitize_scoring import score_curves
from digitize import digitize
from digitize.axes import find_plot_area, find_ticks
from digitize.calibration import _consensus, calibrate, group_words
from digitize.image import load_image
from kmipd.errors import InputError

FIGURES = Path(__file__).parent / "data" / "world" / "calib"


def _truth(name: str) -> dict:
    return json.loads((FIGURES / name).with_suffix(".json").read_text())


def _true_arms(truth: dict) -> list[dict]:
    return [{"name": arm["name"], "km": {"time": arm["time"], "survival": arm["survival"]}} for arm in truth["arms"]]


@pytest.mark.parametrize("name", ["base_lung_ticks.png", "base_veteran_ticks.png", "base_ovarian_ticks.png"])
def test_r_tick_marks_are_found_and_mapped_within_a_tenth_of_a_pixel(name):
    image, truth = load_image(FIGURES / name), _truth(name)
    area = find_plot_area(image)
    for found, true in zip(find_ticks(image, area), (truth["x_px"], truth["y_px"])):
        assert np.abs(found[:, None] - np.array(true)[None, :]).min(axis=0).max() <= 0.1, (found, true)
    calibration = calibrate(image, area)
    assert np.abs(calibration.x_px(truth["x_ticks"]) - truth["x_px"]).max() <= 0.1
    assert np.abs(calibration.y_px(truth["y_ticks"]) - truth["y_px"]).max() <= 0.1


@pytest.mark.parametrize("name", ["base_colon_350_q50.jpg", "base_colon_650_q60.jpg", "mpl_gbsg2_600_q50.jpg",
                                  "mpl_rossi_380_q75.jpg"])
def test_tick_labels_of_small_journal_jpegs_are_read(name):
    # Drawn at 1400 px, printed at 350-650 px wide in JPEG quality 50-75: labels 4-9 px high.
    # (matplotlib draws its ticks up to a pixel off the ideal, here scaled down by 0.27-0.43.)
    image, truth = load_image(FIGURES / name), _truth(name)
    calibration = calibrate(image, find_plot_area(image))
    assert (calibration.x.source, calibration.y.source) == ("ocr", "ocr")
    assert np.abs(calibration.x_px(truth["x_ticks"]) - truth["x_px"]).max() <= 0.5
    assert np.abs(calibration.y_px(truth["y_ticks"]) - truth["y_px"]).max() <= 0.5
    if name == "base_colon_350_q50.jpg":  # "2000" read as "2005": within a pixel of the others' line
        assert any("'2005'" in warning for warning in calibration.warnings)


@pytest.mark.parametrize("name", ["survminer_lung_420_q50.jpg", "survminer_lung_350_q75.jpg"])
def test_small_survminer_jpegs_are_read_without_help(name):
    # The y-axis title, printed upward a few pixels from the labels, is one tall blob at this size.
    result = digitize(FIGURES / name)
    assert result.calibration.y.source == "ocr"
    score = score_curves(result.curves, _true_arms(_truth(name)))
    assert score["right_n_arms"] and score["iae"] <= 0.006, score


@pytest.mark.parametrize("name, max_iae", [("base_lung_event.png", 0.004), ("survminer_veteran_event.png", 0.005),
                                           ("survminer_colon_event.png", 0.004),
                                           ("lifelines_waltons_event.png", 0.006)])
def test_cumulative_incidence_is_read_and_returned_as_survival(name, max_iae):
    result = digitize(FIGURES / name)
    assert result.measure == "cumulative_incidence" == result.to_dict()["measure"]
    score = score_curves(result.curves, _true_arms(_truth(name)))
    assert score["right_n_arms"] and score["iae"] <= max_iae, score
    for _, curve in result.curves.groupby("arm"):
        assert curve["survival"].iloc[0] == 1.0 and np.all(np.diff(curve["survival"]) <= 0)
    # The overlay draws each curve where it was read: survival 1 on the foot of the y axis (F = 0).
    assert abs(result.calibration.y_px(1.0) - result.calibration.y.to_px(0.0)) < 1e-9


def test_a_survival_figure_stays_survival():
    result = digitize(FIGURES / "base_lung_ticks.png")
    assert result.measure == "survival" == result.to_dict()["measure"]
    assert score_curves(result.curves, _true_arms(_truth("base_lung_ticks.png")))["iae"] <= 0.003


def test_a_tall_blob_beside_labels_is_not_part_of_them():
    # survminer_lung_420_q50: the y title's letters run into one blob 27 px tall, 3 px left of "0.50".
    label, title, other = [(15, 129, 18, 135), (19, 129, 27, 135)], (5, 108, 12, 135), (15, 76, 27, 81)
    words = group_words(label + [title, other])
    assert (15, 129, 27, 135) in words and title in words


def test_a_label_misread_within_the_pixel_tolerance_is_left_out():
    labels = pd.DataFrame({"px": [41.5, 83.7, 125.9, 168.1, 210.3, 252.5], "value": [0, 500, 1000, 1500, 2005, 2500],
                           "text": ["0", "500", "1000", "1500", "2005", "2500"], "confidence": 1.0})
    assert _consensus(labels, "x")["value"].tolist() == [0, 500, 1000, 1500, 2500]


def test_a_figure_with_neither_falling_nor_rising_curves_is_refused():
    image = load_image(FIGURES / "base_lung_event.png").copy()
    area = find_plot_area(image)
    image[area.top + 3 : area.bottom - 3, area.left + 3 : area.right - 3] = 255  # the curves wiped out
    x = np.arange(area.left + 10, area.right - 10)
    wave = (area.top + area.bottom) / 2 + 0.3 * area.height * np.sin(x / 25)  # a line that falls and rises
    cv2.polylines(image, [np.column_stack([x, wave]).astype(np.int32)], False, (220, 30, 30), 2)
    with pytest.raises(InputError, match="nor one that only rises"):
        digitize(image)


def test_upright_y_labels_set_closer_than_a_line_height_are_not_taken_for_turned_ones():
    # r_survminer_dev_019 (world corpus, dev): labels 34 px high, 32 px apart, are no stacks of
    # glyphs; read as turned, only their last digits were found ('5', '0').
    from benchmarks.world_data import CORPUS

    image = load_image(CORPUS / "dev" / "r_survminer_dev_019.png")
    calibration = calibrate(image, find_plot_area(image))
    assert calibration.y.source == "ocr" and not calibration.y_percent
    values = set(calibration.y.ticks["value"])
    assert len(values) >= 3 and values <= {0.0, 0.25, 0.5, 0.75, 1.0}
