"""One validated ``Settings`` object, built once at start-up and passed down.

Every value can be set from the environment with the ``CSMS_`` prefix, e.g.
``CSMS_KAFKA_BOOTSTRAP=broker:9092``. When ``kafka_bootstrap`` / ``database_url`` are
left unset the local services that ``infra/`` provisions are used (and started on demand
by ``csms up`` / ``csms infra start``); when they are set, ``infra/`` starts nothing.
"""

from __future__ import annotations

import socket
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

LOCAL_KAFKA_PORT = 19092
LOCAL_KAFKA_CONTROLLER_PORT = 19093
LOCAL_POSTGRES_PORT = 15432


class Settings(BaseSettings):
    """Configuration of every CSMS service."""

    model_config = SettingsConfigDict(env_prefix="CSMS_", extra="ignore", frozen=True)

    kafka_bootstrap: str | None = None
    database_url: str | None = None
    state_dir: Path = REPO_ROOT / "var"

    topic_prefix: str = "csms"
    partitions: int = Field(default=4, ge=1)

    gateway_id: str = Field(default_factory=lambda: f"gw-{socket.gethostname()}")
    gateway_host: str = "0.0.0.0"
    gateway_port: int = 9000
    gateway_max_frame_bytes: int = 65536

    processor_id: str = "csms-processor"
    processor_web_port: int = 6066

    projector_batch_size: int = Field(default=1000, ge=1)

    api_host: str = "0.0.0.0"
    api_port: int = 8000

    heartbeat_interval_s: int = Field(default=300, ge=1)
    boot_retry_interval_s: int = Field(default=60, ge=1)

    @property
    def uses_local_kafka(self) -> bool:
        return self.kafka_bootstrap is None

    @property
    def uses_local_postgres(self) -> bool:
        return self.database_url is None

    @property
    def bootstrap(self) -> str:
        return self.kafka_bootstrap or f"127.0.0.1:{LOCAL_KAFKA_PORT}"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the psycopg (3) async driver selected."""
        url = self.database_url or f"postgresql://csms:csms@127.0.0.1:{LOCAL_POSTGRES_PORT}/csms"
        for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def libpq_url(self) -> str:
        """The database URL as libpq / psycopg understands it."""
        return self.sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)
