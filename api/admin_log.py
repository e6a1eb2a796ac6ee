"""Writes of the admin API: admin events appended to the admin log, then read-your-writes.

A write produces one admin event (the same :class:`EventEnvelope` as domain events) to
the admin topic, keyed by the entity (station id, or id token), notes where it landed
(partition, offset), and waits until the projector has applied that offset:
``projection_offsets.next_offset > offset`` for (read model, admin topic, partition), in
the same PostgreSQL transaction as the rows (DESIGN decisions 6 and 7). A write is thus
either visible when the endpoint returns, or the endpoint answers 504 (the event is on the
log and will still be applied: writes are never half-done, only late).

Exception tree::

    AdminLogError
     ├── LogUnavailable      Kafka refused the event (nothing was written)
     └── ProjectionTimeout   the event is on the log, the read model has not shown it yet
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.envelopes import EventEnvelope
from schemas.events import validate_event_data
from schemas.readmodel import READ_MODEL, projection_offsets

POLL_INTERVAL_S = 0.02


class AdminLogError(Exception):
    """Base of admin-write failures."""


class LogUnavailable(AdminLogError):
    """The admin event could not be appended."""


class ProjectionTimeout(AdminLogError):
    """The admin event was appended but not projected within the wait."""


@dataclass(frozen=True, slots=True)
class Position:
    partition: int
    offset: int


class KafkaLog:
    """An acks=all, idempotent producer to one topic, started lazily on the first append."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _append(self, value: bytes, key: str) -> Position:
        try:
            producer = await self._started()
            meta = await producer.send_and_wait(self.topic, value, key=key.encode())
        except KafkaError as e:
            raise LogUnavailable(str(e)) from e
        return Position(meta.partition, meta.offset)

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all",
                                            enable_idempotence=True)  # fmt: skip
                await producer.start()
                self._producer = producer
            return self._producer

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None


class AdminLog(KafkaLog):
    """The API's producer of admin events."""

    async def append(self, event_type: str, key: str, station_id: str | None,
                     data: dict[str, Any], request_id: str) -> Position:  # fmt: skip
        validate_event_data(event_type, 1, data)
        envelope = EventEnvelope(
            event_id=uuid.uuid4(), type=event_type, schema_version=1, station_id=station_id,
            occurred_at=datetime.now(UTC), causation_id=f"api/{request_id}",
            correlation_id=request_id, data=data,
        )  # fmt: skip
        return await self._append(envelope.encode(), key)

    async def wait_projected(self, engine: AsyncEngine, at: Position, timeout_s: float) -> None:
        query = select(projection_offsets.c.next_offset).where(
            projection_offsets.c.projection == READ_MODEL,
            projection_offsets.c.topic == self.topic,
            projection_offsets.c.partition == at.partition,
        )
        deadline = time.monotonic() + timeout_s
        while True:
            async with engine.connect() as conn:
                applied = (await conn.execute(query)).scalar_one_or_none()
            if applied is not None and applied > at.offset:
                return
            if time.monotonic() > deadline:
                raise ProjectionTimeout(f"{self.topic}/{at.partition}/{at.offset} not projected")
            await asyncio.sleep(POLL_INTERVAL_S)
