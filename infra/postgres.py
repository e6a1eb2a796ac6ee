"""A local PostgreSQL server from Debian's packages, with a role and database for the CSMS.

The cluster is private to the CSMS (its own data directory and port, 127.0.0.1 only).
PostgreSQL refuses to run as root, so when provisioning as root the cluster belongs to the
``postgres`` system user and lives under that user's home; otherwise under the state dir.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from infra import ProvisioningFailed, ServiceNotReady
from infra.config import LOCAL_POSTGRES_PORT, PostgresConfig
from infra.process import run

log = logging.getLogger(__name__)

ROLE = "csms"
PASSWORD = "csms"
DATABASE = "csms"


def _is_root() -> bool:
    return os.geteuid() == 0


def bin_dir() -> Path:
    """The newest installed server's bin dir; installs Debian's ``postgresql`` if missing."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_major)
    if not found:
        _install_server()
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_major)
    if not found:
        raise ProvisioningFailed("no PostgreSQL server found under /usr/lib/postgresql")
    return found[-1].parent


def _major(initdb: Path) -> int:
    try:
        return int(initdb.parent.parent.name)
    except ValueError:
        return 0


def _install_server() -> None:
    if not _is_root() or shutil.which("apt-get") is None:
        raise ProvisioningFailed("PostgreSQL is not installed: apt-get install postgresql")
    log.info("installing PostgreSQL with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-q"], env=env)
    run(["apt-get", "install", "-y", "-q", "postgresql"], env=env)


def data_dir(server: PostgresConfig) -> Path:
    if _is_root():
        return Path("/var/lib/postgresql") / f"csms-{LOCAL_POSTGRES_PORT}"
    return server.state_dir / "postgres"


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if _is_root() else cmd


def _initdb(bins: Path, data: Path) -> None:
    if (data / "PG_VERSION").exists():
        return
    data.parent.mkdir(parents=True, exist_ok=True)
    if _is_root():
        data.mkdir(parents=True, exist_ok=True)
        shutil.chown(data, "postgres", "postgres")
    run(_as_owner([
        str(bins / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
        "--auth-local=trust", "--auth-host=scram-sha-256", "--no-instructions",
    ]))  # fmt: skip


def _is_ready(bins: Path) -> bool:
    try:
        run([str(bins / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(LOCAL_POSTGRES_PORT)])
    except ProvisioningFailed:
        return False
    return True


def _start(bins: Path, data: Path) -> None:
    options = (
        f"-p {LOCAL_POSTGRES_PORT} -k {data} -c listen_addresses=127.0.0.1 "
        "-c max_connections=200 -c fsync=on -c synchronous_commit=on"
    )
    run(_as_owner([
        str(bins / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"),
        "-o", options, "-w", "-t", "60", "start",
    ]))  # fmt: skip


def _psql(bins: Path, data: Path, sql: str, database: str = "postgres") -> str:
    return run(_as_owner([
        str(bins / "psql"), "-h", str(data), "-p", str(LOCAL_POSTGRES_PORT), "-U", "postgres",
        "-d", database, "-v", "ON_ERROR_STOP=1", "-tAc", sql,
    ]))  # fmt: skip


def _ensure_role_and_database(bins: Path, data: Path) -> None:
    _psql(bins, data, (
        "DO $$ BEGIN CREATE ROLE csms LOGIN CREATEDB PASSWORD 'csms'; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
    ))  # fmt: skip
    # DROP DATABASE ... WITH (FORCE) of a database that autovacuum is working on must end
    # that worker, which PostgreSQL 15 allows a non-superuser only through pg_signal_backend.
    _psql(bins, data, f"GRANT pg_signal_backend TO {ROLE}")
    exists = _psql(bins, data, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")
    if exists.strip() != "1":
        _psql(bins, data, f"CREATE DATABASE {DATABASE} OWNER {ROLE}")


def ensure_started(server: PostgresConfig) -> None:
    """Install, initialise and start the local server (idempotent), with role and database."""
    if not server.local:
        return
    bins = bin_dir()
    data = data_dir(server)
    if not _is_ready(bins):
        _initdb(bins, data)
        _start(bins, data)
        log.info("started PostgreSQL on 127.0.0.1:%d (data: %s)", LOCAL_POSTGRES_PORT, data)
    _wait_ready(bins)
    _ensure_role_and_database(bins, data)


def _wait_ready(bins: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _is_ready(bins):
            return
        time.sleep(0.3)
    raise ServiceNotReady(f"PostgreSQL did not accept connections within {timeout_s:.0f}s")


def stop(server: PostgresConfig) -> bool:
    if not server.local:
        return False
    bins = bin_dir()
    data = data_dir(server)
    if not _is_ready(bins):
        return False
    run(_as_owner([str(bins / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]))
    return True
