"""Run CSMS services as child processes of the tests, each with its own log file."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg

from csms.config import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child ``csms`` process build the same Settings."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"CSMS_{name.upper()}"] = str(value)
    return env


class ServiceSet:
    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(
        self, name: str, *args: str, env: dict[str, str] | None = None, label: str | None = None
    ) -> subprocess.Popen[bytes]:
        """Run ``csms <name> <args>``, known (and logged) as ``label`` (default: ``name``);
        a second process of the same service needs a label of its own."""
        label = label or name
        log = (self.log_dir / f"{label}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "csms.cli", name, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**settings_env(self.settings), **(env or {})},
        )
        self.procs[label] = proc
        return proc

    def start_all(self) -> None:
        """The whole CSMS (gateway, processor, projector, API), ready to serve."""
        for name in ("processor", "projector", "api", "gateway"):
            self.start(name)
        self.wait_port(self.settings.gateway_port)
        self.wait_port(self.settings.api_port)
        self.assert_alive()

    @classmethod
    @contextlib.contextmanager
    def running(cls, settings: Settings, log_dir: Path) -> Iterator[ServiceSet]:
        """The whole CSMS for the ``with`` block, stopped after it whatever happens."""
        log_dir.mkdir(parents=True, exist_ok=True)
        services = cls(settings, log_dir)
        try:
            services.start_all()
            yield services
        finally:
            services.stop_all()

    def stop(self, name: str, *, kill: bool = False) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def csms(self, *args: str, timeout_s: float = 300.0) -> str:
        """Run one ``csms`` command to its end (its output also appended to a log file);
        its output, or AssertionError with it when it fails."""
        done = subprocess.run([sys.executable, "-m", "csms.cli", *args], capture_output=True,
                              env=settings_env(self.settings), timeout=timeout_s,
                              check=False)  # fmt: skip
        output = (done.stdout + done.stderr).decode(errors="replace")
        name = "csms-" + "-".join(a.strip("-") for a in args[:2])
        with (self.log_dir / f"{name}.log").open("a") as log:
            log.write(output)
        assert done.returncode == 0, f"csms {' '.join(args)} exited {done.returncode}:\n{output}"
        return done.stdout.decode(errors="replace")

    def rebuild_beside(self, *, drop_old: bool = True) -> dict[str, tuple[int, int]]:
        """Build the next version of every projection from offset 0 beside the live ones
        (while the projector service keeps the live ones current), switch the API to them,
        and drop the versions they replace. Returns name → (old version, new version)."""
        before = live_versions(self.settings.libpq_url)
        self.csms("projections", "build", "--all", "--detach")
        built = {}
        for name, old in before.items():
            new = max(v for v, _ in versions_of(self.settings.libpq_url, name))
            assert new > old, f"no new version of {name}"
            self.csms("projections", "switch", name, str(new))
            built[name] = (old, new)
        if drop_old:
            for name, (old, _) in built.items():
                self.csms("projections", "drop", f"{name}@{old}")
        return built

    def wait_port(self, port: int, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.dump_logs()
        raise TimeoutError(f"nothing listens on port {port} after {timeout_s}s")

    def assert_alive(self) -> None:
        dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
        if dead:
            self.dump_logs()
            raise AssertionError(f"services exited: {dead}")

    def log_text(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def dump_logs(self) -> None:
        for path in sorted(self.log_dir.glob("*.log")):
            print(f"----- {path.name} -----\n{path.read_text(errors='replace')[-6000:]}")


def api_client(settings: Settings, *, token: str | None = None) -> httpx.AsyncClient:
    """An HTTP client for the admin API of ``settings``, sending its bearer token."""
    bearer = token if token is not None else settings.api_token
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.api_port}", headers=headers,
                             timeout=30)  # fmt: skip


def live_versions(database_url: str) -> dict[str, int]:
    """Projection name → the version the API reads."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT projection, version FROM projection_versions"
                            " WHERE status = 'live'").fetchall()  # fmt: skip
    return {name: version for name, version in rows}


def versions_of(database_url: str, name: str) -> list[tuple[int, str]]:
    """(version, status) of every version of projection ``name``."""
    with psycopg.connect(database_url) as conn:
        query = "SELECT version, status FROM projection_versions WHERE projection = %s"
        rows = conn.execute(query + " ORDER BY version", (name,)).fetchall()
    return [(version, status) for version, status in rows]
