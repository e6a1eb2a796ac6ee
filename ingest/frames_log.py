"""The frames-log producer: every frame is durably in Kafka before the gateway acts on it.

acks=all and the idempotent producer: a record acknowledged is on every in-sync replica and
appears exactly once even when the producer retries. While the broker is unreachable an
idempotent aiokafka producer keeps retrying the same batch (same producer id and sequence
number) instead of expiring it, so :meth:`FramesLog.append` simply waits: the connection that
produced the frame is not read meanwhile (backpressure down to the station's TCP window), and
when the broker is back the record is written once. Nothing is ever re-sent by hand, which
is what would create duplicates.

The gateway asks :meth:`FramesLog.backlogged` at each handshake: past the bound (too many
appends waiting, or the oldest waiting too long) new connections are refused with 503.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, KafkaTimeoutError
from aiokafka.structs import RecordMetadata

from ingest import FramesLogUnavailable
from schemas.envelopes import FrameRecord

log = logging.getLogger(__name__)

ENQUEUE_RETRY_S = 0.5


class FramesLog:
    """Appends :class:`FrameRecord` to the frames topic, keyed by station id."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        *,
        max_pending: int = 1000,
        max_stall_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.topic = topic
        self.max_pending = max_pending
        self.max_stall_s = max_stall_s
        self._clock = clock
        self._pending: dict[int, float] = {}  # append number -> started at (insertion order)
        self._numbers = itertools.count()
        self.appended = 0
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=0,
            request_timeout_ms=30000,
        )

    async def start(self) -> None:
        try:
            await self._producer.start()
        except (KafkaError, OSError) as e:
            raise FramesLogUnavailable(f"cannot reach Kafka: {e}") from e

    async def stop(self) -> None:
        """Flush every record handed to the producer, then close it."""
        await self._producer.stop()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def backlogged(self) -> str | None:
        """Why new connections should be refused now (503), or None when the log keeps up."""
        if len(self._pending) >= self.max_pending:
            return f"{len(self._pending)} frames waiting for Kafka"
        oldest = next(iter(self._pending.values()), None)
        if oldest is not None and self._clock() - oldest > self.max_stall_s:
            return f"Kafka has not acknowledged a frame for {self._clock() - oldest:.1f}s"
        return None

    async def append(self, record: FrameRecord) -> tuple[int, int]:
        """Append and wait for the broker's acknowledgement; return (partition, offset).

        Waits as long as Kafka is unreachable (see the module docstring); raises
        FramesLogUnavailable only for a non-retriable failure or a stopped producer."""
        number = next(self._numbers)
        self._pending[number] = self._clock()
        try:
            delivered = await self._enqueue(record)
            meta = await delivered
        except KafkaError as e:
            raise FramesLogUnavailable(f"frames log append failed: {e!r}") from e
        finally:
            del self._pending[number]
        self.appended += 1
        return meta.partition, meta.offset

    async def _enqueue(self, record: FrameRecord) -> asyncio.Future[RecordMetadata]:
        # send() only fails before the record is in the producer's buffer (buffer full
        # while the broker is away): retrying it cannot duplicate anything.
        while True:
            try:
                future: asyncio.Future[RecordMetadata] = await self._producer.send(
                    self.topic, record.encode(), key=record.station_id.encode()
                )
                return future
            except KafkaTimeoutError:
                log.warning("frames log buffer full; retrying %s", record.station_id)
                await asyncio.sleep(ENQUEUE_RETRY_S)
