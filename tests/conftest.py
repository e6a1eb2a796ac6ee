"""Shared fixtures: a real Kafka broker and PostgreSQL server for integration tests.

Where a Docker engine answers and nothing is configured, testcontainers provides them;
otherwise the local services of ``infra/`` are started (idempotently). Each test session
gets its own topic prefix and its own database, so runs never see each other's data.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from csms.config import Settings
from infra import kafka, migrate, postgres, topics
from tests.services import ServiceSet


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    return done.returncode == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def base_settings() -> Iterator[Settings]:
    """Settings pointing at a running broker and server (started here if needed)."""
    configured = Settings()
    if configured.uses_local_kafka and configured.uses_local_postgres and _docker_answers():
        yield from _containers()
        return
    kafka.ensure_started(configured)
    postgres.ensure_started(configured)
    yield Settings(kafka_bootstrap=configured.bootstrap, database_url=configured.libpq_url)


def _containers() -> Iterator[Settings]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with KafkaContainer("apache/kafka:4.0.0") as k, PostgresContainer("postgres:16") as pg:
        url = pg.get_connection_url().replace("postgresql+psycopg2://", "postgresql://")
        yield Settings(kafka_bootstrap=k.get_bootstrap_server(), database_url=url)


@pytest.fixture(scope="session")
def settings(base_settings: Settings) -> Iterator[Settings]:
    """Isolated settings for this test session: own topics, own database, free ports."""
    run_id = f"t{uuid.uuid4().hex[:10]}"
    admin_url = base_settings.libpq_url
    database = f"csms_{run_id}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    isolated = Settings(
        kafka_bootstrap=base_settings.bootstrap,
        database_url=admin_url.rsplit("/", 1)[0] + f"/{database}",
        topic_prefix=run_id, partitions=2, gateway_id=f"gw-{run_id}",
        processor_id=f"proc-{run_id}", gateway_host="127.0.0.1", gateway_port=free_port(),
        api_host="127.0.0.1", api_port=free_port(), processor_web_port=free_port(),
        heartbeat_interval_s=120, api_token=f"test-token-{uuid.uuid4().hex}",
        # The pipeline tests boot stations nobody registered; the gateway's own tests
        # (tests/integration/test_gateway_*.py) turn open mode off.
        gateway_open_mode=True,
    )  # fmt: skip
    asyncio.run(topics.create_all(isolated))
    migrate.upgrade(isolated)
    yield isolated
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def stack(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceSet]:
    """The whole CSMS (gateway, processor, projector, API) as separate processes."""
    services = ServiceSet(settings, tmp_path_factory.mktemp("logs"))
    try:
        for name in ("processor", "projector", "api", "gateway"):
            services.start(name)
        services.wait_port(settings.gateway_port)
        services.wait_port(settings.api_port)
        services.assert_alive()
        yield services
    finally:
        services.stop_all()
        if os.environ.get("CSMS_TEST_SHOW_LOGS"):
            services.dump_logs()
