"""Start an isolated CSMS stack (own topic prefix, own database, free ports) for a benchmark."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

from csms.config import Settings
from infra import kafka, migrate, postgres, topics
from tests.services import ServiceSet


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def isolated_settings(**overrides: object) -> Settings:
    """Start local infra if needed; create a fresh database, topics and ports."""
    base = Settings()
    kafka.ensure_started(base)
    postgres.ensure_started(base)
    run_id = f"b{uuid.uuid4().hex[:10]}"
    database = f"csms_{run_id}"
    with psycopg.connect(base.libpq_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    fields: dict[str, object] = {
        "kafka_bootstrap": base.bootstrap,
        "database_url": base.libpq_url.rsplit("/", 1)[0] + f"/{database}",
        "topic_prefix": run_id, "gateway_id": f"gw-{run_id}", "processor_id": f"proc-{run_id}",
        "gateway_host": "127.0.0.1", "gateway_port": free_port(), "api_host": "127.0.0.1",
        "api_port": free_port(), "processor_web_port": free_port(),
        # Load-test stations are not registered: admit them without credentials.
        "gateway_open_mode": True, "api_token": f"bench-{uuid.uuid4().hex}",
    }  # fmt: skip
    fields.update(overrides)
    settings = Settings(**fields)  # type: ignore[arg-type]
    asyncio.run(topics.create_all(settings))
    migrate.upgrade(settings)
    return settings


def drop_database(settings: Settings) -> None:
    admin = Settings().libpq_url
    name = settings.libpq_url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def running_stack(log_dir: Path, **overrides: object) -> Iterator[ServiceSet]:
    settings = isolated_settings(**overrides)
    log_dir.mkdir(parents=True, exist_ok=True)
    services = ServiceSet(settings, log_dir)
    try:
        for name in ("processor", "projector", "api", "gateway"):
            services.start(name)
        services.wait_port(settings.gateway_port)
        services.wait_port(settings.api_port)
        yield services
    finally:
        services.stop_all()
        drop_database(settings)
