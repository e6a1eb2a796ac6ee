"""The processor's Kafka clients, adjusted where Faust's fixed choices cost latency.

- **Fetch wait.** Faust builds its consumer with ``fetch_max_wait_ms=1500``. aiokafka keeps
  one fetch in flight per broker and leaves out of it every partition whose records are
  still buffered; under load the frames partitions were often buffered, the fetch asked only
  for idle partitions (admin, commands) and the broker held it for the full 1.5 s, while
  frames waited behind it. Measured at 500 msg/s offered: the frame to reply step took
  1.55 s at p50, with the processor 70% idle. :data:`FETCH_MAX_WAIT_MS` bounds that wait.
- **Commits.** Under ``processing_guarantee="exactly_once"`` each assigned partition has its
  own transactional producer, and Faust commits them one after the other (offsets, EndTxn,
  a new transaction: each a broker round trip), holding that partition's lock meanwhile, so
  the agent could not append to it. :class:`ConcurrentCommitProducer` commits them
  concurrently: each partition still takes its own lock and carries its own offsets.
- **Recovery's highwaters.** In a transactional app Faust takes a changelog partition's
  highwater from ``AIOKafkaConsumer.last_stable_offset``, which aiokafka learns only from a
  fetch response: right after an assignment, before any fetch, it is unknown, Faust reads
  that as an empty changelog, skips the restore and the processor starts with empty tables
  (after a restart the Pipe had lost its queued and in-flight calls, which then stayed
  queued forever). :class:`_ShortFetchThread` asks the broker instead: ``end_offsets`` of a
  read_committed consumer is a ListOffsets request at that isolation level, which answers
  the last stable offset.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiokafka
import faust
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer, Producer
from faust.types import TP

FETCH_MAX_WAIT_MS = 10


class ConcurrentCommitProducer(Producer):
    async def commit_transactions(
        self,
        tid_to_offset_map: Mapping[str, Mapping[TP, int]],
        group_id: str,
        start_new_transaction: bool = True,
    ) -> None:
        commit = super().commit_transactions
        await asyncio.gather(*(
            commit({tid: offsets}, group_id, start_new_transaction=start_new_transaction)
            for tid, offsets in tid_to_offset_map.items()
        ))  # fmt: skip


class _ShortFetchThread(AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # Read by AIOKafkaConsumer.start() when it builds its Fetcher.
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer

    async def _highwaters(self, partitions: list[TP]) -> Mapping[TP, int]:
        """The end offsets from the broker (at the consumer's isolation level: the last
        stable offsets when read_committed), never the ones cached from fetches."""
        ends: Mapping[TP, int] = await self._ensure_consumer().end_offsets(partitions)
        return ends


class ShortFetchConsumer(Consumer):
    def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
        return _ShortFetchThread(self, loop=self.loop, beacon=self.beacon)


def tune(app: faust.App) -> None:
    """Before the app creates its consumer and producer."""
    setattr(app.transport, "Producer", ConcurrentCommitProducer)  # noqa: B010 (a ClassVar)
    setattr(app.transport, "Consumer", ShortFetchConsumer)  # noqa: B010
