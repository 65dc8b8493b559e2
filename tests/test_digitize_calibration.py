"""Axis calibration from OCR of tick labels, on KM figures drawn from real IPD (lifelines data).

The truth is where matplotlib placed each tick; a calibration is right when it
puts every tick value within about a pixel of its tick.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pandas as pd
import pytest

import digitize.calibration as calibration_module
from digitize.axes import find_plot_area
from digitize.calibration import calibrate, parse_number
from digitize.image import load_image
from digitize.ocr import COLUMNS, read_boxes, read_text
from kmipd.errors import InputError
from test_digitize_axes import km_figure

STYLES = {
    "frame, 100 dpi": dict(dataset="gbsg2"),
    "L axes, 72 dpi": dict(dataset="rossi", dpi=72, frame=False),
    "percent, 300 dpi": dict(dataset="leukemia", dpi=300, size=(6, 4), percent=True),
    "days, JPEG q70": dict(dataset="kidney_transplant", jpeg_quality=70, frame=False),
    "grey panel": dict(dataset="waltons", grey_panel=True),
    "inward ticks": dict(dataset="lung", dpi=110, ticks="in"),
}


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    """Each style drawn once: (image, plot area, truth) by style name."""
    folder = tmp_path_factory.mktemp("calibration")
    drawn = {}
    for name, style in STYLES.items():
        path = folder / f"{len(drawn)}.{'jpg' if style.get('jpeg_quality') else 'png'}"
        truth = km_figure(path, **style)[0]
        image = load_image(path)
        drawn[name] = image, find_plot_area(image), truth
    return drawn


def assert_maps_ticks(calibration, truth, percent=False):
    # The truth is matplotlib's ideal tick position; the drawn tick is snapped to whole pixels,
    # up to a pixel away, so a quarter pixel is allowed on top of the one-pixel target.
    x_error = np.abs(calibration.x_px(truth["x_ticks"]) - truth["x_px"]).max()
    y_error = np.abs(calibration.y_px(truth["y_ticks"] / (100 if percent else 1)) - truth["y_px"]).max()
    assert x_error <= 1.25 and y_error <= 1.25, (x_error, y_error)


@pytest.mark.parametrize("style", list(STYLES))
def test_automatic_calibration_puts_every_tick_within_a_pixel(figures, style):
    image, area, truth = figures[style]
    calibration = calibrate(image, area)
    assert_maps_ticks(calibration, truth, percent=STYLES[style].get("percent", False))
    assert calibration.y_percent == STYLES[style].get("percent", False)
    assert (calibration.x.source, calibration.y.source) == ("ocr", "ocr")
    # The labels read are the ones printed (four spread along the axis suffice when they agree).
    for axis, printed in ((calibration.x, truth["x_ticks"]), (calibration.y, truth["y_ticks"])):
        assert len(axis.ticks) >= min(4, len(printed))
        read = axis.ticks["value"].to_numpy() * (100 if axis is calibration.y and calibration.y_percent else 1)
        assert np.abs(read[:, None] - printed[None, :]).min(axis=1).max() < 1e-9, (read, printed)


def test_misread_label_is_outvoted_and_reported(figures, monkeypatch):
    image, area, truth = figures["frame, 100 dpi"]

    def misreading(pixels, boxes):
        read = read_boxes(pixels, boxes)
        days = read.index[read["text"].str.fullmatch(r"[1-9]\d{2,}")]  # an x label (days), not 0
        if len(days):
            read.loc[days[0], "text"] = read.loc[days[0], "text"][:-2] + "70"  # e.g. "1000" read as "1070"
        return read

    monkeypatch.setattr(calibration_module, "read_boxes", misreading)
    calibration = calibrate(image, area)
    assert_maps_ticks(calibration, truth)
    assert any("disagree with the others" in warning for warning in calibration.warnings)


def test_unreadable_labels_need_a_range_which_then_wins(tmp_path):
    truth = km_figure(tmp_path / "bare.png", "lung", x_labels=False)[0]
    image = load_image(tmp_path / "bare.png")
    area = find_plot_area(image)
    with pytest.raises(InputError, match=r"could not read the x-axis tick labels; give --x-range A,B"):
        calibrate(image, area)
    first, last = truth["x_ticks"][0], truth["x_ticks"][-1]
    calibration = calibrate(image, area, x_range=(first, last))
    assert calibration.x.source == "user range" and calibration.y.source == "ocr"
    assert_maps_ticks(calibration, truth)


def test_user_ticks_and_range_override_ocr(figures):
    image, area, truth = figures["percent, 300 dpi"]
    ticks = calibrate(image, area, x_ticks=truth["x_ticks"])
    assert ticks.x.source == "user ticks"
    ranged = calibrate(image, area, y_range=(0, 100))
    assert ranged.y.source == "user range" and ranged.y_percent
    for calibration in (ticks, ranged):
        assert_maps_ticks(calibration, truth, percent=True)
    with pytest.raises(InputError, match="tick values were given"):
        calibrate(image, area, x_ticks=[0, 10])


def test_calibration_is_deterministic_and_json_ready(figures):
    image, area, _ = figures["L axes, 72 dpi"]
    first, second = calibrate(image, area), calibrate(image, area)
    text = json.dumps(first.to_dict(), sort_keys=True)
    assert text == json.dumps(second.to_dict(), sort_keys=True)
    description = json.loads(text)
    assert description["x"]["source"] == "ocr" and len(description["y"]["ticks"]) >= 3
    # Pixel -> value -> pixel is the identity.
    assert np.allclose(first.x_px(first.time([10.0, 250.5])), [10.0, 250.5])
    assert np.allclose(first.y_px(first.survival([3.0, 99.0])), [3.0, 99.0])


@pytest.mark.parametrize("text, value", [
    ("0.5", 0.5), ("0,5", 0.5), ("1,000", 1000), ("1 000", 1000), ("50%", 50), ("-2", -2),
    ("O.8", 0.8), ("E 0.4", 0.4), ("≥0.4", 0.4), ("2500", 2500), ("−0.5", -0.5),
])
def test_parse_number_reads_tick_labels(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "L", "po.", "Time (months)"])
def test_parse_number_refuses_words(text):
    assert np.isnan(parse_number(text))


def test_ocr_reads_text_in_full_image_coordinates():
    page = np.full((200, 600, 3), 255, np.uint8)
    cv2.putText(page, "Survival 0.75", (300, 150), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2, cv2.LINE_AA)
    found = read_text(page, region=(250, 100, 600, 200))
    assert list(found.columns) == COLUMNS
    line = found[found["text"].str.contains("0.75")]
    assert len(line) == 1
    assert 290 <= line["left"].iloc[0] <= 310 and 120 <= line["y_px"].iloc[0] <= 150
    boxes = read_boxes(page, [(295, 120, 520, 160), (10, 10, 40, 40)])
    assert boxes["text"].iloc[0].replace(" ", "") == "Survival0.75"
    assert boxes["text"].iloc[1] == "" and boxes["confidence"].iloc[1] == 0.0
    pd.testing.assert_frame_equal(found, read_text(page, region=(250, 100, 600, 200)))
