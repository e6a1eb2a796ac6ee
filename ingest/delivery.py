"""Consumes this gateway's delivery topic: frames the processors want sent to stations."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from ingest import DeliveryUnavailable
from schemas.envelopes import Delivery

log = logging.getLogger(__name__)


class DeliveryConsumer:
    """Reads committed deliveries only (processors write them in Kafka transactions)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            isolation_level="read_committed",
            enable_auto_commit=False,
            fetch_max_wait_ms=100,
        )

    async def start(self) -> None:
        """Start reading at the end: frames routed while no gateway held them are moot,
        since the connections they were meant for are gone."""
        try:
            await self._consumer.start()
            partition = TopicPartition(self.topic, 0)
            self._consumer.assign([partition])
            await self._consumer.seek_to_end(partition)
            await self._consumer.position(partition)
        except (KafkaError, OSError) as e:
            raise DeliveryUnavailable(f"cannot read deliveries from Kafka: {e}") from e

    async def stop(self) -> None:
        await self._consumer.stop()

    async def run(self, deliver: Callable[[Delivery], Awaitable[None]]) -> None:
        async for message in self._consumer:
            try:
                delivery = Delivery.decode(message.value)
            except ValidationError:
                log.error(
                    "malformed delivery at %s/%d/%d",
                    message.topic,
                    message.partition,
                    message.offset,
                )
                continue
            await deliver(delivery)
