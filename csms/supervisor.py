"""``csms up``: local infra, topics, migrations, then every service as a child process,
their logs interleaved with a service prefix, until Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from typing import IO

from csms.config import Settings
from infra import InfraError, kafka, migrate, postgres, topics

log = logging.getLogger(__name__)

SERVICES = ("gateway", "processor", "projector", "api")


def prepare_kafka(settings: Settings) -> None:
    try:
        kafka.ensure_started(settings.kafka_broker)
    except InfraError as e:
        raise SystemExit(f"Kafka: {e}") from e
    created = asyncio.run(topics.create_all(settings.kafka_topics))
    log.info("topics ready (%d created)", len(created))


def prepare_database(settings: Settings) -> None:
    from projections.runtime.service import prepare

    try:
        postgres.ensure_started(settings.postgres_server)
    except InfraError as e:
        raise SystemExit(f"PostgreSQL: {e}") from e
    migrate.upgrade(settings.sqlalchemy_url)
    # A read model added since the last run gets its first version (its tables, its views).
    asyncio.run(prepare(settings.libpq_url))
    log.info("read store migrated")


def infra(settings: Settings, action: str) -> int:
    if action == "start":
        prepare_kafka(settings)
        prepare_database(settings)
    elif action == "stop":
        kafka.stop(settings.kafka_broker)
        postgres.stop(settings.postgres_server)
    else:
        state = "up" if kafka.is_ready(settings.bootstrap) else "down"
        print(f"kafka {settings.bootstrap}: {state}")
    return 0


def _pump(name: str, stream: IO[bytes]) -> None:
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"{name:>9} | {line.decode(errors='replace')}")
        sys.stdout.flush()


def up(settings: Settings) -> int:
    prepare_kafka(settings)
    prepare_database(settings)
    env = dict(os.environ)
    if not settings.api_token:
        # The admin API requires a bearer token; without CSMS_API_TOKEN this run gets a
        # fresh one, shown once here (not logged) and handed to the API process.
        env["CSMS_API_TOKEN"] = secrets.token_urlsafe(32)
        print(f"API token for this run (set CSMS_API_TOKEN to choose one): "
              f"{env['CSMS_API_TOKEN']}", flush=True)  # fmt: skip
    children: dict[str, subprocess.Popen[bytes]] = {}
    for name in SERVICES:
        proc = subprocess.Popen(
            [sys.executable, "-m", "csms.cli", name],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        assert proc.stdout is not None
        threading.Thread(target=_pump, args=(name, proc.stdout), daemon=True).start()
        children[name] = proc
    log.info("CSMS up: OCPP ws://%s:%d/ocpp/<station_id>, API http://%s:%d/docs",
             settings.gateway_host, settings.gateway_port, settings.api_host, settings.api_port)
    return _supervise(children)


def _supervise(children: dict[str, subprocess.Popen[bytes]]) -> int:
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    while not stopping:
        dead = [n for n, p in children.items() if p.poll() is not None]
        if dead:
            log.error("service %s exited (code %s); stopping the others", dead[0],
                      children[dead[0]].returncode)
            break
        time.sleep(0.5)
    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in children.values():
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0 if stopping else 1
