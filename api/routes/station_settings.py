"""What the CSMS knows of a station's settings, from the results of its calls:
1.6 configuration keys, 2.0.1 device-model variables, charging profiles, reservations and
the local authorization list version. Each list is the station's whole set (small, bounded
by the station's own device model), ordered by its natural key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Table, select

from api.deps import DbDep
from api.models import NOT_FOUND
from schemas.readmodel import (
    charging_profiles,
    local_list_versions,
    reservations,
    station_configuration,
    station_variables,
    stations,
)

router = APIRouter(prefix="/api/v1/stations/{station_id}", tags=["station settings"])


class Row(BaseModel):
    model_config = ConfigDict(from_attributes=True)


R = TypeVar("R", bound=Row)


class ConfigurationKey(Row):
    key: str
    value: str | None
    readonly: bool | None
    reboot_required: bool
    updated_at: datetime


class Variable(Row):
    component: str
    component_instance: str
    evse_id: int
    connector_id: int
    variable: str
    variable_instance: str
    attribute_type: str
    value: str | None
    status: str
    reboot_required: bool
    updated_at: datetime


class ChargingProfile(Row):
    evse_id: int
    profile_id: int
    stack_level: int
    purpose: str
    profile: dict[str, Any]
    source: str = Field(description="CSO (set by this CSMS) or, as the station reports it "
                        "(2.0.1 K09), an external limit: EMS, SO, Other.")
    updated_at: datetime


class Reservation(Row):
    reservation_id: int
    evse_id: int | None
    connector_id: int | None
    id_token: str
    expires_at: datetime
    status: str = Field(description="As answered (Accepted, Faulted, Occupied, Rejected, "
                        "Unavailable), Cancelled, ended by the station (Expired, Removed), "
                        "or Expired once an Accepted reservation's expires_at has passed.")
    updated_at: datetime


class LocalListVersion(Row):
    version: int
    updated_at: datetime


async def _listed(model: type[R], db: DbDep, table: Table, station_id: str) -> list[R]:
    return [model.model_validate(r) for r in await _rows(db, table, station_id)]


async def _rows(db: DbDep, table: Table, station_id: str) -> list[Any]:
    known = (await db.execute(select(stations.c.station_id)
                              .where(stations.c.station_id == station_id))).first()  # fmt: skip
    if known is None:
        raise HTTPException(status_code=404, detail=f"station {station_id!r} not found")
    keys = [c for c in table.primary_key.columns if c.name != "station_id"]
    query = select(table).where(table.c.station_id == station_id).order_by(*keys)
    return [r._mapping for r in (await db.execute(query)).all()]


@router.get("/configuration", responses=NOT_FOUND)
async def get_configuration(station_id: str, db: DbDep) -> list[ConfigurationKey]:
    """OCPP 1.6 configuration keys, as last read (GetConfiguration) or changed."""
    return await _listed(ConfigurationKey, db, station_configuration, station_id)


@router.get("/variables", responses=NOT_FOUND)
async def get_variables(station_id: str, db: DbDep) -> list[Variable]:
    """OCPP 2.0.1 device-model variables, from GetVariables / SetVariables / NotifyReport."""
    return await _listed(Variable, db, station_variables, station_id)


@router.get("/charging-profiles", responses=NOT_FOUND)
async def get_charging_profiles(station_id: str, db: DbDep) -> list[ChargingProfile]:
    """Charging profiles the station accepted, per EVSE (0 = the whole station)."""
    return await _listed(ChargingProfile, db, charging_profiles, station_id)


@router.get("/reservations", responses=NOT_FOUND)
async def get_reservations(station_id: str, db: DbDep) -> list[Reservation]:
    """The station's reservations. An Accepted one past its expiry is shown Expired: 1.6
    stations end reservations silently (§5.13), and the read model stays a pure function of
    the events."""
    now = datetime.now(UTC)
    return [_as_of(r, now) for r in await _listed(Reservation, db, reservations, station_id)]


def _as_of(reservation: Reservation, now: datetime) -> Reservation:
    if reservation.status == "Accepted" and reservation.expires_at <= now:
        return reservation.model_copy(update={"status": "Expired"})
    return reservation


@router.get("/local-list", responses=NOT_FOUND)
async def get_local_list_version(station_id: str, db: DbDep) -> LocalListVersion:
    """The version of the station's local authorization list, as last set or reported."""
    rows = await _rows(db, local_list_versions, station_id)
    if not rows:
        raise HTTPException(status_code=404, detail=f"no local list known for {station_id!r}")
    return LocalListVersion.model_validate(rows[0])
