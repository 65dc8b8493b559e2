"""Parsing the small option values shared by several commands and the manifest."""

from __future__ import annotations

from kmipd.errors import InputError


def parse_counts(text: str) -> dict[str, int]:
    """``"A=21,B=49"`` -> ``{"A": 21, "B": 49}`` (arm sizes or totals of events)."""
    counts = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        name, sep, value = part.rpartition("=")
        if not sep or not name.strip() or not value.strip().isdigit():
            raise InputError(f"'{part}' is not NAME=COUNT (a whole number), as in 'TKI=21,TKI+ICI=49'")
        counts[name.strip()] = int(value)
    return counts


def parse_range(text: str) -> tuple[float, float]:
    """``"0,60"`` -> ``(0.0, 60.0)``: the first and last tick values of an axis."""
    parts = [piece.strip() for piece in text.split(",")]
    try:
        low, high = (float(piece) for piece in parts)
    except ValueError:
        raise InputError(f"'{text}' is not a range A,B of two numbers, as in '0,60'") from None
    if not low < high:
        raise InputError(f"range '{text}' must go from low to high")
    return low, high
