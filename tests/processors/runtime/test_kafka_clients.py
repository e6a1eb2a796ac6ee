"""The processor's Faust client adjustments (processors/runtime/kafka_clients.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from faust.transport.drivers.aiokafka import Producer
from faust.types import TP

from processors.runtime import ProcessorConfig, create_app
from processors.runtime.kafka_clients import ConcurrentCommitProducer, ShortFetchConsumer
from schemas.topics import Topics


class _SlowCommits(Producer):
    """Stands in for the broker round trips of one partition's commit."""

    steps: list[tuple[str, str]]

    async def commit_transactions(self, tid_to_offset_map: Mapping[str, Mapping[TP, int]],
                                  group_id: str, start_new_transaction: bool = True) -> None:
        [tid] = tid_to_offset_map
        self.steps.append(("start", tid))
        await asyncio.sleep(0.05)
        self.steps.append(("end", tid))


class _Probe(ConcurrentCommitProducer, _SlowCommits):
    pass


async def test_partitions_commit_concurrently_each_with_its_own_offsets() -> None:
    producer = object.__new__(_Probe)
    producer.steps = []
    offsets = {f"app-0-{p}": {TP("frames", p): 10 + p} for p in range(4)}
    await producer.commit_transactions(offsets, "app")
    assert [kind for kind, _ in producer.steps] == ["start"] * 4 + ["end"] * 4
    assert sorted(tid for _, tid in producer.steps[:4]) == sorted(offsets)


async def test_the_app_uses_the_tuned_clients() -> None:
    app = create_app(ProcessorConfig(app_id="tuned", bootstrap="127.0.0.1:1",
                                     topics=Topics("t"), partitions=2))  # fmt: skip
    assert app.transport.Producer is ConcurrentCommitProducer
    assert app.transport.Consumer is ShortFetchConsumer


async def test_the_worker_consumer_waits_at_most_the_short_fetch_wait() -> None:
    from processors.runtime.kafka_clients import FETCH_MAX_WAIT_MS

    app = create_app(ProcessorConfig(app_id="tuned-fetch", bootstrap="127.0.0.1:1",
                                     topics=Topics("t"), partitions=2))  # fmt: skip
    thread = app.consumer._thread  # type: ignore[attr-defined]
    consumer = thread._create_worker_consumer(app.transport)
    # AIOKafkaConsumer.start() builds its Fetcher with this value.
    assert consumer._fetch_max_wait_ms == FETCH_MAX_WAIT_MS
