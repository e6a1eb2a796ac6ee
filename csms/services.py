"""Run each service in this process, built from one Settings object."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import uvicorn

from csms.config import Settings
from schemas.topics import Topics

log = logging.getLogger(__name__)


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def run_gateway(settings: Settings) -> None:
    from infra.topics import create_topics, delivery_topic
    from ingest.assembly import build_gateway

    await create_topics(settings, [delivery_topic(settings, settings.gateway_id)])
    gateway = build_gateway(settings)
    await gateway.start()
    try:
        await _until_signalled()
    finally:
        await gateway.stop()


def run_processor(settings: Settings) -> None:
    from faust import Worker

    from processors.app import ProcessorConfig, create_app
    from processors.decision import HandlerConfig

    app = create_app(ProcessorConfig(
        app_id=settings.processor_id, bootstrap=settings.bootstrap,
        topics=Topics(settings.topic_prefix), partitions=settings.partitions,
        web_port=settings.processor_web_port,
        commit_interval_s=settings.processor_commit_interval_s,
        producer_linger_s=settings.processor_producer_linger_s,
        handlers=HandlerConfig(settings.heartbeat_interval_s, settings.boot_retry_interval_s,
                               settings.call_response_timeout_s),
        tick_interval_s=settings.pipe_tick_interval_s,
        session_timeout_s=settings.processor_session_timeout_s,
    ))  # fmt: skip
    Worker(app, loglevel="INFO").execute_from_commandline()


async def run_projector(settings: Settings, *, rebuild: bool = False) -> None:
    from projections.projector import Projector
    from projections.projector import rebuild as reset_read_models

    if rebuild:
        await reset_read_models(settings.libpq_url)
        log.info("read models emptied; replaying the events log from offset 0")
    topics = Topics(settings.topic_prefix)
    projector = Projector(bootstrap=settings.bootstrap, database_url=settings.libpq_url,
                          topics=(topics.events, topics.admin),
                          batch_size=settings.projector_batch_size)  # fmt: skip
    task = asyncio.create_task(projector.run())
    waiter = asyncio.create_task(_until_signalled())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    projector.stop()
    waiter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


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
    ))  # fmt: skip
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="info")
