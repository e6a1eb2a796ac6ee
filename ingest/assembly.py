"""Builds a :class:`Gateway` from its own configuration, :class:`IngestConfig`.

The CLI builds that configuration from its settings (``csms.services.ingest_config``);
nothing here knows where the values came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.credential_store import CachedCredentialStore, PostgresCredentialStore
from ingest.delivery import DeliveryConsumer
from ingest.frames_log import FramesLog
from ingest.gateway import Gateway, GatewayConfig, TlsListener
from ingest.tls import server_context
from schemas.topics import Topics


@dataclass(frozen=True, slots=True)
class IngestConfig:
    """Everything one gateway process is built from."""

    server: GatewayConfig
    bootstrap: str  # Kafka
    topics: Topics  # the frames log, and this gateway's delivery topic
    database_url: str  # the read store (libpq URL), for the credential lookups
    backlog_max_frames: int = 1000  # frames waiting for Kafka before handshakes get 503
    backlog_max_stall_s: float = 5.0  # oldest unacknowledged frame before handshakes get 503
    credential_cache_s: float = 5.0


def tls_listener(
    port: int | None, cert: Path | None, key: Path | None, ca: Path | None = None
) -> TlsListener | None:
    """The wss:// listener, when its port, certificate and key are all given; ``ca`` (the CA
    that issues station certificates) enables security profile 3."""
    if port is None or cert is None or key is None:
        return None
    return TlsListener(port, server_context(cert, key, ca))


def build_gateway(config: IngestConfig) -> Gateway:
    store = PostgresCredentialStore(config.database_url)
    return Gateway(
        config.server,
        FramesLog(
            config.bootstrap,
            config.topics.frames,
            max_pending=config.backlog_max_frames,
            max_stall_s=config.backlog_max_stall_s,
        ),
        DeliveryConsumer(config.bootstrap, config.topics.delivery(config.server.gateway_id)),
        CachedCredentialStore(store, ttl_s=config.credential_cache_s),
    )
