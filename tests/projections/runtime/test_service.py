"""The build's progress line (what a build shows when its output is not a terminal)."""

from __future__ import annotations

import io

from projections.runtime.service import Progress


def test_the_progress_line_shows_records_done_rate_and_eta() -> None:
    assert Progress.line(250, 1000, 5.0) == "replayed 250/1000 records (25%), 50/s, ETA 15 s"
    assert Progress.line(0, 1000, 0.0) == "replayed 0/1000 records (0%), 0/s, ETA ?"
    assert Progress.line(0, 0, 1.0).startswith("replayed 0/0 records (100%)")


def test_off_a_terminal_progress_is_a_line_every_few_seconds_and_at_the_end() -> None:
    out = io.StringIO()
    progress = Progress(out)
    progress.update(10, 100)
    progress.update(20, 100)  # within the interval: nothing
    progress.update(100, 100)  # the end: always shown
    lines = out.getvalue().splitlines()
    assert [line.split(" records")[0] for line in lines] == ["replayed 10/100",
                                                              "replayed 100/100"]  # fmt: skip
