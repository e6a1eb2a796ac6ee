"""Start an isolated CSMS stack (own topic prefix, own database, free ports) for a benchmark."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from csms.config import Settings
from infra import kafka, postgres
from tests.isolation import isolated_deployment
from tests.services import ServiceSet


def local_base() -> Settings:
    """The shared broker and server (started here if needed)."""
    base = Settings()
    kafka.ensure_started(base.kafka_broker)
    postgres.ensure_started(base.postgres_server)
    return Settings(kafka_bootstrap=base.bootstrap, database_url=base.libpq_url)


@contextlib.contextmanager
def isolated(**overrides: Any) -> Iterator[Settings]:
    with isolated_deployment(local_base(), "b", partitions=4, **overrides) as settings:
        yield settings


@contextlib.contextmanager
def running_stack(log_dir: Path, **overrides: Any) -> Iterator[ServiceSet]:
    with isolated(**overrides) as settings, ServiceSet.running(settings, log_dir) as services:
        yield services
