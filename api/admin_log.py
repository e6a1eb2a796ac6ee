"""Writes of the admin API: admin events appended to the admin log, then read-your-writes.

A write produces one admin event (the same :class:`EventEnvelope` as domain events) to
the admin topic, keyed by the entity (station id, or id token), notes where it landed
(partition, offset), and waits until the projection that shows it has applied that
offset: ``projection_offsets.next_offset > offset`` for the *live* version of that
projection, admin topic and partition, written in the same PostgreSQL transaction as the
rows (DESIGN decisions 6 and 7). A write is thus either visible when the endpoint returns,
or the endpoint answers 504 (the event is on the log and will still be applied: writes are
never half-done, only late).

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

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.events import DomainEvent, envelope
from schemas.readmodel import projection_offsets, projection_versions

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

    async def append(
        self, event: DomainEvent, key: str, station_id: str | None, request_id: str, *,
        event_id: uuid.UUID | None = None,
    ) -> Position:
        """Append ``event`` (as ``event_id`` when given: a writer that checks afterwards
        whether its own record is the one the read model shows)."""
        recorded = envelope(event, event_id=event_id or uuid.uuid4(), station_id=station_id,
                            occurred_at=datetime.now(UTC), causation_id=f"api/{request_id}",
                            correlation_id=request_id)  # fmt: skip
        return await self._append(recorded.encode(), key)

    async def wait_projected(self, engine: AsyncEngine, projection: str, at: Position,
                             timeout_s: float) -> None:  # fmt: skip
        """Until the live version of ``projection`` has applied the record at ``at``."""
        o, v = projection_offsets.c, projection_versions.c
        live = and_(v.projection == o.projection, v.version == o.version, v.status == "live")
        query = select(o.next_offset).join_from(projection_offsets, projection_versions, live)
        query = query.where(o.projection == projection, o.topic == self.topic,
                            o.partition == at.partition)  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while True:
            async with engine.connect() as conn:
                applied = (await conn.execute(query)).scalar_one_or_none()
            if applied is not None and applied > at.offset:
                return
            if time.monotonic() > deadline:
                raise ProjectionTimeout(f"{self.topic}/{at.partition}/{at.offset} not projected")
            await asyncio.sleep(POLL_INTERVAL_S)
