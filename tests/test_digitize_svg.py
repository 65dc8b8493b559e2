"""The SVG route: KM figures saved as SVG, read from their paths and text as a PDF page is.

The figures are real IPD (lifelines datasets) drawn in the test: by matplotlib's SVG backend
(``svg.fonttype = "none"``, so text is text; markers and ticks as ``<use>`` of defs), and by a
small hand-written SVG writer using what other programs write (nested group transforms, styles as
presentation attributes inherited from groups, relative path commands, ``<polyline>``, ``<line>``,
``<tspan>``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from benchmarks import datasets  # noqa: E402
from benchmarks.digitize_scoring import score_at_risk, score_censor_marks, score_curves  # noqa: E402
from benchmarks.km_points import at_risk_table, censor_marks, km_step_corners  # noqa: E402
from benchmarks.make_pdf_corpus import arm_truth, draw_km_axes  # noqa: E402
from digitize import digitize  # noqa: E402
from digitize.svg import path_points, svg_drawing  # noqa: E402
from digitize.vector import PIXELS_PER_PT  # noqa: E402
from kmipd.cli import main  # noqa: E402
from kmipd.errors import InputError  # noqa: E402

#: dataset, censor marker, at-risk step, x label.
MATPLOTLIB_FIGURES = [("rossi", "|", 10, "Weeks"), ("gbsg2", "+", 500, "Days"), ("leukemia", "|", 5, "Weeks"),
                      ("larynx", "+", 2, "Years")]


@lru_cache(maxsize=None)
def matplotlib_svg(name: str, marker: str, break_by: float, xlab: str, folder: str) -> tuple[Path, dict]:
    """A matplotlib KM figure of a dataset saved as SVG with real text, and its truth."""
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "kmipd"}):
        figure, ax = plt.subplots(figsize=(6, 4.5))
        truth = draw_km_axes(ax, datasets.load(name), marker=marker, colours=["#1f77b4", "#d62728"],
                             dashes=[False, True], break_by=break_by, xlab=xlab, at_risk_row=True)
        figure.subplots_adjust(bottom=0.3, left=0.2)
        path = Path(folder) / f"mpl_{name}.svg"
        figure.savefig(path)
        plt.close(figure)
    return path, truth


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("svg"))


def assert_read_exactly(result, truth: dict) -> None:
    curves = score_curves(result.curves, truth["arms"])
    assert curves["right_n_arms"]
    assert curves["iae"] <= 0.0005
    assert sorted(result.arms["arm"]) == sorted(truth["legend"])
    names = {arm["digitized_arm"]: arm["true_arm"] for arm in curves["arms"]}
    marks = score_censor_marks(result.censor_marks, truth["arms"], names,
                               0.1 * PIXELS_PER_PT * abs(result.calibration.x.slope))
    assert marks["censor_recall"] >= 0.98 and marks["censor_precision"] >= 0.98
    if truth["at_risk"]:
        assert score_at_risk(result.at_risk, truth["at_risk"], names, 1e-9) == 1.0
        assert len(result.at_risk) == len(truth["at_risk"]["n_risk"])
    assert result.calibration.x.source == result.calibration.y.source == "pdf text"
    assert result.quality["source"] == "svg vector"


@pytest.mark.parametrize("figure", MATPLOTLIB_FIGURES, ids=[f[0] for f in MATPLOTLIB_FIGURES])
def test_matplotlib_svg_is_read_exactly(figure, folder):
    path, truth = matplotlib_svg(*figure, folder)
    assert_read_exactly(digitize(path), truth)


def _svg_of(ipd, break_by: float, step_path: str) -> tuple[str, dict]:
    """A KM plot written by hand the way other SVG writers do (see the module docstring).

    The plot is drawn in a 0-1000 x 0-1000 data frame placed on the page by a ``matrix`` inside a
    ``translate``; arm 1's steps are a ``<polyline>``, arm 2's a path of relative ``h``/``v``
    commands (``step_path="relative"``) or of absolute ``H``/``V``.
    """
    order = list(dict.fromkeys(ipd["arm"]))
    corners, marks = km_step_corners(ipd), censor_marks(ipd)
    end = float(np.ceil(ipd["time"].max() / break_by) * break_by)
    ticks = np.arange(0, end + 1e-9, break_by)
    frame = lambda t, s: (1000 * t / end, 1000 * (1 - s))  # noqa: E731 - data -> the plot's frame
    # The frame (1000 units a side) onto 300 x 200 pt: x * 0.3, y * 0.2, then moved to the page.
    plot = '<g transform="translate(60 20)"><g transform="matrix(0.3 0 0 0.2 0 0)">{}</g></g>'
    body = ['<g stroke="black" fill="none" stroke-width="2.5">',
            '<path d="M0 0 V1000 H1000"/>']
    body += [f'<line x1="{frame(t, 0)[0]:.4f}" y1="1000" x2="{frame(t, 0)[0]:.4f}" y2="1025"/>' for t in ticks]
    body += [f'<line x1="0" y1="{frame(0, s)[1]:.4f}" x2="-20" y2="{frame(0, s)[1]:.4f}"/>' for s in np.linspace(0, 1, 6)]
    body.append("</g>")
    colours = ["#00468b", "rgb(237, 0, 0)"]
    for k, (arm, colour) in enumerate(zip(order, colours)):
        curve = corners[corners["arm"] == arm]
        points = [frame(t, s) for t, s in zip(curve["time"], curve["survival"])]
        staircase = [points[0]]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            staircase += [(x1, y0), (x1, y1)]
        if k == 0:
            body.append(f'<g style="stroke: {colour}"><polyline fill="none" stroke-width="4" points="'
                        + " ".join(f"{x:.4f},{y:.4f}" for x, y in staircase) + '"/></g>')
        else:
            moves, (x, y) = [], staircase[0]
            for x1, y1 in staircase[1:]:
                if step_path == "relative":
                    moves.append(f"h{x1 - x:.4f}" if y1 == y else f"v{y1 - y:.4f}")
                else:
                    moves.append(f"H{x1:.4f}" if y1 == y else f"V{y1:.4f}")
                x, y = x1, y1
            body.append(f'<path fill="none" stroke="{colour}" stroke-width="4" stroke-dasharray="20,10" '
                        f'd="M{staircase[0][0]:.4f} {staircase[0][1]:.4f} {" ".join(moves)}"/>')
        times = marks.loc[marks["arm"] == arm, "time"].to_numpy()
        levels = curve["survival"].to_numpy()[np.searchsorted(curve["time"].to_numpy(), times, side="right") - 1]
        body.append(f'<g stroke="{colour}" stroke-width="3">' + "".join(
            f'<path d="M{frame(t, s)[0]:.4f} {frame(t, s)[1] - 20:.4f} l0 40"/>' for t, s in zip(times, levels))
            + "</g>")
    texts = ['<g font-size="9px" font-family="Helvetica" text-anchor="middle">']
    texts += [f'<text x="{60 + 0.3 * frame(t, 0)[0]:.4f}" y="{20 + 200 + 14:.4f}">{t:g}</text>' for t in ticks]
    texts += [f'<text x="{60 - 8:.4f}" y="{20 + 0.2 * frame(0, s)[1] + 3:.4f}" text-anchor="end">{s:.1f}</text>'
              for s in np.linspace(0, 1, 6)]
    table = at_risk_table(ipd, ticks)
    for row, arm in enumerate(order):
        y = 20 + 200 + 40 + 12 * row
        texts.append(f'<text x="{60 - 30}" y="{y}" text-anchor="end"><tspan fill="{colours[row]}">{arm}</tspan></text>')
        texts += [f'<text x="{60 + 0.3 * frame(t, 0)[0]:.4f}" y="{y}">{n}</text>'
                  for t, n in table.loc[table["arm"] == arm, ["time", "n_risk"]].itertuples(index=False)]
    # The legend: a swatch per arm (in the plot's frame, dashed as its curve) and its name, a tspan
    # after a first run of text.
    for row, (arm, colour) in enumerate(zip(order, colours)):
        y = 40 + 14 * row
        dash = ' stroke-dasharray="20,10"' if row else ""
        body.append(f'<line x1="{(250 - 60) / 0.3:.4f}" y1="{(y - 3 - 20) / 0.2:.4f}" x2="{(280 - 60) / 0.3:.4f}" '
                    f'y2="{(y - 3 - 20) / 0.2:.4f}" stroke="{colour}" stroke-width="4"{dash}/>')
        first, *rest = arm.split(" ", 1)
        tail = f'<tspan> {rest[0]}</tspan>' if rest else ""
        texts.append(f'<text x="285" y="{y}" text-anchor="start">{first}{tail}</text>')
    texts.append("</g>")
    svg = ('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="5in" height="4in" '
           'viewBox="0 0 480 384">' + plot.format("".join(body)) + "".join(texts) + "</svg>")
    # The viewBox is in CSS pixels: 480 px to 5 in, so 0.75 pt a unit; truth as the test reads it.
    truth = {"arms": arm_truth(ipd, order), "legend": order,
             "at_risk": {"arm": table["arm"].tolist(), "time": table["time"].tolist(),
                         "n_risk": table["n_risk"].tolist()}}
    return svg, truth


@pytest.mark.parametrize("name, break_by, step_path", [("leukemia", 5, "relative"), ("kidney_transplant", 500, "absolute")])
def test_hand_written_svg_with_transforms_and_inherited_styles_is_read_exactly(tmp_path, name, break_by, step_path):
    svg, truth = _svg_of(datasets.load(name), break_by, step_path)
    path = tmp_path / "figure.svg"
    path.write_text(svg)
    result = digitize(path)
    assert_read_exactly(result, truth)
    # Arm 2's dashes and the arms' colours come from attributes and inherited styles.
    assert list(result.arms["line_type"]) == ["solid", "dashed"]
    assert list(result.arms["colour"]) == ["#00468b", "#ed0000"]


def test_path_commands_relative_and_absolute_give_the_same_points():
    absolute = path_points("M 10 20 L 30 20 V 50 H 70 Z M 5 5 C 1 1 2 2 8 9")
    relative = path_points("m10 20 l20 0 v30 h40 z m-5 -15 c-4 -4 -3 -3 3 4")
    assert len(absolute) == len(relative) == 2
    for a, b in zip(absolute, relative):
        np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(absolute[0][-1], [10, 20])  # Z returns to the subpath's start


def test_cli_digitizes_an_svg(tmp_path, folder, capsys):
    path, _ = matplotlib_svg(*MATPLOTLIB_FIGURES[0], folder)
    assert main(["digitize", str(path), "--out", str(tmp_path / "out")]) == 0
    assert {"curves.csv", "censor_marks.csv", "digitization.json", "overlay.png", "at_risk.csv"} \
        <= {p.name for p in (tmp_path / "out").iterdir()}
    assert "financial aid" in capsys.readouterr().out


def test_a_malformed_svg_is_a_one_line_input_error_naming_the_file(tmp_path, capsys):
    broken = tmp_path / "broken.svg"
    broken.write_text('<svg xmlns="http://www.w3.org/2000/svg"><path d="M 0 0 L 1 1"></svg>')
    with pytest.raises(InputError, match="not well-formed SVG") as error:
        digitize(broken)
    assert str(broken) in str(error.value)
    assert main(["digitize", str(broken), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "broken.svg" in err


def test_an_svg_without_a_km_plot_is_refused(tmp_path):
    with plt.rc_context({"svg.fonttype": "none"}):
        figure, ax = plt.subplots()
        ax.bar(["a", "b", "c"], [3, 1, 2])
        figure.savefig(tmp_path / "bars.svg")
        plt.close(figure)
    with pytest.raises(InputError, match="no Kaplan-Meier plot found in the SVG"):
        digitize(tmp_path / "bars.svg")


def test_an_svg_whose_text_is_glyph_outlines_is_refused_with_what_to_give(tmp_path):
    with plt.rc_context({"svg.fonttype": "path"}):
        figure, ax = plt.subplots()
        draw_km_axes(ax, datasets.load("leukemia"), marker="|", colours=["C0", "C1"], dashes=[False, False],
                     break_by=5, xlab="Weeks", at_risk_row=False)
        figure.savefig(tmp_path / "outlines.svg")
        plt.close(figure)
    assert not [w for w in svg_drawing(tmp_path / "outlines.svg").words if w.number is not None]
    with pytest.raises(InputError, match="glyph outlines.*PNG or PDF") as error:
        digitize(tmp_path / "outlines.svg")
    assert "\n" not in str(error.value) and "outlines.svg" in str(error.value)


def test_cli_extract_reconstructs_the_exact_events_from_an_svg(tmp_path, folder):
    path, _ = matplotlib_svg(*MATPLOTLIB_FIGURES[2], folder)
    assert main(["extract", str(path), "--out", str(tmp_path / "out")]) == 0
    ipd = pd.read_csv(tmp_path / "out" / "ipd.csv")
    true = datasets.load("leukemia")
    assert ipd.groupby("arm")["event"].sum().to_dict() == true.groupby("arm")["event"].sum().to_dict()
    assert ipd.groupby("arm").size().to_dict() == true.groupby("arm").size().to_dict()


def test_every_panel_of_a_multi_panel_svg_is_read_into_its_own_folder(tmp_path, capsys):
    with plt.rc_context({"svg.fonttype": "none"}):
        figure, axes = plt.subplots(1, 2, figsize=(10, 4.5))
        for ax, name, break_by in zip(axes, ["leukemia", "larynx"], [5, 2]):
            draw_km_axes(ax, datasets.load(name), marker="|", colours=["C0", "C3"], dashes=[False, False],
                         break_by=break_by, xlab="Time", at_risk_row=False)
        figure.savefig(tmp_path / "panels.svg")
        plt.close(figure)
    assert main(["digitize", str(tmp_path / "panels.svg"), "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir()) == ["panel_A", "panel_B"]
    larynx = pd.read_csv(tmp_path / "out" / "panel_B" / "curves.csv")
    assert sorted(larynx["arm"].unique()) == sorted(datasets.load("larynx")["arm"].unique())


def test_text_width_written_by_svglite_and_the_font_shorthand_are_read(tmp_path):
    path = tmp_path / "text.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="100pt" height="50pt" viewBox="0 0 200 100">'
                    '<text x="10" y="20" style="font: 10px sans-serif" textLength="30px">12 34</text></svg>')
    words = svg_drawing(path).words
    # The viewBox is drawn at half size: 10 units of font are 5 pt, the run 15 pt wide.
    assert [w.text for w in words] == ["12", "34"]
    assert words[0].x0 == pytest.approx(5.0) and words[1].x1 == pytest.approx(20.0)
    assert words[0].size == pytest.approx(5.0)


def test_kmipd_run_pools_studies_given_as_svg(tmp_path, folder):
    job = tmp_path / "job"
    job.mkdir()
    path, _ = matplotlib_svg(*MATPLOTLIB_FIGURES[0], folder)
    for name in ("a.svg", "b.svg"):
        (job / name).write_bytes(path.read_bytes())
    (job / "studies.csv").write_text("figure,study,outcome\na.svg,A,arrest\nb.svg,B,arrest\n")
    (job / "analysis.json").write_text('{"treatment": "financial aid", "control": "no aid"}')
    assert main(["run", str(job), "--out", str(tmp_path / "out"), "--no-cache"]) == 0
    written = {p.name for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert "ipd.csv" in written and any(name.endswith(".csv") and "pool" in name for name in written), written
