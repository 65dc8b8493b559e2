"""The plot area of real figures drawn by R, lifelines and matplotlib, also inside a frame.

A frame drawn around the whole figure (a screenshot's border, a journal's box) meets at a corner
like a plot's axes and is longer than them: it must not be taken for the plot, and a plot area
found on the image's border is said in a warning.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pandas as pd
import pytest

from benchmarks.digitize_scoring import score_curves
from digitize import digitize
from benchmarks.world_data import CORPUS, read_truth
from digitize.axes import PlotArea, border_warnings, find_plot_areas
from digitize.deskew import deskewed
from digitize.image import load_image

FIGURES = Path(__file__).parent / "data" / "world" / "plotarea"


def framed(image, margin_px: int, line_px: int, line_rgb=(0, 0, 0), outer_px: int = 0, outer_rgb=(200, 200, 200)):
    """The figure with ``margin_px`` of white paper, a ``line_px`` frame, then ``outer_px`` of
    screenshot border around it; also the offset of the figure's pixels in the result."""
    image = cv2.copyMakeBorder(image, *[margin_px] * 4, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    image = cv2.copyMakeBorder(image, *[line_px] * 4, cv2.BORDER_CONSTANT, value=line_rgb)
    image = cv2.copyMakeBorder(image, *[outer_px] * 4, cv2.BORDER_CONSTANT, value=outer_rgb)
    return image, margin_px + line_px + outer_px


def true_arms(name: str) -> list[dict]:
    """The KM of each arm as R or lifelines computed it (``truth_<name>.csv``), from (0, 1)."""
    truth = pd.read_csv(FIGURES / f"truth_{name}.csv")
    arms = []
    for arm, rows in truth.groupby("arm", sort=False):
        rows = rows[rows["time"] > 0]
        arms.append({"name": arm, "km": {"time": [0.0, *rows["time"]], "survival": [1.0, *rows["survival"]]}})
    return arms


FRAMES = {
    "frame on the figure's edge": dict(margin_px=0, line_px=2),
    "frame with a margin": dict(margin_px=8, line_px=1),
    "screenshot border": dict(margin_px=4, line_px=1, line_rgb=(80, 80, 80), outer_px=12),
}


@pytest.mark.parametrize("figure", ["base_l_veteran.png", "base_o_veteran.png", "ggsurvplot_lung.png",
                                    "jpeg640_2arms.jpg", "lifelines_rossi.png", "matplotlib_waltons.png"])
@pytest.mark.parametrize("frame", FRAMES)
def test_a_frame_around_the_figure_is_not_taken_for_the_plot(figure, frame):
    image = load_image(FIGURES / figure)
    plain = find_plot_areas(image)[0]
    boxed, offset = framed(image, **FRAMES[frame])
    found = find_plot_areas(boxed)[0]
    assert (found.left, found.top, found.right, found.bottom) == pytest.approx(
        (plain.left + offset, plain.top + offset, plain.right + offset, plain.bottom + offset), abs=1)
    assert found.framed == plain.framed


@pytest.mark.parametrize("figure, frame", [
    ("base_o_veteran.png", "frame on the figure's edge"),
    # A JPEG splits its navy arm into two blues (digitize.colours.merge_split_shades).
    ("jpeg640_2arms.jpg", "screenshot border"),
])
def test_a_framed_figure_reads_as_the_figure_itself(figure, frame):
    boxed, _ = framed(load_image(FIGURES / figure), **FRAMES[frame])
    result = digitize(boxed)
    score = score_curves(result.curves, true_arms(Path(figure).stem.replace("base_o", "base_l")))
    assert score["n_found_arms"] == score["n_true_arms"] == 2
    assert score["iae"] < 0.01, score
    assert not any("edge" in warning for warning in result.warnings)


def test_a_plot_area_on_the_image_border_is_warned_of():
    boxed, _ = framed(load_image(FIGURES / "base_o_veteran.png"), margin_px=0, line_px=2)
    height, width = boxed.shape[:2]
    frame = PlotArea(0, 0, width - 1, height - 1, True)
    (warning,) = border_warnings(boxed, frame)
    assert "left and bottom edge" in warning
    assert border_warnings(boxed, find_plot_areas(boxed)[0]) == []


@pytest.mark.parametrize("figure", ["base_n_veteran.png", "base_boxed_risk_block.png"])
def test_base_r_axes_drawn_without_a_box_are_the_plot_not_the_box_of_the_at_risk_block(figure):
    # bty = "n": each axis line runs from its first tick to its last and they do not meet.
    result = digitize(FIGURES / figure)
    score = score_curves(result.curves, true_arms("base_l_veteran"))
    assert score["n_found_arms"] == 2 and score["iae"] < 0.01, score
    l_shaped = find_plot_areas(load_image(FIGURES / "base_l_veteran.png"))[0]
    if figure == "base_n_veteran.png":  # the same plot as with L-shaped axes
        found = result.plot_area
        assert (found.left, found.top, found.bottom) == pytest.approx((l_shaped.left, l_shaped.top, l_shaped.bottom),
                                                                      abs=1)
    else:  # the block under the plot is read as its at-risk table (its second row is at_risk.py's matter)
        assert 69 in set(result.at_risk.loc[result.at_risk["time"] == 0, "n_risk"])


def test_a_legend_over_the_top_of_the_y_axis_does_not_lower_the_plot_top():
    # lifelines, the legend box drawn over the y axis's top quarter: the frame's right line still
    # rises to the top line, which is the plot's top.
    result = digitize(FIGURES / "lifelines_legend_over_axis.png")
    assert result.plot_area.framed and result.plot_area.top == 15
    score = score_curves(result.curves, true_arms("lifelines_rossi"))
    # The legend hides both curves' first weeks, so they are inferred there. (The legend box's
    # grey bottom edge, now inside the plot, is traced as a third "arm": a matter of telling
    # curves from rules, not of the plot area.)
    assert all(arm["matched"] and arm["iae"] < 0.015 for arm in score["arms"]), score


def _dev_figure(figure_id: str) -> tuple[PlotArea, dict]:
    """The plot area found in a world-corpus dev figure (straightened first, as digitize does), and its truth."""
    truth = {record["id"]: record for record in read_truth("dev")}[figure_id]
    image, _ = deskewed(load_image(CORPUS / "dev" / truth["file"]))
    return find_plot_areas(image)[0], truth


def test_a_faint_blurred_axis_line_centred_between_two_columns_is_found():
    # Base R's L box in a blurred JPEG: below the last y tick the box line alone is left, a pixel
    # and a half wide, as dark in two columns; taking the darker of the two as the line's centre
    # cut it into pieces and the axes were lost (the screenshot's border was read as the plot).
    area, truth = _dev_figure("r_base_dev_006")
    box = truth["plot_box"]
    assert abs(area.left - box["left"]) <= 1 and abs(area.bottom - box["bottom"]) <= 1, (area, box)
    # the far ends of the two lines, blurred, to a pixel or two
    assert abs(area.top - box["top"]) <= 2 and abs(area.right - box["right"]) <= 2, (area, box)


def test_a_plot_squeezed_above_a_tall_at_risk_table_is_found():
    # lifelines' table of three rows an arm for four arms leaves the plot under a fifth of the
    # figure's height: its y axis is shorter than the axis lines looked for first.
    area, truth = _dev_figure("lifelines_dev_003")
    height = truth["image_height_px"]
    assert area.height < 0.2 * height and area.width > 0.5 * truth["image_width_px"], area
    assert not border_warnings(load_image(CORPUS / "dev" / truth["file"]), area)
