"""OCPI 2.2.1 CDRs module, CPO sender interface (mod_cdrs §"CPO Interface"): the CDRs the
billing projection issued (``cdrs``, each the ``billing.cdr.Cdr`` of a rated session), with
the operator's location in ``cdr_location``.

- Every CDR billing issued is served, credit CDRs included (mod_cdrs "Credit CDRs": a CDR
  of its own, negative totals, ``credit_reference_id`` naming the CDR it cancels); a CDR is
  never changed, so its ``last_updated`` is when it was issued, and the window filters on it.
- ``cdr_location``: the location and EVSE the operator mapped to the session's EVSE
  (``locations`` and ``location_evses``, joined on station id and EVSE id; OCPP 1.6: the
  connector id is the EVSE), with that EVSE's connector. A CDR whose EVSE no location maps
  is not served (mod_cdrs: address, coordinates and the connector's standard are required).
- ``cdr_token``, ``auth_method``, totals, ``charging_periods``, ``tariffs``: as billing
  issued them (docs/BILLING.md, "CDRs"); billing's ``tariff_version`` is not an OCPI field
  and is left out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import ColumnElement, Select, column, func, select, table
from sqlalchemy.ext.asyncio import AsyncConnection

from api.deps import DbDep
from api.ocpi.auth import CallerDep
from api.ocpi.envelope import OcpiResponse
from api.ocpi.paging import PagingDep, paged
from schemas.ocpi.cdrs import Cdr, CdrLocation, GeoLocation
from schemas.readmodel import cdrs

router = APIRouter(prefix="/ocpi/2.2.1/cpo/cdrs", tags=["ocpi"])

locations = table("locations", column("location_id"), column("name"), column("address"),
                  column("city"), column("postal_code"), column("state"), column("country"),
                  column("latitude"), column("longitude"))  # fmt: skip
location_evses = table("location_evses", column("location_id"), column("evse_uid"),
                       column("station_id"), column("evse_id"), column("ocpi_evse_id"),
                       column("connectors"))  # fmt: skip
"""The locations' tables (the columns this module reads)."""

c, loc, e = cdrs.c, locations.c, location_evses.c
_NOT_OCPI = frozenset({"tariff_version"})
"""Fields of billing's CDR that OCPI does not define."""


def _joined(*columns: Any) -> Select[Any]:
    evse = func.coalesce(c.evse_id, c.connector_id)  # OCPP 1.6: the connector is the EVSE
    return (select(*columns).select_from(cdrs)
            .join(location_evses, (e.station_id == c.station_id) & (e.evse_id == evse))
            .join(locations, loc.location_id == e.location_id))  # fmt: skip


def _window(date_from: datetime | None, date_to: datetime | None) -> list[ColumnElement[bool]]:
    # OCPI 2.2.1 mod_cdrs §"Request Parameters": last_updated >= date_from and < date_to.
    conditions: list[ColumnElement[bool]] = []
    if date_from is not None:
        conditions.append(c.issued_at >= date_from)
    if date_to is not None:
        conditions.append(c.issued_at < date_to)
    return conditions


_COLUMNS = (c.body, c.evse_id, loc.location_id, loc.name, loc.address, loc.city,
            loc.postal_code, loc.state, loc.country, loc.latitude, loc.longitude, e.evse_uid,
            e.ocpi_evse_id, e.connectors)  # fmt: skip


async def cdrs_page(db: AsyncConnection, *, date_from: datetime | None,
                    date_to: datetime | None, offset: int,
                    limit: int) -> tuple[list[Cdr], int]:  # fmt: skip
    """The CDRs issued in [date_from, date_to), by last_updated then id, ``offset``/
    ``limit``, and how many match."""
    conditions = _window(date_from, date_to)
    total = (await db.execute(_joined(func.count()).where(*conditions))).scalar_one()
    rows = await db.execute(_joined(*_COLUMNS).where(*conditions)
                            .order_by(c.issued_at, c.id).offset(offset).limit(limit))  # fmt: skip
    return [cdr_of(r._mapping) for r in rows], total


def cdr_of(row: Any) -> Cdr:
    """The OCPI CDR of one row: billing's CDR with the operator's location."""
    body: dict[str, Any] = {k: v for k, v in row["body"].items() if k not in _NOT_OCPI}
    billed = body["cdr_location"]
    body["cdr_location"] = cdr_location(row, billed["connector_id"])
    return Cdr.model_validate(body)


def cdr_location(row: Any, connector_id: str) -> CdrLocation:
    """mod_cdrs CdrLocation of the mapped location, EVSE and the session's connector."""
    connector = _connector(row["connectors"], connector_id)
    return CdrLocation(
        id=row["location_id"], name=row["name"], address=row["address"], city=row["city"],
        postal_code=row["postal_code"], state=row["state"], country=row["country"],
        coordinates=GeoLocation(latitude=row["latitude"], longitude=row["longitude"]),
        evse_uid=row["evse_uid"], evse_id=row["ocpi_evse_id"] or row["evse_uid"],
        connector_id=connector_id, connector_standard=connector["standard"],
        connector_format=connector["format"], connector_power_type=connector["power_type"],
    )  # fmt: skip


def _connector(connectors: list[dict[str, Any]], connector_id: str) -> dict[str, Any]:
    """The EVSE's connector ``connector_id`` (else its first: OCPP 1.6 has one)."""
    for connector in connectors:
        if str(connector.get("id")) == connector_id:
            return connector
    return connectors[0]


@router.get("")
async def get_cdrs(request: Request, response: Response, caller: CallerDep, db: DbDep,
                   paging: PagingDep) -> OcpiResponse[list[Cdr]]:  # fmt: skip
    """mod_cdrs §"CPO Interface" GET: one page of the CDRs."""
    items, total = await cdrs_page(db, date_from=paging.date_from, date_to=paging.date_to,
                                   offset=paging.offset, limit=paging.limit)  # fmt: skip
    return paged(request, response, items, total, paging)
