"""Large figures are read at a bounded resolution (digitize.image.working_image): same curves as the
figure drawn small, everything reported in the large figure's own pixels and data units."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from benchmarks.datasets import load
from benchmarks.digitize_scoring import curve_errors
from digitize import digitize
from digitize.axes import PlotArea, find_plot_areas
from digitize.image import MAX_WORKING_WIDTH_PX, load_image, working_image
from test_digitize_axes import km_figure


def test_positions_in_the_working_image_map_back_to_the_figure():
    # 3 px wide lines: a vertical one at columns 1000-1002 (centre 1001), a horizontal one at rows 699-701.
    # (A 1 px line falls into one pixel of the copy: its centre is known only to a working pixel.)
    image = np.full((1500, 2400, 3), 255, np.uint8)
    image[100:1400, 1000:1003] = 0
    image[699:702, 200:2200] = 0
    area = PlotArea(left=150, top=50, right=2250, bottom=1450, framed=False)
    work = working_image(image, area)
    assert work.scale == pytest.approx(MAX_WORKING_WIDTH_PX / area.width)
    assert work.plot_area.width == pytest.approx(MAX_WORKING_WIDTH_PX, abs=1)
    ink = 255 - work.image[..., 0].astype(float)
    bar_x = np.average(np.arange(ink.shape[1]), weights=ink[work.image.shape[0] // 4])
    line_y = np.average(np.arange(ink.shape[0]), weights=ink[:, work.image.shape[1] // 4])
    assert float(work.to_original(bar_x)) == pytest.approx(1001, abs=0.15)
    assert float(work.to_original(line_y)) == pytest.approx(700, abs=0.15)
    assert work.to_original(work.from_original([0.0, 1234.5])) == pytest.approx([0.0, 1234.5])
    assert work.box_to_original((10, 21, 30, 41)) == (17, 36, 53, 72)  # edges scaled by 2100/1200, outward


def test_a_figure_small_enough_is_read_as_it_is():
    image = np.full((600, 800, 3), 255, np.uint8)
    area = PlotArea(left=80, top=40, right=760, bottom=540, framed=True)
    work = working_image(image, area)
    assert work.scale == 1.0 and work.image is image and work.plot_area == area


@pytest.fixture(scope="module")
def small_and_large(tmp_path_factory):
    """The same gbsg2 figure drawn at 100 dpi (plot ~620 px wide) and 300 dpi (~1860 px), digitized."""
    read = {}
    for dpi in (100, 300):
        path = tmp_path_factory.mktemp("scale") / f"gbsg2_{dpi}dpi.png"
        truth = km_figure(path, "gbsg2", dpi=dpi)[0]
        read[dpi] = (load_image(path), truth, digitize(path))
    return read


def test_the_large_figure_is_read_at_the_bounded_resolution(small_and_large):
    image, _, _ = small_and_large[300]
    area = find_plot_areas(image)[0]
    assert area.width > 1.4 * MAX_WORKING_WIDTH_PX  # so the test reads a scaled-down copy


def test_curves_of_the_large_figure_are_as_good_as_the_small_ones(small_and_large):
    ipd = load("gbsg2")
    for arm, group in ipd.groupby("arm", sort=True):
        km = KaplanMeierFitter().fit(group["time"], group["event"]).survival_function_.iloc[:, 0]
        end = float(km.index[-1])
        errors = {}
        for dpi, (_, _, result) in small_and_large.items():
            curve = result.curves[result.curves["arm"] == arm]
            errors[dpi] = curve_errors(curve, km.index.to_numpy(), km.to_numpy(), end)[0]
        assert errors[300] < 0.003, errors
        assert errors[300] <= errors[100] + 0.001, errors


def test_the_large_figure_is_reported_in_its_own_pixels(small_and_large):
    (image, truth, result), (_, _, small) = small_and_large[300], small_and_large[100]
    assert result.plot_area == find_plot_areas(image)[0]
    assert result.overlay().shape == image.shape
    # Tick positions (read at full resolution) within a pixel of where they were drawn.
    assert np.abs(result.calibration.x_px(truth["x_ticks"]) - truth["x_px"]).max() <= 1.0
    assert np.abs(result.calibration.y_px(truth["y_ticks"]) - truth["y_px"]).max() <= 1.0
    # Lines drawn 3x as wide at 3x the dpi are reported 3x as wide, though traced narrower.
    ratio = result.arms["line_width_px"].to_numpy() / small.arms["line_width_px"].to_numpy()
    assert ratio == pytest.approx(3.0, rel=0.25)
    # The legend is read from the figure itself: the arms keep their printed names.
    assert sorted(result.arms["arm"]) == sorted(load("gbsg2")["arm"].unique())
    # Each traced corner lies on its line's ink in the large figure.
    ink = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) < 200
    for arm in result.arms["arm"]:
        curve = result.curves[result.curves["arm"] == arm]
        x = np.round(result.calibration.x_px(curve["time"].to_numpy())).astype(int)
        y = np.round(result.calibration.y_px(curve["survival"].to_numpy())).astype(int)
        near = [ink[max(row - 3, 0) : row + 4, max(col - 3, 0) : col + 4].any() for col, row in zip(x, y)]
        assert np.mean(near) > 0.95


def test_reading_errors_are_those_of_the_pixels_traced(small_and_large):
    # Traced at the bounded resolution, the large figure is no more precise than its working
    # copy: reconstruct is told the errors of the pixels traced, not of the file's pixels.
    (_, _, large), (_, _, small) = small_and_large[300], small_and_large[100]
    assert large.working_scale < 1.0 == small.working_scale
    per_traced_px = MAX_WORKING_WIDTH_PX / large.plot_area.width
    assert large.working_scale == pytest.approx(per_traced_px, rel=0.01)
    for name in ("survival_noise", "time_error"):
        assert large.reading_errors[name] == pytest.approx(
            getattr(small, name) * small.plot_area.width / MAX_WORKING_WIDTH_PX, rel=0.05), name
