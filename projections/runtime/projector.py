"""The projector: events log and admin log → the tables of one or more projection versions,
exactly once in effect, even with several projector processes on the same versions.

Each batch of a partition is applied to every version it follows, and each version's next
offset for that partition moves, in one PostgreSQL transaction (DESIGN decision 6). The
offsets row is a guard, not a record: a version's part of the batch commits only if the
stored next offset is still the one this projector read (compare-and-set in the same
transaction, before any row is written). If another projector moved it, the whole
transaction rolls back, the projector re-reads the offsets and applies what is still new
to it, so no event's effect is ever applied twice or skipped.

The frames log is followed too when a version's projection reads it
(:attr:`Projection.frames`): its records go only to those versions, in batches of their
own, with their offsets committed like the events' (the audit index, docs/AUDIT.md); the
other versions never see the frames topic, so they are not slowed by the biggest log.

Versions are independent: each keeps its own offsets (a version being built from offset 0
beside one that follows the head of the log), and each batch is applied to a version with
``search_path`` set to that version's schema, so the read models' SQL names bare tables.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import orjson
import psycopg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from psycopg import AsyncConnection, sql

from projections import ProjectionDropped, ProjectionError, StoreUnavailable
from projections.runtime.projection import (
    Apply,
    Batched,
    Bulk,
    Cursor,
    Fold,
    FrameItem,
    LoggedEvent,
    Projection,
    Seen,
)
from schemas.envelopes import FrameRecord
from schemas.events import DomainEvent, EventEnvelope, EventError, event_from_json, latest_classes

log = logging.getLogger(__name__)

# A partition's batches on their way from the fetching task to the partition's own task;
# None: no more.
_Queue = asyncio.Queue[list[ConsumerRecord[bytes, bytes]] | None]
_SCHEMA = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Target:
    """One projection version the projector writes: ``projection``'s tables in the schema of
    ``version``."""

    projection: Projection
    version: int
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """What the version is built with besides the code (``projection_versions.params``), e.g.
    a billing backfill's tariff override; handed to the projection's batched handlers."""

    def __post_init__(self) -> None:
        if not _SCHEMA.match(self.schema):
            raise ValueError(f"not a schema name: {self.schema!r}")

    @property
    def schema(self) -> str:
        return self.projection.schema(self.version)

    @property
    def label(self) -> str:
        return f"{self.projection.name}@{self.version}"


class Projector:
    """Applies every event of ``topics`` (the events log and the admin log) to ``targets``,
    and every record of ``frames_topic`` to the targets whose projection reads frames."""

    def __init__(self, *, bootstrap: str, database_url: str, topics: Sequence[str],
                 targets: Sequence[Target], batch_size: int = 1000,
                 frames_topic: str | None = None,
                 settings: Mapping[str, object] | None = None) -> None:  # fmt: skip
        if not targets:
            raise ValueError("a projector needs at least one projection version to write")
        self.bootstrap = bootstrap
        self.database_url = database_url
        self.targets = tuple(targets)
        self.frame_targets = tuple(t for t in self.targets if t.projection.frames is not None)
        self.frames_topic = frames_topic if self.frame_targets else None
        self.topics = tuple(topics) + ((self.frames_topic,) if self.frames_topic else ())
        self.settings: Mapping[str, object] = settings or {}
        """Each projection's settings by name, handed to its frames handler."""
        self.batch_size = batch_size
        self.started: dict[TopicPartition, int] = {}
        """Where each partition was read from: the lowest next offset of the targets."""
        self.applied: dict[TopicPartition, int] = {}
        """Each partition's offset after the last record applied (or known to be old)."""
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._readers: dict[type[DomainEvent] | None, tuple[Target, ...]] = {
            cls: tuple(t for t in self.targets if cls in t.projection.handles)
            for cls in _LATEST.values()
        }
        self._idle: dict[TopicPartition, bool] = {}

    async def run(self) -> None:
        """Follow the topics until :meth:`stop` is called.

        Partitions are applied concurrently, each by its own task on its own connection: a
        partition's events touch only its own stations' rows (the events log is keyed by
        station id), and each batch commits its rows with its own partition's offsets. One
        task fetches and hands each partition its batches through a short queue, so while
        PostgreSQL executes one partition's batch the projector decodes another's.
        """
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, isolation_level="read_committed",
            enable_auto_commit=False, fetch_max_wait_ms=100,
        )  # fmt: skip
        await consumer.start()
        self._consumer = consumer
        try:
            tps = await self._assign(consumer)
            log.info("following %s into %s", ", ".join(self.topics),
                     ", ".join(t.label for t in self.targets))  # fmt: skip
            queues: dict[TopicPartition, _Queue] = {tp: asyncio.Queue(maxsize=2) for tp in tps}
            try:
                async with asyncio.TaskGroup() as tasks:
                    for tp, queue in queues.items():
                        tasks.create_task(self._follow(tp, queue))
                    tasks.create_task(self._fetch(consumer, queues))
            except BaseExceptionGroup as failed:
                raise failed.exceptions[0] from failed  # the first failure
        finally:
            self._consumer = None
            await consumer.stop()

    def stop(self) -> None:
        self._stopping.set()

    async def end_offsets(self) -> dict[TopicPartition, int]:
        """The end of each partition's log now (none before the projector has started)."""
        consumer = self._consumer
        if consumer is None or not self.started:
            return {}
        ends: dict[TopicPartition, int] = await consumer.end_offsets(list(self.started))
        return ends

    async def caught_up(self, ends: dict[TopicPartition, int]) -> bool:
        """Whether every partition has been applied up to ``ends`` (:meth:`end_offsets`)."""
        consumer = self._consumer
        if consumer is None or not ends:
            return False
        for tp, end in ends.items():
            if not self._idle.get(tp, False) or await consumer.position(tp) < end:
                return False
        return True

    async def _fetch(self, consumer: AIOKafkaConsumer,
                     queues: dict[TopicPartition, _Queue]) -> None:  # fmt: skip
        """Hand out batches until stopped, then tell every partition's task to end (a failed
        task instead ends them all through the task group)."""
        while not self._stopping.is_set():
            batches = await consumer.getmany(
                timeout_ms=200, max_records=self.batch_size * len(queues)
            )
            for tp, records in batches.items():
                self._idle[tp] = False
                await queues[tp].put(records)
            for tp, queue in queues.items():
                if tp not in batches and queue.empty():
                    self._idle.setdefault(tp, True)
        for queue in queues.values():
            await queue.put(None)

    async def _follow(self, tp: TopicPartition, queue: _Queue) -> None:
        """Apply a partition's batches on its own connection, opened with its first batch."""
        if (records := await queue.get()) is None:
            return
        async with await connect(self.database_url) as db:
            expected = await self._stored(db, tp)
            while records is not None:
                expected = await self._apply_batch(db, tp, records, expected)
                self.applied[tp] = records[-1].offset + 1
                if queue.empty():
                    self._idle[tp] = True
                records = await queue.get()

    async def _assign(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        tps = [tp for topic in self.topics for tp in await topic_partitions(self.bootstrap, topic)]
        consumer.assign(tps)
        async with await connect(self.database_url) as db:
            for tp in tps:
                stored = await self._stored(db, tp)
                self.started[tp] = self.applied[tp] = min(stored.values(), default=0)
                consumer.seek(tp, self.started[tp])
        return tps

    def targets_of(self, tp: TopicPartition) -> tuple[Target, ...]:
        """The targets that read ``tp``'s topic: frames only go to projections of frames."""
        return self.frame_targets if tp.topic == self.frames_topic else self.targets

    async def _stored(self, db: AsyncConnection[object], tp: TopicPartition) -> dict[Target, int]:
        """Each target's next offset of ``tp`` (0 when it has none yet), for the targets that
        read it; raises :class:`ProjectionDropped` for a target whose version is no longer
        registered."""
        targets = self.targets_of(tp)
        async with db.cursor() as cur:
            await cur.execute(
                """
                SELECT v.projection, v.version, o.next_offset
                FROM public.projection_versions v LEFT JOIN public.projection_offsets o
                    ON o.projection = v.projection AND o.version = v.version
                    AND o.topic = %s AND o.partition = %s
                WHERE (v.projection, v.version) IN (SELECT * FROM unnest(%s::text[], %s::int[]))
                """,
                (tp.topic, tp.partition, [t.projection.name for t in targets],
                 [t.version for t in targets]),
            )  # fmt: skip
            rows: list[Any] = await cur.fetchall()
        await db.commit()
        stored = {(str(p), int(v)): int(o or 0) for p, v, o in rows}
        missing = [t.label for t in targets if (t.projection.name, t.version) not in stored]
        if missing:
            raise ProjectionDropped(f"no longer registered: {', '.join(missing)}")
        return {t: stored[(t.projection.name, t.version)] for t in targets}

    def _parts(self, decoded: list[_Record], expected: dict[Target, int]) -> list[_Part]:
        """What each target has to do with a batch: every target the batch is new to moves
        its offsets; it gets the records of the types it reads (one pass over the batch)."""
        last = decoded[-1].offset
        parts = {t: _Part(t, [], expected[t]) for t in self.targets if last >= expected[t]}
        for record in decoded:
            for target in self._readers.get(record.latest, ()):
                part = parts.get(target)
                if part is not None and record.offset >= part.start:
                    part.handled.append(record)
        return [p.with_seen(decoded) for p in parts.values()]

    async def _apply_batch(self, db: AsyncConnection[object], tp: TopicPartition,
                           records: list[ConsumerRecord[bytes, bytes]],
                           expected: dict[Target, int]) -> dict[Target, int]:  # fmt: skip
        """Apply ``records`` to every target that has not seen them; the targets' offsets
        after it. Retried with fresh offsets when another projector got there first."""
        following = records[-1].offset + 1
        if tp.topic == self.frames_topic:
            items = [_frame_item(r) for r in records]
        else:
            decoded = [_Record.of(r) for r in records]
        while True:
            try:
                async with db.transaction():
                    if tp.topic == self.frames_topic:
                        await self._apply_frames(db, tp, items, expected, following)
                    else:
                        await _apply_parts(db, tp, self._parts(decoded, expected), following)
                return {t: max(o, following) for t, o in expected.items()}
            except _Conflict as conflict:
                log.info("%s %s/%d: offset %d already applied elsewhere; re-reading",
                         conflict.target.label, tp.topic, tp.partition,
                         expected[conflict.target])  # fmt: skip
                expected = await self._stored(db, tp)
            except psycopg.OperationalError as e:
                raise StoreUnavailable(str(e)) from e

    async def _apply_frames(self, db: AsyncConnection[object], tp: TopicPartition,
                            items: list[FrameItem], expected: dict[Target, int],
                            following: int) -> None:  # fmt: skip
        """A frames batch: each frames target's claim and its records from its next offset,
        in one pipeline; the claims are checked at the end (a failed one rolls back)."""
        claims: list[tuple[Target, Cursor]] = []
        async with db.pipeline():
            for target, start in expected.items():
                if items[-1].offset < start:
                    continue
                claim = db.cursor()
                await _claim(claim, target, tp, start, following)
                claims.append((target, claim))
                read = target.projection.frames
                assert read is not None
                async with db.cursor() as cur:
                    await _in_schema(cur, target)
                    await read(cur, [i for i in items if i.offset >= start],
                               self.settings.get(target.projection.name))  # fmt: skip
        await _check_claims(claims)


async def _check_claims(claims: list[tuple[Target, Cursor]]) -> None:
    for target, claim in claims:
        claimed = await claim.fetchone()
        await claim.close()
        if claimed is None:
            raise _Conflict(target)


def _frame_item(record: ConsumerRecord[bytes, bytes]) -> FrameItem:
    """A frames-log record, decoded; one that is not a readable FrameRecord is kept with the
    reason (it is in the log, so it is in any projection of the log)."""
    value = record.value or b""
    key = None if record.key is None else record.key.decode(errors="replace")
    try:
        decoded: FrameRecord | None = FrameRecord.decode(value)
        error = None
    except ValueError as e:
        decoded, error = None, str(e).splitlines()[0]
    return FrameItem(record.topic, record.partition, record.offset, record.timestamp, key,
                     value, decoded, error)  # fmt: skip


@dataclass(slots=True)
class _Part:
    """A target's part of a batch: the records it reads, from its next offset ``start``; and
    every record from there (what :attr:`Projection.after_batch` is told about)."""

    target: Target
    handled: list[_Record]
    start: int
    seen: list[Seen] = field(default_factory=list)
    logged: list[LoggedEvent] = field(default_factory=list)

    def with_seen(self, decoded: list[_Record]) -> _Part:
        projection = self.target.projection
        if projection.after_batch is not None:
            self.seen = [r.seen for r in decoded if r.seen is not None and r.offset >= self.start]
        if projection.every_event is not None:
            self.logged = [r.logged() for r in decoded
                           if r.raw is not None and r.offset >= self.start]  # fmt: skip
        return self


async def _apply_parts(db: AsyncConnection[object], tp: TopicPartition, parts: list[_Part],
                       following: int) -> None:  # fmt: skip
    """Every target's part of a batch, in one pipeline (one round trip for all of them):
    each target's offsets claim, then its statements in its own schema; the claims are
    checked at the end (a failed one rolls everything back); bulk rows go in by COPY."""
    claims: list[tuple[Target, Cursor]] = []
    batches: list[tuple[Target, _Batch]] = []
    async with db.pipeline():
        for part in parts:
            claim = db.cursor()
            await _claim(claim, part.target, tp, part.start, following)
            claims.append((part.target, claim))
            batch = await _apply_target(db, part.target, part.handled, part.seen, part.logged)
            batches.append((part.target, batch))
    await _check_claims(claims)
    for target, batch in batches:
        if batch.gathered:
            await _bulk_write(db, target, batch)


async def apply_records(db: AsyncConnection[object], target: Target,
                        records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:  # fmt: skip
    """Apply ``records`` to ``target`` in the connection's current transaction, offsets
    untouched: what a batch does to the rows (for tests and tools; the projector itself
    also moves the offsets, :class:`Projector`)."""
    decoded = [_Record.of(r) for r in records]
    handled = [r for r in decoded if r.latest in target.projection.handles]
    async with db.pipeline():
        seen = [r.seen for r in decoded if r.seen is not None]
        logged = [r.logged() for r in decoded if r.raw is not None]
        batch = await _apply_target(db, target, handled, seen, logged)
    await _bulk_write(db, target, batch)


class _Conflict(Exception):
    def __init__(self, target: Target) -> None:
        self.target = target


async def _claim(cur: Cursor, target: Target, tp: TopicPartition, start: int,
                 following: int) -> None:  # fmt: skip
    """Move ``target``'s next offset of ``tp`` from ``start`` to ``following``; the cursor
    then holds one row, or none if the offset is no longer ``start`` (or the version was
    dropped). First in the transaction: a second projector on the same rows waits here for
    the first one's commit, then finds the offset moved."""
    await cur.execute(
        """
        INSERT INTO public.projection_offsets AS o
            (projection, version, topic, partition, next_offset)
        SELECT %(p)s::text, %(v)s::int, %(t)s::text, %(n)s::int, %(next)s::bigint
        WHERE EXISTS (SELECT 1 FROM public.projection_versions
                      WHERE projection = %(p)s::text AND version = %(v)s::int)
        ON CONFLICT (projection, version, topic, partition)
        DO UPDATE SET next_offset = EXCLUDED.next_offset
        WHERE o.next_offset = %(start)s::bigint
        RETURNING 1
        """,
        {"p": target.projection.name, "v": target.version, "t": tp.topic,
         "n": tp.partition, "next": following, "start": start},
    )  # fmt: skip


async def _in_schema(cur: Cursor, target: Target) -> None:
    await cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(
        sql.Identifier(target.schema)))  # fmt: skip


async def _apply_target(db: AsyncConnection[object], target: Target, records: list[_Record],
                        seen: list[Seen], logged: list[LoggedEvent]) -> _Batch:  # fmt: skip
    """One target's statements for the records it reads, in its own schema; returns the bulk
    rows it holds back for :func:`_bulk_write`."""
    projection = target.projection
    batch = _Batch()
    async with db.cursor() as cur:
        await _in_schema(cur, target)
        for record in records:
            if record.latest is not None and (now := _take(projection, record, batch)):
                await now[0](cur, now[1])
        for fold, pending in batch.folded.items():
            for write in pending.values():
                await fold.perform(cur, write)
        for batched, events in batch.batched.items():
            await batched.apply(cur, events, target.params)
        if projection.after_batch is not None:
            await projection.after_batch(cur, seen)
        if projection.every_event is not None and logged:
            await projection.every_event(cur, logged)
    return batch


async def _bulk_write(db: AsyncConnection[object], target: Target, batch: _Batch) -> None:
    """A target's bulk rows (COPY, which cannot run in a pipeline), in its schema."""
    async with db.cursor() as cur:
        await _in_schema(cur, target)
        for bulk, rows in batch.gathered.items():
            await bulk.write(cur, rows)


def _take(projection: Projection, record: _Record,
          batch: _Batch) -> tuple[Apply[Any], EventEnvelope[DomainEvent]] | None:  # fmt: skip
    """A record of a type ``projection`` handles: bulk rows and folded writes are held in
    ``batch``; for a handler, the handler and the event to apply (awaited by the caller:
    only records that need a statement now cost a coroutine)."""
    cls = record.latest
    assert cls is not None
    try:
        bulk = projection.bulk.get(cls)
        if bulk is not None:
            batch.gather(bulk, record.bulk_rows(bulk, cls))
            return None
        batched = projection.batched.get(cls)
        if batched is not None:
            batch.batched.setdefault(batched, []).append(record.batched_item(batched, cls))
            return None
        event = record.event()
        fold = projection.folds.get(cls)
        if fold is not None:
            batch.fold(fold, event)
            return None
    except (EventError, KeyError, TypeError, ValueError) as e:
        record.malformed(e)
        return None
    handler = projection.handlers.get(cls)
    return None if handler is None else (handler, event)


_LATEST: Mapping[str, type[DomainEvent]] = {c.type_name: c for c in latest_classes()}


@dataclass(slots=True)
class _Record:
    """One record of a batch, decoded once for every target."""

    offset: int
    source: ConsumerRecord[bytes, bytes]
    raw: dict[str, Any] | None
    plain: bool
    latest: type[DomainEvent] | None
    seen: Seen | None
    _event: EventEnvelope[DomainEvent] | None = None
    _reported: bool = False

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes]) -> _Record:
        value = record.value or b""
        try:
            raw = orjson.loads(value)
            if not isinstance(raw, dict):
                raise TypeError("not a JSON object")
            latest = _LATEST.get(raw["type"])
            decoded = cls(record.offset, record, raw, b"\\" not in value, latest, _seen(raw))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            decoded = cls(record.offset, record, None, False, None, None)
            decoded.malformed(e)
            return decoded
        if latest is None:
            log.warning("skipping %s: no event type %s in this code", decoded.where,
                        raw.get("type"))  # fmt: skip
        return decoded

    @property
    def where(self) -> str:
        return f"{self.source.topic}/{self.source.partition}/{self.source.offset}"

    def event(self) -> EventEnvelope[DomainEvent]:
        if self._event is None:
            assert self.raw is not None
            self._event = event_from_json(self.raw)
        return self._event

    def bulk_rows(self, bulk: Bulk, cls: type[DomainEvent]) -> list[str]:
        """Bulk rows straight from the JSON when it is in the newest version; else from the
        event upcast to it."""
        assert self.raw is not None
        if self.raw.get("schema_version") == cls.schema_version:
            return bulk.rows(self.raw, self.plain)
        event = self.event()
        return bulk.rows(orjson.loads(event.encode()), False)

    def batched_item(self, batched: Batched, cls: type[DomainEvent]) -> Any:
        """The event for a batched handler: decoded from its JSON by the handler's own
        decoder when it has one for the class (from the event upcast when the JSON is of an
        older version), else the event model."""
        decode = batched.raw.get(cls)
        if decode is None:
            return self.event()
        assert self.raw is not None
        if self.raw.get("schema_version") == cls.schema_version:
            return decode(self.raw)
        return decode(orjson.loads(self.event().encode()))

    def logged(self) -> LoggedEvent:
        assert self.raw is not None
        source = self.source
        return LoggedEvent(source.topic, source.partition, source.offset, self.raw)

    def malformed(self, error: Exception) -> None:
        if not self._reported:
            log.error("skipping malformed event at %s: %s", self.where, error)
            self._reported = True
        self.latest = None


def _seen(raw: Mapping[str, Any]) -> Seen:
    """From an event's decoded JSON; raises ``TypeError`` or ``ValueError`` on envelope
    fields the liveness update cannot read."""
    station_id, at, causation = raw["station_id"], raw["occurred_at"], raw["causation_id"]
    if not isinstance(station_id, str | None) or not isinstance(causation, str):
        raise TypeError("station_id and causation_id must be strings")
    occurred = datetime.fromisoformat(at)
    if occurred.tzinfo is None:
        raise ValueError("occurred_at must carry its offset")
    # Events caused by a frames-log record show the station alive; admin events and the
    # Pipe's reactions to API commands and clock ticks do not.
    return Seen(station_id, occurred, ".frames/" in causation)


@dataclass(slots=True)
class _Batch:
    """What a target's part of a batch holds back: bulk rows, folded writes by key, the
    events of batched handlers."""

    gathered: dict[Bulk, list[str]] = field(default_factory=dict)
    folded: dict[Fold[Any], dict[Hashable, Any]] = field(default_factory=dict)
    batched: dict[Batched, list[Any]] = field(default_factory=dict)

    def gather(self, bulk: Bulk, rows: list[str]) -> None:
        self.gathered.setdefault(bulk, []).extend(rows)

    def fold(self, fold: Fold[Any], event: EventEnvelope[DomainEvent]) -> None:
        pending = self.folded.setdefault(fold, {})
        key, write = fold.key(event), fold.write(event)
        earlier = pending.get(key)
        pending[key] = write if earlier is None else fold.merge(earlier, write)


# Errors meaning "not there yet": UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE.
_NOT_YET = frozenset({3, 5})


async def topic_partitions(
    bootstrap: str, topic: str, wait_s: float = 30.0
) -> list[TopicPartition]:
    """The partitions of ``topic``, from the broker's metadata; waits up to ``wait_s`` for a
    topic that is being created (the projector may start alongside ``csms topics``)."""
    deadline = time.monotonic() + wait_s
    while True:
        described = await _describe(bootstrap, topic)
        error = described["error_code"]
        if error == 0:
            return [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        if error not in _NOT_YET or time.monotonic() > deadline:
            raise ProjectionError(f"topic {topic} cannot be read (error {error})")
        await asyncio.sleep(0.2)


async def _describe(bootstrap: str, topic: str) -> dict[str, Any]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return cast(dict[str, Any], described)


async def connect(database_url: str) -> AsyncConnection[object]:
    try:
        conn: AsyncConnection[object] = await psycopg.AsyncConnection.connect(database_url)
        # Read models are derived data, and each transaction carries its own offsets: a commit
        # lost in a crash is lost together with its offsets and re-applied from Kafka. So the
        # projector need not wait for the WAL flush at every commit.
        await conn.execute("SET synchronous_commit = off")
        await conn.commit()
    except psycopg.OperationalError as e:
        raise StoreUnavailable(str(e)) from e
    return conn
