"""Reading the CSV files of kmipd's stage contracts, with one-line errors.

Each contract is a mapping of column name to kind (``"text"``, ``"number"``
or ``"integer"``). Reading checks that the file exists and parses, that every
required column is present, and that every value has its kind; it returns
the columns in contract order. Checks of meaning (survival within [0, 1],
counts that do not rise) belong to the stage that uses the table.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from kmipd.errors import InputError

#: Digitized points of each arm; survival as a probability, time in the figure's unit.
CURVES = {"arm": "text", "time": "number", "survival": "number"}
#: The numbers-at-risk table printed under a figure.
AT_RISK = {"arm": "text", "time": "number", "n_risk": "integer"}
#: Censor marks seen on the curves.
CENSOR_MARKS = {"arm": "text", "time": "number"}
#: Reconstructed individual patient data, one row a patient (event 1, censored 0).
IPD = {"arm": "text", "time": "number", "event": "integer"}
#: IPD of several studies, the input of ``meta``.
STUDY_IPD = {"study": "text", "arm": "text", "time": "number", "event": "integer"}

#: Largest CSV kmipd reads, in bytes; a larger one is almost surely the wrong file.
MAX_CSV_BYTES = 200 * 1024 * 1024


def read_table(
    path: str | Path,
    columns: dict[str, str],
    optional: dict[str, str] | None = None,
    strict: bool = False,
) -> pd.DataFrame:
    """Read a contract CSV file and check its columns and value kinds.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    columns : dict
        Required columns, name -> kind (``"text"``, ``"number"``, ``"integer"``,
        or ``"text or blank"`` for cells that may be left empty).
    optional : dict, optional
        Columns kept when present, same form.
    strict : bool
        Refuse columns that are neither required nor optional (a misspelt
        column would otherwise be ignored without a word).

    Returns
    -------
    pandas.DataFrame
        The required columns, then the optional ones present, in contract
        order; text columns as str, numbers as float, integers as int.

    Raises
    ------
    InputError
        Naming the file and the first problem found (with its line number).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", source=path)
    if path.stat().st_size > MAX_CSV_BYTES:
        raise InputError(f"file is larger than {MAX_CSV_BYTES // 2**20} MiB", source=path)
    known = {**columns, **(optional or {})}
    numeric = [name for name, kind in known.items() if kind in ("number", "integer")]
    for parsed in (numeric, []):
        try:
            raw = _read_csv(path, parsed)
            break
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
            raise InputError(f"not a readable CSV file ({reason})", source=path) from None
        except ValueError:  # a number column holds something else: read it as text, so the check names it
            if not parsed:
                raise
    missing = [name for name in columns if name not in raw.columns]
    if missing:
        expected = ",".join(columns)
        raise InputError(
            f"missing column(s) {', '.join(missing)}; expected header {expected}", source=path
        )
    unknown = [name for name in raw.columns if name not in known]
    if strict and unknown:
        raise InputError(f"unknown column(s) {', '.join(unknown)}; columns are {','.join(known)}", source=path)
    if raw.empty:
        raise InputError("has a header but no rows", source=path)
    wanted = dict(columns)
    wanted.update({name: kind for name, kind in (optional or {}).items() if name in raw.columns})
    try:
        return _converted(raw, wanted, path)
    except InputError:
        if not parsed:
            raise
        # the reader's number for a bad value (inf for 1e999) is not what the file says: name it as text
        return _converted(_read_csv(path, []), wanted, path)


def _converted(raw: pd.DataFrame, wanted: dict[str, str], path: Path) -> pd.DataFrame:
    """The ``wanted`` columns of ``raw``, stripped and converted to their kinds (see :func:`_convert`)."""
    return pd.DataFrame({name: _convert(_stripped(raw[name]), name, kind, path) for name, kind in wanted.items()})


def _read_csv(path: Path, numeric: list[str]) -> pd.DataFrame:
    """Every column as text, except those named in ``numeric``: float64; header names stripped.

    Parsing numbers in the reader is what makes a 10^6-row file quick to read. A
    column that does not parse raises ``ValueError`` (the caller then reads it as
    text); so does one whose first value is not a number, as the reader would take a
    column of only True/False for 0/1.
    """
    first = pd.read_csv(path, nrows=1, dtype=str, keep_default_na=False, skipinitialspace=True)
    parsed = [name for name in first.columns if str(name).strip() in numeric]
    if pd.to_numeric(first[parsed].stack().astype(str).str.strip(), errors="coerce").isna().any():
        raise ValueError("a number column starts with text")
    dtype = defaultdict(lambda: str, dict.fromkeys(parsed, "float64"))
    raw = pd.read_csv(path, dtype=dtype, keep_default_na=False, skipinitialspace=True)
    raw.columns = [str(name).strip() for name in raw.columns]
    return raw


def _stripped(values: pd.Series) -> pd.Series:
    """Text without surrounding blanks (stripped once per distinct value); numbers unchanged."""
    if values.dtype != object:
        return values
    codes, distinct = pd.factorize(values)
    return pd.Series(np.asarray([text.strip() for text in distinct], dtype=object)[codes], index=values.index)


def _convert(values: pd.Series, name: str, kind: str, path: Path) -> pd.Series:
    """Convert one column to its kind, naming the first bad value's line on failure."""
    if kind == "text or blank":
        return values
    if kind == "text":
        bad = values == ""
        if bad.any():
            raise InputError(f"line {_line(bad)}: empty value in column '{name}'", source=path)
        return values
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() | ~np.isfinite(numbers.astype(float))
    if bad.any():
        shown = values[bad].iloc[0]
        raise InputError(
            f"line {_line(bad)}: column '{name}' must be a finite number, got '{shown}'", source=path
        )
    if kind == "integer":
        fractional = numbers != np.round(numbers)
        if fractional.any():
            raise InputError(
                f"line {_line(fractional)}: column '{name}' must be a whole number", source=path
            )
        return numbers.astype(np.int64)
    return numbers.astype(float)


def _line(mask: pd.Series) -> int:
    """The file line of the first True in ``mask`` (line 1 is the header)."""
    return int(np.flatnonzero(mask.to_numpy())[0]) + 2
