"""The replay of a transaction and of a station's frames, from the audit index.

The ``frames`` read model indexes every frames-log record (station, seq, message id, ...)
and ``frame_events`` every domain event by the frame that caused it and the transaction it
names (docs/AUDIT.md, "The index and the replay of a transaction"). A transaction's frames
are the frames whose caused events name it, plus each one's counterpart on the same
connection (the answer to a call, the call an answer answers); the raw text and the
events' data are read from Kafka at the indexed positions (:mod:`api.frames_log`). Pages
are cut by the station's ``seq`` (log order).

Exception tree::

    TimelineError
     └── IndexDisagrees   the record at an indexed position is not the one indexed
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import orjson
from pydantic import BaseModel, Field
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Integer,
    Row,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    exists,
    func,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from api.frames_log import LogReader, Position, Progress
from schemas.envelopes import frame_causation
from schemas.readmodel import frame_events, frames, stations, transactions

F = frames.c
E = frame_events.c
CALL = 2
ANSWERS = (3, 4)  # OCPP-J: CALLRESULT, CALLERROR
_POSITION = r"^[^/]+/[0-9]+/[0-9]+$"  # a causation id naming a log position


class TimelineError(Exception):
    """Base of failures to assemble a timeline."""


class IndexDisagrees(TimelineError):
    """The frames-log record at an indexed position is not the one the index describes."""


class TimelineEvent(BaseModel):
    """A domain event a frame caused, as the events log holds it."""

    position: str = Field(description="Its events-log position: topic/partition/offset.")
    event_id: UUID
    type: str
    schema_version: int
    occurred_at: datetime
    data: dict[str, object] = Field(description="The event's data as recorded.")


class FramePublic(BaseModel):
    """One frames-log record of a station, its raw text read from the log."""

    seq: int = Field(description="Its place in the station's records (1 = the first).")
    position: str = Field(description="Its frames-log position: topic/partition/offset "
                          "(the causation id of what it caused).")  # fmt: skip
    at: datetime
    kind: str = Field(description="frame, connected, disconnected or refused.")
    direction: Literal["in", "out"] = Field(description="in: station → CSMS.")
    message_type: int | None = Field(description="2 CALL, 3 CALLRESULT, 4 CALLERROR.")
    message_id: str | None
    action: str | None = Field(description="The call's action (for an answer, the one of "
                               "the call it answers, where known).")  # fmt: skip
    verdict: str = Field(description="ok, or why the frame is malformed.")
    connection_id: str
    ocpp_version: str
    link: str = Field(description="The station's hash-chain link after this record (hex).")
    raw: str | None = Field(description="The frame's text exactly as it crossed the wire.")


class TimelineFrame(FramePublic):
    events: list[TimelineEvent] = Field(description="The domain events it caused, in log "
                                        "order.")  # fmt: skip


class FramesPage(BaseModel):
    items: list[FramePublic]
    next_cursor: int | None = Field(description="Pass as ?cursor= for the next page; null "
                                    "on the last one.")  # fmt: skip


def transaction_frames(pk: int) -> CompoundSelect[Any]:
    """Every frame of transaction ``pk``: those whose caused events name it, and the
    counterpart of each (same station and connection, same message id, other direction)."""
    caused = select(E.causation_id).where(E.transaction_pk == pk).distinct().subquery()
    cid = caused.c.causation_id

    def part(n: int, kind: type[Integer] | type[BigInteger]) -> ColumnElement[Any]:
        return case((cid.regexp_match(_POSITION), cast(func.split_part(cid, "/", n), kind)))

    # A lateral lookup per cause: the frames' primary key probed, never a scan of the index.
    cause = (select(frames).where(
        F.topic == func.split_part(cid, "/", 1), F.partition == part(2, Integer),
        F.offset == part(3, BigInteger)).limit(1).lateral("cause"))  # fmt: skip
    own = select(*cause.c).select_from(caused).join(cause, true()).cte("own")
    other = frames.alias("other")
    o, a = own.c, other.c
    nearest = (select(other).where(
        a.station_id == o.station_id, a.connection_id == o.connection_id,
        a.message_id == o.message_id, a.direction != o.direction,
        or_(and_(o.message_type == CALL, a.message_type.in_(ANSWERS), a.seq > o.seq),
            and_(o.message_type.in_(ANSWERS), a.message_type == CALL, a.seq < o.seq)),
    ).order_by(case((o.message_type == CALL, a.seq), else_=-a.seq)).limit(1)
        .lateral("nearest"))  # fmt: skip
    counterparts = select(*nearest.c).select_from(own).join(nearest, true())
    return union(select(*own.c), counterparts)


async def timeline_rows(db: AsyncConnection, pk: int, cursor: int,
                        limit: int | None) -> tuple[list[Row[Any]], int]:  # fmt: skip
    """The index rows of transaction ``pk``'s frames after seq ``cursor`` (at most
    ``limit`` + 1, so the caller knows whether more follow), and how many it has in all."""
    every = transaction_frames(pk).subquery()
    counted = select(every, func.count().over().label("total")).subquery()
    query = select(counted).where(counted.c.seq > cursor).order_by(counted.c.seq)
    if limit is not None:
        query = query.limit(limit + 1)
    rows = list((await db.execute(query)).all())
    if rows:
        return rows, int(rows[0].total)
    total = (await db.execute(select(func.count()).select_from(every))).scalar_one()
    return rows, int(total)


async def station_rows(
    db: AsyncConnection, station_id: str, cursor: int, limit: int, since: datetime | None,
    until: datetime | None,
) -> list[Row[Any]]:
    """Index rows of ``station_id`` after seq ``cursor`` in [since, until), at most
    ``limit`` + 1."""
    conditions = [F.station_id == station_id, F.seq > cursor]
    if since is not None:
        conditions.append(F.at >= since)
    if until is not None:
        conditions.append(F.at < until)
    query = select(frames).where(*conditions).order_by(F.seq).limit(limit + 1)
    return list((await db.execute(query)).all())


async def station_known(db: AsyncConnection, station_id: str) -> bool:
    """Whether the station has a row in ``stations`` or any record in the index."""
    query = select(or_(exists().where(stations.c.station_id == station_id),
                       exists().where(F.station_id == station_id)))  # fmt: skip
    return bool((await db.execute(query)).scalar())


async def transaction_known(db: AsyncConnection, pk: int) -> bool:
    """Whether transaction ``pk`` has a read-model row or an indexed event."""
    query = select(or_(exists().where(transactions.c.id == pk),
                       exists().where(E.transaction_pk == pk)))  # fmt: skip
    return bool((await db.execute(query)).scalar())


async def timeline_frames(db: AsyncConnection, reader: LogReader, rows: Sequence[Row[Any]],
                          progress: Progress | None = None) -> list[TimelineFrame]:  # fmt: skip
    """The frames of ``rows`` (index rows, in order), each with its raw text and the events
    it caused, read from the logs."""
    causes = [frame_causation(r.topic, r.partition, r.offset) for r in rows]
    # One array parameter: an IN list of thousands of values costs more to compile than to run.
    query = select(frame_events).where(E.causation_id == any_(bindparam(
        "causes", causes, type_=ARRAY(Text)))).order_by(
        E.event_topic, E.event_partition, E.event_offset)  # fmt: skip
    caused = (await db.execute(query)).all() if causes else []
    frame_at = [_frame_position(r) for r in rows]
    event_at = [_event_position(e) for e in caused]
    values = await reader.read(frame_at + event_at, progress)
    by_cause: dict[str, list[TimelineEvent]] = {}
    for e, at in zip(caused, event_at, strict=True):
        by_cause.setdefault(e.causation_id, []).append(_event(e, values[at]))
    return [TimelineFrame.model_validate({**_frame_fields(r, values[at]),
                                          "events": by_cause.get(c, [])})
            for r, at, c in zip(rows, frame_at, causes, strict=True)]  # fmt: skip


async def station_frames(reader: LogReader, rows: Sequence[Row[Any]],
                         progress: Progress | None = None) -> list[FramePublic]:  # fmt: skip
    """The frames of ``rows`` (index rows, in order) with their raw text read from the log."""
    values = await reader.read([_frame_position(r) for r in rows], progress)
    return [FramePublic.model_validate(_frame_fields(r, values[_frame_position(r)]))
            for r in rows]  # fmt: skip


def _frame_position(row: Row[Any]) -> Position:
    return Position(row.topic, row.partition, row.offset)


def _event_position(row: Row[Any]) -> Position:
    return Position(row.event_topic, row.event_partition, row.event_offset)


def _frame_fields(row: Row[Any], value: bytes) -> dict[str, object]:
    """A frame's fields: the index row's, and the raw text of the record it points at."""
    record = orjson.loads(value)
    where = frame_causation(row.topic, row.partition, row.offset)
    if record.get("station_id") != row.station_id:
        raise IndexDisagrees(f"the frames log holds no record of {row.station_id} at {where}")
    return {
        "seq": row.seq, "position": where, "at": row.at, "kind": row.kind,
        "direction": row.direction, "message_type": row.message_type,
        "message_id": row.message_id, "action": row.action, "verdict": row.verdict,
        "connection_id": row.connection_id, "ocpp_version": row.ocpp_version,
        "link": row.link, "raw": record.get("raw"),
    }  # fmt: skip


def _event(row: Row[Any], value: bytes) -> TimelineEvent:
    """An indexed event as the events log holds it."""
    record = orjson.loads(value)
    position = _event_position(row)
    if record.get("event_id") != str(row.event_id):
        raise IndexDisagrees(f"the events log holds no event {row.event_id} at "
                             f"{frame_causation(*_astuple(position))}")  # fmt: skip
    return TimelineEvent(
        position=frame_causation(*_astuple(position)), event_id=row.event_id,
        type=record["type"], schema_version=record["schema_version"],
        occurred_at=record["occurred_at"], data=record["data"],
    )  # fmt: skip


def _astuple(position: Position) -> tuple[str, int, int]:
    return position.topic, position.partition, position.offset
