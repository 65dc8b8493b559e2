"""The whole job, chaining the stages: figures -> curves -> IPD -> pooled results.

:func:`extract` turns one figure into IPD (``digitize`` then ``reconstruct``);
:func:`run` does it for every figure listed in a folder's manifest and pools
the studies with ``meta``. Both return result objects whose ``to_folder``
writers are kept apart from the computation, so the CLI can stage them.

The manifest, ``studies.csv`` in the figures folder, has one row a figure:

========== ======== ============================================================
column     required meaning
========== ======== ============================================================
figure     yes      image file, relative to the folder (blank when ``curves`` is given)
curves     no       hand-digitized curves instead of a figure: ``file.csv`` (arm,time,survival)
                    or ``NAME=file.csv,...`` (WebPlotDigitizer's x,y export, one file an arm)
study      yes      study label (the same study may have several outcomes)
outcome    yes      e.g. ``OS`` or ``PFS``; studies are pooled per outcome
arms       no       ``NAME=COLOUR,...`` or ``NAME=label:TEXT,...``: which curve is which group, by
                    colour or by the label the figure prints (digitize's ``--arms``)
at_risk    no       at-risk CSV (``arm,time,n_risk``) relative to the folder
n          no       ``NAME=N,...``: arm sizes, when the figure prints no at-risk table
events     no       ``NAME=N,...``: published totals of events
panel      no       which plot of a multi-panel figure (0 = first)
x_range    no       ``A,B``: first and last x tick values, when OCR cannot read them
y_range    no       ``A,B``: the same for the y axis
time_unit  no       ``days``, ``weeks``, ``months`` or ``years``: the figure's time axis
published_hr  no    the paper's hazard ratio (treatment vs control), as ``0.52 (0.31-0.87)``
published_median no ``NAME=MEDIAN,...`` (``NR`` for not reached), as printed
========== ======== ============================================================

Published values (``published_*``, and ``events`` and ``n``) are set beside the
reconstructed ones in ``published_check.csv`` and the report; one that disagrees
is a warning.

An optional ``analysis.json`` beside it sets ``treatment``, ``control``,
``milestones``, ``tau``, ``time_unit`` (the unit pooled results are given
in, months by default when figures give theirs), ``model`` (``REML``,
``DL``, ``PM`` or ``common``) and ``ci`` (``hksj_adhoc``, ``hksj`` or
``wald``) for the pooling;
command-line options win.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import re
import sys
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

import matplotlib

matplotlib.use("Agg")  # files only; never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from digitize import DigitizationResult  # noqa: E402
from digitize.result import csv_bytes, write_files  # noqa: E402
from digitize.diagnosis import Findings  # noqa: E402
from digitize.names import is_name, unmatched_rows  # noqa: E402
from kmipd.arm_labels import digitize_named, parse_arm_labels  # noqa: E402
from kmipd.cache import ExtractionCache  # noqa: E402
from meta.pooling import DEFAULT_CI, DEFAULT_MODEL, check_method  # noqa: E402
from kmipd.errors import InputError, input_source  # noqa: E402
from kmipd.hand_curves import read_hand_curves  # noqa: E402
from kmipd.options import parse_counts, parse_range  # noqa: E402
from kmipd.progress import progress  # noqa: E402
from kmipd.published import compare, parse_hazard_ratio, parse_medians  # noqa: E402
from kmipd.tables import AT_RISK, read_table  # noqa: E402
from kmipd.time_units import conversion_factor, parse_time_unit  # noqa: E402
from meta import analyse  # noqa: E402
from meta.result import MetaResult  # noqa: E402
from reconstruct import Reconstruction, reconstruct  # noqa: E402
from reconstruct.at_risk import AtRiskTableError, CurveTableConflict, NoCountAtStart  # noqa: E402
from reconstruct.plot import plot_reconstruction  # noqa: E402

MANIFEST = "studies.csv"
ANALYSIS = "analysis.json"
REQUIRED_COLUMNS = ("figure", "study", "outcome")
OPTIONAL_COLUMNS = ("curves", "arms", "at_risk", "n", "events", "panel", "page", "x_range", "y_range", "time_unit",
                    "published_hr", "published_median")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf", ".svg")
#: Warn when a reconstructed KM runs farther than this many line widths from its trace, on average.
FIT_WARNING_LINE_WIDTHS = 2.0
#: Longest output folder name made from a study label and outcome (characters).
MAX_FOLDER_NAME = 100


@dataclass
class Extraction:
    """One figure read into curves and reconstructed into IPD.

    Attributes
    ----------
    digitization : DigitizationResult or None
        Curves, censor marks, calibration and quality of the figure (None
        for curves digitized by hand, see :func:`extract_curves`).
    at_risk : pandas.DataFrame
        The at-risk table used (given, or read from the figure; may be empty).
    reconstruction : Reconstruction
        The IPD of every arm and its fit diagnostics.
    hand_curves : pandas.DataFrame or None
        The hand-digitized curves reconstructed, when there is no figure.
    notes : list of str
        How hand-digitized curves were read.
    """

    digitization: DigitizationResult | None
    at_risk: pd.DataFrame
    reconstruction: Reconstruction
    hand_curves: pd.DataFrame | None = None
    notes: list = field(default_factory=list)
    rendered: dict | None = field(default=None, repr=False, compare=False)

    @property
    def ipd(self) -> pd.DataFrame:
        """``arm, time, event``: one row a reconstructed patient."""
        return self.reconstruction.ipd

    @property
    def warnings(self) -> list[str]:
        """What a person should read about this extraction."""
        return (self.digitization.warnings if self.digitization is not None else []) + self.notes

    def files(self) -> dict[str, bytes]:
        """The bytes of digitize's files (or of the hand-digitized ``curves.csv``),
        ``at_risk.csv``, ``ipd.csv`` and ``reconstruction.png`` by file name.

        Drawn once and kept with the extraction, so that the worker process that
        extracted it draws them, and a cached extraction is written without
        drawing again.
        """
        if self.rendered is None:
            files = self.digitization.files() if self.digitization is not None else {
                "curves.csv": csv_bytes(self.hand_curves)}
            if len(self.at_risk):
                files["at_risk.csv"] = csv_bytes(self.at_risk)
            files["ipd.csv"] = csv_bytes(self.ipd)
            figure = plot_reconstruction(self.reconstruction)
            drawing = io.BytesIO()
            figure.savefig(drawing, format="png", dpi=120, metadata={"Software": None})
            plt.close(figure)
            files["reconstruction.png"] = drawing.getvalue()
            self.rendered = files
        return self.rendered

    def to_folder(self, folder: str | Path) -> None:
        """Write :meth:`files` into ``folder``."""
        write_files(folder, self.files())


def extract(figure, *, at_risk: pd.DataFrame | None = None, n_total: dict | None = None,
            total_events: dict | None = None, **figure_options) -> Extraction:
    """Digitize a KM figure and reconstruct the IPD of its arms.

    A numbers-at-risk table read from the figure is checked like a typed one;
    when it contradicts itself or the curve (journals do print such tables),
    it is set aside with a warning and the arm sizes ``n_total`` are used
    instead, or, without them, the job stops and says what to give.

    Parameters
    ----------
    figure : str, Path or ndarray
        The figure (see :func:`digitize.digitize`).
    at_risk : pandas.DataFrame, optional
        ``arm, time, n_risk``, typed from the paper; by default the table read
        from the figure, if any.
    n_total, total_events : dict of str -> int, optional
        Per-arm sizes and published totals of events (see :func:`reconstruct.reconstruct`).
        By default the sizes printed in the legend (``Placebo (n=145)``) for
        arms whose at-risk row, if any, does not start at time 0.
    **figure_options
        ``arms``, ``x_range``, ``y_range``, ``x_ticks``, ``y_ticks``, ``panel``:
        how to read the figure (see :func:`digitize.digitize`).

    Returns
    -------
    Extraction

    Raises
    ------
    InputError
        When the figure cannot be read, or the at-risk table or counts do not fit the curves.
    """
    # A table typed from the paper wins over the printed one, which is then not read (nor doubted).
    digitization = digitize_named(figure, **figure_options,
                                  **({"read_at_risk": False} if at_risk is not None else {}))
    arms_by_colour = figure_options.get("arms") is not None and parse_arm_labels(figure_options["arms"]) is None
    if not arms_by_colour:
        digitization = without_unclaimed_curves(digitization, n_total)
    try:
        at_risk, reconstruction = _reconstruct_digitized(digitization, at_risk, n_total, total_events,
                                                         arms_given=arms_by_colour)
    except InputError as error:
        error.findings = Findings.from_result(digitization, error)  # what --explain shows
        raise
    digitization.warnings.extend(fit_warnings(digitization, reconstruction))
    return Extraction(digitization, at_risk, reconstruction)


def without_unclaimed_curves(digitization: DigitizationResult, n_total: dict | None = None) -> DigitizationResult:
    """The digitization less the curves no reading claims, each said in a warning.

    A curve is unclaimed when the legend names no arm for it (it is kmipd's
    ``armN``), the numbers-at-risk table read from the figure gives it no row
    although every row of the table has its curve, and no N is given for it:
    two readings that must agree on the arms (legend and table) both leave
    it out. Such a curve is a band's edge, a rule or a legend box traced as
    an arm (its IPD could not be reconstructed anyway: it has no N).
    """
    rows = set(digitization.at_risk["arm"])
    arms = list(digitization.arms["arm"])
    unclaimed = [arm for arm in arms if arm not in rows and not is_name(arm) and arm not in (n_total or {})]
    if not rows or not rows <= set(arms) or not unclaimed or len(unclaimed) == len(arms):
        return digitization
    colours = dict(zip(digitization.arms["arm"], digitization.arms["colour"]))
    said = ", ".join(f"{arm} ({colours[arm]})" for arm in unclaimed)
    warning = (f"curve(s) {said} left out: neither the legend nor the numbers-at-risk table names them (a band's "
               "edge or a rule traced as an arm?); check overlay.png, or name every arm with --arms")

    claimed = digitization.with_arm_tables(lambda table: table[~table["arm"].isin(unclaimed)].reset_index(drop=True))
    return replace(claimed, warnings=[*digitization.warnings, warning])


def _reconstruct_digitized(digitization: DigitizationResult, at_risk: pd.DataFrame | None, n_total: dict | None,
                           total_events: dict | None, arms_given: bool) -> tuple[pd.DataFrame, Reconstruction]:
    """The at-risk table used and the reconstruction of a digitized figure (see :func:`extract`)."""
    table_read = at_risk is None
    at_risk = (digitization.at_risk if table_read else at_risk).reset_index(drop=True)
    curve_arms = list(digitization.arms["arm"])
    if table_read and not set(at_risk["arm"]) <= set(curve_arms):
        rows = [arm for arm in dict.fromkeys(at_risk["arm"]) if arm not in curve_arms]
        raise InputError(unmatched_rows(rows, curve_arms, arms_given=arms_given,
                                        colours=list(digitization.arms["colour"])))
    legend_sizes = {arm.arm: int(arm.n) for arm in digitization.arms.itertuples() if pd.notna(arm.n)}
    if not n_total:
        # An arm size printed in the legend (n=145) stands in for an at-risk row that does not start at 0.
        started = set(at_risk.loc[at_risk["time"] == 0, "arm"])
        n_total = {arm: n for arm, n in legend_sizes.items() if arm not in started} or None

    def rebuild(table: pd.DataFrame) -> Reconstruction:
        return reconstruct(digitization.curves, table if len(table) else None, n_total=n_total,
                           total_events=total_events, censor_marks=digitization.censor_marks,
                           **digitization.reading_errors)

    try:
        reconstruction = rebuild(at_risk)
    except AtRiskTableError as error:
        if not (table_read and len(at_risk)):
            raise
        n_total = {**legend_sizes, **(n_total or {})}
        if not n_total:
            raise InputError(f"the numbers-at-risk table read from the figure {_table_doubt(error)} "
                             f"({error.message}); type it into an at-risk CSV, or give the arm sizes") from None
        digitization.warnings.append(f"numbers-at-risk table read from the figure set aside: {error.message}")
        at_risk = at_risk.iloc[0:0]
        reconstruction = rebuild(at_risk)
    return at_risk, reconstruction


def _table_doubt(error: AtRiskTableError) -> str:
    """Which reading an at-risk table's error puts in doubt: the curve as much as the table, the
    table's first column (not printed, as SAS does, or not read), or the table."""
    if isinstance(error, CurveTableConflict):
        return "and the traced curve disagree"
    if isinstance(error, NoCountAtStart):
        return "has no count at time 0 (not printed, or not read)"
    return "cannot be right"


def fit_warnings(digitization: DigitizationResult, reconstruction: Reconstruction) -> list[str]:
    """A warning for each arm whose reconstructed KM runs farther from its digitized curve, on
    average, than :data:`FIT_WARNING_LINE_WIDTHS` widths of the line it was traced from.

    The trace lies within the drawn line, its levels read to a quarter of a
    pixel, and a KM of whole patients can follow it to within its own steps:
    on the benchmark corpus, reconstructed with the true numbers at risk, no
    arm's KM keeps farther than about one line width from its trace on
    average. Farther means the numbers at risk, N or events given do not fit
    the curve (or the curve was read wrong), and the IPD is not the figure's.
    """
    warnings = []
    survival_per_px = abs(digitization.calibration.y.slope)
    widths = dict(zip(digitization.arms["arm"], digitization.arms["line_width_px"]))
    for arm, result in reconstruction.arms.items():
        allowed = FIT_WARNING_LINE_WIDTHS * max(widths.get(arm, 1.0), 1.0) * survival_per_px
        if result.mean_abs_error > allowed:
            warnings.append(f"arm {arm}: the reconstructed KM runs {result.mean_abs_error:.3f} on average from the "
                            f"digitized curve, more than {FIT_WARNING_LINE_WIDTHS:g} line widths ({allowed:.3f}): "
                            f"the numbers at risk or N do not fit the curve; check reconstruction.png")
    return warnings


def extract_curves(curves: pd.DataFrame, *, at_risk: pd.DataFrame | None = None, n_total: dict | None = None,
                   total_events: dict | None = None, notes=()) -> Extraction:
    """Reconstruct the IPD of curves digitized by hand (no figure; see :mod:`kmipd.hand_curves`).

    The curves' reading errors are estimated from the points by
    :func:`reconstruct.reconstruct`, as hand clicks show them.
    """
    reconstruction = reconstruct(curves, at_risk if at_risk is not None and len(at_risk) else None,
                                 n_total=n_total, total_events=total_events)
    table = at_risk if at_risk is not None else pd.DataFrame(columns=list(AT_RISK))
    return Extraction(None, table, reconstruction, hand_curves=curves, notes=list(notes))


@dataclass
class FigureEntry:
    """One row of the manifest, with its options parsed (``figure`` None for hand-digitized ``curves``)."""

    figure: Path | None
    study: str
    outcome: str
    options: dict = field(default_factory=dict)
    at_risk: Path | None = None
    time_unit: str | None = None
    published: dict = field(default_factory=dict)
    curves: str | None = None
    folder: Path | None = None

    @property
    def name(self) -> str:
        """Folder name for this figure's outputs."""
        label = f"{self.study}_{self.outcome}"
        safe = re.sub(r"[^A-Za-z0-9+.-]+", "_", label).strip("_")
        if len(safe) <= MAX_FOLDER_NAME:
            return safe
        # File systems allow 255 bytes a name: a long study label is cut, kept unique by its hash.
        return f"{safe[:MAX_FOLDER_NAME - 9]}-{hashlib.sha1(label.encode()).hexdigest()[:8]}"


def read_manifest(folder: str | Path) -> list[FigureEntry]:
    """The figures of ``folder`` from its ``studies.csv`` (see the module docstring).

    Raises
    ------
    InputError
        Naming the manifest and line of any problem.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not folder.is_dir():
        raise InputError("not a folder", source=folder)
    if not path.is_file():
        images = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        hint = f" (it holds {len(images)} image(s))" if images else ""
        raise InputError(f"no {MANIFEST} listing figure,study,outcome{hint}", source=folder)
    # figure may be left blank on a row that gives hand-digitized curves instead
    required = {column: "text or blank" if column == "figure" else "text" for column in REQUIRED_COLUMNS}
    table = read_table(path, required,
                       optional={column: "text or blank" for column in OPTIONAL_COLUMNS}, strict=True)
    entries = []
    for line, row in enumerate(table.to_dict(orient="records"), start=2):
        with input_source(path):
            try:
                entries.append(_entry(folder, row))
            except InputError as error:
                raise InputError(f"line {line}: {error.message}", source=error.source) from None
    names = [entry.name for entry in entries]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise InputError(f"study and outcome repeated: {', '.join(duplicated)}", source=path)
    return entries


def _entry(folder: Path, row: dict) -> FigureEntry:
    """One manifest row (required cells already checked non-empty) as a :class:`FigureEntry`."""
    if bool(row.get("figure")) == bool(row.get("curves")):
        raise InputError("give either a figure or hand-digitized curves, not both or neither")
    figure = folder / row["figure"] if row.get("figure") else None
    if figure is not None and not figure.is_file():
        raise InputError(f"figure {row['figure']} not found")
    options = {}
    if row.get("arms"):
        options["arms"] = row["arms"]
    if row.get("n"):
        options["n_total"] = parse_counts(row["n"])
    if row.get("events"):
        options["total_events"] = parse_counts(row["events"])
    if row.get("page"):
        if not row["page"].isdigit() or int(row["page"]) < 1:
            raise InputError(f"page must be 1, 2, ... (a page of the PDF), got '{row['page']}'")
        options["page"] = int(row["page"])
    if row.get("panel"):
        if not row["panel"].isdigit():
            raise InputError(f"panel must be 0, 1, ..., got '{row['panel']}'")
        options["panel"] = int(row["panel"])
    for axis in ("x_range", "y_range"):
        if row.get(axis):
            options[axis] = parse_range(row[axis])
    at_risk = None
    if row.get("at_risk"):
        at_risk = folder / row["at_risk"]
        if not at_risk.is_file():
            raise InputError(f"at-risk table {row['at_risk']} not found")
    time_unit = parse_time_unit(row["time_unit"]) if row.get("time_unit") else None
    published = {key: value for key, value in (("events", options.get("total_events")), ("n", options.get("n_total")))
                 if value}
    if row.get("published_hr"):
        published["hr"] = parse_hazard_ratio(row["published_hr"])
    if row.get("published_median"):
        published["median"] = parse_medians(row["published_median"])
    return FigureEntry(figure, row["study"], row["outcome"], options, at_risk, time_unit, published,
                       row.get("curves") or None, folder)


def read_analysis(folder: str | Path) -> dict:
    """The pooling settings of ``folder/analysis.json`` (empty when there is none)."""
    path = Path(folder) / ANALYSIS
    if not path.is_file():
        return {}
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"not valid JSON ({error})", source=path) from None
    allowed = {"treatment", "control", "milestones", "tau", "time_unit", "model", "ci"}
    if not isinstance(settings, dict):
        raise InputError(f"must be an object with keys among {', '.join(sorted(allowed))}", source=path)
    if set(settings) - allowed:
        unknown = ", ".join(json.dumps(key) for key in sorted(set(settings) - allowed))
        raise InputError(f"unknown key(s) {unknown}; the keys are {', '.join(sorted(allowed))}", source=path)
    for key in ("treatment", "control"):
        if key in settings and not (isinstance(settings[key], str) and settings[key].strip()):
            raise InputError(f'"{key}" must be a group name (text), got {json.dumps(settings[key])}', source=path)
    milestones = settings.get("milestones", [])
    if not (isinstance(milestones, list) and all(_positive_number(m) for m in milestones)):
        raise InputError(f'"milestones" must be a list of positive times, as in [6, 12], got {json.dumps(milestones)}',
                         source=path)
    if "time_unit" in settings:
        with input_source(path):
            settings["time_unit"] = parse_time_unit(settings["time_unit"])
    with input_source(path):
        check_method(settings.get("model", DEFAULT_MODEL), settings.get("ci", DEFAULT_CI))
    tau = settings.get("tau")
    per_outcome = isinstance(tau, dict) and tau and all(isinstance(k, str) and _positive_number(v) for k, v in tau.items())
    if tau is not None and not (_positive_number(tau) or per_outcome):
        raise InputError(f'"tau" must be a positive time, or one per outcome as in {{"OS": 24, "PFS": 12}}, '
                         f"got {json.dumps(tau)}", source=path)
    return settings


def _cache_key(entry: FigureEntry, cache: ExtractionCache | None) -> str | None:
    """The key of ``entry``'s extraction in ``cache`` (None without a cache, and for hand-digitized
    curves: reconstructing them alone is fast enough not to cache)."""
    if cache is None or entry.curves:
        return None
    return ExtractionCache.key(entry.figure, entry.at_risk, entry.options)


def _extract_entry(entry: FigureEntry, cache: ExtractionCache | None = None,
                   key: str | None = None) -> Extraction | InputError:
    """One manifest figure extracted and its files drawn (and kept in ``cache`` under ``key``), or
    the error that stopped it."""
    try:
        if entry.curves:
            curves, notes = read_hand_curves(entry.curves, entry.folder)
            at_risk = read_table(entry.at_risk, AT_RISK) if entry.at_risk else None
            options = {k: v for k, v in entry.options.items() if k in ("n_total", "total_events")}
            with input_source(entry.folder / MANIFEST):
                extraction = extract_curves(curves, at_risk=at_risk, notes=notes, **options)
        else:
            at_risk = read_table(entry.at_risk, AT_RISK) if entry.at_risk else None
            with input_source(entry.figure):
                extraction = extract(entry.figure, at_risk=at_risk, **entry.options)
    except InputError as error:
        return error
    extraction.files()  # drawn here, in the worker process, and cached with the extraction
    if key is not None:
        cache.put(key, extraction)
    return extraction


def _extract_all(entries: list[FigureEntry], jobs: int, cache: ExtractionCache | None,
                 show_progress: bool, dask: str | None = None) -> list[Extraction | InputError]:
    """Every entry's extraction, in manifest order: from ``cache`` when it holds it, else by
    :func:`_extract_entry` here, in ``jobs`` processes, or on the Dask cluster at address ``dask``."""
    keys = [_cache_key(entry, cache) for entry in entries]
    found = {}
    for index, key in enumerate(keys):
        stored = cache.get(key) if key is not None else None
        if stored is not None:
            found[index] = stored
    missing = [index for index in range(len(entries)) if index not in found]
    if show_progress and found:
        print(f"{len(found)} of {len(entries)} figures taken from the cache", file=sys.stderr, flush=True)
    serial = dask is None and (jobs <= 1 or len(missing) <= 1)
    with nullcontext() if serial or not missing else _executor(jobs, dask) as pool:
        if serial:
            done = ((index, _extract_entry(entries[index], cache, keys[index])) for index in missing)
        else:
            futures = {pool.submit(_extract_entry, entries[index], cache, keys[index]): index for index in missing}
            done = ((futures[future], future.result()) for future in as_completed(futures))
        if show_progress:
            done = progress(done, "extracting figures", total=len(missing), name=lambda pair: entries[pair[0]].name)
        found.update(done)
    return [found[index] for index in range(len(entries))]


@contextmanager
def _executor(jobs: int, dask: str | None) -> Iterator[Executor]:
    """A ``concurrent.futures`` executor: ``jobs`` local processes, or the workers of the Dask
    cluster at ``dask`` (``distributed``'s ``ClientExecutor``; the optional extra ``kmipd[dask]``)."""
    if dask is None:
        # Worker processes start fresh ("spawn"): forking a process that holds OCR threads is unsafe.
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool
        return
    try:
        from distributed import Client
    except ImportError:
        raise InputError("--dask needs the distributed package: pip install 'kmipd[dask]'") from None
    try:
        client = Client(dask, timeout=10)
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(f"--dask {dask}: cannot reach the Dask scheduler ({error})") from None
    with client:
        yield client.get_executor()


def _pooled_time_unit(entries: list[FigureEntry], wanted: str | None, manifest: Path) -> str:
    """The unit the studies are pooled in ("" when no figure gives one and none is asked for).

    Figures that give their unit are converted to ``wanted`` (months by
    default); a manifest that gives the unit of some figures only is refused,
    since the others' times could not be brought to it.
    """
    without = [entry.name for entry in entries if entry.time_unit is None]
    if len(without) == len(entries):
        return wanted or ""
    if without:
        raise InputError(f"time_unit is given for some figures but not for {', '.join(without)}; "
                         "give it for every figure (days, weeks, months or years)", source=manifest)
    return wanted or "months"


def _positive_number(value) -> bool:
    """Whether a JSON value is a finite positive number (true and false are not numbers)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf")


@dataclass
class RunResult:
    """The whole job over a folder of figures.

    Attributes
    ----------
    extractions : dict
        Figure output name (``study_outcome``) -> :class:`Extraction`.
    ipd : pandas.DataFrame
        ``study, arm, time, event, outcome``: the pooled input of ``meta``.
    summary : pandas.DataFrame
        One row per study, outcome and arm: N, events, censored, fit to the
        digitized curve, digitization warnings.
    meta : MetaResult
        Per-study and pooled results.
    input_files : list of Path
        The manifest, the settings and every figure and table it names.
    sources : dict
        Figure output name -> the figure file it was read from.
    published : pandas.DataFrame
        Published vs reconstructed values (see :func:`kmipd.published.compare`),
        with ``study`` and ``outcome``; empty when the manifest gives none.
    failures : dict
        Figure output name -> why that figure could not be read: it is not
        in the IPD nor in any pooled result (said first among the warnings).
    """

    extractions: dict
    ipd: pd.DataFrame
    summary: pd.DataFrame
    meta: MetaResult
    input_files: list
    sources: dict = field(default_factory=dict)
    published: pd.DataFrame = field(default_factory=pd.DataFrame)
    failures: dict = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        """Every warning of the job: the figures left out, each figure's, the pooling's notes, the
        published values missed."""
        said = [f"{name}: left out of every result, the figure could not be read: {message}"
                for name, message in self.failures.items()]
        said += [f"{name}: {warning}" for name, extraction in self.extractions.items()
                 for warning in extraction.warnings]
        said += [f"pooling: {note}" for note in self.meta.notes]
        pooled = self.meta.pooled
        for row in pooled[pooled["default"].eq(True) & pooled["note"].str.contains("left out", na=False)].itertuples():
            at = f" at {row.milestone:g}" if row.measure == "survival_difference" else ""
            said.append(f"pooling {row.outcome} {row.measure.replace('_', ' ')}{at}: {row.note}")
        for row in self.published.itertuples() if len(self.published) else ():
            if not row.agrees:
                said.append(f"{row.study} {row.outcome}: reconstructed {row.quantity} of {row.arm} is "
                            f"{row.reconstructed:.4g}, the paper prints {row.published:.4g}; check the figure's overlay")
        return said

    def to_folder(self, folder: str | Path) -> None:
        """Write ``figures/<study_outcome>/...``, ``ipd.csv``, ``summary.csv``, ``meta/...`` and
        ``report.html`` (see :mod:`kmipd.report`)."""
        from kmipd.report import render_report

        folder = Path(folder)
        for name, extraction in self.extractions.items():
            extraction.to_folder(folder / "figures" / name)
        self.ipd.to_csv(folder / "ipd.csv", index=False, float_format="%.6g")
        self.summary.to_csv(folder / "summary.csv", index=False, float_format="%.6g")
        self.meta.to_folder(folder / "meta")
        if len(self.published):
            self.published.to_csv(folder / "published_check.csv", index=False, float_format="%.6g")
        (folder / "report.html").write_text(render_report(self, folder), encoding="utf-8")


def printed_break_steps(entries: list, extractions: dict, time_unit: str) -> dict:
    """Per outcome, the most common time between the columns of the studies' at-risk tables (in
    ``time_unit``; the shorter of equally common ones), for the pooled KM to print its table alike."""
    steps: dict = {}
    for entry in entries:
        extraction = extractions.get(entry.name)
        if extraction is None or extraction.at_risk.empty:
            continue
        times = np.unique(extraction.at_risk["time"].to_numpy(dtype=float))
        if len(times) > 1:
            factor = conversion_factor(entry.time_unit, time_unit) if entry.time_unit else 1.0
            step = float(pd.Series(np.round(np.diff(times), 9)).mode().min()) * factor
            steps.setdefault(entry.outcome, []).append(round(step, 9))
    return {outcome: float(pd.Series(found).mode().min()) for outcome, found in steps.items()}


def run(folder: str | Path, *, treatment: str | None = None, control: str | None = None,
        milestones=None, tau: float | dict | None = None, model: str | None = None, ci_method: str | None = None,
        show_progress: bool = True, jobs: int = 1, cache: ExtractionCache | None = None,
        dask: str | None = None) -> RunResult:
    """Extract every figure listed in ``folder/studies.csv`` and pool the studies.

    Parameters
    ----------
    folder : str or Path
        A folder with the figures, ``studies.csv`` and optionally ``analysis.json``.
    treatment, control : str, optional
        The groups compared; by default from ``analysis.json``.
    milestones : sequence of float, optional
        Times for milestone survival; by default from ``analysis.json``.
    tau : float or dict of str -> float, optional
        RMST truncation time, or one per outcome; by default from ``analysis.json``,
        else meta's default.
    model, ci_method : str, optional
        The pooling reported (see :func:`meta.analyse`); by default from
        ``analysis.json`` (``model``, ``ci``), else REML + HKSJ, ad hoc.
    show_progress : bool
        Print a progress line per figure on standard error.
    jobs : int
        How many figures to extract at once, each in its own process.
    cache : ExtractionCache, optional
        Where extractions are kept between runs (none by default).
    dask : str, optional
        Address of a Dask scheduler (``tcp://host:8786``): the figures are
        extracted by its workers (which must run kmipd and see the figures and
        the cache at the same paths) instead of ``jobs`` local processes.

    Returns
    -------
    RunResult
    """
    settings = read_analysis(folder)
    entries = read_manifest(folder)
    treatment = treatment or settings.get("treatment")
    control = control or settings.get("control")
    if not treatment or not control:
        raise InputError(f"say which groups to compare: --treatment and --control, or {ANALYSIS}", source=folder)
    milestones = settings.get("milestones", []) if milestones is None else milestones
    tau = settings.get("tau") if tau is None else tau
    model = model or settings.get("model", DEFAULT_MODEL)
    ci_method = ci_method or settings.get("ci", DEFAULT_CI)
    check_method(model, ci_method)  # before any figure is read
    time_unit = _pooled_time_unit(entries, settings.get("time_unit"), Path(folder) / MANIFEST)

    extractions, ipd_parts, summary_parts, failures = {}, [], [], {}
    # Every figure is tried, so that one run names every figure to mend and pools the others.
    for entry, extraction in zip(entries, _extract_all(entries, jobs, cache, show_progress, dask)):
        if isinstance(extraction, InputError):
            failures[entry.name] = str(extraction)
            continue
        extractions[entry.name] = extraction
        factor = conversion_factor(entry.time_unit, time_unit) if entry.time_unit else 1.0
        ipd_parts.append(extraction.ipd.assign(study=entry.study, outcome=entry.outcome,
                                               time=extraction.ipd["time"] * factor))
        summary_parts.append(extraction.reconstruction.summary.assign(
            study=entry.study, outcome=entry.outcome, time_unit=entry.time_unit or time_unit,
            warnings=" | ".join(extraction.warnings)))
    if not extractions:
        count = f"none of the {len(entries)} figures" if len(entries) > 1 else "the figure"
        raise InputError(f"{count} could be read, so nothing was pooled: " + "; ".join(failures.values()))
    ipd = pd.concat(ipd_parts, ignore_index=True)[["study", "arm", "time", "event", "outcome"]]
    summary = pd.concat(summary_parts, ignore_index=True)
    summary = summary[["study", "outcome"] + [c for c in summary.columns if c not in ("study", "outcome")]]
    with input_source(Path(folder) / MANIFEST):
        pooled = replace(analyse(ipd, treatment=treatment, control=control, tau=tau,
                                 milestones=milestones, time_unit=time_unit, model=model, ci_method=ci_method),
                         reconstructed=True, break_steps=printed_break_steps(entries, extractions, time_unit))
    folder = Path(folder)
    named = [path for entry in entries for path in (entry.figure, entry.at_risk) if path is not None]
    named += [entry.folder / part.rpartition("=")[2].strip() for entry in entries if entry.curves
              for part in entry.curves.split(",") if part.strip()]
    checks = []
    for entry in entries:
        row = pooled.per_study[(pooled.per_study["study"] == entry.study)
                               & (pooled.per_study["outcome"] == entry.outcome)]
        if entry.published and len(row):
            checks.append(compare(row.iloc[0], treatment, control, entry.published)
                          .assign(study=entry.study, outcome=entry.outcome))
    published = pd.concat(checks, ignore_index=True) if checks else pd.DataFrame()
    if len(published):
        published = published[["study", "outcome", *[c for c in published.columns if c not in ("study", "outcome")]]]
    return RunResult(extractions, ipd, summary, pooled, [folder / MANIFEST, folder / ANALYSIS, *named],
                     {entry.name: entry.figure for entry in entries}, published, failures)
