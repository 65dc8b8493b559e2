"""The README's example job, end to end: simulated TKI vs TKI + ICI studies, PFS and OS, from figures to pooled results."""

import pandas as pd
import pytest

from benchmarks.make_figures_in import CONTROL, FOLDER, STUDIES, TREATMENT, TRUTH
from benchmarks.pipeline import pooled_log_hr
from benchmarks.reconstruct import log_hazard_ratio
from kmipd.cli import main
from meta import analyse


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    out = tmp_path_factory.mktemp("job") / "results"
    assert main(["run", str(FOLDER), "--no-cache", "--out", str(out)]) == 0
    return out


def test_every_figure_of_the_example_job_is_read_and_pooled_close_to_its_truth(job):
    truth = pd.read_csv(FOLDER / TRUTH)
    rebuilt = pd.read_csv(job / "ipd.csv")
    assert len(rebuilt) == len(truth) and set(rebuilt["outcome"]) == {"PFS", "OS"}
    as_compared = {"arm": lambda d: d["arm"].map({CONTROL: "a control", TREATMENT: "treatment"})}
    for (study, outcome), true_figure in truth.groupby(["study", "outcome"]):
        figure = rebuilt[(rebuilt["study"] == study) & (rebuilt["outcome"] == outcome)]
        assert figure.groupby("arm").size().to_dict() == true_figure.groupby("arm").size().to_dict(), study
        assert log_hazard_ratio(figure.assign(**as_compared)) == pytest.approx(
            log_hazard_ratio(true_figure.assign(**as_compared)), abs=0.1), (study, outcome)
    expected = analyse(truth, treatment=TREATMENT, control=CONTROL).pooled
    pooled = pd.read_csv(job / "meta" / "pooled.csv")
    for outcome in ("PFS", "OS"):
        assert pooled_log_hr(pooled, outcome) == pytest.approx(pooled_log_hr(expected, outcome), abs=0.05)


def test_the_example_job_says_it_is_simulated_and_writes_its_report(job):
    assert all("(simulated)" in study for study, *_ in STUDIES)
    page = (job / "report.html").read_text()
    assert "(simulated)" in page and "TKI+ICI vs TKI" in page
    assert (FOLDER / "README.md").read_text().count("SIMULATED") >= 1


def test_the_forest_plots_of_a_run_mark_events_and_n_as_reconstructed(job, tmp_path):
    forest = (job / "meta" / "forest_hr_OS.svg").read_text()
    assert "events/N\u2020" in forest and "reconstructed from the published Kaplan-Meier figures" in forest
    # pooling IPD that was not reconstructed (kmipd meta on a CSV) claims no such thing
    assert main(["meta", str(job / "ipd.csv"), "--treatment", TREATMENT, "--control", CONTROL, "--outcome", "OS",
                 "--out", str(tmp_path / "meta")]) == 0
    assert "reconstructed from the published" not in (tmp_path / "meta" / "forest_hr.svg").read_text()
