"""Keep a worker process running: restart it when it crashes, stop it when told to.

The Faust worker stops itself on a fatal error such as ``ProducerFenced`` (its transactional
producer was fenced after a rebalance or a transaction timeout). As in Kafka Streams, the
remedy is to rejoin with fresh producers: a new worker process recovers its tables from
their changelogs and resumes at the committed offsets, so nothing is lost or doubled.
The worker dies with its supervisor (``PR_SET_PDEATHSIG``), so killing the supervisor
kills the worker too.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import time
from collections.abc import Sequence

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
RESTART_DELAY_S = 1.0


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def supervise(command: Sequence[str], name: str) -> int:
    """Run ``command`` until it exits cleanly or we are signalled; restart it otherwise."""
    stopping = False
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _: object) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while True:
        child = subprocess.Popen(list(command), preexec_fn=_die_with_parent)
        code = child.wait()
        if stopping or code == 0:
            return code
        log.error("%s exited with code %s; restarting in %.0f s", name, code, RESTART_DELAY_S)
        time.sleep(RESTART_DELAY_S)
