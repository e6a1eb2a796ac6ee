"""The Pipe clock: time reaches the Pipe as ``tick`` commands on the commands log
(docs/CALLS.md)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from processors.runtime.config import ProcessorConfig
from processors.runtime.progress import EndOffsets, FramesProgress
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

    The clock is silent while the worker recovers its tables, and a station's tick waits
    until the agent has processed every frame of the station's partition that was in the
    log when the deadline passed (:class:`~processors.runtime.progress.FramesProgress`):
    an answer the gateway appended in time is consumed first, as it would have been, instead
    of racing the tick on the commands log (Faust gives no order between two topics) and
    being recorded as late.
    """

    RESEND_AFTER_S = 5.0
    OFFSETS_TIMEOUT_S = 5.0
    """How long a round waits for the frames log's offsets."""
    OVERDUE_MIN_S = 10.0
    """A deadline this long past (or five response timeouts, if longer) ticks even when it
    was never judged settled."""

    def __init__(self, deadlines: Any, config: ProcessorConfig, progress: FramesProgress,
                 recovering: Callable[[], bool]) -> None:  # fmt: skip
        self.deadlines = deadlines
        self.config = config
        self.progress = progress
        self.recovering = recovering
        self._producer: AIOKafkaProducer | None = None
        self._log: AIOKafkaConsumer | None = None
        self._ticked: dict[str, tuple[str, float]] = {}

    async def run(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.config.tick_interval_s)
                if self.recovering():
                    continue
                try:
                    await self._tick_due(datetime.now(UTC))
                except (KafkaError, OSError) as e:
                    log.warning("pipe clock: ticks not sent (%s); retrying", e)
        finally:
            for client in (self._producer, self._log):
                if client is not None:
                    await client.stop()

    async def _tick_due(self, now: datetime) -> None:
        due = [(station, at) for station, at in list(self.deadlines.items())
               if at is not None and datetime.fromisoformat(at) <= now]  # fmt: skip
        self._ticked = {s: t for s, t in self._ticked.items() if s in self.deadlines}
        if not due:
            return
        try:
            self.progress.snapshot(await asyncio.wait_for(self._frames_ends(now),
                                                          self.OFFSETS_TIMEOUT_S))  # fmt: skip
        except TimeoutError:
            log.warning("pipe clock: the frames log's offsets took over %g s; ticks wait for "
                        "them at most %g s past a deadline", self.OFFSETS_TIMEOUT_S,
                        self._overdue_s())  # fmt: skip
        for station, at in due:
            if not self._may_tick(station, at):
                continue
            tick = CommandRecord(kind=CommandKind.TICK, station_id=station, at=now)
            producer = await self._producer_started()
            await producer.send(self.config.topics.commands, tick.encode(), key=station.encode())
            self._ticked[station] = (at, time.monotonic())
        self.progress.forget_before(min(datetime.fromisoformat(at) for _, at in due))

    def _may_tick(self, station: str, at: str) -> bool:
        sent = self._ticked.get(station)
        if sent is not None and sent[0] == at and time.monotonic() - sent[1] < \
                self.RESEND_AFTER_S:  # fmt: skip
            return False
        deadline = datetime.fromisoformat(at)
        if self.progress.settled(station, deadline):
            return True
        # Liveness first: a deadline never judged settled (the offsets unreadable, a
        # partition that does not move) still ticks, late, as a clock without the check would.
        return (datetime.now(UTC) - deadline).total_seconds() >= self._overdue_s()

    def _overdue_s(self) -> float:
        return max(self.OVERDUE_MIN_S, 5 * self.config.handlers.call_response_timeout_s)

    async def _frames_ends(self, now: datetime) -> EndOffsets:
        """The frames log's end offsets now, and the group's committed offsets (what earlier
        workers processed) into the progress."""
        consumer = await self._log_started()
        partitions = [TopicPartition(self.config.topics.frames, p)
                      for p in range(self.config.partitions)]  # fmt: skip
        ends = await consumer.end_offsets(partitions)
        behind = [tp for tp, end in ends.items() if self.progress.behind(tp.partition, end)]
        self.progress.committed({tp.partition: await consumer.committed(tp) for tp in behind})
        return EndOffsets(taken_at=now, ends={tp.partition: end for tp, end in ends.items()})

    async def _log_started(self) -> AIOKafkaConsumer:
        # A consumer of the processor's group that never joins it: it only reads end offsets
        # and the group's committed offsets.
        if self._log is None:
            consumer = AIOKafkaConsumer(bootstrap_servers=self.config.bootstrap,
                                        group_id=self.config.app_id, enable_auto_commit=False)
            await consumer.start()
            self._log = consumer
        return self._log

    async def _producer_started(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(bootstrap_servers=self.config.bootstrap,
                                        enable_idempotence=True, linger_ms=5)  # fmt: skip
            await producer.start()
            self._producer = producer
        return self._producer
