"""The OCPI 2.2.1 CDR object as the CPO serves it (mod_cdrs §"CDR Object"), with its
CdrLocation (mod_cdrs §"CdrLocation class") and GeoLocation (mod_locations §GeoLocation).

The billing core issues each CDR (``billing.cdr.Cdr``) with what the CSMS knows of the site
(the station); the CDR served over OCPI carries the operator's location instead (address,
coordinates, EVSE uid, connector), and no field the spec does not define.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from schemas.ocpi.sessions import (
    AuthMethod,
    CdrToken,
    ChargingPeriod,
    CiString36,
    Number,
)
from schemas.ocpi.tariffs import OcpiTariff
from schemas.tariffs import CiString2, CiString3, UtcTime


class _Object(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class CdrPrice(_Object):
    """OCPI 2.2.1 types §Price as a CDR states it: negative in a credit CDR (mod_cdrs "Credit
    CDRs")."""

    excl_vat: Number
    incl_vat: Number | None = None


class GeoLocation(_Object):
    """OCPI 2.2.1 mod_locations §GeoLocation: decimal degrees, 5 to 7 decimals."""

    latitude: Annotated[str, Field(max_length=10, pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$")]
    longitude: Annotated[str, Field(max_length=11, pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$")]


class CdrLocation(_Object):
    """OCPI 2.2.1 mod_cdrs §"CdrLocation class": where the session took place, as the
    Location, EVSE and Connector were at that moment."""

    id: CiString36
    name: Annotated[str, Field(max_length=255)] | None = None
    address: Annotated[str, Field(max_length=45)]
    city: Annotated[str, Field(max_length=45)]
    postal_code: Annotated[str, Field(max_length=10)] | None = None
    state: Annotated[str, Field(max_length=20)] | None = None
    country: Annotated[str, Field(min_length=3, max_length=3)]
    """ISO 3166-1 alpha-3."""
    coordinates: GeoLocation
    evse_uid: CiString36
    evse_id: Annotated[str, Field(min_length=1, max_length=48)]
    connector_id: CiString36
    connector_standard: str
    """mod_locations ConnectorType, e.g. IEC_62196_T2."""
    connector_format: str
    """mod_locations ConnectorFormat: SOCKET, CABLE."""
    connector_power_type: str
    """mod_locations PowerType: AC_1_PHASE, AC_2_PHASE, AC_2_PHASE_SPLIT, AC_3_PHASE, DC."""


class Cdr(_Object):
    """OCPI 2.2.1 mod_cdrs §"CDR Object" (the fields the CSMS states)."""

    country_code: CiString2
    party_id: CiString3
    id: Annotated[str, Field(min_length=1, max_length=39)]
    start_date_time: UtcTime
    end_date_time: UtcTime
    session_id: CiString36 | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    cdr_location: CdrLocation
    meter_id: Annotated[str, Field(max_length=255)] | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    tariffs: tuple[OcpiTariff, ...] = ()
    charging_periods: tuple[ChargingPeriod, ...] = ()
    """One or more (a session of no duration has none)."""
    total_cost: CdrPrice
    total_fixed_cost: CdrPrice | None = None
    total_energy: Number
    total_energy_cost: CdrPrice | None = None
    total_time: Number
    total_time_cost: CdrPrice | None = None
    total_parking_time: Number | None = None
    total_parking_cost: CdrPrice | None = None
    total_reservation_cost: CdrPrice | None = None
    remark: Annotated[str, Field(max_length=255)] | None = None
    credit: bool | None = None
    credit_reference_id: Annotated[str, Field(min_length=1, max_length=39)] | None = None
    last_updated: UtcTime
