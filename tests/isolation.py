"""An isolated CSMS deployment on shared Kafka and PostgreSQL servers: its own topic prefix,
its own database, free ports. Used by the test fixtures and the benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg

from csms.config import Settings
from infra import migrate, topics
from projections.runtime.service import prepare


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def isolated_deployment(base: Settings, prefix: str = "t", **overrides: Any) -> Iterator[Settings]:
    """Settings for a fresh deployment (topics created, database migrated); dropped after."""
    run_id = f"{prefix}{uuid.uuid4().hex[:10]}"
    admin_url = base.libpq_url
    database = f"csms_{run_id}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    fields: dict[str, Any] = {
        "kafka_bootstrap": base.bootstrap,
        "database_url": admin_url.rsplit("/", 1)[0] + f"/{database}",
        "topic_prefix": run_id, "partitions": 2, "gateway_id": f"gw-{run_id}",
        "processor_id": f"proc-{run_id}", "gateway_host": "127.0.0.1",
        "gateway_port": free_port(), "api_host": "127.0.0.1", "api_port": free_port(),
        "processor_web_port": free_port(), "api_token": f"test-token-{uuid.uuid4().hex}",
        # Test and benchmark stations are not registered: admit them without credentials
        # (the gateway's own tests turn open mode off).
        "gateway_open_mode": True,
    }  # fmt: skip
    fields.update(overrides)
    settings = Settings(**fields)
    asyncio.run(topics.create_all(settings.kafka_topics))
    migrate.upgrade(settings.sqlalchemy_url)
    asyncio.run(prepare(settings.libpq_url))  # as `csms migrate` does: every read model built
    try:
        yield settings
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
