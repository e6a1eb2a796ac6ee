"""The processor's supervisor: restarts a crashed worker, and takes it down when killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from csms.restart import supervise

CRASH_ONCE = """
import pathlib, sys
marker = pathlib.Path(sys.argv[1])
runs = int(marker.read_text()) if marker.exists() else 0
marker.write_text(str(runs + 1))
sys.exit(1 if runs == 0 else 0)
"""


def test_a_crashed_worker_is_restarted_until_it_exits_cleanly(tmp_path: Path) -> None:
    marker = tmp_path / "runs"
    code = supervise([sys.executable, "-c", CRASH_ONCE, str(marker)], "test worker")
    assert code == 0
    assert marker.read_text() == "2"


SUPERVISOR = """
import sys
from csms.restart import supervise
worker = "import os, time; print(os.getpid(), flush=True); time.sleep(60)"
supervise([sys.executable, "-c", worker], "w")
"""


def test_killing_the_supervisor_kills_the_worker() -> None:
    parent = subprocess.Popen([sys.executable, "-c", SUPERVISOR], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    assert parent.stdout is not None
    worker_pid = int(parent.stdout.readline())
    os.kill(worker_pid, 0)  # alive
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError("the worker outlived its supervisor")
