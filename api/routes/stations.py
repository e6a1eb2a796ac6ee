"""Stations: read from the ``stations`` and ``connectors`` read models (and the pricing
settings from ``station_pricing``); configured through ``StationConfigured`` admin events
(read-your-writes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from sqlalchemy import RowMapping, Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.admin_log import AdminLogError, Position
from api.deps import DbDep, Writer, WriterDep
from api.models import (
    ConnectionPublic,
    ConnectorPublic,
    ErrorBody,
    EvsePublic,
    Page,
    StationConfigIn,
    StationPublic,
)
from ocpp import STATION_ID_MAX_LENGTH, STATION_ID_PATTERN
from schemas.credentials import hash_password
from schemas.events import StationConfigured
from schemas.readmodel import (
    STATIONS,
    TARIFFS,
    connectors,
    station_connections,
    station_pricing,
    stations,
)

router = APIRouter(prefix="/api/v1/stations", tags=["stations"])

# A new station must have an identity the gateway accepts (ocpp.identifiers).
StationId = Annotated[str, Path(max_length=STATION_ID_MAX_LENGTH)]
NewStationId = Annotated[str, Path(pattern=STATION_ID_PATTERN)]
PRICING_FIELDS = frozenset({"time_zone", "cost_messages"})
"""What the ``tariffs`` projection shows of a StationConfigured (``station_pricing``)."""


def with_pricing() -> Select[Any]:
    """Stations with their pricing settings (null where never set)."""
    p = station_pricing.c
    joined = stations.outerjoin(station_pricing, p.station_id == stations.c.station_id)
    return select(stations, p.time_zone, p.cost_messages).select_from(joined)


async def load_station(db: AsyncConnection, station_id: str) -> StationPublic | None:
    row = (await db.execute(with_pricing().where(stations.c.station_id == station_id))).first()
    if row is None:
        return None
    return (await with_evses(db, [row._mapping]))[0]


async def with_evses(db: AsyncConnection, rows: Sequence[RowMapping]) -> list[StationPublic]:
    ids = [r["station_id"] for r in rows]
    c = connectors.c
    query = (select(connectors).where(c.station_id.in_(ids))
             .order_by(c.station_id, c.evse_id, c.connector_id))  # fmt: skip
    by_station: dict[str, dict[int, list[ConnectorPublic]]] = {i: {} for i in ids}
    for row in (await db.execute(query)).all():
        m = row._mapping
        by_station[m["station_id"]].setdefault(m["evse_id"], []).append(ConnectorPublic(
            connector_id=m["connector_id"], status=m["status"], status_at=m["status_at"],
            error_code=m["error_code"],
        ))  # fmt: skip
    return [
        StationPublic.model_validate({**r, "evses": [
            EvsePublic(evse_id=e, connectors=cs) for e, cs in by_station[r["station_id"]].items()
        ]})
        for r in rows
    ]  # fmt: skip


@router.get("/{station_id}", responses={404: {"model": ErrorBody}})
async def get_station(station_id: StationId, db: DbDep) -> StationPublic:
    station = await load_station(db, station_id)
    if station is None:
        raise HTTPException(status_code=404, detail=f"station {station_id!r} not found")
    return station


@router.put("/{station_id}", responses={504: {"model": ErrorBody}, 503: {"model": ErrorBody}})
async def put_station(station_id: NewStationId, body: StationConfigIn, db: DbDep,
                      writer: WriterDep) -> StationPublic:  # fmt: skip
    """Configure a station (registration status, security profile, password, time zone,
    cost messages); returns the station once the read models show the change. Only the
    fields given change; ``time_zone`` or ``cost_messages`` given as null are cleared."""
    password = body.password
    event = StationConfigured(
        **body.model_dump(exclude={"password"}, exclude_unset=True),
        password_hash=hash_password(password.get_secret_value()) if password else None,
    )
    at = await writer.write(event, station_id, station_id, shown_by=STATIONS)
    if body.model_fields_set & PRICING_FIELDS:
        await wait_shown(writer, TARIFFS, at)
    station = await load_station(db, station_id)
    assert station is not None  # projected: the wait above returned
    return station


async def wait_shown(writer: Writer, projection: str, at: Position) -> None:
    """Until a second projection shows the event the writer appended (504 otherwise)."""
    try:
        await writer.log.wait_projected(writer.engine, projection, at, writer.timeout_s)
    except AdminLogError as e:
        detail = "written, but the read model has not caught up yet"
        raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT, detail) from e


@router.get("")
async def list_stations(
    db: DbDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[StationPublic]:
    total = (await db.execute(select(func.count()).select_from(stations))).scalar_one()
    query = with_pricing().order_by(stations.c.station_id).offset(offset).limit(limit)
    rows = [r._mapping for r in (await db.execute(query)).all()]
    return Page[StationPublic](items=await with_evses(db, rows), total=total, offset=offset,
                               limit=limit)  # fmt: skip


@router.get("/{station_id}/connections", responses={404: {"model": ErrorBody}})
async def list_connections(
    station_id: StationId,
    db: DbDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[ConnectionPublic]:
    """The station's WebSocket connections, newest first: when each opened and closed,
    through which gateway, from where, and with which security profile."""
    known = select(stations.c.station_id).where(stations.c.station_id == station_id)
    if (await db.execute(known)).first() is None:
        raise HTTPException(status_code=404, detail=f"station {station_id!r} not found")
    c = station_connections.c
    mine = c.station_id == station_id
    total = (await db.execute(select(func.count()).select_from(station_connections)
                              .where(mine))).scalar_one()  # fmt: skip
    newest_first = (c.connected_at.desc(), c.connection_id)
    query = select(station_connections).where(mine).order_by(*newest_first)
    query = query.offset(offset).limit(limit)
    items = [ConnectionPublic.model_validate(r._mapping) for r in (await db.execute(query)).all()]
    return Page[ConnectionPublic](items=items, total=total, offset=offset, limit=limit)
