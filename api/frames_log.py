"""Reading frames-log and events-log records by their position (topic, partition, offset).

The audit index (``frames``, ``frame_events`` read models) says where a station's records
are; this reads exactly those, never a whole topic. Per partition the wanted offsets are
sorted and cut into *runs*: offsets closer than ``gap`` to the previous one are read
consecutively (the records between them, other stations' traffic of the same partition,
are fetched and skipped), a bigger gap is a seek. One consumer (no group, nothing
committed, ``read_committed``: an event of an aborted transaction is never returned, and
the frames log, written without transactions, reads the same either way) reads each
partition, the partitions of a read at the same time; a small pool of started consumers
is kept between reads, so a read costs no connection set-up.

Exception tree::

    LogReadError
     ├── ReadUnavailable   Kafka did not answer (or not in time)
     └── RecordsMissing    a wanted offset is not in the log (past its end, or not a record)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

DEFAULT_GAP = 256
"""Read through up to this many unwanted records rather than seek (a seek costs a fetch
round trip; skipping a record costs its decoding)."""
FETCH_BYTES = 4 * 1024 * 1024


class LogReadError(Exception):
    """Base of failures to read records by position."""


class ReadUnavailable(LogReadError):
    """Kafka did not answer, or not within the read's time limit."""


class RecordsMissing(LogReadError):
    """Some wanted offsets are not records of the log."""


@dataclass(frozen=True, slots=True, order=True)
class Position:
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class Run:
    """Offsets ``first`` .. ``last`` of one partition, read consecutively."""

    first: int
    last: int


class Progress(Protocol):
    """Told how many records a read will return, then how many more it has read."""

    def planned(self, records: int) -> None: ...

    def advanced(self, records: int) -> None: ...


def plan_runs(offsets: Iterable[int], gap: int = DEFAULT_GAP) -> list[Run]:
    """The wanted offsets (any order, repeats allowed) as runs: a new run starts where the
    next wanted offset is more than ``gap`` records past the previous one."""
    runs: list[Run] = []
    for offset in sorted(set(offsets)):
        if runs and offset - runs[-1].last <= gap:
            runs[-1] = Run(runs[-1].first, offset)
        else:
            runs.append(Run(offset, offset))
    return runs


def by_partition(positions: Iterable[Position]) -> dict[TopicPartition, list[int]]:
    """Wanted offsets per partition."""
    grouped: dict[TopicPartition, list[int]] = {}
    for p in positions:
        grouped.setdefault(TopicPartition(p.topic, p.partition), []).append(p.offset)
    return grouped


class LogReader:
    """Reads records by position with a pool of up to ``pool_size`` started consumers."""

    def __init__(self, bootstrap: str, *, pool_size: int = 4, gap: int = DEFAULT_GAP,
                 timeout_s: float = 10.0) -> None:  # fmt: skip
        self.bootstrap = bootstrap
        self.gap = gap
        self.timeout_s = timeout_s
        self._idle: list[AIOKafkaConsumer] = []
        self._slots = asyncio.Semaphore(pool_size)

    async def read(self, positions: Iterable[Position],
                   progress: Progress | None = None) -> dict[Position, bytes]:  # fmt: skip
        """The value of the record at each position (RecordsMissing if one is not there)."""
        wanted = by_partition(positions)
        if progress is not None:
            progress.planned(sum(len(set(offsets)) for offsets in wanted.values()))
        found: dict[Position, bytes] = {}
        for part in await asyncio.gather(*(self._read_one(tp, offsets, progress)
                                           for tp, offsets in sorted(wanted.items()))):
            found.update(part)
        return found

    async def _read_one(self, tp: TopicPartition, offsets: Sequence[int],
                        progress: Progress | None) -> dict[Position, bytes]:  # fmt: skip
        """One partition's records, on a consumer of its own: a page's frames and events
        (two partitions) are fetched at the same time."""
        async with self._consumer() as consumer:
            return await self._read_partition(consumer, tp, offsets, progress)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for consumer in idle:
            await consumer.stop()

    @asynccontextmanager
    async def _consumer(self) -> AsyncIterator[AIOKafkaConsumer]:
        async with self._slots:
            consumer = self._idle.pop() if self._idle else await self._started()
            try:
                yield consumer
            except BaseException:
                await consumer.stop()  # its fetch state is unknown: never reused
                raise
            self._idle.append(consumer)

    async def _started(self) -> AIOKafkaConsumer:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
            isolation_level="read_committed", fetch_max_wait_ms=50,
            max_partition_fetch_bytes=FETCH_BYTES, fetch_max_bytes=FETCH_BYTES,
        )  # fmt: skip
        try:
            await asyncio.wait_for(consumer.start(), self.timeout_s)
        except (KafkaError, TimeoutError) as e:
            await consumer.stop()
            raise ReadUnavailable(f"Kafka at {self.bootstrap} did not answer: {e}") from e
        return consumer

    async def _read_partition(self, consumer: AIOKafkaConsumer, tp: TopicPartition,
                              offsets: Sequence[int],
                              progress: Progress | None) -> dict[Position, bytes]:  # fmt: skip
        deadline = time.monotonic() + self.timeout_s
        try:
            consumer.assign([tp])
            end = (await consumer.end_offsets([tp]))[tp]
            _check_below(tp, offsets, end)
            found: dict[Position, bytes] = {}
            wanted = set(offsets)
            reached = -1  # every record before this offset has been seen
            for run in plan_runs(offsets, self.gap):
                if run.last < reached:
                    continue  # read already, in the previous run's last fetch
                if run.first >= reached:
                    consumer.seek(tp, run.first)
                reached = await self._read_run(consumer, tp, run, wanted, found, deadline,
                                               progress)  # fmt: skip
        except KafkaError as e:
            raise ReadUnavailable(f"reading {tp.topic}/{tp.partition}: {e}") from e
        _check_found(tp, wanted, found)
        return found

    async def _read_run(self, consumer: AIOKafkaConsumer, tp: TopicPartition, run: Run,
                        wanted: set[int], found: dict[Position, bytes], deadline: float,
                        progress: Progress | None) -> int:  # fmt: skip
        """Fetch from the position until past ``run.last``, keeping the wanted records
        (those the last fetch holds beyond the run too); returns the position reached."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReadUnavailable(f"reading {tp.topic}/{tp.partition} took over "
                                      f"{self.timeout_s}s")  # fmt: skip
            batch = await consumer.getmany(tp, timeout_ms=int(min(remaining, 1.0) * 1000))
            kept = 0
            for record in batch.get(tp, ()):
                if record.offset not in wanted or record.value is None:
                    continue  # most records of a run are other stations'
                at = Position(tp.topic, tp.partition, record.offset)
                if at not in found:
                    found[at] = record.value
                    kept += 1
            if progress is not None and kept:
                progress.advanced(kept)
            reached: int = await consumer.position(tp)
            if reached > run.last:
                return reached


def _check_below(tp: TopicPartition, offsets: Sequence[int], end: int) -> None:
    beyond = sorted(o for o in offsets if o >= end or o < 0)
    if beyond:
        raise RecordsMissing(f"{tp.topic}/{tp.partition} ends at {end}: no record at "
                             f"{_some(beyond)}")  # fmt: skip


def _check_found(tp: TopicPartition, wanted: set[int], found: dict[Position, bytes]) -> None:
    missing = sorted(o for o in wanted if Position(tp.topic, tp.partition, o) not in found)
    if missing:
        raise RecordsMissing(f"{tp.topic}/{tp.partition} holds no record at {_some(missing)}")


def _some(offsets: Sequence[int]) -> str:
    shown = ", ".join(str(o) for o in offsets[:5])
    return shown + (f" and {len(offsets) - 5} more" if len(offsets) > 5 else "")
