"""``kmipd reconstruct`` run in-process: files in, files out, one-line errors."""

import pandas as pd
import pytest

from benchmarks.datasets import load
from benchmarks.km_points import at_risk_table, censor_marks, km_step_corners, table_times, traced
from kmipd.cli import main


@pytest.fixture
def figure(tmp_path):
    """The leukemia trial as a digitized figure: curves, at-risk table and censor marks."""
    truth = load("leukemia")
    paths = {"curves": tmp_path / "curves.csv", "at_risk": tmp_path / "at_risk.csv",
             "marks": tmp_path / "marks.csv"}
    km_step_corners(truth).to_csv(paths["curves"], index=False)
    at_risk_table(truth, table_times(truth)).to_csv(paths["at_risk"], index=False)
    censor_marks(truth).to_csv(paths["marks"], index=False)
    return truth, paths


def test_writes_ipd_and_plot_and_prints_the_summary(figure, tmp_path, capsys):
    truth, paths = figure
    out, plot = tmp_path / "out" / "ipd.csv", tmp_path / "rec.png"
    status = main(["reconstruct", str(paths["curves"]), "--at-risk", str(paths["at_risk"]),
                   "--censor-marks", str(paths["marks"]), "--out", str(out), "--plot", str(plot)])
    assert status == 0
    ipd = pd.read_csv(out)
    assert list(ipd.columns) == ["arm", "time", "event"]
    assert ipd.groupby("arm")["event"].sum().to_dict() == truth.groupby("arm")["event"].sum().to_dict()
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "6-MP" in printed and "placebo" in printed
    assert "21 21 15 11 8 5 4 1" in printed  # published and reconstructed at-risk of 6-MP


def test_same_inputs_give_byte_identical_outputs(figure, tmp_path):
    _, paths = figure
    outputs = []
    for run in ("a", "b"):
        out, plot = tmp_path / f"{run}.csv", tmp_path / f"{run}.png"
        assert main(["reconstruct", str(paths["curves"]), "--at-risk", str(paths["at_risk"]),
                     "--out", str(out), "--plot", str(plot)]) == 0
        outputs.append((out.read_bytes(), plot.read_bytes()))
    assert outputs[0] == outputs[1]


def test_n_and_total_events_options(figure, tmp_path):
    _, paths = figure
    out = tmp_path / "ipd.csv"
    assert main(["reconstruct", str(paths["curves"]), "--n", "6-MP=21", "--n", "placebo=21",
                 "--total-events", "6-MP=9", "--out", str(out)]) == 0
    ipd = pd.read_csv(out)
    assert ipd.groupby("arm").size().to_dict() == {"6-MP": 21, "placebo": 21}
    assert ipd.loc[ipd["arm"] == "6-MP", "event"].sum() == 9


def test_digitizing_errors_are_options(tmp_path, capsys):
    # rossi traced as a digitizer traces it: taken as exact, its drops ask for too many at risk.
    truth = load("rossi")
    curves, at_risk, out = tmp_path / "curves.csv", tmp_path / "at_risk.csv", tmp_path / "ipd.csv"
    traced(km_step_corners(truth), seed=3).to_csv(curves, index=False)
    at_risk_table(truth, table_times(truth)).to_csv(at_risk, index=False)
    base = ["reconstruct", str(curves), "--at-risk", str(at_risk), "--out", str(out)]
    assert main(base + ["--survival-noise", str(0.25 / 800), "--time-error", str(1.5 * 52 / 1000)]) == 0
    rebuilt = pd.read_csv(out).groupby("arm")["event"].sum()
    assert (abs(rebuilt - truth.groupby("arm")["event"].sum()) <= 1).all()
    out.unlink()
    for option, value in (("--survival-noise", "0"), ("--time-error", "-1"), ("--survival-noise", "x")):
        assert main(base + [option, value]) == 2
        assert f"argument {option}: expected a positive number" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("table, fragment", [
    ("arm,time,n_risk\n6-MP,0,21\n6-MP,10,25\nplacebo,0,21\n", "numbers at risk rise"),
    ("arm,time,n_risk\n6-MP,10,15\nplacebo,0,21\n", "no count at time 0"),
    ("arm,time,n_risk\n6-MP,0,21\n6-MP,10,20\nplacebo,0,21\n", "cannot be met"),
    ("arm,time\n6-MP,0\n", "missing column(s) n_risk"),
    ("arm,time,n_risk\nother,0,3\n", "names arm(s) other"),
])
def test_bad_table_is_one_line_exit_2_and_nothing_written(figure, tmp_path, capsys, table, fragment):
    _, paths = figure
    paths["at_risk"].write_text(table)
    out, plot = tmp_path / "ipd.csv", tmp_path / "rec.png"
    status = main(["reconstruct", str(paths["curves"]), "--at-risk", str(paths["at_risk"]),
                   "--out", str(out), "--plot", str(plot)])
    error = capsys.readouterr().err
    assert status == 2
    assert fragment in error
    assert len(error.strip().splitlines()) == 1 and "Traceback" not in error
    assert not out.exists() and not plot.exists()


def test_bad_curves_and_options_are_refused(figure, tmp_path, capsys):
    _, paths = figure
    out = tmp_path / "ipd.csv"
    flat = tmp_path / "flat.csv"
    flat.write_text("arm,time,survival\nA,0,1\nA,5,1\n")
    assert main(["reconstruct", str(flat), "--n", "A=5", "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith(f"kmipd: error: {flat}: arm A: the curve never drops")
    assert main(["reconstruct", str(paths["curves"]), "--out", str(out)]) == 2
    assert "give the numbers-at-risk table or the number of patients" in capsys.readouterr().err
    assert main(["reconstruct", str(paths["curves"]), "--n", "6-MP", "--out", str(out)]) == 2
    assert "expected ARM=N" in capsys.readouterr().err
    assert main(["reconstruct", str(paths["curves"]), "--n", "6-MP=21", "--n", "6-MP=22",
                 "--out", str(out)]) == 2
    assert "twice" in capsys.readouterr().err
    assert not out.exists()


def test_refuses_to_overwrite_an_input(figure, capsys):
    _, paths = figure
    before = paths["curves"].read_bytes()
    status = main(["reconstruct", str(paths["curves"]), "--at-risk", str(paths["at_risk"]),
                   "--out", str(paths["curves"])])
    assert status == 2
    assert "would overwrite an input" in capsys.readouterr().err
    assert paths["curves"].read_bytes() == before
