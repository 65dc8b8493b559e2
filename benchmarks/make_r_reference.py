"""Regenerate ``tests/data/r_reference.csv`` with R: ``python -m benchmarks.make_r_reference``.

R's survival (``coxph`` with Efron ties, ``survdiff``, ``cox.zph``) and
metafor (``rma`` with every method and test, ``confint``) are run by
``benchmarks/r/meta_reference.R`` on metafor's BCG data and on
:func:`reference_ipd`; the values, at 17 significant digits, are what
``tests/test_meta_r_reference.py`` checks kmipd against. Only regenerating
needs R (Debian: r-base-core, r-cran-survival, r-cran-metafor); the tests do not.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from benchmarks import datasets

SCRIPT = Path(__file__).with_name("r") / "meta_reference.R"
REFERENCE = Path(__file__).resolve().parent.parent / "tests" / "data" / "r_reference.csv"
TREATMENT, CONTROL = "hormone", "no hormone"


def reference_ipd(n_studies: int = 4) -> pd.DataFrame:
    """gbsg2 (hormone therapy vs none) dealt into ``n_studies`` studies by row order."""
    ipd = datasets.load("gbsg2").reset_index(drop=True)
    return ipd.assign(study=[f"S{index % n_studies + 1}" for index in range(len(ipd))])


def main() -> None:
    ipd = reference_ipd()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "ipd.csv"
        ipd.assign(treated=(ipd["arm"] == TREATMENT).astype(int))[["study", "treated", "time", "event"]] \
            .to_csv(source, index=False)
        subprocess.run(["Rscript", str(SCRIPT), str(source), str(REFERENCE)], check=True)
    print(f"wrote {REFERENCE}")


if __name__ == "__main__":
    main()
