"""The PDF route: KM plots found on PDF pages and read from their vector paths and text.

The PDFs are real IPD (lifelines datasets) drawn by R's pdf() device (survminer with its risk
table, base plot(survfit) with mark.time), by matplotlib's PDF backend, and as A4 journal pages
with text columns, a bar chart, a scatter plot and an embedded raster figure
(``benchmarks/make_pdf_corpus.py``; truth in ``tests/data/world/pdf/truth.json``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from benchmarks import datasets  # noqa: E402
from benchmarks.digitize_scoring import score_at_risk, score_censor_marks, score_curves  # noqa: E402
from digitize import digitize  # noqa: E402
from digitize.pdf import digitize_pdf_plot, find_km_plots  # noqa: E402
from digitize.vector import PIXELS_PER_PT  # noqa: E402
from kmipd.cli import main  # noqa: E402
from kmipd.errors import InputError  # noqa: E402
from kmipd.pipeline import extract  # noqa: E402

CORPUS = Path(__file__).parent / "data" / "world" / "pdf"
TRUTH = json.loads((CORPUS / "truth.json").read_text())
VECTOR = [r for r in TRUTH["plots"] if r["program"] != "embedded raster"]


@lru_cache(maxsize=None)
def plots_of(file: str):
    return tuple(find_km_plots(CORPUS / file))


@lru_cache(maxsize=None)
def read(file: str, page: int, panel: int):
    plot = next(p for p in plots_of(file) if p.page == page and p.panel == panel)
    return digitize_pdf_plot(CORPUS / file, plot)


def _id(record: dict) -> str:
    return f"{record['file'][:-4]}-p{record['page']}-k{record['panel']}"


@pytest.mark.parametrize("record", VECTOR, ids=_id)
def test_vector_plot_is_read_exactly(record):
    result = read(record["file"], record["page"], record["panel"])
    curves = score_curves(result.curves, record["arms"])
    assert curves["right_n_arms"]
    assert curves["iae"] <= 0.0005
    # Without a legend, the arms are arm1, arm2, ...
    assert sorted(result.arms["arm"]) == (sorted(record["legend"]) or [f"arm{k + 1}" for k in range(len(record["arms"]))])
    names = {arm["digitized_arm"]: arm["true_arm"] for arm in curves["arms"]}
    # A mark is right within a tenth of a point: the PDF holds its exact position.
    marks = score_censor_marks(result.censor_marks, record["arms"], names,
                               0.1 * PIXELS_PER_PT * abs(result.calibration.x.slope))
    assert marks["censor_recall"] >= 0.98 and marks["censor_precision"] >= 0.98
    # One mark a censor time: the strokes of a glyph are one mark, whatever their rounding.
    assert marks["n_marks_found"] == marks["n_censor_times"]
    if record["at_risk"]:
        assert score_at_risk(result.at_risk, record["at_risk"], names, 1e-9) == 1.0
        assert len(result.at_risk) == len(record["at_risk"]["n_risk"])
    assert result.calibration.x.source == result.calibration.y.source == "pdf text"


@pytest.mark.parametrize("file, page, panel", [("r_survminer_leukemia.pdf", 1, 0), ("mpl_leukemia.pdf", 1, 0),
                                               ("journal_two_pages.pdf", 2, 1)])
def test_events_are_exact_after_reconstruct_with_the_printed_table(file, page, panel):
    record = next(r for r in TRUTH["plots"] if r["file"] == file and r["page"] == page and r["panel"] == panel)
    extraction = extract(CORPUS / file, page=page, panel=panel)
    true = datasets.load(record["dataset"]).groupby("arm")["event"].sum().to_dict()
    assert extraction.ipd.groupby("arm")["event"].sum().to_dict() == true
    assert extraction.ipd.groupby("arm").size().to_dict() == datasets.load(record["dataset"]).groupby("arm").size().to_dict()


def test_every_km_plot_of_a_journal_page_is_found_and_no_other_plot():
    plots = plots_of("journal_two_pages.pdf")
    # Page 1: one KM plot and a bar chart; page 2: two KM plots side by side and a scatter plot.
    assert [(p.page, p.panel, p.kind) for p in plots] == [(1, 0, "vector"), (2, 0, "vector"), (2, 1, "vector")]
    assert plots[0].caption.startswith("Figure 1.")
    assert plots[1].caption.startswith("Figure 3.") and plots[2].caption.startswith("Figure 3.")
    assert plots[1].arms == ["female", "male"] and plots[2].arms == ["stage I", "stage IV"]


def test_an_embedded_raster_figure_goes_the_image_route():
    (plot,) = plots_of("journal_raster.pdf")
    assert plot.kind == "image"
    record = next(r for r in TRUTH["plots"] if r["file"] == "journal_raster.pdf")
    result = read("journal_raster.pdf", 1, 0)
    assert score_curves(result.curves, record["arms"])["iae"] <= 0.005
    assert result.calibration.x.source == "ocr"


def test_several_plots_without_page_and_panel_are_listed_in_one_line():
    with pytest.raises(InputError, match="--page") as error:
        digitize(CORPUS / "journal_two_pages.pdf")
    assert "\n" not in str(error.value) and "page 2 panel 1" in str(error.value)
    assert sorted(digitize(CORPUS / "journal_two_pages.pdf", page=2, panel=1).arms["arm"]) == ["stage I", "stage IV"]


def test_cli_reads_every_plot_of_a_pdf_into_its_own_folder(tmp_path, capsys):
    assert main(["digitize", str(CORPUS / "journal_two_pages.pdf"), "--out", str(tmp_path / "out")]) == 0
    folders = sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir())
    assert folders == ["page_1_panel_0", "page_2_panel_0", "page_2_panel_1"]
    assert (tmp_path / "out" / "page_2_panel_0" / "at_risk.csv").is_file()
    assert "page 2 panel 1 (vector)" in capsys.readouterr().out


def test_a_corrupt_pdf_is_a_one_line_input_error(tmp_path, capsys):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes((CORPUS / "r_base_larynx.pdf").read_bytes()[:3000])
    with pytest.raises(InputError, match="not a readable PDF"):
        digitize(broken)
    assert main(["digitize", str(broken), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_pdf_without_a_km_plot_is_a_one_line_input_error(tmp_path):
    figure, (bars, scatter) = plt.subplots(1, 2, figsize=(8, 3))
    bars.bar(["I", "II", "III"], [0.9, 0.6, 0.3])
    scatter.scatter([1, 2, 3, 4], [0.95, 0.5, 0.7, 0.1])
    figure.savefig(tmp_path / "no_km.pdf")
    plt.close(figure)
    with pytest.raises(InputError, match="no Kaplan-Meier plot found in the PDF"):
        digitize(tmp_path / "no_km.pdf")


def test_cli_extracts_every_plot_of_a_pdf_into_its_own_folder(tmp_path):
    assert main(["extract", str(CORPUS / "journal_two_pages.pdf"), "--out", str(tmp_path / "out")]) == 0
    for folder in ("page_1_panel_0", "page_2_panel_0", "page_2_panel_1"):
        assert (tmp_path / "out" / folder / "ipd.csv").is_file()


def test_a_legend_over_the_plot_is_not_its_caption():
    (plot,) = plots_of("r_survminer_leukemia.pdf")
    assert plot.arms == ["6-MP", "placebo"] and plot.caption == ""


def test_a_curve_past_a_cut_x_axis_is_read_whole_from_its_path():
    # survminer's xlim = c(0, 25) on data to 35 weeks: the figure clips the curve, the PDF keeps it.
    result = read("r_survminer_leukemia_xlim.pdf", 1, 0)
    assert result.curves.groupby("arm")["time"].max().to_dict() == pytest.approx({"6-MP": 35.0, "placebo": 23.0},
                                                                                abs=0.001)
    assert any("past the plotted window" in warning for warning in result.warnings)
