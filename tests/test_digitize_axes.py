"""Image loading, plot area and tick detection on KM figures drawn from real IPD (lifelines data).

matplotlib knows where it drew the axes (``ax.get_window_extent()``) and each
tick (``ax.transData``), so figures drawn here carry their own truth.
"""

from __future__ import annotations

import io

import cv2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402

from benchmarks.datasets import load  # noqa: E402
from digitize.axes import PlotArea, find_plot_area, find_plot_areas, find_ticks  # noqa: E402
from digitize.image import load_image  # noqa: E402
from kmipd.errors import InputError  # noqa: E402


def _pixel_col(display_x, height):
    # matplotlib display coordinates: pixel centres at half-integers, rows counted upward.
    return np.asarray(display_x, dtype=float) - 0.5


def _pixel_row(display_y, height):
    return height - np.asarray(display_y, dtype=float) - 0.5


def draw_km(ax, dataset: str, percent: bool = False):
    """Kaplan-Meier curves of every arm of a lifelines dataset, as journals draw them."""
    ipd = load(dataset)
    for arm, group in ipd.groupby("arm", sort=True):
        survival = KaplanMeierFitter().fit(group["time"], group["event"]).survival_function_.iloc[:, 0]
        ax.step(survival.index, survival.to_numpy() * (100 if percent else 1), where="post", label=arm, lw=1.5)
    ax.set_xlabel("Time")
    ax.set_ylabel("Survival (%)" if percent else "Survival probability")
    ax.legend(loc="upper right")


def draw_at_risk(ax, dataset: str, coloured: bool) -> pd.DataFrame:
    """Print a numbers-at-risk table under ``ax`` (one row per arm, a count under each tick).

    Returns the table printed: ``arm, time, n_risk``.
    """
    ipd = load(dataset)
    x0, x1 = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if x0 <= t <= x1]
    under = ax.get_xaxis_transform()  # x in data, y in axes fraction
    rows = []
    for i, ((arm, group), line) in enumerate(zip(ipd.groupby("arm", sort=True), ax.get_lines())):
        colour = line.get_color() if coloured else "black"
        y = -0.25 - 0.08 * i
        ax.text(x0 - 0.03 * (x1 - x0), y, arm, transform=under, ha="right", va="center", color=colour)
        for tick in ticks:
            n_risk = int((group["time"] >= tick).sum())
            ax.text(tick, y, str(n_risk), transform=under, ha="center", va="center", color=colour)
            rows.append({"arm": arm, "time": float(tick), "n_risk": n_risk})
    return pd.DataFrame(rows)


def km_figure(path, dataset="gbsg2", *, dpi=100, size=(8, 5), frame=True, percent=False, jpeg_quality=None,
              panels=1, grey_panel=False, x_labels=True, at_risk=None, ticks="out"):
    """Draw a KM figure to ``path``; return the truth: plot areas and tick positions per panel.

    Returns
    -------
    list of dict
        Per panel: ``area`` (left, top, right, bottom in pixel indices), ``x_ticks`` and
        ``y_ticks`` (values, in the printed units) and ``x_px``, ``y_px`` (their positions),
        and ``at_risk`` (the table printed, ``arm, time, n_risk``) when one was drawn.
    """
    fig, axes = plt.subplots(1, panels, figsize=size, dpi=dpi, squeeze=False)
    for ax in axes[0]:
        draw_km(ax, dataset, percent)
        if not frame:
            ax.spines[["top", "right"]].set_visible(False)
        if grey_panel:  # ggplot2's theme_grey: grey panel, white grid, no axis lines
            ax.set_facecolor("#EBEBEB")
            ax.grid(color="white", lw=1.2)
            ax.set_axisbelow(True)
            for spine in ax.spines.values():
                spine.set_visible(False)
            ax.tick_params(color="#333333")
        if not x_labels:
            ax.set_xticklabels([])
        ax.tick_params(direction=ticks)
    if at_risk is not None:  # "colour" or "black": rows named by colour and label, or label only
        fig.subplots_adjust(left=0.2, bottom=0.38)
        tables = [draw_at_risk(ax, dataset, coloured=at_risk == "colour") for ax in axes[0]]
    fig.canvas.draw()
    height = fig.canvas.get_width_height()[1]
    truths = []
    for ax in axes[0]:
        box = ax.get_window_extent()
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        x_ticks = [t for t in ax.get_xticks() if x0 <= t <= x1]
        y_ticks = [t for t in ax.get_yticks() if y0 <= t <= y1]
        truths.append({
            "area": (_pixel_col(box.x0, height), _pixel_row(box.y1, height),
                     _pixel_col(box.x1, height), _pixel_row(box.y0, height)),
            "x_ticks": np.array(x_ticks), "y_ticks": np.array(y_ticks),
            "x_px": _pixel_col(ax.transData.transform([(t, y0) for t in x_ticks])[:, 0], height),
            "y_px": _pixel_row(ax.transData.transform([(x0, t) for t in y_ticks])[:, 1], height),
        })
        if at_risk is not None:
            truths[-1]["at_risk"] = tables[len(truths) - 1]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    png = buffer.getvalue()
    if jpeg_quality is None:
        path.write_bytes(png)
    else:
        image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
        path.write_bytes(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])[1].tobytes())
    return truths


STYLES = {
    "frame, 100 dpi": dict(dataset="gbsg2"),
    "L axes, 72 dpi": dict(dataset="rossi", dpi=72, frame=False),
    "percent, 300 dpi": dict(dataset="leukemia", dpi=300, size=(6, 4), percent=True),
    "days, JPEG q70": dict(dataset="kidney_transplant", jpeg_quality=70, frame=False),
    "inward ticks": dict(dataset="lung", dpi=110, ticks="in"),
}


@pytest.fixture(scope="module", params=list(STYLES))
def drawn(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("figures") / ("figure.jpg" if STYLES[request.param].get("jpeg_quality") else "figure.png")
    truth = km_figure(path, **STYLES[request.param])[0]
    return load_image(path), truth, STYLES[request.param]


def test_plot_area_within_two_pixels_of_the_drawn_axes(drawn):
    image, truth, style = drawn
    area = find_plot_area(image)
    assert np.allclose((area.left, area.top, area.right, area.bottom), truth["area"], atol=2)
    assert area.framed == style.get("frame", True)


def test_every_tick_found_within_a_pixel(drawn):
    image, truth, _ = drawn
    x_ticks, y_ticks = find_ticks(image, find_plot_area(image))
    for found, true in ((x_ticks, truth["x_px"]), (y_ticks, truth["y_px"])):
        distances = np.abs(found[:, None] - true[None, :]).min(axis=0)
        assert distances.max() <= 1.0, (found, true)


def test_two_panels_side_by_side_in_reading_order(tmp_path):
    truths = km_figure(tmp_path / "panels.png", "larynx", size=(11, 4.5), panels=2)
    areas = find_plot_areas(load_image(tmp_path / "panels.png"))
    assert len(areas) == 2
    for area, truth in zip(areas, truths):
        assert np.allclose((area.left, area.top, area.right, area.bottom), truth["area"], atol=2)
    assert find_plot_area(load_image(tmp_path / "panels.png")) == areas[0]


def test_grey_panel_without_axis_lines(tmp_path):
    truth = km_figure(tmp_path / "grey.png", "waltons", grey_panel=True)[0]
    area = find_plot_area(load_image(tmp_path / "grey.png"))
    assert np.allclose((area.left, area.top, area.right, area.bottom), truth["area"], atol=2)


def test_plot_area_sides():
    area = PlotArea(left=10, top=5, right=110, bottom=85, framed=True)
    assert (area.width, area.height) == (100, 80)


# --- loading and refusing images ---------------------------------------------------------------

def test_load_image_converts_arrays_to_rgb_uint8():
    grey = np.full((120, 150), 200, np.uint8)
    assert load_image(grey).shape == (120, 150, 3)
    rgba = np.zeros((120, 150, 4), np.uint8)  # fully transparent: lies on white paper
    assert (load_image(rgba) == 255).all()
    assert load_image(np.ones((120, 150, 3))).max() == 255  # float 0-1


@pytest.mark.parametrize("name, depth", [("red.png", np.uint8), ("red.tiff", np.uint8), ("red16.png", np.uint16)])
def test_load_image_reads_rgb_not_bgr(tmp_path, name, depth):
    red = np.zeros((120, 150, 3), depth)
    red[:, :, 2] = np.iinfo(depth).max  # BGR red as OpenCV writes it
    cv2.imwrite(str(tmp_path / name), red)
    image = load_image(tmp_path / name)
    assert image.dtype == np.uint8 and tuple(image[0, 0]) == (255, 0, 0)


@pytest.mark.parametrize("name, content, fragment", [
    ("corrupt.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not a readable"),
    ("empty.png", b"", "not a readable"),
    ("text.jpg", b"time,survival\n0,1\n", "not a readable"),
])
def test_unreadable_files_are_refused(tmp_path, name, content, fragment):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError, match=fragment) as caught:
        load_image(tmp_path / name)
    assert caught.value.source == str(tmp_path / name)


def test_truncated_png_is_refused(tmp_path):
    png = cv2.imencode(".png", np.random.default_rng(0).integers(0, 255, (300, 300, 3), dtype=np.uint8))[1]
    (tmp_path / "cut.png").write_bytes(png.tobytes()[: len(png) // 2])
    with pytest.raises(InputError, match="corrupt or truncated"):
        load_image(tmp_path / "cut.png")


def test_missing_tiny_and_huge_images_are_refused(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_image(tmp_path / "nowhere.png")
    with pytest.raises(InputError, match="is a folder, not an image"):
        load_image(tmp_path)
    with pytest.raises(InputError, match="not a regular file"):
        load_image("/dev/zero")
    cv2.imwrite(str(tmp_path / "tiny.png"), np.zeros((50, 400, 3), np.uint8))
    with pytest.raises(InputError, match="too small"):
        load_image(tmp_path / "tiny.png")
    cv2.imwrite(str(tmp_path / "huge.png"), np.zeros((7000, 7000), np.uint8))  # 49 megapixels
    with pytest.raises(InputError, match="megapixels"):
        load_image(tmp_path / "huge.png")


@pytest.mark.parametrize("page", ["blank", "noise", "photo"])
def test_images_that_are_not_plots_have_no_axes(page):
    rng = np.random.default_rng(3)
    if page == "blank":
        image = np.full((600, 800, 3), 255, np.uint8)
    elif page == "noise":
        image = rng.integers(0, 256, (600, 800, 3), dtype=np.uint8)
    else:  # smooth colour fields with texture, like a photograph
        image = cv2.GaussianBlur(rng.integers(0, 256, (600, 800, 3), dtype=np.uint8), (0, 0), 25)
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX)
    with pytest.raises(InputError, match="no plot axes found"):
        find_plot_area(image)
