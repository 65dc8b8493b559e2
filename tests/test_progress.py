"""Progress reports of long jobs: one line a finished item in a log, a bar with the time left on a terminal."""

import io

from kmipd.progress import clock, progress, progress_line


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_log_gets_one_line_per_finished_item_with_its_name():
    log = io.StringIO()
    done = []
    for item in progress(["rossi", "gbsg2", "larynx"], "extracting figures", stream=log, name=str.upper):
        assert log.getvalue().count("\n") == len(done)  # an item's line comes once it is done
        done.append(item)
    lines = log.getvalue().splitlines()
    assert done == ["rossi", "gbsg2", "larynx"] and len(lines) == 3
    assert lines[0].startswith("extracting figures: 1/3 ") and lines[0].endswith("left ROSSI")
    assert lines[-1].startswith("extracting figures: 3/3 ") and "left" not in lines[-1]


def test_a_terminal_gets_one_redrawn_line_with_a_bar():
    screen = Terminal()
    list(progress(iter(range(4)), "digitizing", total=4, stream=screen))
    assert screen.getvalue().count("\r") == 4 and screen.getvalue().endswith("\n")
    assert "[" + "#" * 24 + "] 4/4" in screen.getvalue()


def test_the_time_left_is_extrapolated_from_the_time_taken():
    assert progress_line("run", 1, 4, 30.0, bar=True) == "run: [######------------------] 1/4 0:30, ~1:30 left"
    assert progress_line("run", 2, None, 5.0, bar=False) == "run: 2 0:05"
    assert clock(3725) == "1:02:05" and clock(59.6) == "1:00"
