"""The OCPI 2.2.1 Location object (mod_locations §"Location Object", §"EVSE Object",
§"Connector Object") and what the operator enters to publish one (:class:`LocationIn`).

The operator enters a location's site data and its EVSEs; each EVSE names the station and
the OCPP EVSE it is (OCPP 2.0.1 EVSE id; OCPP 1.6: the connector id, one connector per
EVSE). The CSMS adds what it knows live: each EVSE's status (from the stations' connector
status reports, :func:`evse_status`) and every object's ``last_updated``.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Annotated, Self
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ocpp import STATION_ID_MAX_LENGTH
from schemas.ocpi.cdrs import GeoLocation
from schemas.ocpi.sessions import CiString36
from schemas.tariffs import CiString2, CiString3, UtcTime


class _Object(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Status(StrEnum):
    """mod_locations §"Status enum"."""

    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


class ConnectorFormat(StrEnum):
    """mod_locations §"ConnectorFormat enum"."""

    SOCKET = "SOCKET"
    CABLE = "CABLE"


class PowerType(StrEnum):
    """mod_locations §"PowerType enum"."""

    AC_1_PHASE = "AC_1_PHASE"
    AC_2_PHASE = "AC_2_PHASE"
    AC_2_PHASE_SPLIT = "AC_2_PHASE_SPLIT"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


ConnectorType = Annotated[str, Field(pattern=r"^[A-Z0-9_]{2,40}$")]
"""mod_locations §"ConnectorType enum" (CHADEMO, IEC_62196_T2, IEC_62196_T2_COMBO, ...):
checked for shape, not against the list, so a standard added by a later OCPI version
passes through."""

ParkingType = Annotated[str, Field(pattern=r"^[A-Z_]{2,40}$")]
Facility = Annotated[str, Field(pattern=r"^[A-Z_]{2,40}$")]
Capability = Annotated[str, Field(pattern=r"^[A-Z0-9_]{2,40}$")]
TimeOfDay = Annotated[str, Field(pattern=r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")]
Address = Annotated[str, Field(min_length=1, max_length=45)]
EmiEvseId = Annotated[str, Field(min_length=1, max_length=48,
                                 pattern=r"^[A-Z]{2}\*?[A-Z0-9]{3}\*?E[A-Z0-9*]{1,30}$")]
"""eMI3 EVSE id (mod_locations EVSE.evse_id, e.g. ``NL*CSM*E1234``)."""


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _known_zone(name: str) -> str:
    if name not in _zones():
        raise ValueError(f"not an IANA time zone: {name!r}")
    return name


TimeZone = Annotated[str, AfterValidator(_known_zone)]
"""mod_locations Location.time_zone: an IANA tzdata name ("Europe/Amsterdam")."""


class RegularHours(_Object):
    """mod_locations §"RegularHours class": weekday 1 (Monday) to 7 (Sunday)."""

    weekday: Annotated[int, Field(ge=1, le=7)]
    period_begin: TimeOfDay
    period_end: TimeOfDay


class ExceptionalPeriod(_Object):
    """mod_locations §"ExceptionalPeriod class"."""

    period_begin: UtcTime
    period_end: UtcTime


class Hours(_Object):
    """mod_locations §"Hours class": 24/7, or regular hours, with exceptions."""

    twentyfourseven: bool
    regular_hours: tuple[RegularHours, ...] | None = None
    exceptional_openings: tuple[ExceptionalPeriod, ...] | None = None
    exceptional_closings: tuple[ExceptionalPeriod, ...] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        # mod_locations §"Hours class": regular_hours "shall not be used when
        # twentyfourseven is true"; one of the two is required.
        if self.twentyfourseven == bool(self.regular_hours):
            raise ValueError("give twentyfourseven: true, or regular_hours (not both)")
        return self


class ConnectorIn(_Object):
    """A connector as the operator describes it (the Connector without last_updated)."""

    id: CiString36
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: Annotated[int, Field(ge=0)]
    max_amperage: Annotated[int, Field(ge=0)]
    max_electric_power: Annotated[int, Field(ge=0)] | None = None
    tariff_ids: tuple[CiString36, ...] | None = None


class Connector(ConnectorIn):
    """mod_locations §"Connector Object": the connector as entered, with last_updated."""

    last_updated: UtcTime


class Evse(_Object):
    """mod_locations §"EVSE Object"."""

    uid: CiString36
    evse_id: Annotated[str, Field(min_length=1, max_length=48)] | None = None
    status: Status
    capabilities: tuple[Capability, ...] | None = None
    connectors: tuple[Connector, ...] = Field(min_length=1)
    floor_level: Annotated[str, Field(max_length=4)] | None = None
    physical_reference: Annotated[str, Field(max_length=16)] | None = None
    last_updated: UtcTime


class Location(_Object):
    """mod_locations §"Location Object" (the fields the CSMS states)."""

    country_code: CiString2
    party_id: CiString3
    id: CiString36
    publish: bool
    name: Annotated[str, Field(max_length=255)] | None = None
    address: Address
    city: Address
    postal_code: Annotated[str, Field(max_length=10)] | None = None
    state: Annotated[str, Field(max_length=20)] | None = None
    country: CiString3
    coordinates: GeoLocation
    parking_type: ParkingType | None = None
    evses: tuple[Evse, ...] | None = None
    facilities: tuple[Facility, ...] | None = None
    time_zone: TimeZone
    opening_times: Hours | None = None
    charging_when_closed: bool | None = None
    last_updated: UtcTime


# -- what the operator enters ---------------------------------------------------------------


class EvseIn(_Object):
    """An EVSE of the location and the station EVSE it is."""

    uid: CiString36
    station_id: Annotated[str, Field(min_length=1, max_length=STATION_ID_MAX_LENGTH)]
    evse_id: Annotated[int, Field(ge=0)]
    """The OCPP 2.0.1 EVSE id; for an OCPP 1.6 station the connector id."""
    ocpi_evse_id: EmiEvseId | None = None
    """The eMI3 EVSE id (e.g. ``NL*CSM*E1234``; OCPI "evse_id", required for roaming)."""
    capabilities: tuple[Capability, ...] | None = None
    floor_level: Annotated[str, Field(max_length=4)] | None = None
    physical_reference: Annotated[str, Field(max_length=16)] | None = None
    connectors: tuple[ConnectorIn, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct_connectors(self) -> Self:
        ids = [c.id for c in self.connectors]
        if len(set(ids)) != len(ids):
            raise ValueError(f"connector ids repeat in EVSE {self.uid!r}")
        return self


class LocationIn(_Object):
    """A location as the operator publishes it (PUT /api/v1/locations/{id})."""

    publish: bool = True
    name: Annotated[str, Field(max_length=255)] | None = None
    address: Address
    city: Address
    postal_code: Annotated[str, Field(max_length=10)] | None = None
    state: Annotated[str, Field(max_length=20)] | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    """ISO 3166-1 alpha-3."""
    coordinates: GeoLocation
    parking_type: ParkingType | None = None
    facilities: tuple[Facility, ...] | None = None
    time_zone: TimeZone
    opening_times: Hours | None = None
    charging_when_closed: bool | None = None
    evses: tuple[EvseIn, ...] = ()

    @model_validator(mode="after")
    def _distinct_evses(self) -> Self:
        uids = [e.uid.upper() for e in self.evses]
        if len(set(uids)) != len(uids):
            raise ValueError("EVSE uids repeat in the location")
        mapped = [(e.station_id, e.evse_id) for e in self.evses]
        if len(set(mapped)) != len(mapped):
            raise ValueError("a station EVSE is mapped twice in the location")
        return self


# -- live status ------------------------------------------------------------------------------

_STATUS = {
    # OCPP 1.6 ChargePointStatus (§7.7) and 2.0.1 ConnectorStatusEnumType → mod_locations Status.
    "Available": Status.AVAILABLE,
    "Preparing": Status.BLOCKED,  # plugged in, not yet charging: not free for another driver
    "Charging": Status.CHARGING,
    "SuspendedEV": Status.CHARGING,
    "SuspendedEVSE": Status.CHARGING,
    "Finishing": Status.BLOCKED,  # session over, car still plugged in
    "Occupied": Status.CHARGING,  # 2.0.1: a connector in use
    "Reserved": Status.RESERVED,
    "Unavailable": Status.INOPERATIVE,
    "Faulted": Status.OUTOFORDER,
}


def evse_status(connector_statuses: list[str], connected: bool) -> Status:
    """An EVSE's status from its connectors' last OCPP status reports and whether its station
    is connected: UNKNOWN without a report or while the station is offline; otherwise the
    most telling of its connectors' (a fault outranks use, use outranks availability)."""
    if not connected or not connector_statuses:
        return Status.UNKNOWN
    mapped = {_STATUS.get(s, Status.UNKNOWN) for s in connector_statuses}
    for status in (Status.CHARGING, Status.BLOCKED, Status.RESERVED, Status.OUTOFORDER,
                   Status.INOPERATIVE, Status.AVAILABLE):  # fmt: skip
        if status in mapped:
            return status
    return Status.UNKNOWN
