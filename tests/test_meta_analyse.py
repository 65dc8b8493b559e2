"""The meta stage end to end: real IPD split into studies, edge cases, the CLI."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lifelines import CoxPHFitter, KaplanMeierFitter

from benchmarks.datasets import load
from kmipd.cli import main
from kmipd.errors import InputError
from meta import analyse
from meta.km import kaplan_meier, loglog_band
from meta.one_stage import GammaFrailtyCox
from meta.pooled_arms import pooled_curve
from meta.pooling import pool

TREATED, CONTROL = "hormone", "no hormone"


def split_into_studies(ipd: pd.DataFrame, k: int) -> pd.DataFrame:
    """Deal patients to ``k`` studies in turn (deterministic)."""
    return ipd.assign(study=[f"study {i % k + 1}" for i in range(len(ipd))])


@pytest.fixture(scope="module")
def gbsg2_four():
    return split_into_studies(load("gbsg2"), 4)


@pytest.fixture(scope="module")
def result(gbsg2_four):
    return analyse(gbsg2_four, treatment=TREATED, control=CONTROL, milestones=[365, 1095])


def test_per_study_rows_are_each_study_alone(result, gbsg2_four):
    assert list(result.per_study["study"]) == [f"study {i}" for i in range(1, 5)]
    one = gbsg2_four[gbsg2_four["study"] == "study 2"].assign(x=lambda d: (d["arm"] == TREATED) * 1.0)
    fitter = CoxPHFitter().fit(one[["time", "event", "x"]], "time", "event",
                               fit_options={"precision": 1e-12, "r_precision": 1e-14})
    row = result.per_study.set_index("study").loc["study 2"]
    assert row["log_hr"] == pytest.approx(fitter.params_["x"], abs=1e-6)
    assert row["n_treatment"] == (one["arm"] == TREATED).sum()
    assert row["events_control"] == one.loc[one["arm"] == CONTROL, "event"].sum()
    kmf = KaplanMeierFitter().fit(one.loc[one["arm"] == TREATED, "time"], one.loc[one["arm"] == TREATED, "event"])
    assert row["survival_treatment_at_365"] == pytest.approx(kmf.predict(365), abs=1e-12)
    assert row["tau"] == result.tau[""]


def test_default_tau_is_the_shortest_arm_follow_up(result, gbsg2_four):
    assert result.tau[""] == gbsg2_four.groupby(["study", "arm"])["time"].max().min()


def test_pooled_rows_reproduce_pooling_of_per_study_estimates(result):
    pooled = result.pooled
    assert set(pooled["measure"]) == {"log_hr", "rmst_difference", "survival_difference"}
    default = pooled[pooled["default"] & (pooled["measure"] == "log_hr")].iloc[0]
    again = pool(result.per_study["log_hr"], result.per_study["se_log_hr"], "REML", "hksj_adhoc")
    assert default["estimate"] == again.estimate and default["k"] == 4 and default["se"] == again.se
    # one row per measure x (common + 3 estimators x 3 CI methods)
    assert len(pooled) == 4 * 10


def test_two_stage_and_one_stage_agree_on_homogeneous_studies(result):
    two_stage = result.pooled.query("default & measure == 'log_hr'")["estimate"].iloc[0]
    one_stage = result.one_stage.set_index("model")
    assert one_stage.loc["stratified Cox", "log_hr"] == pytest.approx(two_stage, abs=0.02)
    # patients dealt at random to studies: no between-study frailty
    assert one_stage.loc["gamma frailty Cox", "frailty_variance"] < 0.01


def test_leave_one_out_has_a_row_per_study_and_measure(result):
    counts = result.leave_one_out.groupby(["measure", "milestone"], dropna=False).size()
    assert (counts == 4).all() and len(counts) == 4


def test_frailty_variance_detects_heterogeneous_baselines():
    ipd = split_into_studies(load("gbsg2"), 5)
    scale = {f"study {i}": np.exp(0.5 * (i - 3)) for i in range(1, 6)}
    ipd["time"] = ipd["time"] * ipd["study"].map(scale)
    treated = (ipd["arm"] == TREATED).to_numpy(dtype=float)
    model = GammaFrailtyCox().fit(ipd["time"], ipd["event"], treated, ipd["study"])
    assert model.theta_ > 0.05
    # theta is the maximiser of the marginal likelihood
    for other in (model.theta_ / 1.5, model.theta_ * 1.5):
        assert GammaFrailtyCox().fit(ipd["time"], ipd["event"], treated, ipd["study"])._profile(other) \
            < model.log_likelihood_
    # the studies with the longer times (lower hazard) get the smaller frailties
    assert model.frailty_.loc["study 5"] < model.frailty_.loc["study 1"]
    # not knowing the frailties can only widen the SE beyond the Cox fit given them
    given = model._risk_sets.terms(model.log_hr_, np.log(model.frailty_.to_numpy())[model._cluster])
    assert model.se_log_hr_ > 1 / np.sqrt(given.information.sum())


def test_pooled_curve_of_one_study_is_its_kaplan_meier():
    ipd = load("leukemia")
    arm = ipd[ipd["arm"] == "placebo"]
    km = kaplan_meier(arm["time"], arm["event"])
    curve = pooled_curve([km], km.time)
    has_variance = (km.survival > 0) & (km.survival < 1)
    assert np.allclose(curve["survival"][has_variance], km.survival[has_variance], atol=1e-12)
    lower, upper = loglog_band(km.survival, km.greenwood)
    assert np.allclose(curve["ci_low"][has_variance], lower[has_variance], atol=1e-12)
    assert np.allclose(curve["ci_high"][has_variance], upper[has_variance], atol=1e-12)


def test_pooled_arms_include_a_group_from_one_study(gbsg2_four):
    ipd = gbsg2_four.copy()
    ipd.loc[(ipd["study"] == "study 3") & (ipd["arm"] == CONTROL) & (ipd.index % 2 == 0), "arm"] = "observation"
    result = analyse(ipd, treatment=TREATED, control=CONTROL, milestones=[365])
    row = result.pooled_arms.query("arm == 'observation' & quantity == 'survival'").iloc[0]
    alone = ipd[ipd["arm"] == "observation"]
    kmf = KaplanMeierFitter().fit(alone["time"], alone["event"])
    assert row["k"] == 1 and row["estimate"] == pytest.approx(kmf.predict(365), abs=1e-12)
    assert row["ci_low"] < row["estimate"] < row["ci_high"]


def test_one_study_gives_per_study_results_and_says_nothing_is_pooled():
    result = analyse(load("gbsg2").assign(study="only"), treatment=TREATED, control=CONTROL)
    assert len(result.per_study) == 1 and np.isfinite(result.per_study["log_hr"].iloc[0])
    assert any("nothing is pooled" in note for note in result.notes)
    assert (result.pooled["k"] == 1).all() and result.pooled["note"].str.contains("nothing pooled").all()


def test_an_arm_without_events_is_reported_not_silently_nan(gbsg2_four):
    ipd = gbsg2_four.copy()
    no_events = (ipd["study"] == "study 1") & (ipd["arm"] == TREATED)
    ipd.loc[no_events, "event"] = 0
    result = analyse(ipd, treatment=TREATED, control=CONTROL)
    row = result.per_study.set_index("study").loc["study 1"]
    assert np.isnan(row["log_hr"]) and "no events in arm hormone" in row["note"]
    assert np.isfinite(row["rmst_difference"]) and np.isfinite(row["logrank_p"])
    pooled_hr = result.pooled.query("default & measure == 'log_hr'").iloc[0]
    pooled_rmst = result.pooled.query("default & measure == 'rmst_difference'").iloc[0]
    assert pooled_hr["k"] == 3 and pooled_rmst["k"] == 4
    assert any("study 1" in note for note in result.notes)


def test_several_outcomes_are_each_analysed():
    base = split_into_studies(load("rossi"), 3)
    ipd = pd.concat([base.assign(outcome="OS"), base.assign(outcome="PFS", time=base["time"] * 0.5)])
    result = analyse(ipd, treatment="financial aid", control="no aid")
    assert set(result.per_study["outcome"]) == {"OS", "PFS"}
    assert result.tau["PFS"] == pytest.approx(result.tau["OS"] * 0.5)
    only = analyse(ipd, treatment="financial aid", control="no aid", outcome="PFS")
    assert set(only.per_study["outcome"]) == {"PFS"}


@pytest.mark.parametrize("kwargs, message", [
    ({"treatment": "chemo", "control": CONTROL}, "no arm 'chemo'"),
    ({"treatment": TREATED, "control": CONTROL, "tau": 1e6}, "beyond the follow-up"),
    ({"treatment": TREATED, "control": CONTROL, "outcome": "OS"}, "no outcome column"),
    ({"treatment": TREATED, "control": TREATED}, "same arm"),
])
def test_bad_requests_raise_input_errors(gbsg2_four, kwargs, message):
    with pytest.raises(InputError, match=message):
        analyse(gbsg2_four, **kwargs)


def test_no_study_with_both_arms_is_an_input_error(gbsg2_four):
    ipd = gbsg2_four.copy()
    ipd["study"] = ipd["arm"]
    with pytest.raises(InputError, match="no study has both arms"):
        analyse(ipd, treatment=TREATED, control=CONTROL)


def _write_ipd(path, ipd):
    ipd[["study", "arm", "time", "event"]].to_csv(path, index=False)
    return path


def test_cli_writes_every_output_identically_twice(tmp_path):
    ipd = _write_ipd(tmp_path / "ipd.csv", split_into_studies(load("leukemia"), 3))
    outputs = []
    for run in ("a", "b"):
        status = main(["meta", str(ipd), "--treatment", "6-MP", "--control", "placebo",
                       "--milestones", "10,20", "--out", str(tmp_path / run)])
        assert status == 0
        outputs.append({p.name: p.read_bytes() for p in sorted((tmp_path / run).iterdir())})
    expected = {"per_study.csv", "pooled.csv", "one_stage.csv", "leave_one_out.csv", "pooled_arms.csv",
                "results.json", "forest_hr.png", "forest_rmst.png", "pooled_km.png", ".kmipd-output",
                "forest_hr.svg", "forest_rmst.svg", "pooled_km.svg"}
    assert set(outputs[0]) == expected
    assert outputs[0] == outputs[1]
    # figures for print: 300 dpi PNG, and SVG with the text as text
    from PIL import Image

    with Image.open(tmp_path / "a" / "forest_hr.png") as png:
        assert round(png.info["dpi"][0]) == 300
    assert b"<svg" in outputs[0]["forest_hr.svg"] and b"6-MP" in outputs[0]["forest_hr.svg"]
    document = json.loads(outputs[0]["results.json"])
    assert document["treatment"] == "6-MP" and document["milestones"] == [10.0, 20.0]
    assert len(document["per_study"]) == 3
    per_study = pd.read_csv(tmp_path / "a" / "per_study.csv")
    assert per_study["hr"].between(0.05, 1).all()  # 6-MP prolongs remission in every third


def test_cli_bad_input_is_one_line_exit_2_and_no_output(tmp_path, capsys):
    ipd = _write_ipd(tmp_path / "ipd.csv", split_into_studies(load("leukemia"), 3))
    status = main(["meta", str(ipd), "--treatment", "6-MP", "--control", "chemo", "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err
    assert status == 2 and error.count("\n") == 1 and str(ipd) in error and "no arm 'chemo'" in error
    assert not (tmp_path / "out").exists()
    broken = tmp_path / "broken.csv"
    broken.write_text("study,arm,time,event\ns1,A,3,1\ns1,B,x,0\n")
    assert main(["meta", str(broken), "--treatment", "A", "--control", "B", "--out", str(tmp_path / "o")]) == 2
    assert "line 3" in capsys.readouterr().err


def test_monotone_likelihood_is_reported_not_pooled(gbsg2_four):
    # real gbsg2 patients arranged so that every treated event comes after the last control patient
    source = load("gbsg2")
    early = source[source["time"] < 400].assign(arm=CONTROL)
    late = source[source["time"] > 2000].assign(arm=TREATED)
    odd = pd.concat([early, late]).assign(study="odd one")
    ipd = pd.concat([gbsg2_four, odd], ignore_index=True)
    result = analyse(ipd, treatment=TREATED, control=CONTROL, tau=300)
    row = result.per_study.set_index("study").loc["odd one"]
    assert np.isnan(row["hr"]) and "monotone likelihood" in row["note"]
    assert result.pooled.query("default & measure == 'log_hr'")["k"].iloc[0] == 4


def test_pooled_milestone_survival_is_dersimonian_laird_on_cloglog(gbsg2_four):
    """The vectorised per-time pooling gives what meta.pooling.pool(model="DL") gives at one time."""
    arm = gbsg2_four[gbsg2_four["arm"] == CONTROL]
    kms = [kaplan_meier(s["time"], s["event"]) for _, s in arm.groupby("study")]
    survival, greenwood = map(np.concatenate, zip(*(km.at([1095.0]) for km in kms)))
    y = np.log(-np.log(survival))
    se = np.sqrt(greenwood) / np.abs(np.log(survival))
    reference = pool(y, se, model="DL", ci_method="wald")
    curve = pooled_curve(kms, [1095.0]).iloc[0]
    assert curve["survival"] == pytest.approx(np.exp(-np.exp(reference.estimate)), rel=1e-12)
    assert curve["ci_low"] == pytest.approx(np.exp(-np.exp(reference.ci_high)), rel=1e-12)
    assert curve["tau2"] == pytest.approx(reference.tau2, abs=1e-15)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 12), st.integers(1, 12)), min_size=1, max_size=4),
       st.integers(0, 2**16))
@example(sizes=[(1, 1)], seed=37)  # one patient an arm: the Cox likelihood has no maximum
def test_small_studies_never_give_a_silent_nan(sizes, seed):
    """Tiny studies drawn from real leukemia patients: every missing number comes with a note."""
    source = load("leukemia")
    rng = np.random.default_rng(seed)
    parts = []
    for index, (n_treated, n_control) in enumerate(sizes):
        for arm, n in (("6-MP", n_treated), ("placebo", n_control)):
            pool_of_arm = source[source["arm"] == arm]
            parts.append(pool_of_arm.iloc[rng.integers(0, len(pool_of_arm), n)].assign(study=f"s{index}"))
    result = analyse(pd.concat(parts, ignore_index=True), treatment="6-MP", control="placebo")
    for table, column in ((result.per_study, "log_hr"), (result.pooled, "estimate"),
                          (result.one_stage, "log_hr")):
        unexplained = table[column].isna() & (table["note"].fillna("") == "")
        assert not unexplained.any()
    assert result.per_study["rmst_difference"].notna().all()


def test_tau_per_outcome_truncates_each_outcome_at_its_own_time(gbsg2_four):
    two_outcomes = pd.concat([gbsg2_four.assign(outcome="OS"),
                              gbsg2_four.assign(outcome="PFS", time=gbsg2_four["time"] / 2)], ignore_index=True)
    result = analyse(two_outcomes, treatment=TREATED, control=CONTROL, tau={"OS": 1500})
    assert result.tau["OS"] == 1500
    # PFS is not named, so it takes the default: the shortest follow-up of the compared arms.
    pfs = two_outcomes[two_outcomes["outcome"] == "PFS"]
    assert result.tau["PFS"] == pytest.approx(pfs.groupby(["study", "arm"])["time"].max().min())
    with pytest.raises(InputError, match="outcome\\(s\\) DFS that the IPD does not have"):
        analyse(two_outcomes, treatment=TREATED, control=CONTROL, tau={"DFS": 12})


def test_a_study_whose_arm_is_spelt_otherwise_is_named_as_left_out(gbsg2_four):
    misspelt = gbsg2_four.assign(arm=np.where((gbsg2_four["study"] == "study 3") & (gbsg2_four["arm"] == CONTROL),
                                              "No hormone", gbsg2_four["arm"]))
    result = analyse(misspelt, treatment=TREATED, control=CONTROL)
    assert "study 3" not in set(result.per_study["study"])
    assert any("study 3 left out of every comparison: it lacks arm 'no hormone' (its arms: No hormone, hormone)"
               in note for note in result.notes)


def test_cli_with_two_studies_prints_the_pooled_results_and_writes_headed_tables(tmp_path, capsys):
    ipd = _write_ipd(tmp_path / "ipd.csv", split_into_studies(load("gbsg2"), 2))
    assert main(["meta", str(ipd), "--treatment", TREATED, "--control", CONTROL, "--milestones", "365",
                 "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    pooled = pd.read_csv(tmp_path / "out" / "pooled.csv").query("default")
    hr = pooled[pooled["measure"] == "log_hr"].iloc[0]
    assert f"pooled hazard ratio, {TREATED} vs {CONTROL}" in printed and f"{hr['hr']:.3f}" in printed
    assert "pooled survival difference at 365" in printed and "pooled rmst difference (tau = " in printed
    # no leave-one-out with two studies, but the file keeps its header (was 0 bytes)
    loo = pd.read_csv(tmp_path / "out" / "leave_one_out.csv")
    assert loo.empty and {"omitted", "estimate", "ci_low"} <= set(loo.columns)


def test_times_are_printed_as_papers_print_them():
    from meta.result import printed_time

    assert [printed_time(t) for t in (5.27847, 24.0, 2467.3, 0.5)] == ["5.28", "24", "2467", "0.5"]


def test_a_study_with_every_time_zero_does_not_set_tau_to_zero(gbsg2_four):
    broken = gbsg2_four.assign(time=np.where(gbsg2_four["study"] == "study 4", 0.0, gbsg2_four["time"]))
    result = analyse(broken, treatment=TREATED, control=CONTROL)
    healthy = broken[broken["study"] != "study 4"]
    assert result.tau[""] == healthy.groupby(["study", "arm"])["time"].max().min() > 0
    rmst = result.pooled.query("default & measure == 'rmst_difference'").iloc[0]
    assert rmst["k"] == 3 and np.isfinite(rmst["estimate"])


def test_the_reported_pooling_is_chosen_on_the_command_line(tmp_path, capsys):
    ipd = _write_ipd(tmp_path / "ipd.csv", split_into_studies(load("gbsg2"), 4))
    assert main(["meta", str(ipd), "--treatment", TREATED, "--control", CONTROL, "--model", "DL", "--ci", "wald",
                 "--out", str(tmp_path / "out")]) == 0
    assert "DerSimonian-Laird + Wald" in capsys.readouterr().out
    pooled = pd.read_csv(tmp_path / "out" / "pooled.csv")
    chosen = pooled[pooled["default"].astype(bool)]
    assert set(chosen["model"]) == {"DL"} and set(chosen["ci_method"]) == {"wald"}
    hr = chosen[chosen["measure"] == "log_hr"].iloc[0]
    per_study = pd.read_csv(tmp_path / "out" / "per_study.csv")
    expected = pool(per_study["log_hr"], per_study["se_log_hr"], "DL", "wald")
    assert hr["estimate"] == pytest.approx(expected.estimate) and hr["ci_low"] == pytest.approx(expected.ci_low)
    loo = pd.read_csv(tmp_path / "out" / "leave_one_out.csv")
    assert set(loo["model"]) == {"DL"} and set(loo["ci_method"]) == {"wald"}
    document = json.loads((tmp_path / "out" / "results.json").read_text())
    assert (document["model"], document["ci_method"]) == ("DL", "wald")


def test_an_unknown_pooling_model_is_refused(gbsg2_four):
    with pytest.raises(InputError, match="model must be one of"):
        analyse(gbsg2_four, treatment=TREATED, control=CONTROL, model="Bayes")
