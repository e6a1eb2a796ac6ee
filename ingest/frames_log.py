"""The frames-log producer: every frame is durably in Kafka before the gateway acts on it."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from ingest import FramesLogUnavailable
from schemas.envelopes import FrameRecord


class FramesLog:
    """Appends :class:`FrameRecord` to the frames topic, keyed by station id.

    acks=all and the idempotent producer: a record acknowledged is on every in-sync
    replica and appears exactly once even when the producer retries.
    """

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
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
        await self._producer.stop()

    async def append(self, record: FrameRecord) -> tuple[int, int]:
        """Append and wait for the broker's acknowledgement; return (partition, offset)."""
        try:
            meta = await self._producer.send_and_wait(
                self.topic, record.encode(), key=record.station_id.encode()
            )
        except KafkaError as e:
            raise FramesLogUnavailable(f"frames log append failed: {e}") from e
        return meta.partition, meta.offset
