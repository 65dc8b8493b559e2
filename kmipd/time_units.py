"""Time units of figures (days, weeks, months, years): their names, and converting between them.

Studies report follow-up in different units; before they are pooled, their
times are brought to one unit (see :func:`kmipd.pipeline.run`).
"""

from __future__ import annotations

from kmipd.errors import InputError

#: Length of each unit in days; a month is a twelfth of a Julian year, as survival papers count.
UNIT_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25}
#: Spellings accepted for each unit.
_ALIASES = {alias: unit for unit, aliases in {
    "days": ("days", "day", "d"), "weeks": ("weeks", "week", "wk", "wks", "w"),
    "months": ("months", "month", "mo", "mos", "m"), "years": ("years", "year", "yr", "yrs", "y"),
}.items() for alias in aliases}


def parse_time_unit(text: str) -> str:
    """``"Months"`` -> ``"months"``: the unit's canonical name (see :data:`UNIT_DAYS`)."""
    unit = _ALIASES.get(str(text).strip().lower())
    if unit is None:
        raise InputError(f"time unit must be one of {', '.join(UNIT_DAYS)}, got '{text}'")
    return unit


def conversion_factor(from_unit: str, to_unit: str) -> float:
    """What to multiply times in ``from_unit`` by to have them in ``to_unit``."""
    return UNIT_DAYS[from_unit] / UNIT_DAYS[to_unit]
