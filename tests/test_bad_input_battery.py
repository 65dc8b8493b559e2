"""A battery of bad inputs over every command: one line naming the culprit, exit 2, nothing written.

Each case builds its own small inputs in a temporary folder (a real figure of ``figures_in/``
where one is needed), runs the command in-process and checks what a user would see: exit status
2, exactly one ``kmipd: error:`` line on stderr that names the file, row, field or option at
fault, no traceback, and no output (the output folder or file is not created, and a result
already there is left byte for byte as it was).
"""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

import pytest

from kmipd.cli import main

FIGURES_IN = Path(__file__).parent.parent / "figures_in"
FIGURE = FIGURES_IN / "yin_2025_pfs.png"
CURVES = "arm,time,survival\nA,0,1\nA,2,0.8\nA,5,0.5\nB,0,1\nB,3,0.7\nB,6,0.4\n"
AT_RISK = "arm,time,n_risk\nA,0,40\nA,4,20\nB,0,40\nB,4,25\n"
IPD = "study,arm,time,event\n" + "".join(
    f"S{study},{arm},{time},{event}\n" for study in (1, 2) for arm in ("T", "C")
    for time, event in ((1, 1), (2, 0), (3, 1), (5, 1), (7, 0), (9, 1)))


def _png_header(width: int, height: int) -> bytes:
    """A PNG signature and IHDR chunk claiming the given size, with no image data after it."""
    body = b"IHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + len(body[4:]).to_bytes(4, "big") + body
            + zlib.crc32(body).to_bytes(4, "big"))


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _job(folder: Path, studies: str, analysis: dict | str | None = None) -> Path:
    """A run folder holding the figure of figures_in, ``studies.csv`` and ``analysis.json`` (dict or text)."""
    job = folder / "job"
    job.mkdir()
    shutil.copy(FIGURE, job / FIGURE.name)
    _write(job, "studies.csv", studies)
    if analysis is not None:
        _write(job, "analysis.json", analysis if isinstance(analysis, str) else json.dumps(analysis))
    return job


GOOD_STUDY = f"figure,study,outcome,arms\n{FIGURE.name},Yin,PFS,\"TKI+ICI=#F8766D,TKI=#00BFC4\"\n"
GOOD_ANALYSIS = {"treatment": "TKI+ICI", "control": "TKI"}


# Each case: (id, builder(tmp) -> (argv without --out, the text the error must name)).
CASES = {
    # digitize / extract: the figure itself
    "digitize: missing figure": lambda t: (["digitize", str(t / "nope.png")], "nope.png"),
    "digitize: folder as figure": lambda t: (["digitize", str(t)], str(t)),
    "digitize: text file named .png": lambda t: (["digitize", str(_write(t, "fake.png", "hello\n"))], "fake.png"),
    "digitize: empty file": lambda t: (["digitize", str(_write(t, "empty.png", b""))], "empty.png"),
    "digitize: truncated PNG": lambda t: (
        ["digitize", str(_write(t, "cut.png", FIGURE.read_bytes()[:2000]))], "cut.png"),
    "digitize: decompression bomb": lambda t: (
        ["digitize", str(_write(t, "bomb.png", _png_header(60000, 60000)))], "bomb.png"),
    "digitize: /dev/zero": lambda t: (["digitize", "/dev/zero"], "/dev/zero"),
    # digitize / extract: options checked against each other and the figure
    "digitize: reversed x range": lambda t: (["digitize", str(FIGURE), "--x-range", "12,0"], "--x-range"),
    "digitize: x range not numbers": lambda t: (["digitize", str(FIGURE), "--x-range", "0,x"], "--x-range"),
    "digitize: unknown colour": lambda t: (["digitize", str(FIGURE), "--arms", "A=notacolour"], "notacolour"),
    "digitize: two arms one colour": lambda t: (
        ["digitize", str(FIGURE), "--arms", "A=#F8766D,B=#F8766D"], "#f8766d"),
    "digitize: colour not in the figure": lambda t: (
        ["digitize", str(FIGURE), "--arms", "A=#F8766D,B=#FFFF00"], "#ffff00"),
    "digitize: page of a PNG": lambda t: (["digitize", str(FIGURE), "--page", "2"], "--page"),
    "extract: negative n": lambda t: (["extract", str(FIGURE), "--n", "A=-5"], "--n"),
    "extract: at-risk file missing": lambda t: (
        ["extract", str(FIGURE), "--at-risk", str(t / "none.csv")], "none.csv"),
    # reconstruct: the curves and at-risk CSVs
    "reconstruct: curves file missing": lambda t: (["reconstruct", str(t / "curves.csv")], "curves.csv"),
    "reconstruct: curves without survival": lambda t: (
        ["reconstruct", str(_write(t, "curves.csv", "arm,time\nA,0\nA,1\n"))], "curves.csv"),
    "reconstruct: survival below 0": lambda t: (
        ["reconstruct", str(_write(t, "curves.csv", CURVES.replace("0.5", "-0.1")))], "curves.csv"),
    "reconstruct: empty curves": lambda t: (["reconstruct", str(_write(t, "curves.csv", ""))], "curves.csv"),
    "reconstruct: at-risk count not a number": lambda t: (
        ["reconstruct", str(_write(t, "curves.csv", CURVES)),
         "--at-risk", str(_write(t, "risk.csv", AT_RISK.replace("A,4,20", "A,4,many")))], "risk.csv"),
    "reconstruct: at-risk counts rising": lambda t: (
        ["reconstruct", str(_write(t, "curves.csv", CURVES)),
         "--at-risk", str(_write(t, "risk.csv", AT_RISK.replace("A,4,20", "A,4,90")))], "risk.csv"),
    "reconstruct: at-risk arm unknown": lambda t: (
        ["reconstruct", str(_write(t, "curves.csv", CURVES)),
         "--at-risk", str(_write(t, "risk.csv", AT_RISK.replace("B,", "Z,")))], "Z"),
    "reconstruct: censor-marks file malformed": lambda t: (
        ["reconstruct", str(_write(t, "curves.csv", CURVES)), "--n", "A=40,B=40",
         "--censor-marks", str(_write(t, "marks.csv", "arm;time\nA;1\n"))], "marks.csv"),
    "reconstruct: n for an arm without a curve": lambda t: (
        ["reconstruct", str(_write(t, "curves.csv", CURVES)), "--n", "A=40,C=40"], "C"),
    # meta: the IPD CSV and options
    "meta: IPD without event": lambda t: (
        ["meta", str(_write(t, "ipd.csv", "study,arm,time\nS1,T,1\n")), "--treatment", "T", "--control", "C"],
        "ipd.csv"),
    "meta: event not 0/1": lambda t: (
        ["meta", str(_write(t, "ipd.csv", IPD.replace(",9,1", ",9,2"))), "--treatment", "T", "--control", "C"],
        "ipd.csv"),
    "meta: negative time": lambda t: (
        ["meta", str(_write(t, "ipd.csv", IPD.replace(",3,1", ",-3,1"))), "--treatment", "T", "--control", "C"],
        "ipd.csv"),
    "meta: semicolon CSV": lambda t: (
        ["meta", str(_write(t, "ipd.csv", IPD.replace(",", ";"))), "--treatment", "T", "--control", "C"],
        "ipd.csv"),
    "meta: negative tau": lambda t: (
        ["meta", str(_write(t, "ipd.csv", IPD)), "--treatment", "T", "--control", "C", "--tau", "-1"], "--tau"),
    "meta: milestone nan": lambda t: (
        ["meta", str(_write(t, "ipd.csv", IPD)), "--treatment", "T", "--control", "C", "--milestones", "nan"],
        "--milestones"),
    "meta: treatment arm absent": lambda t: (
        ["meta", str(_write(t, "ipd.csv", IPD)), "--treatment", "X", "--control", "C"], "X"),
    "meta: unknown time unit": lambda t: (
        ["meta", str(_write(t, "ipd.csv", IPD)), "--treatment", "T", "--control", "C", "--time-unit", "fortnights"],
        "fortnights"),
    "meta: unknown pooling model": lambda t: (
        ["meta", str(_write(t, "ipd.csv", IPD)), "--treatment", "T", "--control", "C", "--model", "Bayes"], "--model"),
    # run: the manifest and analysis.json, refused before any figure is digitized
    "run: unknown CI method": lambda t: (["run", str(_job(t, GOOD_STUDY, GOOD_ANALYSIS)), "--ci", "bootstrap"], "--ci"),
    "run: no studies.csv": lambda t: (["run", str(t)], "studies.csv"),
    "run: unknown column": lambda t: (["run", str(_job(t, GOOD_STUDY.replace("arms", "armz"), GOOD_ANALYSIS))],
                                      "armz"),
    "run: figure missing": lambda t: (
        ["run", str(_job(t, GOOD_STUDY.replace(FIGURE.name, "gone.png"), GOOD_ANALYSIS))], "gone.png"),
    "run: blank study": lambda t: (["run", str(_job(t, GOOD_STUDY.replace(",Yin,", ",,"), GOOD_ANALYSIS))],
                                   "study"),
    "run: unknown time unit": lambda t: (
        ["run", str(_job(t, GOOD_STUDY.replace("arms\n", "arms,time_unit\n").replace("\"\n", "\",aeons\n"),
                         GOOD_ANALYSIS))], "aeons"),
    "run: milestones not numbers": lambda t: (
        ["run", str(_job(t, GOOD_STUDY, {**GOOD_ANALYSIS, "milestones": "six"}))], "milestones"),
    "run: nested milestones": lambda t: (
        ["run", str(_job(t, GOOD_STUDY, {**GOOD_ANALYSIS, "milestones": [[6]]}))], "milestones"),
    "run: tau not a number": lambda t: (["run", str(_job(t, GOOD_STUDY, {**GOOD_ANALYSIS, "tau": "long"}))], "tau"),
    "run: negative tau per outcome": lambda t: (
        ["run", str(_job(t, GOOD_STUDY, {**GOOD_ANALYSIS, "tau": {"PFS": -2}}))], "tau"),
    "run: unknown analysis key": lambda t: (
        ["run", str(_job(t, GOOD_STUDY, {**GOOD_ANALYSIS, "tua": 12}))], "tua"),
    "run: analysis.json not JSON": lambda t: (["run", str(_job(t, GOOD_STUDY, "{treatment: TKI"))],
                                              "analysis.json"),
    "run: jobs zero": lambda t: (["run", str(_job(t, GOOD_STUDY, GOOD_ANALYSIS)), "--jobs", "0"], "--jobs"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_naming_the_culprit_with_nothing_written(case, tmp_path, capsys):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    argv, culprit = CASES[case](inputs)
    fresh, kept = tmp_path / "fresh", tmp_path / "kept"
    assert main([*argv, "--out", str(fresh)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("kmipd: error: ") and error.count("\n") == 1, error
    assert "Traceback" not in error
    assert culprit in error, error
    assert not fresh.exists()
    # a result already in place stays as it was
    kept.mkdir()
    (kept / "earlier.csv").write_text("an earlier result\n")
    assert main([*argv, "--out", str(kept)]) == 2
    capsys.readouterr()
    assert [path.name for path in kept.iterdir()] == ["earlier.csv"]
    assert (kept / "earlier.csv").read_text() == "an earlier result\n"


def test_the_battery_covers_every_command():
    from kmipd.cli import COMMANDS
    assert {case.split(":")[0] for case in CASES} == set(COMMANDS)
