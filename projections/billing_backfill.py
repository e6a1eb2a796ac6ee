"""Billing backfills: re-rate a period of the log under another tariff version, into a new
version of the billing projection beside the live one (docs/BILLING.md, "Backfill").

The live version already holds every session rated; only the sessions that started in the
period under the overridden tariff change. So a backfill does not rebuild from offset 0:

1. **Seek.** The events log's offset of ``since − lookback`` in each partition (Kafka's
   offsets for times: the records' timestamps are when the processor wrote them).
2. **Fork.** In one transaction that holds the live version's offsets (its projector waits
   meanwhile, so the copy is consistent with them): the new version's tables are created and
   filled with the live version's rows, except those of the sessions to re-rate (recorded
   after the seek point, started in the period, priced by the tariff); its offsets start at
   the live version's (the *fork* offsets). It is registered ``building``, with the override
   in its ``params``, so no projector service follows it yet.
3. **Replay.** The log from the seek offsets to the fork offsets, only the events of the
   sessions to re-rate, through the billing projection's own batch function, with the
   override (progress bar).
4. **Catch up.** The new version is then built like any other from its fork offsets to the
   head of the log, with the override still applying to sessions of the period, and marked
   ``ready``. ``csms billing diff`` compares it with the live one; ``csms projections switch
   billing N`` makes it live; the old one stays readable until dropped.

A session of the period whose start was recorded before the seek point (a station clock far
off, or a session longer than the lookback) is not re-rated; the backfill counts them and
says so (raise ``--lookback``).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb

from projections import LifecycleError
from projections.billing import PROJECTION as BILLING
from projections.billing import (
    Item,
    MeterReadings,
    Override,
    Resident,
    Rows,
    flush_resident,
    meter_readings,
    rate_billing,
    tariff_applied,
    write_rows,
)
from projections.runtime import registry
from projections.runtime.projector import Target, connect, topic_partitions
from projections.runtime.service import (
    Progress,
    ProjectorConfig,
    batch_friendly_collector,
    build_targets,
)
from schemas.events import (
    CdrCorrectionRequested,
    ConnectorStatusChanged,
    EventError,
    MeterValuesReported,
    TariffApplied,
    event_from_json,
)
from schemas.tariffs import Tariff

MARGIN = timedelta(minutes=1)
"""Sessions recorded within this of the seek point are not re-rated (a record's timestamp
and its event's occurred_at differ by the processor's send time)."""

_HANDLED = frozenset(cls.type_name for cls in BILLING.handles)
_BY_CONNECTOR = ConnectorStatusChanged.type_name
_METER_VALUES = MeterValuesReported.type_name
_APPLIED = TariffApplied.type_name


@dataclass(frozen=True, slots=True)
class Request:
    """What to re-rate: sessions started in [since, until) under ``tariff_id``, by its
    ``tariff_version``, into billing version ``version``."""

    since: datetime
    until: datetime
    tariff_id: str
    tariff_version: int
    version: int
    lookback: timedelta = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Report:
    version: int
    source: int
    sessions: int
    """Sessions re-rated."""
    not_rerated: int
    """Sessions of the period under the tariff recorded before the seek point."""
    replayed: int
    """Records of the log read from the seek offsets to the fork offsets."""
    applied: int
    """Events of those applied (the re-rated sessions')."""
    replay_s: float

    def lines(self) -> list[str]:
        rate = self.replayed / self.replay_s if self.replay_s > 0 else 0.0
        out = [
            f"billing@{self.version} re-rated {self.sessions} sessions (forked from "
            f"billing@{self.source}); replayed {self.replayed} records, applied "
            f"{self.applied} events in {self.replay_s:.1f} s ({rate:.0f} records/s)"
        ]
        if self.not_rerated:
            out.append(f"{self.not_rerated} sessions of the period were recorded before the "
                       "seek point and were not re-rated: raise --lookback")  # fmt: skip
        return out


async def backfill(config: ProjectorConfig, events_topic: str, request: Request,
                   stopping: asyncio.Event, progress: TextIO = sys.stderr) -> Report:  # fmt: skip
    """Run the whole backfill (module docstring); returns once the new version is ready."""
    async with await connect(config.database_url) as db:
        source = await _live_version(db)
        tariff = await _tariff(db, request.tariff_id, request.tariff_version)
        seek_at = request.since - request.lookback
        seek = await _offsets_for_time(config.bootstrap, events_topic, seek_at)
        override = Override(tariff_id=request.tariff_id, version=request.tariff_version,
                            tariff=tariff, since=request.since, until=request.until)  # fmt: skip
        params: dict[str, Any] = {
            "override": override.model_dump(mode="json"), "forked_from": source,
            "lookback_s": request.lookback.total_seconds(), "replay": "pending",
            "seek": {str(p): o for p, o in seek.items()},
        }  # fmt: skip
        fork = await _fork(db, source, request.version, params, override, seek_at + MARGIN)
    print(f"billing@{request.version}: forked from billing@{source}; re-rating "
          f"{len(fork.sessions)} sessions", flush=True)  # fmt: skip
    async with batch_friendly_collector():
        started = time.monotonic()
        replayed, applied = await _replay(config, events_topic, request.version, params, seek,
                                          fork, stopping, progress)  # fmt: skip
        replay_s = time.monotonic() - started
        if stopping.is_set():
            raise LifecycleError(f"stopped during the replay: drop billing@{request.version} "
                                 "and run the backfill again")  # fmt: skip
        async with await connect(config.database_url) as db:
            await _replayed(db, request.version)
        params["replay"] = "done"
        target = Target(BILLING, request.version, params)
        await build_targets(config, [target], stopping, follow=False, progress=progress)
    return Report(request.version, source, len(fork.sessions), fork.not_rerated, replayed,
                  applied, replay_s)  # fmt: skip


async def _live_version(db: AsyncConnection[object]) -> int:
    live = [v for v in await registry.versions(db)
            if v.projection == BILLING.name and v.status == registry.LIVE]  # fmt: skip
    if not live:
        raise LifecycleError("billing has no live version to fork from")
    return live[0].version


async def _tariff(db: AsyncConnection[object], tariff_id: str, version: int) -> Tariff:
    """The tariff version from the tariffs read model (every published version is kept)."""
    async with db.cursor() as cur:
        await cur.execute(
            "SELECT body FROM public.tariff_versions WHERE tariff_id = %s AND version = %s",
            (tariff_id, version),
        )
        row: Any = await cur.fetchone()
    await db.commit()
    if row is None:
        raise LifecycleError(f"tariff {tariff_id} has no version {version}")
    return Tariff.model_validate(row[0])


async def _offsets_for_time(bootstrap: str, topic: str, at: datetime) -> dict[int, int]:
    """Each partition's first offset at or after ``at`` (its end when none is)."""
    tps = await topic_partitions(bootstrap, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, isolation_level="read_committed")
    await consumer.start()
    try:
        found = await consumer.offsets_for_times({tp: int(at.timestamp() * 1000) for tp in tps})
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    return {tp.partition: (found[tp].offset if found.get(tp) is not None else ends[tp])
            for tp in tps}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Fork:
    sessions: frozenset[int]
    stations: frozenset[str]
    not_rerated: int
    offsets: Mapping[tuple[str, int], int]
    """The new version's first offsets: the live version's at the fork."""


_COPIED = {
    "billing_sessions": "id", "billing_readings": "session_id", "cdrs": "transaction_pk",
    "billing_tariffs": None,
}  # fmt: skip


async def _fork(db: AsyncConnection[object], source: int, version: int,
                params: Mapping[str, Any], override: Override,
                recorded_after: datetime) -> _Fork:  # fmt: skip
    """Step 2 of the module docstring, in one transaction."""
    old, new = BILLING.schema(source), BILLING.schema(version)
    async with db.transaction():
        await registry.lock(db)
        async with db.cursor() as cur:
            await cur.execute(
                "SELECT topic, partition, next_offset FROM public.projection_offsets"
                " WHERE projection = %s AND version = %s FOR UPDATE",
                (BILLING.name, source),
            )
            held: list[Any] = await cur.fetchall()
            offsets = {(str(t), int(p)): int(o) for t, p, o in held}
            chosen, late = await _chosen(cur, old, override, recorded_after)
        await registry.create_within(db, BILLING, version, params)
        for table, key in _COPIED.items():
            keep = sql.SQL("") if key is None else sql.SQL(
                " WHERE {} <> ALL(%s::bigint[])").format(sql.Identifier(key))  # fmt: skip
            await db.execute(
                sql.SQL("INSERT INTO {}.{} SELECT * FROM {}.{}").format(
                    sql.Identifier(new), sql.Identifier(table), sql.Identifier(old),
                    sql.Identifier(table)) + keep,
                () if key is None else ([s for s, _ in chosen],),
            )  # fmt: skip
        await db.execute(
            "INSERT INTO public.projection_offsets"
            " (projection, version, topic, partition, next_offset)"
            " SELECT projection, %s, topic, partition, next_offset FROM public.projection_offsets"
            " WHERE projection = %s AND version = %s",
            (version, BILLING.name, source),
        )
    return _Fork(frozenset(s for s, _ in chosen), frozenset(st for _, st in chosen), late,
                 offsets)  # fmt: skip


async def _chosen(cur: Any, schema: str, override: Override,
                  recorded_after: datetime) -> tuple[list[tuple[int, str]], int]:  # fmt: skip
    """The sessions to re-rate (id, station), and how many of the period were recorded too
    early to be."""
    await cur.execute(
        sql.SQL("SELECT id, station_id, recorded_at >= %s FROM {}.billing_sessions"
                " WHERE tariff_id = %s AND started_at >= %s AND started_at < %s").format(
            sql.Identifier(schema)),
        (recorded_after, override.tariff_id, override.since, override.until),
    )  # fmt: skip
    rows: list[Any] = await cur.fetchall()
    return [(int(r[0]), str(r[1])) for r in rows if r[2]], sum(1 for r in rows if not r[2])


@dataclass(frozen=True, slots=True)
class _Part:
    """What one replay process does: these partitions, each from its seek offset up to (not
    including) its fork offset."""

    bootstrap: str
    database_url: str
    batch_size: int
    topic: str
    version: int
    params: Mapping[str, Any]
    ranges: Mapping[int, tuple[int, int]]
    fork: _Fork


async def _replay(config: ProjectorConfig, topic: str, version: int, params: Mapping[str, Any],
                  seek: Mapping[int, int], fork: _Fork, stopping: asyncio.Event,
                  out: TextIO) -> tuple[int, int]:  # fmt: skip
    """Step 3: the re-rated sessions' events between the seek and fork offsets, by one
    process per core, each with its own partitions (a session's events are in one partition;
    rating is CPU-bound Python, so processes, not tasks, share the work)."""
    ranges = {p: (seek[p], fork.offsets.get((topic, p), 0)) for p in seek}
    ranges = {p: r for p, r in ranges.items() if r[0] < r[1]}
    total = sum(end - start for start, end in ranges.values())
    progress = Progress(out)
    try:
        if not ranges or not fork.sessions:
            progress.update(total, total)
            return 0, 0
        workers = min(len(ranges), max(1, os.cpu_count() or 1), MAX_PROCESSES)
        parts = [_Part(config.bootstrap, config.database_url, config.batch_size, topic, version,
                       params, {p: ranges[p] for p in sorted(ranges)[i::workers]}, fork)
                 for i in range(workers)]  # fmt: skip
        return await _run_parts(parts, total, stopping, progress)
    finally:
        progress.close()


MAX_PROCESSES = 8
_SPAWN = multiprocessing.get_context("spawn")


async def _run_parts(parts: list[_Part], total: int, stopping: asyncio.Event,
                     progress: Progress) -> tuple[int, int]:  # fmt: skip
    counters = _SPAWN.Array("q", 2 * len(parts))
    processes = [_SPAWN.Process(target=_part_main, args=(part, counters, i), daemon=True)
                 for i, part in enumerate(parts)]  # fmt: skip
    for process in processes:
        process.start()
    try:
        while any(p.is_alive() for p in processes) and not stopping.is_set():
            await asyncio.sleep(0.5)
            progress.update(sum(counters[0::2]), total)
    finally:
        for process in processes:
            if stopping.is_set() and process.is_alive():
                process.terminate()
            process.join()
    failed = [p.exitcode for p in processes if p.exitcode not in (0, None)]
    if failed and not stopping.is_set():
        raise LifecycleError(f"a replay process failed (exit {failed[0]}); see its output")
    progress.update(sum(counters[0::2]), total)
    return sum(counters[0::2]), sum(counters[1::2])


def _part_main(part: _Part, counters: Any, slot: int) -> None:
    """A replay process: its partitions' records into the new version; ``counters[2 * slot]``
    records read, ``counters[2 * slot + 1]`` events applied, as it goes."""
    asyncio.run(_replay_part(part, counters, slot))


async def _replay_part(part: _Part, counters: Any, slot: int) -> None:
    # A spawned process starts with the collector's defaults: its automatic runs scanned
    # every open session's meter and readings again and again (45% of the replay's CPU).
    async with batch_friendly_collector():
        await _replay_records(part, counters, slot)


async def _replay_records(part: _Part, counters: Any, slot: int) -> None:
    todo = {TopicPartition(part.topic, p): end for p, (_, end) in part.ranges.items()}
    consumer = AIOKafkaConsumer(bootstrap_servers=part.bootstrap,
                                isolation_level="read_committed", enable_auto_commit=False,
                                max_partition_fetch_bytes=4 << 20)  # fmt: skip
    await consumer.start()
    try:
        consumer.assign(list(todo))
        for tp in todo:
            consumer.seek(tp, part.ranges[tp.partition][0])
        async with await connect(part.database_url) as reader, \
                await connect(part.database_url) as writer:  # fmt: skip
            rater = _Rater(part, reader, writer)
            try:
                while todo:
                    batches = await consumer.getmany(timeout_ms=500,
                                                     max_records=part.batch_size)  # fmt: skip
                    for tp, records in batches.items():
                        wanted = [r for r in records if r.offset < todo.get(tp, -1)]
                        counters[2 * slot + 1] += await rater.rate(wanted)
                        counters[2 * slot] += len(wanted)
                    for tp in [tp for tp, end in todo.items()
                               if await consumer.position(tp) >= end]:  # fmt: skip
                        del todo[tp]
                        consumer.pause(tp)
                await rater.finish()
            finally:
                rater.cancel()
    finally:
        await consumer.stop()


class _Rater:
    """A replay process's batches: each is rated (reading what it needs on ``reader``) while
    the previous one is written (on ``writer``), so PostgreSQL and the rating overlap. The
    open sessions stay in memory (:class:`~projections.billing.Resident`); a batch that
    corrects a CDR waits for the writes before it (it reads the session's stored readings)."""

    def __init__(self, part: _Part, reader: AsyncConnection[object],
                 writer: AsyncConnection[object]) -> None:  # fmt: skip
        self.part, self.reader, self.writer = part, reader, writer
        self.resident = Resident()
        self.writing: asyncio.Task[None] | None = None

    async def rate(self, records: list[ConsumerRecord[bytes, bytes]]) -> int:
        """Rate ``records``' events of the re-rated sessions; how many there were."""
        events = [e for r in records if (e := _event(r, self.part.fork)) is not None]
        if not events:
            return 0
        if any(not isinstance(e, MeterReadings) and isinstance(e.data, CdrCorrectionRequested)
               for e in events):  # fmt: skip
            await self._written()
        async with _in_version(self.reader, self.part.version) as cur:
            rows = await rate_billing(cur, events, self.part.params, only=self.part.fork.sessions,
                                      resident=self.resident)  # fmt: skip
        await self._written()
        self.writing = asyncio.create_task(self._write(rows))
        return len(events)

    async def finish(self) -> None:
        await self._written()
        async with _in_version(self.writer, self.part.version) as cur:
            await flush_resident(cur, self.resident)

    def cancel(self) -> None:
        if self.writing is not None:
            self.writing.cancel()

    async def _written(self) -> None:
        if self.writing is not None:
            writing, self.writing = self.writing, None
            await writing

    async def _write(self, rows: Rows) -> None:
        async with _in_version(self.writer, self.part.version) as cur:
            await write_rows(cur, rows)


@asynccontextmanager
async def _in_version(db: AsyncConnection[object], version: int) -> AsyncIterator[Any]:
    """A transaction on the tables of billing version ``version``."""
    async with db.transaction(), db.cursor() as cur:
        await cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(
            sql.Identifier(BILLING.schema(version))))  # fmt: skip
        yield cur


def _event(record: ConsumerRecord[bytes, bytes], fork: _Fork) -> Item | None:
    """The record's event if it belongs to a re-rated session (read from its JSON before it
    is decoded whole: most records of the period may belong to other sessions); meter values
    as the billing projection reads them from the JSON."""
    try:
        raw = orjson.loads(record.value or b"")
        kind = raw["type"]
        if kind not in _HANDLED:
            return None
        if kind == _BY_CONNECTOR:
            if raw["station_id"] not in fork.stations:
                return None
        elif raw["data"].get("id") not in fork.sessions:
            return None
        if kind == _METER_VALUES and raw["schema_version"] == MeterValuesReported.schema_version:
            return meter_readings(raw)
        if kind == _APPLIED and raw["schema_version"] == TariffApplied.schema_version:
            return tariff_applied(raw)
        return event_from_json(raw)
    except (orjson.JSONDecodeError, EventError, KeyError, TypeError, ValueError, AttributeError):
        return None  # the projector reports malformed records; a backfill skips them


async def _replayed(db: AsyncConnection[object], version: int) -> None:
    await db.execute(
        "UPDATE public.projection_versions SET params = params || %s"
        " WHERE projection = %s AND version = %s",
        (Jsonb({"replay": "done"}), BILLING.name, version),
    )
    await db.commit()
