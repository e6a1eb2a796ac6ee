"""Stations: read from the ``stations`` read model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, select

from api.deps import DbDep
from api.models import ErrorBody, Page, StationPublic
from schemas.readmodel import stations

router = APIRouter(prefix="/api/v1/stations", tags=["stations"])


@router.get("/{station_id}", responses={404: {"model": ErrorBody}})
async def get_station(station_id: str, db: DbDep) -> StationPublic:
    row = (await db.execute(select(stations).where(stations.c.station_id == station_id))).first()
    if row is None:
        raise HTTPException(status_code=404, detail=f"station {station_id!r} not found")
    return StationPublic.model_validate(row._mapping)


@router.get("")
async def list_stations(
    db: DbDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[StationPublic]:
    total = (await db.execute(select(func.count()).select_from(stations))).scalar_one()
    query = select(stations).order_by(stations.c.station_id).offset(offset).limit(limit)
    rows = (await db.execute(query)).all()
    items = [StationPublic.model_validate(r._mapping) for r in rows]
    return Page[StationPublic](items=items, total=total, offset=offset, limit=limit)
