"""kmipd's survival analyses and pooling against R's own output, to 1e-6.

The reference values in ``tests/data/r_reference.csv`` were computed by R's
survival and metafor packages (versions recorded in the file) with
``python -m benchmarks.make_r_reference`` (script ``benchmarks/r/meta_reference.R``):
metafor's BCG example (``dat.bcg``, ``escalc(measure="RR")``) and hormone
therapy vs none in the real gbsg2 trial dealt into four studies.
"""

import numpy as np
import pandas as pd
import pytest

from benchmarks.make_r_reference import REFERENCE, TREATMENT, reference_ipd
from meta.km import logrank
from meta.one_stage import stratified_cox
from meta.per_study import cox_hazard_ratio
from meta.pooling import pool
from tests.test_meta_pooling import bcg_log_rr  # noqa: F401 - the BCG fixture, shared

R = pd.read_csv(REFERENCE).set_index("key")["value"]
TOLERANCE = 1e-6

#: metafor's names of the fields kmipd's Pooled reports.
FIELDS = {"b": "estimate", "se": "se", "ci.lb": "ci_low", "ci.ub": "ci_high", "pval": "p_value",
          "tau2": "tau2", "I2": "i2", "H2": "h2", "QE": "q", "QEp": "q_p",
          "tau2.ci.lb": "tau2_ci_low", "tau2.ci.ub": "tau2_ci_high"}
MODELS = {"EE": "common", "DL": "DL", "REML": "REML", "PM": "PM"}
TESTS = {"z": "wald", "knha": "hksj", "adhoc": "hksj_adhoc"}


def reference(key: str) -> float:
    return float(R[key])


@pytest.fixture(scope="module")
def studies():
    ipd = reference_ipd()
    return {name: study for name, study in ipd.groupby("study")}


@pytest.fixture(scope="module")
def per_study_cox(studies):
    return {name: cox_hazard_ratio(study["time"], study["event"], (study["arm"] == TREATMENT).astype(int))
            for name, study in studies.items()}


def check_pooling(prefix: str, estimates, standard_errors):
    compared = 0
    for key in R.index[R.index.str.startswith(prefix + ".")]:
        _, model, test, field = key.split(".", 3)
        pooled = pool(estimates, standard_errors, model=MODELS[model], ci_method=TESTS[test])
        assert getattr(pooled, FIELDS[field]) == pytest.approx(reference(key), rel=TOLERANCE, abs=TOLERANCE), key
        compared += 1
    assert compared >= 50  # every method x test x field was computed by R


def test_pooling_matches_metafor_on_its_bcg_example(bcg_log_rr):
    check_pooling("bcg", *bcg_log_rr)


def test_two_studies_get_the_ad_hoc_hksj_correction_as_metafor(bcg_log_rr):
    yi, sei = (np.asarray(values)[:2] for values in bcg_log_rr)
    check_pooling("bcg_two", yi, sei)
    plain, corrected = pool(yi, sei, "REML", "hksj"), pool(yi, sei, "REML", "hksj_adhoc")
    assert plain.se < pool(yi, sei, "REML", "wald").se == pytest.approx(corrected.se)  # factor < 1
    assert "corrected to 1" in corrected.note and "two studies" in corrected.note


def test_cox_logrank_and_ph_test_match_r_survival_on_real_data(studies, per_study_cox):
    assert len(studies) == 4
    for name, study in studies.items():
        fit, key = per_study_cox[name], f"study.{name}"
        treated = (study["arm"] == TREATMENT).to_numpy()
        assert fit["log_hr"] == pytest.approx(reference(f"{key}.log_hr"), abs=TOLERANCE)
        assert fit["se_log_hr"] == pytest.approx(reference(f"{key}.se_log_hr"), abs=TOLERANCE)
        assert fit["ph_chisq"] == pytest.approx(reference(f"{key}.ph_chisq"), abs=TOLERANCE)
        assert fit["ph_p"] == pytest.approx(reference(f"{key}.ph_p"), abs=TOLERANCE)
        test = logrank(study["time"], study["event"], treated)
        assert test.chisq == pytest.approx(reference(f"{key}.logrank_chisq"), abs=TOLERANCE)


def test_pooling_of_real_per_study_hazard_ratios_matches_metafor(studies, per_study_cox):
    names = sorted(studies)
    check_pooling("log_hr", [per_study_cox[n]["log_hr"] for n in names],
                  [per_study_cox[n]["se_log_hr"] for n in names])


def test_stratified_cox_matches_r(studies):
    ipd = reference_ipd()
    fit = stratified_cox(ipd, (ipd["arm"] == TREATMENT).to_numpy().astype(int))
    assert fit["log_hr"] == pytest.approx(reference("stratified.log_hr"), abs=TOLERANCE)
    assert fit["se_log_hr"] == pytest.approx(reference("stratified.se_log_hr"), abs=TOLERANCE)
