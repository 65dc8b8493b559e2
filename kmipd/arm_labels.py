"""Naming arms by the label the figure prints for them, instead of by colour.

``--arms`` (and the manifest's ``arms`` column) usually pairs each group name
with a curve colour. A reviewer's group names are rarely the paper's
(``TKI+ICI`` for the paper's ``Lenvatinib + PD-1 inhibitor``), and colours
are a chore to read off a figure; ``TKI+ICI=label:Lenvatinib + PD-1
inhibitor,TKI=label:Lenvatinib`` names each arm by its legend or
numbers-at-risk label instead. The figure is then read as without
``--arms`` (arms found and named from the legend and the table, whose rows
stay matched to them), and the arms are renamed afterwards: each label must
be the name read for one arm, OCR slips forgiven as between a legend and a
table (:func:`digitize.names.pair_by_name`).
"""

from __future__ import annotations

import re

from digitize import DigitizationResult, digitize
from digitize.names import pair_by_name
from kmipd.errors import InputError

#: Where one entry ends: a comma before the next ``NAME=`` (a label may hold commas, not ``=``).
_NEXT_ENTRY = re.compile(r",(?=[^,=]+=)")
_ENTRY = re.compile(r"^\s*([^=]+?)\s*=\s*label:\s*(.+?)\s*$", re.DOTALL)


def parse_arm_labels(arms: str | None) -> dict[str, str] | None:
    """``"A=label:Drug X,B=label:Placebo"`` -> ``{"A": "Drug X", "B": "Placebo"}``; None when ``arms``
    names no label (colours, or nothing).

    Raises
    ------
    InputError
        When labels and colours are mixed, an entry is malformed or a name is repeated.
    """
    if not arms or "label:" not in arms:
        return None
    labels = {}
    for entry in _NEXT_ENTRY.split(arms):
        match = _ENTRY.match(entry)
        if match is None:
            raise InputError(f"--arms entry '{entry.strip()}': give every arm as NAME=label:TEXT (the label the "
                             "figure prints for it), or every arm as NAME=COLOUR, not both")
        name, label = match.groups()
        if name in labels:
            raise InputError(f"--arms names arm {name} twice")
        labels[name] = label
    return labels


def digitize_named(figure, arms: str | None = None, **options) -> DigitizationResult:
    """:func:`digitize.digitize`, with ``arms`` given as colours or as printed labels.

    With labels (see :func:`parse_arm_labels`), the arms the labels name take
    the user's names; arms no label names keep the names read for them.

    Raises
    ------
    InputError
        As :func:`digitize.digitize`, and when a label is not the name read
        for any arm of the figure (the message lists the names read).
    """
    labels = parse_arm_labels(arms)
    if labels is None:
        return digitize(figure, arms=arms, **options)
    result = digitize(figure, **options)
    return rename_arms(result, labels)


def rename_arms(result: DigitizationResult, labels: dict[str, str]) -> DigitizationResult:
    """``result`` with the arm read as each label renamed to the label's group name."""
    read = list(result.arms["arm"])
    wanted = list(labels.values())
    arm_of_label = pair_by_name(read, wanted)
    missing = [label for label, arm in zip(wanted, arm_of_label) if arm is None]
    if missing:
        raise InputError(f"--arms label(s) {', '.join(repr(label) for label in missing)} name no arm of the figure "
                         f"(the arms read: {', '.join(repr(name) for name in read)}); give the label as printed, "
                         "or the arm's colour")
    names = {read[arm]: group for group, arm in zip(labels, arm_of_label)}
    clashing = sorted(set(names.values()) & (set(read) - set(names)))
    if clashing:
        raise InputError(f"--arms gives the name {clashing[0]} to one arm, but another arm of the figure is read "
                         f"so; name both")

    return result.with_arm_tables(lambda table: table.assign(arm=table["arm"].map(lambda arm: names.get(arm, arm))))
