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

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.admin_log import POLL_INTERVAL_S, KafkaLog, Position
from schemas.commands import CommandRecord
from schemas.readmodel import calls


class CommandLog(KafkaLog):
    """The API's producer of commands, keyed by station id."""

    async def append(self, command: CommandRecord) -> Position:
        return await self._append(command.encode(), command.station_id)


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
