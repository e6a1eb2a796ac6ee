"""Charging sessions: read from the ``transactions`` and ``meter_values`` read models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import func, select

from api.deps import DbDep
from api.models import ErrorBody, MeterValuePublic, Page, TransactionDetail, TransactionPublic
from api.routes.signed_meter_values import signed_summary
from ocpp import STATION_ID_MAX_LENGTH
from schemas.readmodel import meter_values, transactions

router = APIRouter(prefix="/api/v1/transactions", tags=["transactions"])

T = transactions.c
# Unknown transactions (an Ended never seen starting) have no start: order them by their end.
STARTED = func.coalesce(T.started_at, T.stopped_at)


@router.get("")
async def list_transactions(
    db: DbDep,
    station_id: Annotated[str | None, Query(max_length=STATION_ID_MAX_LENGTH)] = None,
    status: Literal["active", "completed"] | None = None,
    since: Annotated[datetime | None, Query(description="started at or after")] = None,
    until: Annotated[datetime | None, Query(description="started before")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[TransactionPublic]:
    """Newest first."""
    conditions = []
    if station_id is not None:
        conditions.append(T.station_id == station_id)
    if status is not None:
        conditions.append(T.status == status)
    if since is not None:
        conditions.append(since <= STARTED)
    if until is not None:
        conditions.append(until > STARTED)
    total = (await db.execute(select(func.count()).select_from(transactions)
                              .where(*conditions))).scalar_one()  # fmt: skip
    query = (select(transactions).where(*conditions).order_by(STARTED.desc(), T.id.desc())
             .offset(offset).limit(limit))  # fmt: skip
    items = [TransactionPublic.model_validate(r._mapping) for r in (await db.execute(query)).all()]
    return Page[TransactionPublic](items=items, total=total, offset=offset, limit=limit)


@router.get("/{id}", responses={404: {"model": ErrorBody}})
async def get_transaction(id: Annotated[int, Path(ge=1)], db: DbDep) -> TransactionDetail:  # noqa: A002
    row = (await db.execute(select(transactions).where(T.id == id))).first()
    if row is None:
        raise HTTPException(status_code=404, detail=f"transaction {id} not found")
    mv = meter_values.c
    query = (select(meter_values).where(mv.transaction_pk == id)
             .order_by(mv.sampled_at, mv.event_id, mv.seq))  # fmt: skip
    values = [MeterValuePublic.model_validate(r._mapping) for r in (await db.execute(query)).all()]
    signed = await signed_summary(db, id)
    return TransactionDetail.model_validate({**row._mapping, "meter_values": values,
                                             "signed_meter_values": signed})  # fmt: skip
