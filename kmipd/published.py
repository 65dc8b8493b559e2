"""What the papers print (hazard ratio, medians, events, N) set beside what was reconstructed.

A reviewer copies the published values of each figure into ``studies.csv``
(``published_hr``, ``published_median``, ``events``, ``n``); :func:`compare`
lines them up with the reconstruction's and flags those that disagree by more
than reading a figure explains, so a figure read wrong is seen, not pooled
silently.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from kmipd.errors import InputError

#: A reconstructed log hazard ratio this far from the published one is flagged (digitizing and
#: reconstructing a figure read right moves it by about 0.01; see benchmarks.chain).
MAX_LOG_HR_DIFFERENCE = 0.1
#: A reconstructed median this share away from the published one is flagged (a median is read
#: where the curve crosses 0.5; a curve traced to 0.005 moves it by far less on any real arm).
MAX_MEDIAN_SHARE = 0.1
#: Reconstructed events this far from the published total are flagged: max(absolute, share of it).
MAX_EVENTS_DIFFERENCE, MAX_EVENTS_SHARE = 2, 0.03

COLUMNS = ["quantity", "arm", "published", "reconstructed", "difference", "agrees"]

_NUMBER = r"[-+]?\d+(?:\.\d+)?"


def parse_hazard_ratio(text: str) -> tuple[float, float | None, float | None]:
    """``"0.52 (0.31-0.87)"``, ``"0.52 [0.31, 0.87]"`` or ``"0.52"`` -> (HR, CI low, CI high)."""
    numbers = [float(n) for n in re.findall(_NUMBER, text.replace("–", "-").replace(" to ", " "))]
    # "0.31-0.87" reads as 0.31 and -0.87: a CI bound is never negative
    numbers = [abs(n) for n in numbers]
    if len(numbers) not in (1, 3) or not all(n > 0 for n in numbers):
        raise InputError(f"published_hr must be a hazard ratio, optionally with its CI, as in "
                         f"'0.52 (0.31-0.87)', got '{text}'")
    return (numbers[0], None, None) if len(numbers) == 1 else tuple(numbers)


def parse_medians(text: str) -> dict[str, float]:
    """``"TKI+ICI=5.27,TKI=3.10"`` -> per-arm published medians (``NR`` for not reached)."""
    medians = {}
    for part in filter(str.strip, text.split(",")):
        arm, _, value = part.rpartition("=")
        value = value.strip()
        if not arm.strip() or not (value.upper() == "NR" or re.fullmatch(_NUMBER, value)):
            raise InputError(f"published_median must be ARM=MEDIAN,... (NR for not reached), got '{text}'")
        medians[arm.strip()] = math.inf if value.upper() == "NR" else float(value)
    return medians


def compare(per_study_row: pd.Series, treatment: str, control: str, published: dict) -> pd.DataFrame:
    """Published against reconstructed values of one study (one row of meta's ``per_study``).

    Parameters
    ----------
    per_study_row : pandas.Series
        The study's row of :attr:`meta.result.MetaResult.per_study`.
    treatment, control : str
        The compared arms' names.
    published : dict
        Any of ``hr`` (from :func:`parse_hazard_ratio`), ``median`` (from
        :func:`parse_medians`), ``events`` and ``n`` (arm -> count).

    Returns
    -------
    pandas.DataFrame
        One row per published value: :data:`COLUMNS`; ``agrees`` False flags it.
    """
    rows = []
    roles = {treatment: "treatment", control: "control"}
    if "hr" in published:
        hr = published["hr"][0]
        reconstructed = float(per_study_row["hr"])
        difference = math.log(reconstructed) - math.log(hr)
        rows.append(("hazard ratio", f"{treatment} vs {control}", hr, reconstructed, difference,
                     abs(difference) <= MAX_LOG_HR_DIFFERENCE))
    # Only the compared arms are analysed per study; the values of any other arm are not checked.
    for arm, median in published.get("median", {}).items():
        if arm not in roles:
            continue
        reconstructed = float(per_study_row[f"median_{roles[arm]}"])
        if math.isinf(median) or math.isinf(reconstructed):
            rows.append(("median", arm, median, reconstructed, math.nan, math.isinf(median) == math.isinf(reconstructed)))
        else:
            rows.append(("median", arm, median, reconstructed, reconstructed - median,
                         abs(reconstructed - median) <= MAX_MEDIAN_SHARE * median))
    for quantity, column in (("events", "events"), ("N", "n")):
        for arm, count in published.get(column, {}).items():
            if arm not in roles:
                continue
            reconstructed = int(per_study_row[f"{column}_{roles[arm]}"])
            allowed = 0 if column == "n" else max(MAX_EVENTS_DIFFERENCE, MAX_EVENTS_SHARE * count)
            rows.append((quantity, arm, count, reconstructed, reconstructed - count, abs(reconstructed - count) <= allowed))
    return pd.DataFrame(rows, columns=COLUMNS)
