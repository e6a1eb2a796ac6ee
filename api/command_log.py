"""The API's producer of commands (``<prefix>.commands``, key = station id) and the waits
that give callers their own writes back (docs/CALLS.md).

A command is a request to the processor, not a fact: the API appends it (acks=all,
idempotent producer) and then watches the ``calls`` read model, which the projector fills
from the events the processor emits in answer (``CallQueued``, ``CallCancelled``, ...).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.admin_log import POLL_INTERVAL_S, LogUnavailable, Position
from schemas.commands import CommandRecord
from schemas.readmodel import calls


class CommandLog:
    """Started lazily, on the first command."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def append(self, command: CommandRecord) -> Position:
        try:
            producer = await self._started()
            meta = await producer.send_and_wait(self.topic, command.encode(),
                                                key=command.station_id.encode())  # fmt: skip
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


async def wait_for_call(engine: AsyncEngine, call_id: str, timeout_s: float,
                        done: Callable[[RowMapping], bool]) -> RowMapping | None:  # fmt: skip
    """The call's row once ``done(row)`` holds, or its latest row (None if not projected)
    after ``timeout_s``."""
    query = select(calls).where(calls.c.call_id == call_id)
    deadline = time.monotonic() + timeout_s
    while True:
        async with engine.connect() as conn:
            row = (await conn.execute(query)).first()
        mapping = row._mapping if row is not None else None
        if (mapping is not None and done(mapping)) or time.monotonic() >= deadline:
            return mapping
        await asyncio.sleep(POLL_INTERVAL_S)
