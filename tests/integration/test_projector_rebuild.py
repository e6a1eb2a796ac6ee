"""Projections are rebuildable and exactly-once in effect (DESIGN decision 6), on the real
broker and database: new versions built from offset 0 beside the live ones give identical
rows, and a projector killed mid-stream neither loses nor doubles an event's effect."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from csms.config import Settings
from schemas.events import DomainEvent, EventEnvelope, StationBooted, envelope
from schemas.topics import Topics
from tests.integration.read_store import (
    applied_offsets,
    snapshot,
    wait_caught_up,
    wait_settled,
)
from tests.services import ServiceSet
from tests.stations import BOOT_16, BOOT_201, Station, connect_station

pytestmark = pytest.mark.integration


def projected_topics(settings: Settings) -> list[str]:
    topics = Topics(settings.topic_prefix)
    return [topics.events, topics.admin]


async def boot_some_stations(settings: Settings, count: int) -> None:
    for i in range(count):
        subprotocol, boot = ("ocpp1.6", BOOT_16) if i % 2 else ("ocpp2.0.1", BOOT_201)
        async with connect_station(settings.gateway_port, f"RB-{i}", subprotocol) as ws:
            reply = await Station(ws).call("BootNotification", boot, timeout=90)
            assert reply[0] == 3


async def test_rebuild_from_offset_zero_gives_identical_rows(
    stack: ServiceSet, settings: Settings
) -> None:
    await boot_some_stations(settings, 6)
    topics = projected_topics(settings)
    await wait_settled(settings)
    live = snapshot(settings.libpq_url)
    assert len(booted(live)) == 6

    # Some gateway tests write station credentials straight into the read store, not through
    # the log: those rows cannot come back. So: the rows of this test's stations come back as
    # they were projected live, and a second rebuild reproduces the first exactly.
    stack.rebuild_beside()
    await wait_caught_up(settings.bootstrap, settings.libpq_url, topics)
    rebuilt = snapshot(settings.libpq_url)
    assert booted(rebuilt) == booted(live)
    stack.rebuild_beside()
    await wait_caught_up(settings.bootstrap, settings.libpq_url, topics)
    assert snapshot(settings.libpq_url) == rebuilt


def booted(tables: dict[str, list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    return [row for row in tables["stations"] if str(row[0]).startswith("RB-")]


def booted_event(station_id: str, n: int) -> EventEnvelope[DomainEvent]:
    booted = StationBooted(ocpp_version="ocpp1.6", vendor="ACME", model="Replay",
                           firmware_version=f"fw-{n}", status="Accepted", interval=300)  # fmt: skip
    return envelope(booted, event_id=uuid.uuid4(), station_id=station_id,
                    occurred_at=datetime.now(UTC), causation_id=f"test/{n}",
                    correlation_id=f"test-{n}")  # fmt: skip


async def test_projector_killed_mid_stream_neither_loses_nor_doubles(
    stack: ServiceSet, settings: Settings
) -> None:
    stations, per_station = 40, 100
    stack.stop("projector")
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=5)  # fmt: skip
    await producer.start()
    try:
        sends = [
            await producer.send(
                Topics(settings.topic_prefix).events,
                booted_event(f"KILL-{i % stations}", i).encode(),
                key=f"KILL-{i % stations}".encode(),
            )
            for i in range(stations * per_station)
        ]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()

    before_kill = sum(applied_offsets(settings.libpq_url).values())
    small_batches = {"CSMS_PROJECTOR_BATCH_SIZE": "25"}
    stack.start("projector", env=small_batches)
    deadline = time.monotonic() + 60
    while sum(applied_offsets(settings.libpq_url).values()) == before_kill:
        assert time.monotonic() < deadline, "projector never started applying"
        await asyncio.sleep(0.01)
    stack.stop("projector", kill=True)
    at_kill = sum(applied_offsets(settings.libpq_url).values())

    stack.start("projector", env=small_batches)
    await wait_caught_up(settings.bootstrap, settings.libpq_url, projected_topics(settings))
    after = sum(applied_offsets(settings.libpq_url).values())
    assert before_kill < at_kill < after, "the kill did not land mid-stream"

    counts = {
        row[0]: row
        for row in snapshot(settings.libpq_url)["stations"]
        if str(row[0]).startswith("KILL-")
    }
    assert len(counts) == stations
    boot_counts = _boot_counts(settings)
    assert boot_counts == {f"KILL-{i}": per_station for i in range(stations)}


def _boot_counts(settings: Settings) -> dict[str, int]:
    import psycopg

    with psycopg.connect(settings.libpq_url) as conn:
        rows = conn.execute(
            "SELECT station_id, boot_count FROM stations WHERE station_id LIKE 'KILL-%'"
        ).fetchall()
    return {s: c for s, c in rows}
