"""`--explain DIR` shows what was found, also when reading fails; a figure read wrong is never
read in silence (a legend entry with no curve, a reconstruction far from its curve)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from digitize import digitize  # noqa: E402
from digitize.image import load_image  # noqa: E402
from kmipd.cli import main  # noqa: E402
from kmipd.pipeline import fit_warnings  # noqa: E402
from reconstruct import reconstruct  # noqa: E402

FIGURES = Path(__file__).parent / "data" / "world" / "plotarea"
VETERAN = FIGURES / "base_l_veteran.png"  # base R, no at-risk table: extract needs the arm sizes


@pytest.fixture(scope="module")
def axes_without_curve(tmp_path_factory) -> Path:
    """Matplotlib axes and a legend, with no curve drawn."""
    path = tmp_path_factory.mktemp("blank") / "blank.png"
    figure, ax = plt.subplots(figsize=(5, 4), dpi=100)
    ax.set_xlim(0, 24)
    ax.set_ylim(0, 1.05)
    ax.legend(handles=[plt.Line2D([], [], color="red", label="Arm A")])
    figure.savefig(path)
    plt.close(figure)
    return path


def test_a_failed_digitize_writes_what_it_found_to_the_explain_folder_only(axes_without_curve, tmp_path, capsys):
    out, explain = tmp_path / "out", tmp_path / "explain"
    assert main(["digitize", str(axes_without_curve), "--out", str(out), "--explain", str(explain)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "no Kaplan-Meier curve" in error and str(explain / "diagnosis.json") in error
    assert not out.exists()
    diagnosis = json.loads((explain / "diagnosis.json").read_text())
    assert diagnosis["read"] is False and "no Kaplan-Meier curve" in diagnosis["error"]
    assert diagnosis["plot_area"]["framed"] and diagnosis["plot_area"]["right"] > diagnosis["plot_area"]["left"]
    assert [tick["value"] for tick in diagnosis["calibration"]["x"]["ticks"]][:2] == [0.0, 5.0]
    assert diagnosis["arm_colours"] == []
    assert (explain / "overlay.png").stat().st_size > 0


def test_without_explain_the_error_says_how_to_see_what_was_found(axes_without_curve, tmp_path, capsys):
    assert main(["extract", str(axes_without_curve), "--out", str(tmp_path / "out")]) == 2
    assert "--explain DIR shows what was found" in capsys.readouterr().err


def test_a_figure_not_read_at_all_has_nothing_to_explain(tmp_path, capsys):
    assert main(["digitize", str(tmp_path / "missing.png"), "--out", str(tmp_path / "out"),
                 "--explain", str(tmp_path / "explain")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "explain").exists()


def test_a_failed_reconstruction_is_explained_with_the_figure_read(tmp_path, capsys):
    explain = tmp_path / "explain"
    assert main(["extract", str(VETERAN), "--out", str(tmp_path / "out"), "--explain", str(explain)]) == 2
    assert "--n ARM=N" in capsys.readouterr().err
    diagnosis = json.loads((explain / "diagnosis.json").read_text())
    assert diagnosis["read"] is False and diagnosis["legend_labels"] == ["Standard", "Test"]
    assert [arm["colour"] for arm in diagnosis["arms"]] == ["#000000", "#ff0000"]


def test_a_successful_extract_explains_too(tmp_path, capsys):
    explain = tmp_path / "explain"
    assert main(["extract", str(VETERAN), "--n", "Standard=69", "--n", "Test=68", "--out", str(tmp_path / "out"),
                 "--explain", str(explain)]) == 0
    diagnosis = json.loads((explain / "diagnosis.json").read_text())
    assert diagnosis["read"] is True and diagnosis["error"] is None
    assert (tmp_path / "out" / "ipd.csv").is_file()


def test_explain_into_the_output_folder_is_refused(tmp_path, capsys):
    assert main(["digitize", str(VETERAN), "--out", str(tmp_path), "--explain", str(tmp_path)]) == 2
    assert "--explain must name another folder" in capsys.readouterr().err


@pytest.fixture(scope="module")
def veteran():
    return digitize(VETERAN)


def test_a_legend_entry_whose_curve_was_not_traced_is_warned_of(veteran):
    # A Prism look-alike of two arms (world corpus, dev half): one arm is not traced, its legend entry is there.
    result = digitize(Path(__file__).parents[1] / "benchmarks" / "world_corpus" / "dev" / "prism_dev_003.png")
    assert len(result.arms) == 1
    assert any("legend has an entry" in warning for warning in result.warnings), result.warnings
    assert not any("legend has an entry" in warning for warning in veteran.warnings)


def test_a_reconstruction_far_from_its_curve_is_warned_of(veteran):
    def warnings(n_standard):
        rebuilt = reconstruct(veteran.curves, None, n_total={"Standard": n_standard, "Test": 68},
                              censor_marks=veteran.censor_marks, **veteran.reading_errors)
        return fit_warnings(veteran, rebuilt)

    # 8 patients cannot draw the Standard arm's 60-odd steps: its KM leaves the curve.
    (wrong,) = warnings(8)
    assert wrong.startswith("arm Standard: the reconstructed KM")
    assert warnings(69) == []


def test_a_table_with_more_rows_than_curves_traced_is_warned_of():
    # survminer with its risk table, the Female curve (#00BFC4) wiped from the plot (the dashed one
    # this test read first is traced since the arms branch): the table still has its row.
    image = load_image(FIGURES / "ggsurvplot_lung.png")
    area = digitize(image).plot_area
    plot = image[area.top:area.bottom + 1, area.left:area.right + 1]
    plot[np.abs(plot.astype(int) - (0x00, 0xBF, 0xC4)).max(axis=2) < 90] = 255
    result = digitize(image)
    assert len(result.arms) == 1
    assert any("table has 2 rows but 1 curve" in warning for warning in result.warnings), result.warnings
    # A row of rising numbers (the table's own time axis, lifelines' Censored and Events) is no arm's.
    assert not any("rows but" in warning for warning in digitize(FIGURES / "ggsurvplot_lung.png").warnings)
