"""The projector: events log (and admin log) → read-model rows, exactly-once in effect.

Each batch of a partition is applied, and the partition's next offset recorded in
``projection_offsets``, in one PostgreSQL transaction (DESIGN decision 6): a crash either
keeps both or neither, and a restart resumes at the recorded offset, so no event is applied
twice or skipped. ``rebuild`` empties the projection's tables and offsets; the next run then
replays the log from offset 0.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

import orjson
import psycopg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from psycopg import AsyncConnection, AsyncCursor
from pydantic import ValidationError

from projections import (
    ProjectionError,
    StoreUnavailable,
    calls,
    notifications,
    station_settings,
    stations,
    tokens,
    transactions,
)
from schemas.envelopes import EventEnvelope
from schemas.readmodel import READ_MODEL

log = logging.getLogger(__name__)

Apply = Callable[[AsyncCursor[object], EventEnvelope], Awaitable[None]]

READ_MODEL_V1 = READ_MODEL
W = TypeVar("W")

# A partition's batches on their way from the fetching task to the partition's own task;
# None: no more.
_Queue = asyncio.Queue[list[ConsumerRecord[bytes, bytes]] | None]


async def _report_received(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    """A NotifyReport part is kept verbatim and feeds the station's known variables."""
    await notifications.on_notification(cur, event)
    await station_settings.on_report(cur, event)


HANDLERS: Mapping[str, Apply] = {
    "StationBooted": stations.on_booted,
    "StationConnected": stations.on_connected,
    "StationDisconnected": stations.on_disconnected,
    **{kind: notifications.on_notification for kind in notifications.KINDS},
    "ReportReceived": _report_received,
    # CSMS-initiated calls
    "CallQueued": calls.on_queued,
    "CallSent": calls.on_sent,
    "CallAnswered": calls.on_answered,
    "CallRejected": calls.on_rejected,
    "CallTimedOut": calls.on_timed_out,
    "CallExpired": calls.on_expired,
    "CallCancelled": calls.on_cancelled,
    "ConfigurationRead": station_settings.on_configuration_read,
    "ConfigurationChanged": station_settings.on_configuration_changed,
    "VariablesGot": station_settings.on_variables,
    "VariablesSet": station_settings.on_variables,
    "ChargingProfileSet": station_settings.on_profile_set,
    "ChargingProfilesCleared": station_settings.on_profiles_cleared,
    "ReservationAnswered": station_settings.on_reservation,
    "ReservationCancelled": station_settings.on_reservation_cancelled,
    "ChargingProfilesReported": station_settings.on_profiles_reported,
    "ReservationStatusUpdated": station_settings.on_reservation_status,
    "LocalListUpdated": station_settings.on_local_list,
    "LocalListVersionReported": station_settings.on_local_list,
    # admin log
    "StationConfigured": stations.on_configured,
    "TokenUpserted": tokens.on_upserted,
    "TokenDeleted": tokens.on_deleted,
}


@dataclass(frozen=True, slots=True)
class Bulk:
    """An event type whose rows are gathered over a batch and written at its end in one
    statement (``write``), after the batch's other statements. Only for a table that no
    other event type writes and no apply function reads. ``rows`` reads the event's decoded
    JSON as it is (no envelope model: this is the hot path of a rebuild), told whether the
    JSON text is free of backslashes (so no string in it needs escaping), and raises
    ``KeyError``, ``TypeError`` or ``ValueError`` on an event it cannot read."""

    rows: Callable[[Mapping[str, Any], bool], list[str]]
    write: Callable[[AsyncCursor[object], list[str]], Awaitable[None]]


BULK: Mapping[str, Bulk] = {
    "MeterValuesReported": Bulk(transactions.meter_value_lines, transactions.insert_meter_values),
}


@dataclass(frozen=True, slots=True)
class Fold(Generic[W]):
    """Event types whose events for one key (``key``) are merged within a batch into one
    write (``merge``: performing the merged write has the effect of performing each in
    turn), performed after the batch's other statements. Only for rows that no other event
    type writes and no apply function reads."""

    key: Callable[[EventEnvelope], Hashable]
    write: Callable[[EventEnvelope], W]
    merge: Callable[[W, W], W]
    perform: Callable[[AsyncCursor[object], W], Awaitable[None]]


_TRANSACTION = Fold(transactions.transaction_key, transactions.transaction_write,
                    transactions.merge_writes, transactions.write_transaction)  # fmt: skip
FOLD: Mapping[str, Fold[Any]] = {
    # A rebuild sees ~12 events per transaction in a 1,000-event batch.
    "TransactionStarted": _TRANSACTION,
    "TransactionUpdated": _TRANSACTION,
    "TransactionEnded": _TRANSACTION,
    # A station reports its connectors' status at every session's start and end.
    "ConnectorStatusChanged": Fold(
        stations.connector_key, stations.connector_row, stations.later_status,
        stations.write_connector_status,
    ),
}  # fmt: skip
PROJECTED = frozenset(HANDLERS) | frozenset(BULK) | frozenset(FOLD)
ADMIN_TYPES = frozenset({"StationConfigured", "TokenUpserted", "TokenDeleted"})
TABLES: Sequence[str] = (
    *stations.TABLES,
    *tokens.TABLES,
    *transactions.TABLES,
    *notifications.TABLES,
    *calls.TABLES,
    *station_settings.TABLES,
)


class Projector:
    """Applies every event of ``topics`` (the events log and the admin log) to the read
    model named ``name``."""

    def __init__(self, *, bootstrap: str, database_url: str, topics: Sequence[str],
                 name: str = READ_MODEL_V1, batch_size: int = 1000) -> None:  # fmt: skip
        self.bootstrap = bootstrap
        self.database_url = database_url
        self.topics = tuple(topics)
        self.name = name
        self.batch_size = batch_size
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Follow the topics until :meth:`stop` is called.

        Partitions are applied concurrently, each by its own task on its own connection: a
        partition's events touch only its own stations' rows (the events log is keyed by
        station id), and each batch commits its rows with its own partition's offset. One
        task fetches and hands each partition its batches through a short queue, so while
        PostgreSQL executes one partition's batch the projector decodes another's (two
        cores, both busy instead of taking turns).
        """
        async with await _connect(self.database_url) as db:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap, isolation_level="read_committed",
                enable_auto_commit=False, fetch_max_wait_ms=100,
            )  # fmt: skip
            await consumer.start()
            try:
                tps = await self._assign(consumer, db)
                log.info("projection %s following %s", self.name, ", ".join(self.topics))
                queues: dict[TopicPartition, _Queue] = {
                    tp: asyncio.Queue(maxsize=2) for tp in tps
                }
                try:
                    async with asyncio.TaskGroup() as tasks:
                        for tp, queue in queues.items():
                            tasks.create_task(self._follow(tp, queue))
                        tasks.create_task(self._fetch(consumer, queues))
                except BaseExceptionGroup as failed:
                    raise failed.exceptions[0] from failed  # the first failure
            finally:
                await consumer.stop()

    async def _fetch(self, consumer: AIOKafkaConsumer,
                     queues: dict[TopicPartition, _Queue]) -> None:  # fmt: skip
        """Hand out batches until stopped, then tell every partition's task to end (a failed
        task instead ends them all through the task group)."""
        while not self._stopping.is_set():
            batches = await consumer.getmany(
                timeout_ms=200, max_records=self.batch_size * len(queues)
            )
            for tp, records in batches.items():
                await queues[tp].put(records)
        for queue in queues.values():
            await queue.put(None)

    async def _follow(self, tp: TopicPartition, queue: _Queue) -> None:
        """Apply a partition's batches on its own connection, opened with its first batch."""
        if (records := await queue.get()) is None:
            return
        async with await _connect(self.database_url) as db:
            while records is not None:
                await self._apply_batch(db, tp, records)
                records = await queue.get()

    def stop(self) -> None:
        self._stopping.set()

    async def _assign(
        self, consumer: AIOKafkaConsumer, db: AsyncConnection[object]
    ) -> list[TopicPartition]:
        tps = [tp for topic in self.topics for tp in await topic_partitions(self.bootstrap, topic)]
        consumer.assign(tps)
        stored = await self._stored_offsets(db)
        for tp in tps:
            consumer.seek(tp, stored.get((tp.topic, tp.partition), 0))
        return tps

    async def _stored_offsets(self, db: AsyncConnection[object]) -> dict[tuple[str, int], int]:
        async with db.cursor() as cur:
            await cur.execute(
                "SELECT topic, partition, next_offset FROM projection_offsets"
                " WHERE projection = %s AND topic = ANY(%s)",
                (self.name, list(self.topics)),
            )
            rows: list[Any] = await cur.fetchall()
        await db.commit()
        return {(str(t), int(p)): int(o) for t, p, o in rows}

    async def _apply_batch(self, db: AsyncConnection[object], tp: TopicPartition,
                           records: list[ConsumerRecord[bytes, bytes]]) -> None:  # fmt: skip
        try:
            async with db.transaction():
                gathered = await self._apply_records(db, records)
                async with db.cursor() as cur:
                    for event_type, rows in gathered.items():
                        await BULK[event_type].write(cur, rows)
                    await cur.execute(
                        """
                        INSERT INTO projection_offsets (projection, topic, partition, next_offset)
                        VALUES (%s, %s, %s, %s)
                        ON CONFLICT (projection, topic, partition)
                        DO UPDATE SET next_offset = EXCLUDED.next_offset
                        """,
                        (self.name, tp.topic, tp.partition, records[-1].offset + 1),
                    )
        except psycopg.OperationalError as e:
            raise StoreUnavailable(str(e)) from e

    async def _apply_records(self, db: AsyncConnection[object],
                             records: list[ConsumerRecord[bytes, bytes]],
                             ) -> dict[str, list[str]]:  # fmt: skip
        """Each record's statements, in pipeline mode (they go out without waiting for each
        result; psycopg syncs by itself where an apply function reads a result back). The
        rows of :data:`BULK` types are gathered and returned; :data:`FOLD` types are merged
        per key and written before the batch's liveness update."""
        batch = _Batch()
        seen: dict[str, datetime] = {}
        async with db.pipeline(), db.cursor() as cur:
            for record in records:
                applied = await self._apply(cur, record, batch)
                if applied is not None and applied.station_id and applied.by_station:
                    at = seen.get(applied.station_id)
                    seen[applied.station_id] = max(at, applied.at) if at else applied.at
            for fold, pending in batch.folded.items():
                for write in pending.values():
                    await fold.perform(cur, write)
            # Liveness once per station per batch, not once per event.
            await stations.touch_many(cur, seen)
        return batch.gathered

    async def _apply(
        self, cur: AsyncCursor[object], record: ConsumerRecord[bytes, bytes], batch: _Batch
    ) -> _Applied | None:
        value = record.value or b""
        try:
            raw = orjson.loads(value)
            bulk = BULK.get(raw["type"]) if isinstance(raw, dict) else None
            if bulk is not None:
                applied = _Applied.of(raw)
                rows = bulk.rows(raw, b"\\" not in value)
                batch.gathered.setdefault(raw["type"], []).extend(rows)
                return applied
            event = EventEnvelope.model_validate(raw)
            fold = FOLD.get(event.type)
            if fold is not None:
                batch.fold(fold, event)
                return _Applied.of_event(event)
        except (orjson.JSONDecodeError, ValidationError, KeyError, TypeError, ValueError):
            log.error("skipping malformed event at %s/%d/%d",
                      record.topic, record.partition, record.offset)  # fmt: skip
            return None
        handler = HANDLERS.get(event.type)
        if handler is not None:
            await handler(cur, event)
        return _Applied.of_event(event)


@dataclass(frozen=True, slots=True)
class _Applied:
    """What the batch's liveness update needs of an applied event."""

    station_id: str | None
    at: datetime
    by_station: bool

    @classmethod
    def of_event(cls, event: EventEnvelope) -> _Applied:
        return cls(event.station_id, event.occurred_at, _caused_by_station(event.causation_id))

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> _Applied:
        """From an event's decoded JSON; raises ``TypeError`` or ``ValueError`` on envelope
        fields the liveness update cannot read."""
        station_id, at, causation = raw["station_id"], raw["occurred_at"], raw["causation_id"]
        if not isinstance(station_id, str | None) or not isinstance(causation, str):
            raise TypeError("station_id and causation_id must be strings")
        occurred = datetime.fromisoformat(at)
        if occurred.tzinfo is None:
            raise ValueError("occurred_at must carry its offset")
        return cls(station_id, occurred, _caused_by_station(causation))


@dataclass(slots=True)
class _Batch:
    """What a batch holds back: bulk rows by type, folded writes by fold and key."""

    gathered: dict[str, list[str]] = field(default_factory=dict)
    folded: dict[Fold[Any], dict[Hashable, Any]] = field(default_factory=dict)

    def fold(self, fold: Fold[Any], event: EventEnvelope) -> None:
        pending = self.folded.setdefault(fold, {})
        key, write = fold.key(event), fold.write(event)
        earlier = pending.get(key)
        pending[key] = write if earlier is None else fold.merge(earlier, write)


def _caused_by_station(causation_id: str) -> bool:
    """Events caused by a frames-log record show the station alive; admin events and the
    Pipe's reactions to API commands and clock ticks do not."""
    return ".frames/" in causation_id


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


async def rebuild(database_url: str, name: str = READ_MODEL_V1) -> None:
    """Empty the read model and its offsets; the projector then replays from offset 0."""
    async with await _connect(database_url) as db, db.transaction(), db.cursor() as cur:
        for table in TABLES:
            await cur.execute(f"TRUNCATE {table}")
        await cur.execute("DELETE FROM projection_offsets WHERE projection = %s", (name,))


async def _connect(database_url: str) -> AsyncConnection[object]:
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
