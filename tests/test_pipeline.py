"""The whole job on the shipped example: figures -> IPD -> pooled results, against the true IPD."""

import dataclasses
import json
import shutil

import cv2
import numpy as np
import pandas as pd
import pytest

from benchmarks.make_real_trials import FOLDER, STUDIES, TREATMENT, true_ipd
from benchmarks.pipeline import arm_errors, pooled_log_hr
from benchmarks.reconstruct import log_hazard_ratio
from benchmarks.world_data import CORPUS
from kmipd.cli import main
from kmipd.errors import InputError
from kmipd.pipeline import read_manifest, run


@pytest.fixture(scope="module")
def result():
    return run(FOLDER, show_progress=False)


def test_every_study_is_reconstructed_close_to_its_true_ipd(result):
    for study, dataset, unit, treatment_arm, control_arm, _, _ in STUDIES:
        truth = true_ipd(dataset, unit, treatment_arm, control_arm)
        rebuilt = result.ipd[result.ipd["study"] == study]
        for arm in (TREATMENT, "control"):
            true_arm, rebuilt_arm = truth[truth["arm"] == arm], rebuilt[rebuilt["arm"] == arm]
            assert len(rebuilt_arm) == len(true_arm), (study, arm)
            # dense curves: one event is under a pixel; told the digitizer's noise, reconstruct
            # neither trusts nor ignores the drop sizes, and events come within 3% or 2 (7% before)
            assert abs(rebuilt_arm["event"].sum() - true_arm["event"].sum()) <= max(2, 0.03 * true_arm["event"].sum())
            assert arm_errors(truth, rebuilt, arm)["iae"] <= 0.006, (study, arm)
        assert log_hazard_ratio(rebuilt) == pytest.approx(log_hazard_ratio(truth), abs=0.02), study


def test_pooled_hazard_ratio_matches_pooling_the_true_ipd(result):
    from meta import analyse

    truth = pd.concat([true_ipd(d, u, t, c).assign(study=s, outcome="EFS")
                       for s, d, u, t, c, _, _ in STUDIES])
    expected = analyse(truth, treatment=TREATMENT, control="control").pooled
    assert pooled_log_hr(result.meta.pooled, "EFS") == pytest.approx(pooled_log_hr(expected, "EFS"), abs=0.01)


def test_cli_run_writes_everything_once_and_identically(tmp_path):
    folder = tmp_path / "figures"
    shutil.copytree(FOLDER, folder)
    outputs = []
    for attempt in ("a", "b"):
        out = tmp_path / attempt
        assert main(["run", str(folder), "--out", str(out)]) == 0
        outputs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    names = {str(p) for p in outputs[0]}
    for expected in ("ipd.csv", "summary.csv", "meta/pooled.csv", "meta/forest_hr.png",
                     "figures/Rossi_1980_EFS/overlay.png", "figures/Rossi_1980_EFS/reconstruction.png",
                     "figures/Rossi_1980_EFS/ipd.csv"):
        assert expected in names
    assert outputs[0] == outputs[1]
    ipd = pd.read_csv(tmp_path / "a" / "ipd.csv")
    assert list(ipd.columns) == ["study", "arm", "time", "event", "outcome"]
    assert set(ipd["event"]) <= {0, 1} and (ipd["time"] >= 0).all()


@pytest.mark.parametrize("manifest, message", [
    ("figure,study\nx.png,A\n", "missing column(s) outcome"),
    ("figure,study,outcome\nmissing.png,A,OS\n", "line 2: figure missing.png not found"),
    ("figure,study,outcome,n\nrossi_1980.png,A,OS,treatment=many\n", "line 2: expected ARM=N"),
    ("figure,study,outcome\nrossi_1980.png,A,OS\nrossi_1980.png,A,OS\n", "study and outcome repeated"),
])
def test_bad_manifest_is_one_line_and_writes_nothing(tmp_path, capsys, manifest, message):
    folder = tmp_path / "figures"
    shutil.copytree(FOLDER, folder)
    (folder / "studies.csv").write_text(manifest)
    with pytest.raises(InputError) as caught:
        read_manifest(folder)
    assert message in str(caught.value)
    assert main(["run", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "studies.csv" in err and message in err
    assert not (tmp_path / "out").exists()


def test_figures_that_cannot_be_read_are_named_and_the_others_pooled(tmp_path, capsys):
    folder = tmp_path / "figures"
    shutil.copytree(FOLDER, folder)
    noise = np.random.default_rng(0).integers(0, 255, (600, 800, 3), dtype=np.uint8)
    cv2.imwrite(str(folder / "freireich_1963.png"), noise)
    (folder / "rossi_1980.png").write_bytes(b"not an image")
    out = tmp_path / "out"
    assert main(["run", str(folder), "--out", str(out)]) == 3
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("kmipd: error: ")]
    assert "Traceback" not in err and len(errors) == 3
    assert "freireich_1963.png" in errors[0] + errors[1] and "rossi_1980.png" in errors[0] + errors[1]
    assert errors[2].startswith("kmipd: error: 2 of 3 figures could not be read")
    # the figure that could be read is reconstructed and in the results; the others are said to be missing
    ipd = pd.read_csv(out / "ipd.csv")
    assert set(ipd["study"]) == {"Schumacher 1994"}
    report = (out / "report.html").read_text()
    assert report.count("left out of every result, the figure could not be read") == 2
    assert sorted(path.name for path in (out / "figures").iterdir()) == ["Schumacher_1994_EFS"]


def test_a_run_whose_every_figure_fails_writes_nothing(tmp_path, capsys):
    folder = tmp_path / "figures"
    shutil.copytree(FOLDER, folder)
    for figure in folder.glob("*.png"):
        figure.write_bytes(b"not an image")
    assert main(["run", str(folder), "--out", str(tmp_path / "out")]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("kmipd: error: none of the 3 figures could be read, so nothing was pooled")
    assert not (tmp_path / "out").exists()


def test_extract_reads_the_printed_risk_table_and_rebuilds_the_trial(tmp_path, capsys):
    from benchmarks.km_points import at_risk_table

    out = tmp_path / "out"
    figure = FOLDER / "rossi_1980.png"
    assert main(["extract", str(figure), "--arms", "treatment=#F8766D,control=#00BFC4", "--out", str(out)]) == 0
    assert "treatment" in capsys.readouterr().out
    for name in ("curves.csv", "censor_marks.csv", "digitization.json", "overlay.png", "at_risk.csv",
                 "ipd.csv", "reconstruction.png"):
        assert (out / name).is_file(), name
    truth = true_ipd("rossi", "weeks", "financial aid", "no aid")
    read = pd.read_csv(out / "at_risk.csv")
    printed = at_risk_table(truth, read["time"].unique())
    pd.testing.assert_frame_equal(read.sort_values(["arm", "time"]).reset_index(drop=True),
                                  printed.sort_values(["arm", "time"]).reset_index(drop=True), check_dtype=False)
    digitization = json.loads((out / "digitization.json").read_text())
    # a quarter of a traced pixel in survival, a pixel and a half in time: what reconstruct was told
    calibration, traced_px = digitization["calibration"], 1 / digitization["working_scale"]
    assert digitization["survival_noise"] == pytest.approx(0.25 * traced_px * abs(calibration["y"]["slope"]), rel=1e-5)
    assert digitization["time_error"] == pytest.approx(1.5 * traced_px * abs(calibration["x"]["slope"]), rel=1e-5)
    ipd = pd.read_csv(out / "ipd.csv")
    assert ipd.groupby("arm").size().to_dict() == truth.groupby("arm").size().to_dict()
    assert log_hazard_ratio(ipd) == pytest.approx(log_hazard_ratio(truth), abs=0.02)


def test_a_risk_table_read_from_the_figure_that_cannot_be_right_is_set_aside(monkeypatch):
    import kmipd.pipeline as pipeline
    from digitize import digitize

    figure = digitize(FOLDER / "rossi_1980.png", arms="treatment=#F8766D,control=#00BFC4")
    rising = figure.at_risk.copy()
    rising.loc[rising["time"] > 0, "n_risk"] += 300  # as misprinted tables in journals rise
    monkeypatch.setattr(pipeline, "digitize_named", lambda *args, **kwargs: dataclasses.replace(
        figure, at_risk=rising, warnings=list(figure.warnings)))
    with pytest.raises(InputError, match="table read from the figure cannot be right"):
        pipeline.extract("figure.png")
    extraction = pipeline.extract("figure.png", n_total={"treatment": 216, "control": 216})
    assert any("set aside" in warning for warning in extraction.digitization.warnings)
    assert extraction.at_risk.empty
    assert extraction.ipd.groupby("arm").size().to_dict() == {"control": 216, "treatment": 216}


def test_figures_in_other_units_are_pooled_in_one_unit(result, tmp_path):
    folder = tmp_path / "figures"
    shutil.copytree(FOLDER, folder)
    manifest = pd.read_csv(folder / "studies.csv", dtype=str, keep_default_na=False)
    manifest.assign(time_unit="months").to_csv(folder / "studies.csv", index=False)
    settings = json.loads((folder / "analysis.json").read_text())
    (folder / "analysis.json").write_text(json.dumps({**settings, "time_unit": "weeks", "milestones": [26]}))
    in_weeks = run(folder, show_progress=False)
    # the figures' times (months) come out in weeks, a month being a twelfth of 365.25 days
    pd.testing.assert_series_equal(in_weeks.ipd["time"], result.ipd["time"] * (365.25 / 12 / 7))
    assert in_weeks.meta.time_unit == "weeks" and set(in_weeks.summary["time_unit"]) == {"months"}
    assert "weeks" in in_weeks.meta.figures()["pooled_km.png"].axes[1].get_xlabel()

    manifest.assign(time_unit=["months", "", "days"]).to_csv(folder / "studies.csv", index=False)
    with pytest.raises(InputError, match="time_unit is given for some figures but not for Freireich_1963_EFS"):
        run(folder, show_progress=False)


def test_a_rerun_takes_unchanged_figures_from_the_cache_and_redoes_changed_ones(result, tmp_path, monkeypatch):
    import kmipd.pipeline as pipeline
    from kmipd.cache import ExtractionCache

    folder = tmp_path / "figures"
    shutil.copytree(FOLDER, folder)
    cache = ExtractionCache(tmp_path / "cache")
    first = run(folder, show_progress=False, cache=cache)
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 3
    extracted, drawn = [], []
    real_extract, real_plot = pipeline.extract, pipeline.plot_reconstruction
    monkeypatch.setattr(pipeline, "extract", lambda figure, **kw: extracted.append(figure.name) or real_extract(figure, **kw))
    monkeypatch.setattr(pipeline, "plot_reconstruction", lambda *a, **kw: drawn.append(1) or real_plot(*a, **kw))
    again = run(folder, show_progress=False, cache=cache)
    again.to_folder(tmp_path / "again")
    first.to_folder(tmp_path / "first")
    assert extracted == [] and drawn == []  # nothing redone, not even the figures' pictures
    assert all((tmp_path / "again" / path.relative_to(tmp_path / "first")).read_bytes() == path.read_bytes()
               for path in (tmp_path / "first").rglob("*") if path.is_file())
    pd.testing.assert_frame_equal(again.ipd, first.ipd)
    pd.testing.assert_frame_equal(first.ipd, result.ipd)
    # a changed image (one pixel) and a changed option are extracted again; the rest is not
    image = cv2.imread(str(folder / "rossi_1980.png"))
    image[0, 0] = 255 - image[0, 0]
    cv2.imwrite(str(folder / "rossi_1980.png"), image)
    manifest = (folder / "studies.csv").read_text().replace('"treatment=21,control=21"', '"treatment=21,control=22"')
    (folder / "studies.csv").write_text(manifest)
    run(folder, show_progress=False, cache=cache)
    assert sorted(extracted) == ["freireich_1963.png", "rossi_1980.png"]


def test_figures_extracted_in_two_processes_give_the_same_results(result):
    parallel = run(FOLDER, show_progress=False, jobs=2)
    pd.testing.assert_frame_equal(parallel.ipd, result.ipd)
    pd.testing.assert_frame_equal(parallel.summary, result.summary)


def test_figures_extracted_on_a_dask_cluster_give_byte_identical_results(result, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert main(["run", str(FOLDER), "--dask", cluster.scheduler_address, "--no-cache",
                     "--out", str(tmp_path / "dask")]) == 0
    result.to_folder(tmp_path / "here")
    files = sorted(path.relative_to(tmp_path / "here") for path in (tmp_path / "here").rglob("*") if path.is_file())
    assert files == sorted(path.relative_to(tmp_path / "dask") for path in (tmp_path / "dask").rglob("*")
                           if path.is_file() and path.name != ".kmipd-output")
    for name in files:
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name


def test_an_unreachable_dask_scheduler_is_one_line(tmp_path, capsys):
    pytest.importorskip("distributed")
    assert main(["run", str(FOLDER), "--dask", "tcp://127.0.0.1:9", "--no-cache", "--out", str(tmp_path / "o")]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("kmipd: error: --dask tcp://127.0.0.1:9: cannot reach") and len(error) == 1
    assert not (tmp_path / "o").exists()


def test_the_report_is_one_self_contained_page_that_chromium_shows(result, tmp_path):
    import base64
    import io
    import re
    import subprocess

    from PIL import Image

    result.to_folder(tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text()
    for heading in ("Warnings", "Characteristics and results of included studies", "Methods",
                    "Figures: what was read and reconstructed"):
        assert f">{heading}<" in page
    for study, *_ in STUDIES:
        assert study in page
    # every image is inline and decodes: 3 figures x 3 (original, overlay, reconstruction) + 3 meta figures
    images = re.findall(r'src="data:image/(png|jpeg);base64,([^"]+)"', page)
    assert len(images) == 12
    for _, data in images:
        Image.open(io.BytesIO(base64.b64decode(data))).verify()
    assert "src=\"http" not in page and "<script" not in page  # nothing to fetch, nothing to run
    browser = shutil.which("chromium")
    if browser is None:
        pytest.skip("Debian's chromium is not installed")
    shot = tmp_path / "report.png"
    shown = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
                            "--window-size=1200,2000", f"--screenshot={shot}", (tmp_path / "out" / "report.html").as_uri()],
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0 and "CONSOLE" not in shown.stderr and "Uncaught" not in shown.stderr
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.std() > 10  # not a blank page


def test_published_values_are_checked_and_a_wrong_one_is_said_aloud(result, tmp_path):
    folder = tmp_path / "figures"
    shutil.copytree(FOLDER, folder)
    manifest = pd.read_csv(folder / "studies.csv", dtype=str, keep_default_na=False)
    rossi = result.meta.per_study.set_index("study").loc["Rossi 1980"]
    # Rossi as printed (the true IPD's HR and medians are those of the reconstruction within reading
    # error); Schumacher with its HR inverted, as a copying slip would.
    manifest["published_hr"] = [f"{rossi['hr']:.2f} ({rossi['hr_ci_low']:.2f}-{rossi['hr_ci_high']:.2f})", "", "1.45"]
    manifest["published_median"] = ["", "treatment=NR,control=1.8", ""]
    manifest.to_csv(folder / "studies.csv", index=False)
    checked = run(folder, show_progress=False)
    table = checked.published.set_index(["study", "quantity", "arm"])
    assert table.loc[("Rossi 1980", "hazard ratio", "treatment vs control"), "agrees"]
    assert not table.loc[("Schumacher 1994", "hazard ratio", "treatment vs control"), "agrees"]
    assert table.loc[("Freireich 1963", "N", "treatment"), "agrees"]  # the n column is a published value too
    assert any("Schumacher 1994 EFS: reconstructed hazard ratio" in w and "prints 1.45" in w for w in checked.warnings)
    checked.to_folder(tmp_path / "out")
    report = (tmp_path / "out" / "report.html").read_text()
    assert "Reconstructed vs published" in report
    n = int(table.loc[("Freireich 1963", "N", "treatment"), "published"])
    assert f"<td>N</td><td>treatment</td><td>{n}</td><td>{n}</td><td>0</td>" in report  # counts as counts
    assert len(pd.read_csv(tmp_path / "out" / "published_check.csv")) == len(checked.published)


def test_published_values_are_parsed_as_papers_print_them():
    from kmipd.published import parse_hazard_ratio, parse_medians

    assert parse_hazard_ratio("0.52 (0.31-0.87)") == (0.52, 0.31, 0.87)
    assert parse_hazard_ratio("HR 0.52 [0.31, 0.87]") == (0.52, 0.31, 0.87)
    assert parse_hazard_ratio("0.52") == (0.52, None, None)
    assert parse_medians("TKI+ICI=5.27, TKI=NR") == {"TKI+ICI": 5.27, "TKI": float("inf")}
    for bad, parse in (("0.5 (0.3)", parse_hazard_ratio), ("TKI 5", parse_medians)):
        with pytest.raises(InputError):
            parse(bad)


def test_hand_digitized_curves_enter_the_run_in_place_of_a_figure(result, tmp_path):
    from benchmarks.km_points import km_step_corners

    folder = tmp_path / "figures"
    shutil.copytree(FOLDER, folder)
    truth = true_ipd("leukemia", "weeks", "6-MP", "placebo")
    files = {}
    for arm in ("treatment", "control"):
        corners = km_step_corners(truth[truth["arm"] == arm])
        # WebPlotDigitizer's export: no header, x,y, survival in percent, clicks a little off
        jitter = np.random.default_rng(len(arm)).normal(0, 0.002, len(corners))
        pd.DataFrame({"x": corners["time"], "y": 100 * (corners["survival"] + jitter).clip(0, 1)}) \
            .to_csv(folder / f"freireich_{arm}.csv", header=False, index=False)
        files[arm] = f"freireich_{arm}.csv"
    manifest = pd.read_csv(folder / "studies.csv", dtype=str, keep_default_na=False)
    row = manifest["study"] == "Freireich 1963"
    manifest.loc[row, "figure"] = ""
    manifest.loc[row, "arms"] = ""
    manifest["curves"] = np.where(row, f"treatment={files['treatment']},control={files['control']}", "")
    manifest.to_csv(folder / "studies.csv", index=False)
    by_hand = run(folder, show_progress=False)
    rebuilt = by_hand.ipd[by_hand.ipd["study"] == "Freireich 1963"]
    for arm in ("treatment", "control"):
        true_arm = truth[truth["arm"] == arm]
        assert len(rebuilt[rebuilt["arm"] == arm]) == len(true_arm)
        assert abs(rebuilt.loc[rebuilt["arm"] == arm, "event"].sum() - true_arm["event"].sum()) <= 1
    assert any("read as percent" in w for w in by_hand.warnings)
    by_hand.to_folder(tmp_path / "out")
    assert (tmp_path / "out" / "figures" / "Freireich_1963_EFS" / "curves.csv").is_file()
    assert "Curves digitized by hand" in (tmp_path / "out" / "report.html").read_text()


@pytest.mark.parametrize("figure", ["lifelines_dev_002.png", "r_survminer_dev_064.jpg"])
def test_a_curve_neither_the_legend_nor_the_table_names_is_left_out_aloud(figure):
    """World corpus, dev half: a band's edge (lifelines) and a cumulative-events panel's line (survminer)
    traced as a third arm; legend and table agree on two arms."""
    from pathlib import Path

    from benchmarks.world_data import read_truth
    from kmipd.pipeline import extract

    truth = next(record for record in read_truth("dev") if record["file"] == figure)
    extraction = extract(Path(__file__).parents[1] / "benchmarks" / "world_corpus" / "dev" / figure)
    assert sorted(extraction.ipd["arm"].unique()) == sorted(extraction.at_risk["arm"].unique())
    assert len(extraction.digitization.arms) == len(truth["arms"]) == 2
    assert any("left out: neither the legend nor the numbers-at-risk table" in w for w in extraction.warnings)


@pytest.mark.parametrize("figure, doubt", [
    # Every count read right; the traced ECOG 1 curve (a band's edge in part) falls too low by 1.5-2 years.
    ("r_survminer_dev_016.png", r"and the traced curve disagree \(arm ECOG 1: the at-risk count 7 at time 2 "
                                r"cannot be met: .*misread near time 2\)"),
    # SAS prints the table from the first tick after 0, and the figure gives no arm sizes.
    ("sas_dev_000.png", r"has no count at time 0 \(not printed, or not read\)"),
])
def test_a_table_read_from_a_dev_figure_is_refused_naming_the_reading_in_doubt(figure, doubt):
    from kmipd import pipeline

    with pytest.raises(InputError, match=doubt):
        pipeline.extract(CORPUS / "dev" / figure)
