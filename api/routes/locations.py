"""The operator's locations (docs/OCPI.md "Locations"): ``/api/v1/locations``. Written as
``LocationPublished`` / ``LocationDeleted`` admin events keyed by the location id and read
back from the ``locations`` read model (read-your-writes); served to roaming partners by
:mod:`api.ocpi.locations`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response, status
from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from api.deps import DbDep, LimitQuery, OffsetQuery, WriterDep
from api.models import NOT_FOUND, WRITE_ERRORS, Page
from schemas.events import LocationDeleted, LocationPublished
from schemas.ocpi.locations import LocationIn
from schemas.readmodel import LOCATIONS, location_evses, locations

router = APIRouter(prefix="/api/v1/locations", tags=["locations"])

LocationIdPath = Annotated[str, Path(min_length=1, max_length=36)]


class LocationPublic(LocationIn):
    """A location as published, with its id and when it last changed."""

    id: str
    updated_at: datetime


async def load_location(db: AsyncConnection, location_id: str) -> LocationPublic | None:
    query = select(locations.c.body, locations.c.updated_at).where(
        locations.c.location_id == location_id, locations.c.deleted.is_(False))
    row = (await db.execute(query)).first()
    return None if row is None else _public(location_id, row.body, row.updated_at)


def _public(location_id: str, body: dict[str, Any], updated_at: datetime) -> LocationPublic:
    return LocationPublic.model_validate({**body, "id": location_id, "updated_at": updated_at})


async def _taken(db: AsyncConnection, location_id: str, body: LocationIn) -> list[str]:
    """The EVSEs of ``body`` that another location already has (by uid or station EVSE)."""
    if not body.evses:
        return []
    e = location_evses.c
    pairs = [(evse.station_id, evse.evse_id) for evse in body.evses]
    uids = [evse.uid for evse in body.evses]
    query = select(e.evse_uid, e.station_id, e.evse_id, e.location_id).where(
        e.location_id != location_id,
        tuple_(e.station_id, e.evse_id).in_(pairs) | e.evse_uid.in_(uids))
    return [f"EVSE {r.evse_uid} (station {r.station_id} EVSE {r.evse_id}) is in location "
            f"{r.location_id}" for r in (await db.execute(query)).all()]  # fmt: skip


@router.put("/{location_id}", status_code=status.HTTP_200_OK,
            responses={201: {"model": LocationPublic}, 409: {}, **WRITE_ERRORS})  # fmt: skip
async def put_location(location_id: LocationIdPath, body: LocationIn, db: DbDep,
                       writer: WriterDep, response: Response) -> LocationPublic:  # fmt: skip
    """Publish or replace a location; returns it once the read model shows it. 409 when one
    of its EVSEs (uid, or station and EVSE id) belongs to another location."""
    conflicts = await _taken(db, location_id, body)
    if conflicts:
        raise HTTPException(status.HTTP_409_CONFLICT, "; ".join(conflicts))
    existed = await load_location(db, location_id) is not None
    await db.rollback()  # end the read transaction; the write is waited for below
    event = LocationPublished(location_id=location_id, location=body)
    await writer.write(event, location_id, None, shown_by=LOCATIONS)
    published = await load_location(db, location_id)
    assert published is not None
    response.status_code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
    return published


@router.get("/{location_id}", responses=NOT_FOUND)
async def get_location(location_id: LocationIdPath, db: DbDep) -> LocationPublic:
    found = await load_location(db, location_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"location {location_id!r} not found")
    return found


@router.delete("/{location_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_location(location_id: LocationIdPath, db: DbDep, writer: WriterDep) -> Response:
    """Withdraw a location: partners then see its EVSEs REMOVED."""
    if await load_location(db, location_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"location {location_id!r} not found")
    await db.rollback()
    await writer.write(LocationDeleted(location_id=location_id), location_id, None,
                       shown_by=LOCATIONS)  # fmt: skip
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("")
async def list_locations(db: DbDep, offset: OffsetQuery = 0,
                         limit: LimitQuery = 50) -> Page[LocationPublic]:  # fmt: skip
    live = and_(locations.c.deleted.is_(False))
    total = (await db.execute(select(func.count()).select_from(locations).where(live))
             ).scalar_one()  # fmt: skip
    query = (select(locations.c.location_id, locations.c.body, locations.c.updated_at)
             .where(live).order_by(locations.c.location_id).offset(offset).limit(limit))
    rows = (await db.execute(query)).all()
    items = [_public(r.location_id, r.body, r.updated_at) for r in rows]
    return Page[LocationPublic](items=items, total=total, offset=offset, limit=limit)
