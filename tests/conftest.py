"""Shared fixtures: a real Kafka broker and PostgreSQL server for integration tests.

Where a Docker engine answers and nothing is configured, testcontainers provides them;
otherwise the local services of ``infra/`` are started (idempotently). Each test session
gets its own topic prefix and its own database, so runs never see each other's data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from csms.config import Settings
from infra import kafka, postgres
from tests.isolation import isolated_deployment
from tests.services import ServiceSet


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    return done.returncode == 0


@pytest.fixture(scope="session")
def base_settings() -> Iterator[Settings]:
    """Settings pointing at a running broker and server (started here if needed)."""
    configured = Settings()
    if configured.uses_local_kafka and configured.uses_local_postgres and _docker_answers():
        yield from _containers()
        return
    kafka.ensure_started(configured.kafka_broker)
    postgres.ensure_started(configured.postgres_server)
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
    with isolated_deployment(base_settings, heartbeat_interval_s=120) as isolated:
        yield isolated


@pytest.fixture(scope="session")
def stack(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceSet]:
    """The whole CSMS (gateway, processor, projector, API) as separate processes."""
    with ServiceSet.running(settings, tmp_path_factory.mktemp("logs")) as services:
        try:
            yield services
        finally:
            if os.environ.get("CSMS_TEST_SHOW_LOGS"):
                services.dump_logs()
