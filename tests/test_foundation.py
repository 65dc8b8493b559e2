"""The shared plumbing: contract CSV reading, staged outputs, one-line CLI errors."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmipd.cli import main
from kmipd.errors import InputError, input_source
from kmipd.outputs import StagedOutputs
from kmipd.tables import AT_RISK, CURVES, IPD, read_table


def write(path, text):
    path.write_text(text)
    return path


def test_read_table_converts_kinds_and_keeps_contract_order(tmp_path):
    path = write(tmp_path / "c.csv", "survival,time,arm,extra\n1,0,A,x\n0.5, 2.5 ,A,y\n")
    table = read_table(path, CURVES)
    assert list(table.columns) == ["arm", "time", "survival"]
    assert table["time"].tolist() == [0.0, 2.5]
    assert table["arm"].tolist() == ["A", "A"]


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("arm,time\nA,1\n", "missing column(s) survival"),
        ("arm,time,survival\n", "no rows"),
        ("arm,time,survival\nA,1,0.5\nA,two,0.4\n", "line 3: column 'time' must be a finite number, got 'two'"),
        ("arm,time,survival\n,1,0.5\n", "line 2: empty value in column 'arm'"),
        ("arm,time,survival\nA,inf,0.5\n", "line 2"),
        ("", "not a readable CSV"),
    ],
)
def test_read_table_names_file_and_problem(tmp_path, text, fragment):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(InputError) as caught:
        read_table(path, CURVES)
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_read_table_rejects_fractional_integers(tmp_path):
    path = write(tmp_path / "ipd.csv", "arm,time,event\nA,1,0.5\n")
    with pytest.raises(InputError, match="whole number"):
        read_table(path, IPD)


def test_input_source_names_file_only_when_missing():
    with pytest.raises(InputError) as caught:
        with input_source("a.csv"):
            raise InputError("bad")
    assert str(caught.value) == "a.csv: bad"
    with pytest.raises(InputError) as caught:
        with input_source("a.csv"):
            raise InputError("bad", source="b.csv")
    assert str(caught.value) == "b.csv: bad"


def test_staged_outputs_all_or_nothing(tmp_path):
    keep = write(tmp_path / "old.csv", "precious\n")
    with pytest.raises(RuntimeError):
        with StagedOutputs() as outputs:
            outputs.path(tmp_path / "new" / "a.csv").write_text("a")
            outputs.path(keep).write_text("overwritten")
            raise RuntimeError("failure after writing")
    assert keep.read_text() == "precious\n"
    assert not (tmp_path / "new").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["old.csv"]

    with StagedOutputs() as outputs:
        outputs.path(tmp_path / "new" / "a.csv").write_text("a")
        outputs.path(keep).write_text("replaced")
    assert (tmp_path / "new" / "a.csv").read_text() == "a"
    assert keep.read_text() == "replaced"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new", "old.csv"]


def test_staged_outputs_refuses_to_overwrite_inputs(tmp_path):
    source = write(tmp_path / "curves.csv", "arm,time,survival\n")
    with pytest.raises(InputError, match="overwrite an input"):
        with StagedOutputs(protected=[source]) as outputs:
            outputs.path(tmp_path / "." / "curves.csv")
    assert source.read_text() == "arm,time,survival\n"


def test_cli_usage_error_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kmipd: error:") and err.count("\n") == 1


def test_staged_folder_lands_files_together_and_protects_inputs(tmp_path):
    out = tmp_path / "out"
    with StagedOutputs() as outputs:
        staged = outputs.folder(out)
        (staged / "curves.csv").write_text("c")
        (staged / "sub").mkdir()
        (staged / "sub" / "plot.png").write_bytes(b"p")
    assert (out / "curves.csv").read_text() == "c"
    assert (out / "sub" / "plot.png").read_bytes() == b"p"

    source = write(out / "curves.csv", "input")
    with pytest.raises(InputError, match="overwrite an input"):
        with StagedOutputs(protected=[source]) as outputs:
            (outputs.folder(out) / "curves.csv").write_text("clobber")
    assert source.read_text() == "input"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kmipd-")]


def test_option_parsers_accept_and_refuse_the_same_text_everywhere():
    import argparse

    from kmipd.options import argparse_type, parse_counts, parse_numbers, parse_range

    assert parse_counts("TKI=21, TKI+ICI=49") == {"TKI": 21, "TKI+ICI": 49}
    assert parse_numbers("6,12,24") == [6.0, 12.0, 24.0]
    assert parse_range("0,60") == (0.0, 60.0)
    for parse, text, fragment in [(parse_counts, "TKI=21,TKI=22", "given twice"),
                                  (parse_counts, "TKI=2.5", "expected ARM=N"),
                                  (parse_range, "5,5", "two numbers A,B with A < B"),
                                  (parse_range, "12,0", "two numbers A,B with A < B"),
                                  (parse_range, "0,inf", "two numbers A,B with A < B"),
                                  (parse_numbers, "6,nan", "not numbers separated by commas"),
                                  (parse_range, "0,x", "two numbers A,B"),
                                  (parse_numbers, "6,x", "not numbers separated by commas")]:
        with pytest.raises(InputError, match=fragment):
            parse(text)
        with pytest.raises(argparse.ArgumentTypeError, match=fragment):
            argparse_type(parse)(text)


def test_read_table_strict_header_and_blank_cells(tmp_path):
    path = write(tmp_path / "m.csv", "figure,study,n\na.png,S1,\nb.png,S2,A=3\n")
    table = read_table(path, {"figure": "text", "study": "text"}, optional={"n": "text or blank"}, strict=True)
    assert table["n"].tolist() == ["", "A=3"]
    with pytest.raises(InputError, match="unknown column\\(s\\) n; columns are figure,study"):
        read_table(path, {"figure": "text", "study": "text"}, strict=True)
    assert list(read_table(path, {"figure": "text", "study": "text"}).columns) == ["figure", "study"]


def test_staged_folder_replaces_the_old_results_whole(tmp_path):
    out = tmp_path / "out"
    with StagedOutputs() as outputs:
        staged = outputs.folder(out)
        (staged / "at_risk.csv").write_text("old table")
        (staged / "curves.csv").write_text("old curves")
    with StagedOutputs() as outputs:
        (outputs.folder(out) / "curves.csv").write_text("new curves")
    # No file of the earlier run stays beside the new ones (a stale at_risk.csv misleads).
    assert sorted(p.name for p in out.iterdir()) == [".kmipd-output", "curves.csv"]
    assert (out / "curves.csv").read_text() == "new curves"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kmipd-")]


def test_staged_folder_never_replaces_files_kmipd_did_not_write(tmp_path):
    (tmp_path / "papers").mkdir()
    mine = write(tmp_path / "papers" / "notes.txt", "my notes")
    with pytest.raises(InputError, match="kmipd did not write"):
        with StagedOutputs() as outputs:
            (outputs.folder(mine.parent) / "curves.csv").write_text("c")
    assert sorted(p.name for p in mine.parent.iterdir()) == ["notes.txt"]


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    # A process that staged an output and was killed before it committed leaves its staging folder.
    child = subprocess.run([sys.executable, "-c", (
        "import os, sys; from kmipd.outputs import StagedOutputs\n"
        "o = StagedOutputs(); (o.folder(sys.argv[1]) / 'a.csv').write_text('x'); os._exit(9)"),
        str(tmp_path / "out")], cwd=Path(__file__).parents[1])
    assert child.returncode == 9
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".kmipd-")]
    with StagedOutputs() as outputs:
        (outputs.folder(tmp_path / "out") / "b.csv").write_text("y")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_one_file_given_for_two_outputs_is_refused(tmp_path):
    with pytest.raises(InputError, match="two outputs"):
        with StagedOutputs() as outputs:
            outputs.path(tmp_path / "x.csv").write_text("ipd")
            outputs.path(tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_ctrl_c_wrapped_by_a_library_is_still_an_interrupt(monkeypatch, capsys):
    from kmipd.commands import digitize as digitize_command

    def wrapped_interrupt(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise RuntimeError("config loader failed") from interrupt

    monkeypatch.setattr(digitize_command, "run", wrapped_interrupt)
    assert main(["digitize", "f.png", "--out", "o"]) == 130
    assert capsys.readouterr().err == "kmipd: interrupted; no output written\n"


@pytest.mark.parametrize("moment", ["before", "after"])
def test_a_run_killed_at_the_final_swap_leaves_the_old_or_the_new_results_whole(tmp_path, moment):
    """``kmipd meta`` killed (SIGKILL-like ``os._exit``) just before or just after its output folder is swapped."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).parents[1]
    ipd = tmp_path / "ipd.csv"
    ipd.write_text("study,arm,time,event\n" + "".join(
        f"S{study},{arm},{time},{event}\n" for study in (1, 2, 3) for arm in ("T", "C")
        for time, event in ((1, 1), (2, 0), (3, 1), (5, 1), (7, 0), (9 + study, 1))))
    out = tmp_path / "out"
    command = ["-m", "kmipd", "meta", str(ipd), "--treatment", "T", "--control", "C", "--out", str(out)]
    subprocess.run([sys.executable, *command], cwd=root, check=True, capture_output=True)
    old = {path.name: path.read_bytes() for path in out.iterdir()}
    ipd.write_text(ipd.read_text().replace("S3,T,12,1", "S3,T,30,1"))  # the new run's results differ
    dying = (
        "import os, sys, runpy\nimport kmipd.outputs as outputs\nreal = outputs._exchange\n"
        "def exchange(a, b):\n"
        f"    if {moment == 'before'}: os._exit(9)\n"
        "    real(a, b); os._exit(9)\n"
        "outputs._exchange = exchange\nsys.argv = ['kmipd', *sys.argv[1:]]\n"
        "runpy.run_module('kmipd', run_name='__main__')\n")
    killed = subprocess.run([sys.executable, "-c", dying, *command[2:]], cwd=root, capture_output=True)
    assert killed.returncode == 9
    now = {path.name: path.read_bytes() for path in out.iterdir()}
    assert set(now) == set(old)
    if moment == "before":
        assert now == old
    else:
        assert now["per_study.csv"] != old["per_study.csv"]
    # the next run clears what the killed one left beside the output
    subprocess.run([sys.executable, *command], cwd=root, check=True, capture_output=True)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ipd.csv", "out"]


_CELLS = st.one_of(st.sampled_from(["A", "B", "0", "1", "2.5", "-1", "1e3", "nan", "", " ", "x", '"q"', "1,5"]),
                   st.text(alphabet="aZ0,.;-\"' \t\u00e9", max_size=6))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(st.sampled_from(["arm", "time", "survival", "n_risk", "Arm", "extra", ""]), min_size=0,
                       max_size=5),
       rows=st.lists(st.lists(_CELLS, min_size=0, max_size=5), max_size=6),
       contract=st.sampled_from(["curves", "at_risk"]), bom=st.booleans())
def test_contract_csv_reader_accepts_or_refuses_any_text_with_an_input_error(tmp_path, header, rows, contract, bom):
    """Random CSV text: either a table of the contract's columns and kinds, or an InputError naming the file."""
    columns = {"curves": CURVES, "at_risk": AT_RISK}[contract]
    path = tmp_path / "table.csv"
    path.write_text(("\ufeff" if bom else "") + "\n".join(",".join(row) for row in [header, *rows]) + "\n",
                    encoding="utf-8")
    try:
        table = read_table(path, columns)
    except InputError as error:
        assert str(path) in str(error) and "\n" not in str(error)
        return
    assert list(table.columns) == list(columns)
    for name, kind in columns.items():
        if kind == "number":
            assert table[name].map(lambda value: isinstance(value, float) and np.isfinite(value)).all()
        elif kind == "integer":
            assert pd.api.types.is_integer_dtype(table[name])
