"""Helpers for the gateway's integration tests: in-process gateways on the real broker and
read store, registered stations, and the frames log read back."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import psycopg

from csms.config import Settings
from csms.services import ingest_config
from infra.topics import create_all, create_topics, delivery_topic
from ingest.assembly import build_gateway
from ingest.gateway import Gateway
from schemas.credentials import hash_password
from schemas.envelopes import FrameRecord
from tests.integration.kafka_reading import read_all


def gateway_settings(settings: Settings, **overrides: Any) -> Settings:
    """The session's settings for one more gateway: own id, any free port, open mode off."""
    update: dict[str, Any] = {
        "gateway_id": f"{settings.gateway_id}-{uuid.uuid4().hex[:6]}",
        "gateway_port": 0,
        "gateway_open_mode": False,
        "gateway_ping_interval_s": 5.0,
    }
    update.update(overrides)
    return settings.model_copy(update=update)


@asynccontextmanager
async def running_gateway(settings: Settings, **overrides: Any) -> AsyncIterator[Gateway]:
    """A gateway in this process (its own id, delivery topic and port), stopped afterwards."""
    own = gateway_settings(settings, **overrides)
    if "topic_prefix" in overrides:
        await create_all(own.kafka_topics)
    await create_topics(own.kafka_topics, [delivery_topic(own.kafka_topics, own.gateway_id)])
    gateway = build_gateway(ingest_config(own))
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


def register(
    settings: Settings, station_id: str, profile: int | None, password: str | None = None
) -> None:
    """Configure a station in the read store, as the admin projection would."""
    pw_hash = hash_password(password) if password is not None else None
    with psycopg.connect(settings.libpq_url, autocommit=True) as conn:
        conn.execute(
            """INSERT INTO stations (station_id, security_profile, password_hash)
               VALUES (%s, %s, %s) ON CONFLICT (station_id) DO UPDATE
               SET security_profile = EXCLUDED.security_profile,
                   password_hash = EXCLUDED.password_hash""",
            (station_id, profile, pw_hash),
        )


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def frames(
    settings: Settings, where: Callable[[FrameRecord], bool], topic: str | None = None
) -> list[FrameRecord]:
    """Frames-log records matching ``where``, in log order per partition."""
    name = topic or f"{settings.topic_prefix}.frames"
    records = await read_all(settings.bootstrap, name)
    decoded = [FrameRecord.decode(r.value) for r in records]
    return [r for r in decoded if where(r)]


async def wait_frames(
    settings: Settings,
    where: Callable[[FrameRecord], bool],
    count: int,
    timeout_s: float = 30.0,
    topic: str | None = None,
) -> list[FrameRecord]:
    """Wait until at least ``count`` matching records are in the log."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = await frames(settings, where, topic)
        if len(found) >= count or time.monotonic() > deadline:
            return found
