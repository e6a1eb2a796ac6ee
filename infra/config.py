"""What infra/ is told: its own small configuration types, and the local services' ports.

The CLI builds these from its settings (``csms.config.Settings``); nothing in ``infra``
reads the CLI's settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

LOCAL_KAFKA_PORT: Final = 19092
LOCAL_KAFKA_CONTROLLER_PORT: Final = 19093
LOCAL_POSTGRES_PORT: Final = 15432

LOCAL_BOOTSTRAP: Final = f"127.0.0.1:{LOCAL_KAFKA_PORT}"
"""The bootstrap address of the local broker :mod:`infra.kafka` runs."""

LOCAL_DATABASE_URL: Final = f"postgresql://csms:csms@127.0.0.1:{LOCAL_POSTGRES_PORT}/csms"
"""The libpq URL of the role and database :mod:`infra.postgres` provisions."""


@dataclass(frozen=True, slots=True)
class KafkaBrokerConfig:
    """The broker the deployment uses, and whether it is the local one infra runs."""

    state_dir: Path  # the local broker's jars, data and logs live in state_dir/kafka
    bootstrap: str = LOCAL_BOOTSTRAP
    local: bool = True  # False: an external broker; infra starts nothing, only waits for it


@dataclass(frozen=True, slots=True)
class PostgresConfig:
    """Whether infra runs the local PostgreSQL server, and where its state lives."""

    state_dir: Path  # the cluster's data directory when not provisioning as root
    local: bool = True  # False: an external server; infra starts nothing


@dataclass(frozen=True, slots=True)
class TopicsConfig:
    """The topics of one deployment and the broker to create them on."""

    bootstrap: str
    prefix: str = "csms"
    partitions: int = 4
