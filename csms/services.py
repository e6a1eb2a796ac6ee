"""Run each service in this process, built from one Settings object."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING

import uvicorn

from csms.config import Settings
from schemas.topics import Topics

if TYPE_CHECKING:
    from ingest.assembly import IngestConfig

log = logging.getLogger(__name__)


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def ingest_config(settings: Settings) -> IngestConfig:
    """The gateway's own configuration (it never reads ``Settings``); reads the TLS files."""
    from ingest.assembly import IngestConfig, tls_listener
    from ingest.gateway import GatewayConfig

    server = GatewayConfig(
        gateway_id=settings.gateway_id,
        host=settings.gateway_host,
        port=settings.gateway_port,
        max_frame_bytes=settings.gateway_max_frame_bytes,
        ping_interval_s=settings.gateway_ping_interval_s,
        tls=tls_listener(settings.gateway_tls_port, settings.gateway_tls_cert,
                         settings.gateway_tls_key, settings.gateway_tls_ca),
        open_mode=settings.gateway_open_mode,
        auth_failure_limit=settings.gateway_auth_failure_limit,
        auth_failure_window_s=settings.gateway_auth_failure_window_s,
        rate_limit_per_s=settings.gateway_rate_limit_per_s,
        rate_limit_burst=settings.gateway_rate_limit_burst,
    )  # fmt: skip
    return IngestConfig(
        server=server,
        bootstrap=settings.bootstrap,
        topics=Topics(settings.topic_prefix),
        database_url=settings.libpq_url,
        backlog_max_frames=settings.gateway_backlog_max_frames,
        backlog_max_stall_s=settings.gateway_backlog_max_stall_s,
        credential_cache_s=settings.gateway_credential_cache_s,
    )


async def run_gateway(settings: Settings) -> None:
    from infra.topics import create_topics, delivery_topic
    from ingest import GatewayError
    from ingest.assembly import build_gateway

    topics = settings.kafka_topics
    await create_topics(topics, [delivery_topic(topics, settings.gateway_id)])
    gateway = build_gateway(ingest_config(settings))
    try:
        await gateway.start()
    except GatewayError as e:
        raise SystemExit(f"gateway {settings.gateway_id} could not start: {e}") from e
    try:
        await _until_signalled()
    finally:
        await gateway.stop()


def run_processor(settings: Settings) -> None:
    from faust import Worker

    from processors.runtime import HandlerConfig, ProcessorConfig, create_app

    app = create_app(ProcessorConfig(
        app_id=settings.processor_id, bootstrap=settings.bootstrap,
        topics=Topics(settings.topic_prefix), partitions=settings.partitions,
        web_port=settings.processor_web_port,
        commit_interval_s=settings.processor_commit_interval_s,
        producer_linger_s=settings.processor_producer_linger_s,
        handlers=HandlerConfig(settings.heartbeat_interval_s, settings.boot_retry_interval_s,
                               settings.call_response_timeout_s,
                               cost_update_interval_s=settings.cost_update_interval_s),
        tick_interval_s=settings.pipe_tick_interval_s,
        session_timeout_s=settings.processor_session_timeout_s,
    ))  # fmt: skip
    Worker(app, loglevel="INFO").execute_from_commandline()


def run_api(settings: Settings) -> None:
    from api.app import ApiConfig, create_app

    if not settings.api_token:
        raise SystemExit("CSMS_API_TOKEN must be set for the API (csms up generates one)")
    app = create_app(ApiConfig(
        database_url=settings.sqlalchemy_url, bootstrap=settings.bootstrap,
        admin_topic=Topics(settings.topic_prefix).admin, api_token=settings.api_token,
        write_timeout_s=settings.api_write_timeout_s,
        commands_topic=Topics(settings.topic_prefix).commands,
        call_default_expiry_s=settings.call_default_expiry_s,
        cpo_country_code=settings.cpo_country_code, cpo_party_id=settings.cpo_party_id,
        ocpi_base_url=settings.ocpi_public_url, ocpi_business_name=settings.ocpi_business_name,
        ocpi_token_key=settings.ocpi_token_secret(),
    ))  # fmt: skip
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="info")
