"""OCPI 2.2.1 Locations module, CPO sender interface (mod_locations §"CPO Interface"): the
operator's locations (``locations``, ``location_evses``) with each EVSE's live status from
the stations' connector reports (``connectors``) and connections (``stations``,
``station_connections``).

- Status: :func:`schemas.ocpi.locations.evse_status` (docs/OCPI.md "Locations" has the
  table); a deleted location's EVSEs are REMOVED.
- ``last_updated``: a connector's is its EVSE's publication; an EVSE's the latest of its
  publication, its connectors' status reports and its station's connects/disconnects; a
  Location's the latest of its own and its EVSEs' (mod_locations §"Location Object": "the
  latest of ... its EVSEs"). The window of a page (date_from/date_to) filters on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from api.deps import DbDep
from api.ocpi.auth import CallerDep
from api.ocpi.envelope import OcpiError, OcpiResponse, OcpiStatus, ok
from api.ocpi.paging import PagingDep, paged
from api.ocpi.sessions import Party, party_of
from schemas.ocpi.locations import Connector, Evse, Location, LocationIn, Status, evse_status

router = APIRouter(prefix="/ocpi/2.2.1/cpo/locations", tags=["ocpi"])

_EVSES = """
    SELECT e.location_id, e.evse_uid, e.station_id, e.evse_id, e.updated_at,
        COALESCE(s.connected, false) AS connected,
        COALESCE(array_agg(c.status) FILTER (WHERE c.status IS NOT NULL), '{}') AS statuses,
        GREATEST(e.updated_at, MAX(c.status_at),
                 (SELECT MAX(COALESCE(sc.disconnected_at, sc.connected_at))
                    FROM station_connections sc WHERE sc.station_id = e.station_id))
            AS last_updated
    FROM location_evses e
    LEFT JOIN connectors c ON c.station_id = e.station_id AND c.evse_id = e.evse_id
    LEFT JOIN stations s ON s.station_id = e.station_id
    WHERE e.location_id = ANY(:ids)
    GROUP BY e.location_id, e.evse_uid, e.station_id, e.evse_id, e.updated_at, s.connected
"""
"""Each EVSE of the locations ``:ids``: its connectors' statuses, whether its station is
connected, and its last_updated."""

_LOCATIONS = f"""
    WITH evses AS ({_EVSES.replace("WHERE e.location_id = ANY(:ids)", "")}),
    located AS (
        SELECT l.location_id, l.body, l.deleted,
            GREATEST(l.updated_at, MAX(v.last_updated)) AS last_updated
        FROM locations l LEFT JOIN evses v ON v.location_id = l.location_id
        GROUP BY l.location_id, l.body, l.deleted, l.updated_at)
    SELECT location_id, body, deleted, last_updated, COUNT(*) OVER () AS total
    FROM located
    WHERE (CAST(:date_from AS timestamptz) IS NULL OR last_updated >= :date_from)
      AND (CAST(:date_to AS timestamptz) IS NULL OR last_updated < :date_to)
      AND (CAST(:location_id AS text) IS NULL OR location_id = :location_id)
    ORDER BY last_updated, location_id
    OFFSET :offset LIMIT :limit
"""
"""One page of locations in the window, by last_updated then id, with the window's count
(OCPI 2.2.1 mod_locations §"GET Method": date_from inclusive, date_to exclusive)."""


async def locations_page(db: AsyncConnection, *, date_from: datetime | None,
                         date_to: datetime | None, offset: int, limit: int,
                         party: Party, location_id: str | None = None,
                         ) -> tuple[list[Location], int]:  # fmt: skip
    """The locations last updated in [date_from, date_to), by last_updated then id,
    ``offset``/``limit``, and how many match."""
    params = {"date_from": date_from, "date_to": date_to, "location_id": location_id,
              "offset": offset, "limit": limit}  # fmt: skip
    rows = (await db.execute(text(_LOCATIONS), params)).mappings().all()
    if not rows:
        return [], 0
    ids = [r["location_id"] for r in rows]
    evses = (await db.execute(text(_EVSES), {"ids": ids})).mappings().all()
    live: dict[str, dict[str, Any]] = {}
    for evse in evses:
        live.setdefault(evse["location_id"], {})[evse["evse_uid"]] = evse
    located = [_location(r, live.get(r["location_id"], {}), party) for r in rows]
    return located, int(rows[0]["total"])


def _location(row: Any, live: dict[str, Any], party: Party) -> Location:
    entered = LocationIn.model_validate(row["body"])
    evses = tuple(_evse(evse, live.get(evse.uid), row) for evse in entered.evses)
    fields = entered.model_dump(exclude={"evses"}, exclude_none=True)
    return Location(country_code=party.country_code, party_id=party.party_id,
                    id=row["location_id"], evses=evses or None,
                    last_updated=row["last_updated"], **fields)  # fmt: skip


def _evse(entered: Any, live: Any, location: Any) -> Evse:
    """The EVSE as published with its live status; REMOVED when its location was deleted
    (or its mapping was refused: another location has the station EVSE)."""
    if location["deleted"] or live is None:
        status, changed = Status.REMOVED, location["last_updated"]
    else:
        status = evse_status(list(live["statuses"]), live["connected"])
        changed = live["last_updated"]
    published = location["last_updated"] if live is None else live["updated_at"]
    connectors = tuple(Connector(last_updated=published, **c.model_dump(exclude_none=True))
                       for c in entered.connectors)  # fmt: skip
    return Evse(uid=entered.uid, evse_id=entered.ocpi_evse_id, status=status,
                capabilities=entered.capabilities, connectors=connectors,
                floor_level=entered.floor_level, physical_reference=entered.physical_reference,
                last_updated=changed)  # fmt: skip


@router.get("")
async def get_locations(request: Request, response: Response, caller: CallerDep, db: DbDep,
                        paging: PagingDep) -> OcpiResponse[list[Location]]:  # fmt: skip
    """mod_locations §"CPO Interface" GET: one page of the locations."""
    items, total = await locations_page(db, date_from=paging.date_from, date_to=paging.date_to,
                                        offset=paging.offset, limit=paging.limit,
                                        party=party_of(request))  # fmt: skip
    return paged(request, response, items, total, paging)


IdPath = Annotated[str, Path(min_length=1, max_length=36)]


async def _one(request: Request, db: AsyncConnection, location_id: str) -> Location:
    found, _ = await locations_page(db, date_from=None, date_to=None, offset=0, limit=1,
                                    party=party_of(request), location_id=location_id)  # fmt: skip
    if not found:
        # OCPI 2.2.1 status_codes: 2003 Unknown Location.
        raise OcpiError(OcpiStatus.UNKNOWN_LOCATION, f"unknown location {location_id!r}", 404)
    return found[0]


def _evse_of(location: Location, evse_uid: str) -> Evse:
    for evse in location.evses or ():
        if evse.uid.upper() == evse_uid.upper():  # CiString: case-insensitive
            return evse
    raise OcpiError(OcpiStatus.UNKNOWN_LOCATION, f"unknown EVSE {evse_uid!r}", 404)


@router.get("/{location_id}")
async def get_location(request: Request, caller: CallerDep, db: DbDep,
                       location_id: IdPath) -> OcpiResponse[Location]:  # fmt: skip
    """mod_locations §"CPO Interface" GET: one location."""
    return ok(await _one(request, db, location_id))


@router.get("/{location_id}/{evse_uid}")
async def get_evse(request: Request, caller: CallerDep, db: DbDep, location_id: IdPath,
                   evse_uid: IdPath) -> OcpiResponse[Evse]:  # fmt: skip
    """mod_locations §"CPO Interface" GET: one EVSE of a location."""
    return ok(_evse_of(await _one(request, db, location_id), evse_uid))


@router.get("/{location_id}/{evse_uid}/{connector_id}")
async def get_connector(
    request: Request, caller: CallerDep, db: DbDep, location_id: IdPath, evse_uid: IdPath,
    connector_id: IdPath,
) -> OcpiResponse[Connector]:
    """mod_locations §"CPO Interface" GET: one connector of an EVSE."""
    evse = _evse_of(await _one(request, db, location_id), evse_uid)
    for connector in evse.connectors:
        if connector.id.upper() == connector_id.upper():
            return ok(connector)
    raise OcpiError(OcpiStatus.UNKNOWN_LOCATION, f"unknown connector {connector_id!r}", 404)
