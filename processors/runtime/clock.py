"""The Pipe clock: time reaches the Pipe as ``tick`` commands on the commands log
(docs/CALLS.md)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from processors.runtime.config import ProcessorConfig
from schemas.commands import CommandKind, CommandRecord

log = logging.getLogger(__name__)


class PipeClock:
    """Turns time into records: every ``tick_interval_s`` it appends a ``tick`` command for
    each station of this worker whose Pipe deadline has passed (``pipe-deadlines``).

    The tick is processed by the agent like any other record of the station, so a timeout
    or an expiry is decided inside the partition's transaction, in order, never by a timer
    mutating state on its own. Ticks are idempotent (a tick with nothing due decides
    nothing), so they are written with a plain idempotent producer, outside the agent's
    transactions, and a tick not seen processed is simply sent again after a while.

    After the worker (re)covers its tables, the clock stays silent for one response timeout:
    answers that reached the frames log while no processor ran are consumed first, as they
    would have been, instead of racing a tick on the commands log (Faust gives no order
    between two topics) and being recorded as late.
    """

    RESEND_AFTER_S = 5.0

    def __init__(self, deadlines: Any, config: ProcessorConfig,
                 recovering: Callable[[], bool]) -> None:  # fmt: skip
        self.deadlines = deadlines
        self.config = config
        self.recovering = recovering
        self._producer: AIOKafkaProducer | None = None
        self._ticked: dict[str, tuple[str, float]] = {}
        self._ready_since: float | None = None

    def _quiet(self) -> bool:
        if self.recovering():
            self._ready_since = None
            return True
        if self._ready_since is None:
            self._ready_since = time.monotonic()
        grace = self.config.handlers.call_response_timeout_s
        return time.monotonic() - self._ready_since < grace

    async def run(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.config.tick_interval_s)
                if self._quiet():
                    continue
                try:
                    await self._tick_due(datetime.now(UTC))
                except (KafkaError, OSError) as e:
                    log.warning("pipe clock: ticks not sent (%s); retrying", e)
        finally:
            if self._producer is not None:
                await self._producer.stop()

    async def _tick_due(self, now: datetime) -> None:
        due = [(station, at) for station, at in list(self.deadlines.items())
               if at is not None and datetime.fromisoformat(at) <= now]  # fmt: skip
        self._ticked = {s: t for s, t in self._ticked.items() if s in self.deadlines}
        for station, at in due:
            sent = self._ticked.get(station)
            if sent is not None and sent[0] == at and time.monotonic() - sent[1] < \
                    self.RESEND_AFTER_S:  # fmt: skip
                continue
            tick = CommandRecord(kind=CommandKind.TICK, station_id=station, at=now)
            producer = await self._producer_started()
            await producer.send(self.config.topics.commands, tick.encode(), key=station.encode())
            self._ticked[station] = (at, time.monotonic())

    async def _producer_started(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(bootstrap_servers=self.config.bootstrap,
                                        enable_idempotence=True, linger_ms=5)  # fmt: skip
            await producer.start()
            self._producer = producer
        return self._producer
