"""Audit replays: a transaction's timeline and a station's frames, from the audit index and
the logs themselves (:mod:`api.timeline`, :mod:`api.frames_log`; docs/AUDIT.md, "The index
and the replay of a transaction")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.deps import DbDep
from api.frames_log import LogReader, LogReadError, Progress, ReadUnavailable
from api.models import ErrorBody, TransactionPublic
from api.routes.billing import BillingSession, CdrSummary
from api.timeline import (
    FramesPage,
    TimelineError,
    TimelineFrame,
    station_frames,
    station_known,
    station_rows,
    timeline_frames,
    timeline_rows,
    transaction_known,
)
from ocpp import STATION_ID_MAX_LENGTH
from schemas.readmodel import billing_sessions, cdrs, transactions

router = APIRouter(prefix="/api/v1", tags=["audit"])

TIMELINE_LIMIT = 2500
TIMELINE_MAX = 10_000
_ERRORS: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorBody}, 503: {"model": ErrorBody}, 500: {"model": ErrorBody}}


class TransactionNotFound(Exception):
    """Neither the transactions read model nor the audit index knows the transaction."""


class TimelineEnd(BaseModel):
    """What the transaction's frames came to: its read-model row, and how billing rated it."""

    transaction: TransactionPublic | None = Field(description="Its row of the transactions "
                                                  "read model (null: none).")  # fmt: skip
    billing_session: BillingSession | None
    cdrs: list[CdrSummary] = Field(description="Its CDRs in the order issued (credit CDRs "
                                   "and corrections included).")  # fmt: skip


class TimelinePage(BaseModel):
    transaction_pk: int
    total: int = Field(description="Frames in the whole timeline.")
    frames: list[TimelineFrame] = Field(description="In log order, both directions.")
    next_cursor: int | None = Field(description="Pass as ?cursor= for the next page; null "
                                    "on the last one.")  # fmt: skip
    end: TimelineEnd | None = Field(description="On the last page only.")


def get_reader(request: Request) -> LogReader:
    reader: LogReader = request.app.state.log_reader
    return reader


ReaderDep = Annotated[LogReader, Depends(get_reader)]
Cursor = Annotated[int, Query(ge=0, description="the seq of the last frame of the previous "
                              "page (0: from the start)")]  # fmt: skip


async def timeline_page(db: AsyncConnection, reader: LogReader, pk: int, cursor: int = 0,
                        limit: int | None = None,
                        progress: Progress | None = None) -> TimelinePage:  # fmt: skip
    """Transaction ``pk``'s frames after seq ``cursor`` (at most ``limit``; every one when
    None), and its end on the last page."""
    rows, total = await timeline_rows(db, pk, cursor, limit)
    if not rows and not await transaction_known(db, pk):
        raise TransactionNotFound(pk)
    more = limit is not None and len(rows) > limit
    rows = rows[:limit] if more else rows
    frames = await timeline_frames(db, reader, rows, progress)
    end = None if more else await timeline_end(db, pk)
    return TimelinePage(transaction_pk=pk, total=total, frames=frames,
                        next_cursor=rows[-1].seq if more else None, end=end)  # fmt: skip


async def timeline_end(db: AsyncConnection, pk: int) -> TimelineEnd:
    row = (await db.execute(select(transactions).where(transactions.c.id == pk))).first()
    s = billing_sessions.c
    session = (await db.execute(select(*(s[n] for n in BillingSession.model_fields))
                                .where(s.id == pk))).first()  # fmt: skip
    query = (select(*(cdrs.c[n] for n in CdrSummary.model_fields))
             .where(cdrs.c.transaction_pk == pk).order_by(cdrs.c.issued_at, cdrs.c.id))  # fmt: skip
    return TimelineEnd(
        transaction=None if row is None else TransactionPublic.model_validate(row._mapping),
        billing_session=None if session is None else BillingSession.model_validate(
            session._mapping),
        cdrs=[CdrSummary.model_validate(r._mapping) for r in (await db.execute(query)).all()],
    )  # fmt: skip


@router.get("/transactions/{id}/timeline", responses=_ERRORS, response_model=TimelinePage)
async def get_timeline(
    id: Annotated[int, Path(ge=1, description="the CSMS transaction id")],  # noqa: A002
    db: DbDep, reader: ReaderDep, cursor: Cursor = 0,
    limit: Annotated[int, Query(ge=1, le=TIMELINE_MAX, description="frames per page")]
    = TIMELINE_LIMIT,
) -> Response:  # fmt: skip
    """Every frame of the transaction in log order, both directions, raw text included, each
    with the domain events it caused; on the last page the transaction's read-model row,
    its billing session and CDRs."""
    try:
        page = await timeline_page(db, reader, id, cursor, limit)
        # Serialised by pydantic-core: megabytes of frames are not validated again and put
        # through the standard library's json, as a returned model would be.
        return Response(page.model_dump_json(), media_type="application/json")
    except TransactionNotFound as e:
        raise HTTPException(404, f"transaction {id} not found") from e
    except (LogReadError, TimelineError) as e:
        raise _read_failed(e) from e


@router.get("/stations/{station_id}/frames", responses=_ERRORS)
async def get_station_frames(
    station_id: Annotated[str, Path(min_length=1, max_length=STATION_ID_MAX_LENGTH)],
    db: DbDep, reader: ReaderDep, cursor: Cursor = 0,
    since: Annotated[datetime | None, Query(description="at or after")] = None,
    until: Annotated[datetime | None, Query(description="before")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> FramesPage:  # fmt: skip
    """The station's frames-log records in log order (by seq), raw text read from the log."""
    if since is not None and until is not None and until <= since:
        raise HTTPException(422, [{"loc": ["query", "until"], "type": "value_error",
                                   "msg": "until must be after since"}])  # fmt: skip
    rows = await station_rows(db, station_id, cursor, limit, since, until)
    if not rows and not await station_known(db, station_id):
        raise HTTPException(404, f"station {station_id} not found")
    more = len(rows) > limit
    rows = rows[:limit]
    try:
        items = await station_frames(reader, rows)
    except (LogReadError, TimelineError) as e:
        raise _read_failed(e) from e
    return FramesPage(items=items, next_cursor=rows[-1].seq if more else None)


def _read_failed(error: Exception) -> HTTPException:
    if isinstance(error, ReadUnavailable):
        return HTTPException(503, f"the logs cannot be read now: {error}")
    return HTTPException(500, f"the audit index and the logs disagree: {error}")
