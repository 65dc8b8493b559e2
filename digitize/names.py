"""Arm names from the readings that must agree: legend entries, at-risk row labels, the user.

A figure names its arms twice or more: in the legend (the text beside each
curve's swatch) and in the numbers-at-risk table (a label left of each row, or
the row printed in the arm's colour). Each is read on its own, by OCR or from
the pixels, and may slip: OCR reads ``Treatment`` as ``Treatmet``; a legend
line holds statistics (``Placebo (n=145)``); survminer prefixes the variable
(``arm=Placebo``). This module cleans each reading to the name it holds
(:func:`split_label`), pairs the table's rows with the arms by whatever
evidence there is (names alike, :func:`name_distance`; the rows' colours; one
arm and one row), and names both after the better-read spelling
(:func:`reconcile`). Where nothing pairs a row with an arm, it says which two
readings disagree, for the error the user sees.

Plain functions over strings; nothing here reads an image.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

#: Two readings are one name when their distance (see :func:`name_distance`) is at most this:
#: about one character in three misread.
NAME_TOLERANCE = 0.34

#: A row label read below this OCR confidence names no arm of its own (as legend labels, see
#: :data:`digitize.legend.MIN_NAME_CONFIDENCE`).
MIN_LABEL_CONFIDENCE = 0.6

#: survminer's strata prefix, ``arm=`` in ``arm=Placebo`` (a variable name: no spaces).
_STRATA_PREFIX = re.compile(r"^[A-Za-z._][\w.]*\s*=\s*(?=\S)")
#: A legend title printed in front of the entries (survminer's default "Strata").
_LEGEND_TITLE = re.compile(r"^strata\b\s*:?\s*(?=\S)", re.IGNORECASE)
#: An arm size in a label: ``n=145``, ``N = 2,392``.
_COUNT = re.compile(r"\b[nN]\s*[=:]\s*(\d[\d,]*)")
#: Where the statistics after a name begin: a parenthesis holding ``n=``, ``n=`` itself, a colon
#: or semicolon, or a comma before a statistic (median, HR, a number).
_STATISTICS = re.compile(r"\s*(\([^)]*\b[nN]\s*[=:]|\b[nN]\s*[=:]\s*\d|[:;]|,\s*(median|mean|hr\b|ms\b|\d))",
                         re.IGNORECASE)
#: Row labels that title the table rather than name an arm.
_TABLE_TITLE = re.compile(r"^(no\.?|number|numbers|n|patients)?\s*(at\s*risk)\b", re.IGNORECASE)
#: Letters OCR reads for digits, and the reverse, as one-character words are compared.
_DIGIT_LIKE = str.maketrans("oil", "011")
#: The names kmipd gives arms no reading named.
_PLACEHOLDER = re.compile(r"^arm\d+$")


class Reading(NamedTuple):
    """A name as read, and how sure the reader was (OCR confidence, 0-1; 1 for the user's)."""

    text: str
    confidence: float = 1.0


@dataclass
class Naming:
    """Names of the arms and of the at-risk rows, after the readings were reconciled.

    Attributes
    ----------
    arm_names : list of str
        One per arm, in the order given to :func:`reconcile`.
    row_names : list of str
        One per at-risk row: the name of the arm it belongs to, or its own
        label where no arm could be found for it.
    row_arms : list of int or None
        Per row, the arm it belongs to (index into ``arm_names``), None where none.
    warnings : list of str
        Doubtful pairings a person should check.
    problem : str or None
        When some row belongs to no arm: which readings disagree and what to give.
    """

    arm_names: list
    row_names: list
    row_arms: list
    warnings: list = field(default_factory=list)
    problem: str | None = None


def split_label(text: str) -> tuple[str, int | None]:
    """The name a legend entry or row label holds, and the arm size printed with it.

    Strips the ``|`` (or ``[``) OCR reads from a line end, censor mark or legend frame, the
    dashes of a dashed swatch (or of the next entry's) read with the label, survminer's
    strata prefix (``arm=``) and legend title (``Strata``), and the statistics
    after the name (``(n=2392): MS 13 mos``, ``, median 12.1 mo``).

    Examples
    --------
    >>> split_label("1992-2004 (n=2392): MS 13 mos; 1-yr 52%")
    ('1992-2004', 2392)
    >>> split_label("arm=Treatment A|")
    ('Treatment A', None)
    """
    # OCR may read "III" as the one Roman-numeral character: compatibility forms become plain letters.
    text = unicodedata.normalize("NFKC", text).strip().strip("|[]").strip().lstrip("-–—_ ")
    count = _COUNT.search(text)
    text = _LEGEND_TITLE.sub("", text)
    # ``sex=1`` keeps its prefix: the level alone names nothing.
    level = _STRATA_PREFIX.sub("", text)
    text = level if re.search(r"[^\W\d_]", level) else text
    cut = _STATISTICS.search(text)
    # A dash at the end is the next entry's swatch, read with a legend laid out in a row.
    name = (text[:cut.start()] if cut and cut.start() > 0 else text).strip().strip("|,").strip().rstrip("-–—_ ")
    return name, int(count.group(1).replace(",", "")) if count else None


def is_name(text: str) -> bool:
    """Whether a reading names an arm: it has a letter, is not kmipd's ``armN`` and does not
    title the table (``Number at risk``)."""
    return bool(re.search(r"[^\W\d_]", text)) and not _PLACEHOLDER.match(text) and not _TABLE_TITLE.match(text)


def name_distance(first: str, second: str) -> float:
    """How unlike two readings of a name are, 0 (the same) to 1, forgiving case, spaces and ``|``.

    One minus the Ratcliff-Obershelp similarity of Python's
    :class:`difflib.SequenceMatcher` (twice the characters matched over the
    characters of both), an edit distance relative to length:
    ``Treatmet`` is 0.06 from ``Treatment``.
    """
    first, second = _normal(first), _normal(second)
    if not first or not second:
        return 1.0
    return 1.0 - SequenceMatcher(None, first, second, autojunk=False).ratio()


def held_at_an_end(label: str, name: str) -> bool:
    """Whether a row label holds a name at its start or end, with more text on the other side.

    The name must stand there whole, letter for letter but for one glyph misread (``O`` for
    ``0``; compared without case or spaces): a looser match, as :func:`name_distance` allows,
    finds a short name in any long label ('atr' at the start of 'Treatment').
    """
    label, name = _normal(label), _normal(name)
    if not name or len(name) >= len(label):
        return False
    return any(sum(a != b for a, b in zip(end, name)) <= 1 for end in (label[:len(name)], label[-len(name):]))


def better_spelling(first: Reading, second: Reading) -> str:
    """Of two readings of one name, the better read: the one holding all the other's characters and
    more (OCR drops letters at a box's edge or between glyphs), else the one read with more
    confidence (the first when equal).

    Characters one reading has before all the other's, ending where a word starts (before a
    space or a capital: ``S placebo``, ``UDrug X``), are a neighbour's ink read with it (a
    table's rotated title, a colour bar), not letters the other lost, and are left out first.
    """
    first, second = (Reading(_without_glued_start(one.text, other.text), one.confidence)
                     for one, other in ((first, second), (second, first)))
    short, long = sorted((_normal(first.text), _normal(second.text)), key=len)
    rest = iter(long)
    if len(short) < len(long) and all(character in rest for character in short):
        return first.text if _normal(first.text) == long else second.text
    return second.text if second.confidence > first.confidence else first.text


def _without_glued_start(text: str, other: str) -> str:
    """``text`` without the characters before the first it shares with ``other`` (see
    :func:`better_spelling`), when a word starts there; else ``text``."""
    blocks = SequenceMatcher(None, text.casefold(), other.casefold(), autojunk=False).get_matching_blocks()
    start = next((block.a for block in blocks if block.size >= 2), 0)
    if 0 < start < len(text) and (text[start - 1].isspace() or text[start].isupper() or text[start].isdigit()):
        return text[start:]
    return text


def pair_by_name(arm_names: list[str], row_labels: list[str]) -> list[int | None]:
    """Per row label, the arm whose name it is (index), or None.

    Rows and arms are paired one to one so that the names are alike in all
    (the assignment of least total :func:`name_distance`; Kuhn-Munkres, scipy's
    :func:`~scipy.optimize.linear_sum_assignment`), and a pair is kept when its
    names are within :data:`NAME_TOLERANCE`, and do not end in different
    one-character words (``Arm A`` and ``Arm B``, ``Stage 1`` and ``Stage 2``
    are alike but name two arms). Readings that name nothing
    (:func:`is_name`) pair with nothing.
    """
    pairs: list[int | None] = [None] * len(row_labels)
    arms = [k for k, name in enumerate(arm_names) if is_name(name)]
    rows = [r for r, label in enumerate(row_labels) if is_name(label)]
    if not arms or not rows:
        return pairs
    cost = np.array([[1.0 if _other_suffix(row_labels[r], arm_names[k]) else name_distance(row_labels[r], arm_names[k])
                      for k in arms] for r in rows])
    for i, j in zip(*linear_sum_assignment(cost)):
        if cost[i, j] <= NAME_TOLERANCE:
            pairs[rows[i]] = arms[j]
    return pairs


def reconcile(arms: list[Reading], rows: list[Reading] | None, rows_by_colour: list[int] | None = None,
              arms_given: bool = False) -> Naming:
    """Pair the at-risk rows with the arms and name both, from every reading there is.

    Parameters
    ----------
    arms : list of Reading
        Per arm, its name as read from the legend (after :func:`split_label`),
        or as given by the user, or kmipd's ``arm1``, ``arm2``, ... when none
        was read.
    rows : list of Reading or None
        Per at-risk row, top first, its label as read (``""`` where none is
        printed); None when the labels were not read (the rows' colours pair them).
    rows_by_colour : list of int, optional
        Per row, the arm whose colour its digits are printed in, when the rows
        are printed in the arms' colours.
    arms_given : bool
        The arm names are the user's: they are kept as given.

    Returns
    -------
    Naming

    Notes
    -----
    The rows are paired, by the first of these that pairs them all: the names
    (legend entry and row label alike, :func:`pair_by_name`); the rows'
    colours; one arm and one row; the order, when neither the legend nor the
    table printed a name. A lone arm named by nothing takes the one row left
    unpaired. A pair whose two readings are both names takes the better-read
    spelling (:func:`better_spelling`) unless the user named the arm.
    """
    names = [reading.text for reading in arms]
    rows = rows if rows is not None else [Reading("", 0.0)] * len(rows_by_colour or [])
    labels = [split_label(reading.text)[0] for reading in rows]
    if not rows:
        return Naming(names, [], [])
    if not arms:  # rows read alone: named by their own labels when each has one, else from the top
        own = all(is_name(label) for label in labels) and len(set(labels)) == len(labels)
        return Naming([], labels if own else [f"arm{r + 1}" for r in range(len(labels))], [None] * len(labels))
    # A label OCR is unsure of pairs by its likeness to a name, but is no name of its own against the
    # legend's order (a legend drawn over the labels reads as specks: 'EDO').
    readable = [is_name(label) and reading.confidence >= MIN_LABEL_CONFIDENCE for label, reading in zip(labels, rows)]
    pairing, warnings = _pairing(names, labels, rows_by_colour, readable)
    if len(rows) < len(arms) and not arms_given:
        warnings.append(f"the at-risk table read has {len(rows)} row(s) for {len(arms)} arms")
    for r, k in enumerate(pairing):
        if k is None or not is_name(labels[r]) or arms_given:
            continue
        if not is_name(names[k]):
            names[k] = labels[r]
        elif name_distance(labels[r], names[k]) <= NAME_TOLERANCE:
            names[k] = better_spelling(Reading(names[k], arms[k].confidence), Reading(labels[r], rows[r].confidence))
        else:
            warnings.append(f"the legend names an arm '{names[k]}' and its at-risk row '{labels[r]}' "
                            f"(paired by {_pairing_evidence(labels[r], names[k], rows_by_colour, readable[r])}); "
                            f"kept '{names[k]}'")
    row_names = [names[k] if k is not None else (labels[r] or f"row {r + 1}") for r, k in enumerate(pairing)]
    unpaired = [row_names[r] for r, k in enumerate(pairing) if k is None]
    return Naming(names, row_names, pairing, warnings, unmatched_rows(unpaired, names, arms_given) if unpaired else None)


def unmatched_rows(rows: list[str], arms: list[str], arms_given: bool = False, colours=None) -> str:
    """What to tell the user when at-risk rows name no arm: the two readings that disagree (with
    the arms' ``colours``, hex, when given), and what to give."""
    rows = ", ".join(f"'{row}'" for row in rows)
    arms = ", ".join(f"'{name}'" + (f" ({colours[k]})" if colours is not None else "") for k, name in enumerate(arms))
    return (f"the at-risk table's row(s) {rows} match no arm; "
            f"{'--arms gave' if arms_given else 'the legend read'} {arms}; "
            f"give --arms NAME=COLOUR,... with the table's names, or --at-risk")


def _pairing_evidence(label: str, name: str, rows_by_colour, readable: bool) -> str:
    """What paired a row with an arm whose names differ, for the warning (``readable``: the label
    is a name read with confidence)."""
    if rows_by_colour:
        return "colour"
    if held_at_an_end(label, name):
        return "the legend's name at one end of the row label"
    return "being the only ones" if readable else "the legend's order, the label read unsure"


def _other_suffix(first: str, second: str) -> bool:
    """Whether two readings end in one-character words (``A``, ``2``) that differ, but for a glyph
    OCR confuses with a digit (``O`` for ``0``, ``I`` or ``l`` for ``1``)."""
    words = [text.casefold().translate(_DIGIT_LIKE).split() for text in (first, second)]
    if not all(len(each) > 1 and len(each[-1]) == 1 and each[-1].isalnum() for each in words):
        return False
    return words[0][-1] != words[1][-1]


def _normal(text: str) -> str:
    """A reading as names are compared: without case, spaces or ``|``."""
    return re.sub(r"[\s|]", "", text).casefold()


def _pairing(names: list[str], labels: list[str], rows_by_colour, readable: list[bool]) -> tuple[list, list[str]]:
    """Per row, its arm (see :func:`reconcile`), and a warning where the pairing is weak; ``readable``,
    per row, whether its label is a name read with confidence."""
    by_name = pair_by_name(names, labels)
    # The one arm left (of one, or named by no reading) and the one row left are each other's.
    free_arms = [k for k in range(len(names)) if k not in by_name]
    free_rows = [r for r, k in enumerate(by_name) if k is None]
    if len(free_arms) == 1 and len(free_rows) == 1 and (len(names) == 1 or not is_name(names[free_arms[0]])):
        by_name[free_rows[0]] = free_arms[0]
        free_arms, free_rows = [], []
    # A label read with a neighbour's text glued on (the x-axis title beside the first row: 'ECOG OYears')
    # holds the name at one end: it pairs with the one free arm so named, if no other row holds that name.
    holds = {r: [k for k in free_arms if is_name(names[k]) and held_at_an_end(labels[r], names[k])]
             for r in free_rows if is_name(labels[r])}
    for r, arms_held in holds.items():
        if len(arms_held) == 1 and sum(arms_held[0] in other for other in holds.values()) == 1:
            by_name[r] = arms_held[0]
    if None not in by_name:
        return by_name, []
    free_arms = [k for k in range(len(names)) if k not in by_name]
    free_rows = [r for r, k in enumerate(by_name) if k is None]
    if rows_by_colour is not None and len(set(rows_by_colour)) == len(rows_by_colour):
        return list(rows_by_colour), []
    # Rows printed without a readable label take the arms the legend named and no row took, in the
    # order both are printed in: nothing else claims them, and a legend read whole gives its order.
    if (free_rows and len(free_arms) == len(free_rows) and not any(readable[r] for r in free_rows)
            and all(is_name(names[k]) for k in free_arms)):
        for r, k in zip(free_rows, free_arms):
            by_name[r] = k
        return by_name, ([] if len(free_rows) == 1 else
                         [f"at-risk rows {', '.join(str(r + 1) for r in free_rows)} print no readable label: matched "
                          f"to the arms {', '.join(names[k] for k in free_arms)} in legend order; check the overlay"])
    if (len(labels) == len(names) > 1 and not any(map(is_name, names)) and not any(map(is_name, labels))):
        return list(range(len(labels))), ["at-risk rows matched to the arms in legend order (neither the legend "
                                          "nor the table names them); check the overlay"]
    return by_name, []

