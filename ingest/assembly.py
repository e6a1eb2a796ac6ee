"""Builds a :class:`Gateway` from the one ``Settings`` object (CLI and tests)."""

from __future__ import annotations

from csms.config import Settings
from ingest.credential_store import CachedCredentialStore, PostgresCredentialStore
from ingest.delivery import DeliveryConsumer
from ingest.frames_log import FramesLog
from ingest.gateway import Gateway, GatewayConfig, TlsListener
from ingest.tls import server_context
from schemas.topics import Topics


def gateway_config(settings: Settings) -> GatewayConfig:
    return GatewayConfig(
        gateway_id=settings.gateway_id,
        host=settings.gateway_host,
        port=settings.gateway_port,
        max_frame_bytes=settings.gateway_max_frame_bytes,
        ping_interval_s=settings.gateway_ping_interval_s,
        tls=tls_listener(settings),
        open_mode=settings.gateway_open_mode,
        auth_failure_limit=settings.gateway_auth_failure_limit,
        auth_failure_window_s=settings.gateway_auth_failure_window_s,
        rate_limit_per_s=settings.gateway_rate_limit_per_s,
        rate_limit_burst=settings.gateway_rate_limit_burst,
    )


def tls_listener(settings: Settings) -> TlsListener | None:
    """The wss:// listener, when its port, certificate and key are all configured."""
    port, cert, key = settings.gateway_tls_port, settings.gateway_tls_cert, settings.gateway_tls_key
    if port is None or cert is None or key is None:
        return None
    return TlsListener(port, server_context(cert, key, settings.gateway_tls_ca))


def build_gateway(settings: Settings) -> Gateway:
    topics = Topics(settings.topic_prefix)
    store = PostgresCredentialStore(settings.libpq_url)
    return Gateway(
        gateway_config(settings),
        FramesLog(
            settings.bootstrap,
            topics.frames,
            max_pending=settings.gateway_backlog_max_frames,
            max_stall_s=settings.gateway_backlog_max_stall_s,
        ),
        DeliveryConsumer(settings.bootstrap, topics.delivery(settings.gateway_id)),
        CachedCredentialStore(store, ttl_s=settings.gateway_credential_cache_s),
    )
