"""``kmipd digitize``: outputs all at once, byte-identical on a rerun, one-line errors on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pandas as pd
import pytest

from benchmarks.digitize_scoring import score_curves
from benchmarks.figures import save_image
from benchmarks.make_digitize_corpus import make_figure
from kmipd.cli import main
from kmipd.tables import AT_RISK, CENSOR_MARKS, CURVES, read_table

OUTPUTS = ("at_risk.csv", "curves.csv", "censor_marks.csv", "digitization.json", "overlay.png")


@pytest.fixture(scope="module")
def figure(tmp_path_factory):
    """A two-arm survminer-look figure of the gbsg2 trial with its numbers at risk, and its truth."""
    image, (truth,) = make_figure("gbsg2", "gbsg2", "months", "survminer", dict(width_px=900, height_px=800))
    path = tmp_path_factory.mktemp("figure") / truth["file"]
    save_image(image, path)
    return path, truth


def test_writes_the_four_outputs_and_a_summary(figure, tmp_path, capsys):
    path, truth = figure
    assert main(["digitize", str(path), "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([*OUTPUTS, ".kmipd-output"])
    curves = read_table(tmp_path / "out" / "curves.csv", CURVES)
    marks = read_table(tmp_path / "out" / "censor_marks.csv", CENSOR_MARKS)
    at_risk = read_table(tmp_path / "out" / "at_risk.csv", AT_RISK)
    printed_table = pd.DataFrame(truth["at_risk"])
    assert sorted(at_risk["n_risk"]) == sorted(printed_table["n_risk"])
    assert set(at_risk["arm"]) == set(curves["arm"])
    assert score_curves(curves, truth["arms"])["iae"] <= 0.005
    assert set(marks["arm"]) <= set(curves["arm"]) and len(marks) > 10
    report = json.loads((tmp_path / "out" / "digitization.json").read_text())
    assert {"calibration", "arms", "quality", "warnings"} <= set(report)
    assert [arm["arm"] for arm in report["arms"]] == list(dict.fromkeys(curves["arm"]))
    assert report["calibration"]["x"]["source"] == "ocr"
    overlay = cv2.imread(str(tmp_path / "out" / "overlay.png"))
    assert overlay.shape == cv2.imread(str(path)).shape
    printed = capsys.readouterr().out
    for arm in report["arms"]:
        assert f"{arm['arm']} ({arm['colour']})" in printed


def test_a_rerun_gives_byte_identical_outputs(figure, tmp_path):
    path, _ = figure
    for name in ("first", "second"):
        assert main(["digitize", str(path), "--out", str(tmp_path / name)]) == 0
    for output in OUTPUTS:
        assert (tmp_path / "first" / output).read_bytes() == (tmp_path / "second" / output).read_bytes()


def test_arms_named_on_the_command_line(figure, tmp_path):
    path, truth = figure
    first, second = truth["arms"]
    arms = f"B={second['colour']},A={first['colour']}"
    assert main(["digitize", str(path), "--arms", arms, "--out", str(tmp_path / "out")]) == 0
    curves = read_table(tmp_path / "out" / "curves.csv", CURVES)
    assert list(dict.fromkeys(curves["arm"])) == ["B", "A"]


@pytest.mark.parametrize("args,message", [
    (["--arms", "A=notacolour"], "notacolour"),
    (["--panel", "3"], "panel"),
    (["--x-range", "0,x"], "two numbers"),
])
def test_bad_options_fail_on_one_line_and_write_nothing(figure, tmp_path, capsys, args, message):
    path, _ = figure
    assert main(["digitize", str(path), *args, "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error
    assert not (tmp_path / "out").exists()


def test_a_file_that_is_not_an_image_fails_naming_it_and_keeps_earlier_outputs(tmp_path, capsys):
    fake = tmp_path / "figure.png"
    fake.write_text("not an image\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "curves.csv").write_text("arm,time,survival\nA,0,1\n")
    assert main(["digitize", str(fake), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and str(fake) in error
    assert (out / "curves.csv").read_text() == "arm,time,survival\nA,0,1\n"
    assert sorted(p.name for p in out.iterdir()) == ["curves.csv"]


def test_every_panel_of_a_multi_panel_image_is_read_into_its_own_folder(tmp_path, capsys):
    figure = Path(__file__).parents[1] / "benchmarks" / "digitize_corpus" / "panels_01.png"
    assert main(["digitize", str(figure), "--out", str(tmp_path / "all")]) == 0
    assert "2 plots, each read into its own folder" in capsys.readouterr().out
    assert sorted(path.name for path in (tmp_path / "all").iterdir() if path.is_dir()) == ["panel_A", "panel_B"]
    assert main(["digitize", str(figure), "--panel", "1", "--out", str(tmp_path / "second")]) == 0
    assert (tmp_path / "all" / "panel_B" / "curves.csv").read_bytes() == (tmp_path / "second" / "curves.csv").read_bytes()
    arms = [set(pd.read_csv(tmp_path / "all" / panel / "curves.csv")["arm"]) for panel in ("panel_A", "panel_B")]
    assert len(arms[0]) == 2 and len(arms[1]) == 3


def test_a_one_plot_image_is_read_into_the_folder_itself(tmp_path):
    figure = Path(__file__).parents[1] / "figures_in" / "yin_2025_pfs.png"
    assert main(["digitize", str(figure), "--out", str(tmp_path / "out")]) == 0
    assert not [path for path in (tmp_path / "out").iterdir() if path.is_dir()]
    assert (tmp_path / "out" / "curves.csv").is_file()
