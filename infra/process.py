"""Start, find and stop the detached local service processes (pid files under the state dir)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from infra import ProvisioningFailed


def run(cmd: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a provisioning command, returning its stdout; raise ProvisioningFailed on failure."""
    try:
        done = subprocess.run(
            list(cmd), cwd=cwd, env=env, check=True, capture_output=True, text=True
        )
    except FileNotFoundError as e:
        raise ProvisioningFailed(f"{cmd[0]} is not installed") from e
    except subprocess.CalledProcessError as e:
        raise ProvisioningFailed(f"{' '.join(cmd)} failed:\n{e.stdout}\n{e.stderr}") from e
    return done.stdout


def spawn(cmd: Sequence[str], *, log_file: Path, pid_file: Path, env: dict[str, str]) -> int:
    """Start ``cmd`` detached from this process group; record its pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            list(cmd), stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    pid_file.write_text(str(proc.pid))
    return proc.pid


def running_pid(pid_file: Path) -> int | None:
    """The pid recorded in ``pid_file`` if that process is still alive."""
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None
    return pid


def terminate(pid_file: Path, *, timeout_s: float = 30.0) -> bool:
    """SIGTERM the recorded process and wait for it; SIGKILL past ``timeout_s``."""
    pid = running_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and running_pid(pid_file) is not None:
        time.sleep(0.2)
    if running_pid(pid_file) is not None:
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return True
