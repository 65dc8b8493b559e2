"""Real individual patient data with two or more arms, from the datasets that ship with lifelines.

These are the ground truth of kmipd's tests and benchmarks: figures and
at-risk tables are drawn from them, reconstructed, and compared with them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines import datasets


def as_ipd(frame: pd.DataFrame, time: str, event: str, arm: pd.Series) -> pd.DataFrame:
    """IPD (``arm,time,event``, sorted by arm then time) from a dataset's columns and an arm label per row."""
    ipd = pd.DataFrame({"arm": arm.astype(str), "time": frame[time].astype(float),
                        "event": frame[event].astype(int)})
    return ipd.sort_values(["arm", "time", "event"], kind="mergesort").reset_index(drop=True)


def load(name: str) -> pd.DataFrame:
    """One dataset as IPD with columns ``arm,time,event`` (sorted by arm, then time).

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.

    Returns
    -------
    pandas.DataFrame
    """
    if name == "rossi":  # recidivism, weeks; 432 people, light censoring at 52 weeks
        df = datasets.load_rossi()
        return as_ipd(df, "week", "arrest", df["fin"].map({0: "no aid", 1: "financial aid"}))
    if name == "gbsg2":  # breast cancer, days; 686 patients
        df = datasets.load_gbsg2()
        return as_ipd(df, "time", "cens", df["horTh"].map({"no": "no hormone", "yes": "hormone"}))
    if name == "leukemia":  # remission, weeks; 21 + 21 patients, small arms
        df = datasets.load_leukemia()
        return as_ipd(df, "t", "status", df["Rx"].map({0: "6-MP", 1: "placebo"}))
    if name == "larynx":  # larynx cancer, years; stage IV has 13 patients
        df = datasets.load_larynx()
        stage = np.select([df["Stage_IV"] == 1, df["Stage_III"] == 1, df["Stage_II"] == 1],
                          ["stage IV", "stage III", "stage II"], "stage I")
        keep = pd.Series(stage).isin(["stage I", "stage IV"]).to_numpy()
        return as_ipd(df[keep], "time", "death", pd.Series(stage[keep], index=df.index[keep]))
    if name == "kidney_transplant":  # days; 863 patients, heavy censoring
        df = datasets.load_kidney_transplant()
        male = (df["black_male"] + df["white_male"]) == 1
        return as_ipd(df, "time", "death", male.map({True: "male", False: "female"}))
    if name == "waltons":  # fruit flies, days; many ties
        df = datasets.load_waltons()
        return as_ipd(df, "T", "E", df["group"])
    if name == "lung":  # NCCTG lung cancer, days
        df = datasets.load_lung()
        return as_ipd(df, "time", "status", df["sex"].map({1: "male", 2: "female"}))
    raise KeyError(f"unknown dataset {name!r}; known: {', '.join(NAMES)}")


#: Names accepted by :func:`load`, small arms and large, heavy censoring and light.
NAMES = ("rossi", "gbsg2", "leukemia", "larynx", "kidney_transplant", "waltons", "lung")
