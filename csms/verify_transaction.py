"""``csms audit verify-transaction``: prove a transaction's result from the wire
(docs/AUDIT.md, "Re-derivation").

1. The audit index (``frame_events``) names the transaction's events and the frames that
   caused them, and every frame-caused event of its station up to the transaction's last.
2. Those records are read from the logs by position (:mod:`api.frames_log`), the admin log
   whole (reference data).
3. :func:`csms.rederive.rederive` re-runs the processor's handlers over the transaction's
   frames and compares the events.
4. The transaction's recorded events are projected into a scratch copy of the
   ``transactions`` read model (in a PostgreSQL transaction that is rolled back) and its rows
   compared with the live read model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from psycopg import sql
from pydantic import BaseModel, computed_field

from api.frames_log import LogReader, Position
from csms.config import Settings
from csms.rederive import EventDifference, causation_of, rederive
from processors.core.decision import HandlerConfig
from projections.runtime.discovery import projection_named
from projections.runtime.projector import Target, apply_records, topic_partitions
from schemas.envelopes import FrameRecord
from schemas.events import DomainEvent, EventEnvelope, decode_event
from schemas.readmodel import meter_values, transactions
from schemas.topics import Topics

SCRATCH_VERSION = 2_000_000_000
"""The version number of the scratch copy (never a real version: it is never committed)."""


class RowDifference(BaseModel):
    """A read-model value that is not what the recorded events project."""

    table: str
    key: str
    column: str
    live: Any
    projected: Any


class Verification(BaseModel):
    transaction_pk: int
    station_id: str
    frames: int
    """Frames re-run through the handlers."""
    events: int
    """Recorded events compared."""
    event_differences: list[EventDifference]
    row_differences: list[RowDifference]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """The events follow from the frames and the read model from the events."""
        return not self.event_differences and not self.row_differences

    def lines(self) -> list[str]:
        out = [f"transaction {self.transaction_pk} of {self.station_id}: {self.frames} frames "
               f"re-run, {self.events} recorded events compared"]  # fmt: skip
        for d in self.event_differences:
            what = ", ".join(f"{k}: recorded {v[0]!r}, re-derived {v[1]!r}"
                             for k, v in d.fields.items())  # fmt: skip
            out.append(f"  event {d.index} of frame {d.causation_id} ({d.type}): {d.kind}"
                       + (f": {what}" if what else ""))  # fmt: skip
        for r in self.row_differences:
            out.append(f"  {r.table} {r.key}: {r.column} is {r.live!r}, the events project "
                       f"{r.projected!r}")  # fmt: skip
        out.append("verified: the events follow from the frames and the read model from the "
                   "events" if self.ok else "NOT verified")  # fmt: skip
        return out


class UnknownTransaction(LookupError):
    """The audit index names no event of the transaction."""


def handler_config(settings: Settings) -> HandlerConfig:
    """The processor's handler settings of this deployment."""
    return HandlerConfig(settings.heartbeat_interval_s, settings.boot_retry_interval_s,
                         settings.call_response_timeout_s,
                         cost_update_interval_s=settings.cost_update_interval_s)  # fmt: skip


async def verify_transaction(settings: Settings, transaction_pk: int) -> Verification:
    topics = Topics(settings.topic_prefix)
    async with await psycopg.AsyncConnection.connect(settings.libpq_url) as db:
        station, mine, history = await _indexed(db, transaction_pk)
        reader = LogReader(settings.bootstrap)
        try:
            events = await reader.read(history)
            causes = {e: decode_event(events[e]) for e in mine}
            frame_positions = {_position(c.causation_id) for c in causes.values()
                               if c.causation_id.startswith(f"{topics.frames}/")}  # fmt: skip
            frames = await reader.read(frame_positions)
        finally:
            await reader.close()
        recorded = [decode_event(events[p]) for p in sorted(history)]
        admin = await _admin_log(settings.bootstrap, topics.admin)
        partitions = len(await topic_partitions(settings.bootstrap, topics.frames))
        result = rederive(station, recorded,
                          {causation_of(p): (p, FrameRecord.model_validate_json(v))
                           for p, v in frames.items()},
                          admin, handler_config(settings), partitions)  # fmt: skip
        rows = await _row_differences(db, transaction_pk, [
            _consumer_record(p, events[p]) for p in sorted(mine)])  # fmt: skip
    return Verification(transaction_pk=transaction_pk, station_id=station,
                        frames=result.frames, events=result.events,
                        event_differences=result.differences,
                        row_differences=rows)  # fmt: skip


async def _indexed(db: psycopg.AsyncConnection[Any], transaction_pk: int,
                   ) -> tuple[str, list[Position], list[Position]]:  # fmt: skip
    """The station, the transaction's events, and every frame-caused event of the station up
    to the transaction's last (positions in the events log)."""
    async with db.cursor() as cur:
        await cur.execute(
            "SELECT station_id, event_topic, event_partition, event_offset FROM"
            " public.frame_events WHERE transaction_pk = %s ORDER BY event_offset",
            (transaction_pk,),
        )
        rows: list[Any] = await cur.fetchall()
        if not rows or rows[0][0] is None:
            raise UnknownTransaction(f"the audit index names no event of transaction "
                                     f"{transaction_pk}")  # fmt: skip
        station = str(rows[0][0])
        mine = [Position(str(t), int(p), int(o)) for _, t, p, o in rows]
        last = max(o for _, _, _, o in rows)
        await cur.execute(
            "SELECT event_topic, event_partition, event_offset FROM public.frame_events"
            " WHERE station_id = %s AND event_offset <= %s ORDER BY event_offset",
            (station, last),
        )
        history = [Position(str(t), int(p), int(o)) for t, p, o in await cur.fetchall()]
    await db.rollback()
    return station, mine, history


def _position(causation: str) -> Position:
    topic, partition, offset = causation.rsplit("/", 2)
    return Position(topic, int(partition), int(offset))


async def _admin_log(bootstrap: str, topic: str) -> list[tuple[bytes, EventEnvelope[DomainEvent]]]:
    """Every record of the admin log (reference data is small), decoded; malformed ones
    skipped as the processor skips them."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                isolation_level="read_committed")  # fmt: skip
    await consumer.start()
    out: list[tuple[bytes, EventEnvelope[DomainEvent]]] = []
    try:
        tps = await topic_partitions(bootstrap, topic)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                out += [(r.value, e) for r in records if r.value is not None
                        and (e := _decoded(r.value)) is not None]  # fmt: skip
    finally:
        await consumer.stop()
    return sorted(out, key=lambda item: item[1].occurred_at)


def _decoded(value: bytes) -> EventEnvelope[DomainEvent] | None:
    try:
        return decode_event(value)
    except ValueError:
        return None


def _consumer_record(p: Position, value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(p.topic, p.partition, p.offset, 0, 0, None, value, None, len(value),
                          0, [])  # fmt: skip


_TABLES = ((transactions, "id"), (meter_values, "transaction_pk"))


async def _row_differences(db: psycopg.AsyncConnection[Any], transaction_pk: int,
                           records: Sequence[ConsumerRecord[bytes, bytes]],
                           ) -> list[RowDifference]:  # fmt: skip
    """The transaction's rows of the live read model against those its recorded events
    project into a scratch copy (rolled back)."""
    projection = projection_named("transactions")
    schema = projection.schema(SCRATCH_VERSION)
    live = await _rows(db, "public", transaction_pk)
    try:
        async with db.transaction():
            await db.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            for statement in projection.ddl(schema):
                await db.execute(statement.encode())
            await apply_records(db, Target(projection, SCRATCH_VERSION), records)
            projected = await _rows(db, schema, transaction_pk)
            raise _RollBack
    except _RollBack:
        pass
    return _compare_rows(live, projected)


class _RollBack(Exception):
    pass


async def _rows(db: psycopg.AsyncConnection[Any], schema: str,
                transaction_pk: int) -> dict[tuple[str, str], dict[str, Any]]:  # fmt: skip
    out: dict[tuple[str, str], dict[str, Any]] = {}
    async with db.cursor() as cur:
        for table, key in _TABLES:
            await cur.execute(sql.SQL("SELECT * FROM {}.{} WHERE {} = %s").format(
                sql.Identifier(schema), sql.Identifier(table.name), sql.Identifier(key)),
                (transaction_pk,))  # fmt: skip
            names = [c.name for c in cur.description or ()]
            for row in await cur.fetchall():
                values = dict(zip(names, row, strict=True))
                ident = ",".join(str(values[c.name]) for c in table.primary_key.columns)
                out[(table.name, ident)] = values
    return out


def _compare_rows(live: dict[tuple[str, str], dict[str, Any]],
                  projected: dict[tuple[str, str], dict[str, Any]]) -> list[RowDifference]:
    out: list[RowDifference] = []
    for (table, key) in sorted(set(live) | set(projected)):
        a, b = live.get((table, key)), projected.get((table, key))
        if a is None or b is None:
            out.append(RowDifference(table=table, key=key, column="(row)",
                                     live="present" if a else "absent",
                                     projected="present" if b else "absent"))  # fmt: skip
            continue
        out += [RowDifference(table=table, key=key, column=c, live=_plain(a[c]),
                              projected=_plain(b.get(c)))
                for c in a if a[c] != b.get(c)]  # fmt: skip
    return out


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool | None) else str(value)
