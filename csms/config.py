"""One validated ``Settings`` object, built once at start-up and passed down.

Every value can be set from the environment with the ``CSMS_`` prefix, e.g.
``CSMS_KAFKA_BOOTSTRAP=broker:9092``. When ``kafka_bootstrap`` / ``database_url`` are
left unset the local services that ``infra/`` provisions are used (and started on demand
by ``csms up`` / ``csms infra start``); when they are set, ``infra/`` starts nothing.

The services and ``infra`` never read ``Settings``: each is handed its own configuration
type, built here (``kafka_broker``, ``postgres_server``, ``kafka_topics``) or in
:mod:`csms.services` (the gateway's, the processor's, the API's).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.config import (
    LOCAL_BOOTSTRAP,
    LOCAL_DATABASE_URL,
    KafkaBrokerConfig,
    PostgresConfig,
    TopicsConfig,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


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
    # Gateway security and lifecycle (docs/GATEWAY.md). The wss:// listener (profiles 2
    # and 3) runs when tls_port, tls_cert and tls_key are set; tls_ca (the CA that issues
    # station certificates) enables profile 3. Open mode admits stations with no row or no
    # security profile in the read store: for development and tests only.
    gateway_tls_port: int | None = None
    gateway_tls_cert: Path | None = None
    gateway_tls_key: Path | None = None
    gateway_tls_ca: Path | None = None
    gateway_open_mode: bool = False
    gateway_credential_cache_s: float = Field(default=5.0, ge=0)
    gateway_auth_failure_limit: int = Field(default=10, ge=1)
    gateway_auth_failure_window_s: float = Field(default=60.0, gt=0)
    gateway_ping_interval_s: float = Field(default=30.0, gt=0)
    gateway_rate_limit_per_s: float = Field(default=100.0, gt=0)
    gateway_rate_limit_burst: int = Field(default=300, ge=1)
    gateway_backlog_max_frames: int = Field(default=1000, ge=1)
    gateway_backlog_max_stall_s: float = Field(default=5.0, gt=0)

    processor_id: str = "csms-processor"
    processor_web_port: int = 6066
    processor_commit_interval_s: float = Field(default=0.1, gt=0)
    # How long the processor's producers wait to batch records into one request.
    processor_producer_linger_s: float = Field(default=0.0, ge=0)
    # Kafka group session timeout of the processor: how long a crashed worker's partitions
    # (and so its stations' Pipes) wait before a restart or another worker takes them over.
    processor_session_timeout_s: float = Field(default=60.0, ge=6)
    # CSMS-initiated calls (docs/CALLS.md): how long a sent call waits for its answer, how
    # often the Pipe clock looks for deadlines, how long a queued call waits by default.
    call_response_timeout_s: float = Field(default=30.0, gt=0)
    pipe_tick_interval_s: float = Field(default=1.0, gt=0)
    call_default_expiry_s: int = Field(default=3600, ge=1)
    # At most this often (on the station's meter time) a priced transaction's running cost is
    # sent to a station with cost messages on (2.0.1 CostUpdated, 1.6 RunningCost).
    cost_update_interval_s: float = Field(default=60.0, gt=0)

    projector_batch_size: int = Field(default=1000, ge=1)
    # The audit chain's signed checkpoints (docs/AUDIT.md, "Tamper evidence"): a station's
    # head is signed at its first record, then every N records or once T seconds of frame
    # time have passed; the Ed25519 key (PKCS#8 PEM) is created on first use, by default
    # <state_dir>/audit/checkpoint-signing-key.pem.
    audit_checkpoint_every: int = Field(default=1000, ge=1)
    audit_checkpoint_seconds: float = Field(default=300.0, gt=0)
    audit_signing_key: Path | None = None

    api_host: str = "0.0.0.0"
    api_port: int = 8000
    # Bearer token the admin API requires (CSMS_API_TOKEN); ``csms up`` generates and
    # prints one when unset. Never logged (repr=False).
    api_token: str | None = Field(default=None, repr=False, min_length=16)
    # How long a write endpoint waits for the projection to show its change (then 504).
    api_write_timeout_s: float = Field(default=10.0, gt=0)
    # The CPO that owns the tariffs the API publishes (OCPI 2.2.1 mod_tariffs "Tariff
    # Object" country_code: ISO 3166-1 alpha-2; party_id: the ISO 15118 CPO id).
    cpo_country_code: str = Field(default="NL", pattern=r"^[A-Z]{2}$")
    cpo_party_id: str = Field(default="CSM", pattern=r"^[A-Z0-9]{3}$")
    # OCPI 2.2.1 (docs/OCPI.md): the public base URL partners reach our /ocpi/ endpoints at
    # (default http://127.0.0.1:<api_port>), our business name in our credentials, and the
    # Fernet key (urlsafe base64 of 32 bytes) sealing the credentials tokens we present to
    # partners in the admin log and the read store; created on first use, by default in
    # <state_dir>/ocpi/token-key, when unset. Never logged (repr=False).
    ocpi_base_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    ocpi_business_name: str = Field(default="CSMS", min_length=1, max_length=100)
    ocpi_token_key: str | None = Field(default=None, repr=False)

    heartbeat_interval_s: int = Field(default=300, ge=1)
    boot_retry_interval_s: int = Field(default=60, ge=1)

    @property
    def uses_local_kafka(self) -> bool:
        return self.kafka_bootstrap is None

    @property
    def uses_local_postgres(self) -> bool:
        return self.database_url is None

    @property
    def audit_key_path(self) -> Path:
        """The checkpoint signing key's file."""
        return self.audit_signing_key or self.state_dir / "audit" / "checkpoint-signing-key.pem"

    @property
    def ocpi_public_url(self) -> str:
        """Our OCPI base URL, without a trailing slash."""
        return (self.ocpi_base_url or f"http://127.0.0.1:{self.api_port}").rstrip("/")

    def ocpi_token_secret(self) -> str:
        """The Fernet key sealing the OCPI tokens we present: ``ocpi_token_key``, or the one
        in ``<state_dir>/ocpi/token-key`` (created there, owner-only, on first use)."""
        if self.ocpi_token_key:
            return self.ocpi_token_key
        path = self.state_dir / "ocpi" / "token-key"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Written aside, then linked into place: a service starting at the same time
            # reads a whole key or none; the first link wins.
            draft = path.with_name(f".token-key.{os.getpid()}")
            draft.write_bytes(Fernet.generate_key())
            draft.chmod(0o600)
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return path.read_text().strip()

    @property
    def bootstrap(self) -> str:
        return self.kafka_bootstrap or LOCAL_BOOTSTRAP

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the psycopg (3) async driver selected."""
        url = self.database_url or LOCAL_DATABASE_URL
        for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def libpq_url(self) -> str:
        """The database URL as libpq / psycopg understands it."""
        return self.sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)

    @property
    def kafka_broker(self) -> KafkaBrokerConfig:
        """What :mod:`infra.kafka` is told: the broker, and whether it runs the local one."""
        return KafkaBrokerConfig(self.state_dir, self.bootstrap, local=self.uses_local_kafka)

    @property
    def postgres_server(self) -> PostgresConfig:
        """What :mod:`infra.postgres` is told: whether it runs the local server."""
        return PostgresConfig(self.state_dir, local=self.uses_local_postgres)

    @property
    def kafka_topics(self) -> TopicsConfig:
        """What :mod:`infra.topics` is told: this deployment's topics and their broker."""
        return TopicsConfig(self.bootstrap, self.topic_prefix, self.partitions)
