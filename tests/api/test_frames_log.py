"""Reading records by position: the runs plan, and reads on the real broker (records of two
keys interleaved in a partition, big gaps, offsets past the end, an aborted transaction)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from api.frames_log import LogReader, Position, RecordsMissing, Run, plan_runs
from csms.config import Settings


def test_close_offsets_are_one_run_and_a_big_gap_starts_another() -> None:
    assert plan_runs([7, 3, 5, 3, 400, 401, 1000], gap=10) == [
        Run(3, 7), Run(400, 401), Run(1000, 1000)]


def test_a_gap_of_exactly_the_limit_is_read_through() -> None:
    assert plan_runs([0, 10, 21], gap=10) == [Run(0, 10), Run(21, 21)]


def test_nothing_wanted_is_no_run() -> None:
    assert plan_runs([]) == []


class Counted:
    def __init__(self) -> None:
        self.planned_records = 0
        self.read = 0

    def planned(self, records: int) -> None:
        self.planned_records = records

    def advanced(self, records: int) -> None:
        self.read += records


@pytest.fixture(scope="module")
async def topic(settings: Settings) -> AsyncIterator[str]:
    name = f"{settings.topic_prefix}.reader-{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 1, 1)])
        yield name
    finally:
        await admin.close()


@pytest.fixture(scope="module")
async def interleaved(settings: Settings, topic: str) -> dict[Position, bytes]:
    """3,000 records; every 7th is ours (then a gap of 1,000 others, then ours again)."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all")
    await producer.start()
    ours: dict[Position, bytes] = {}
    try:
        for n in range(3000):
            mine = n % 7 == 0 and not 1000 <= n < 2000
            value = f"{'ours' if mine else 'other'}-{n}".encode()
            meta = await producer.send(topic, value, key=b"k", partition=0)
            if mine:
                ours[Position(topic, 0, (await meta).offset)] = value
        await producer.flush()
    finally:
        await producer.stop()
    return ours


@pytest.mark.integration
@pytest.mark.parametrize("gap", [0, 6, 256, 5000])
async def test_reads_exactly_the_wanted_records(settings: Settings,
                                                interleaved: dict[Position, bytes],
                                                gap: int) -> None:  # fmt: skip
    reader = LogReader(settings.bootstrap, gap=gap)
    counted = Counted()
    try:
        found = await reader.read(reversed(list(interleaved)), counted)
        again = await reader.read(list(interleaved)[:3])  # the pooled consumer, seeking back
    finally:
        await reader.close()
    assert found == interleaved
    assert counted.planned_records == counted.read == len(interleaved)
    assert again == dict(list(interleaved.items())[:3])


@pytest.mark.integration
async def test_an_offset_past_the_end_is_missing(
    settings: Settings, topic: str, interleaved: dict[Position, bytes],
) -> None:
    reader = LogReader(settings.bootstrap)
    try:
        with pytest.raises(RecordsMissing, match="no record at 3000"):
            await reader.read([Position(topic, 0, 5), Position(topic, 0, 3000)])
    finally:
        await reader.close()


@pytest.mark.integration
async def test_an_aborted_record_is_never_read(settings: Settings) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
    await admin.start()
    name = f"{settings.topic_prefix}.aborted-{uuid.uuid4().hex[:6]}"
    try:
        await admin.create_topics([NewTopic(name, 1, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap,
                                transactional_id=f"t-{uuid.uuid4().hex}")  # fmt: skip
    await producer.start()
    try:
        async with producer.transaction():
            kept = await (await producer.send(name, b"kept", partition=0))
        await producer.begin_transaction()
        dropped = await (await producer.send(name, b"dropped", partition=0))
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send(name, b"after", partition=0)
    finally:
        await producer.stop()
    reader = LogReader(settings.bootstrap)
    try:
        assert await reader.read([Position(name, 0, kept.offset)]) == {
            Position(name, 0, kept.offset): b"kept"}
        with pytest.raises(RecordsMissing, match=f"no record at {dropped.offset}"):
            await reader.read([Position(name, 0, dropped.offset)])
    finally:
        await reader.close()
