"""The OCPI 2.2.1 Session object (mod_sessions §"Session Object") and the mod_cdrs types it
shares with the CDR (CdrToken, ChargingPeriod, CdrDimension, AuthMethod, TokenType), plus
the ChargingPreferences a partner may PUT (mod_sessions §"ChargingPreferences Object").

These are the wire contract, with the spec's lengths and enums. ``billing.cdr`` has the
billing core's own, unconstrained, shapes of the token and the periods (schemas may not
import billing); the API converts those into these.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from schemas.tariffs import CiString2, CiString3, UtcTime

CiString36 = Annotated[str, Field(min_length=1, max_length=36)]
"""OCPI 2.2.1 types §CiString(36): ids of sessions, tokens, locations, EVSEs, connectors."""

Number = Annotated[
    Decimal,
    Field(allow_inf_nan=False),
    PlainSerializer(float, return_type=float, when_used="json"),
]
"""OCPI 2.2.1 types §number: exact in the CSMS, a JSON number on the wire (4 decimals for
volumes, the currency's minor unit for amounts: a float prints them exactly)."""


class Price(BaseModel):
    """OCPI 2.2.1 types §Price, amounts as JSON numbers (:class:`schemas.tariffs.Price` is
    the tariff's, written as strings in the admin API and the events)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    excl_vat: Annotated[Number, Field(ge=0)]
    incl_vat: Annotated[Number, Field(ge=0)] | None = None


class _Object(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class AuthMethod(StrEnum):
    """OCPI 2.2.1 mod_cdrs §AuthMethod enum."""

    AUTH_REQUEST = "AUTH_REQUEST"
    COMMAND = "COMMAND"
    WHITELIST = "WHITELIST"


class TokenType(StrEnum):
    """OCPI 2.2.1 mod_tokens §TokenType enum."""

    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


class CdrDimensionType(StrEnum):
    """OCPI 2.2.1 mod_cdrs §CdrDimensionType enum."""

    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"


class SessionStatus(StrEnum):
    """OCPI 2.2.1 mod_sessions §SessionStatus enum."""

    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    PENDING = "PENDING"
    RESERVATION = "RESERVATION"


class CdrToken(_Object):
    """OCPI 2.2.1 mod_cdrs §CdrToken: the token a session was started with, and who issued
    it."""

    country_code: CiString2
    """Of the eMSP that issued the token."""
    party_id: CiString3
    uid: CiString36
    type: TokenType
    contract_id: CiString36


class CdrDimension(_Object):
    """OCPI 2.2.1 mod_cdrs §CdrDimension: a volume (kWh, hours, kW, A, %) of a period."""

    type: CdrDimensionType
    volume: Number


class ChargingPeriod(_Object):
    """OCPI 2.2.1 mod_cdrs §ChargingPeriod: from ``start_date_time`` until the next period
    (or the end)."""

    start_date_time: UtcTime
    dimensions: Annotated[tuple[CdrDimension, ...], Field(min_length=1)]
    tariff_id: CiString36 | None = None


class Session(_Object):
    """OCPI 2.2.1 mod_sessions §"Session Object"."""

    country_code: CiString2
    """Of the CPO that owns the session."""
    party_id: CiString3
    id: CiString36
    start_date_time: UtcTime
    end_date_time: UtcTime | None = None
    kwh: Annotated[Number, Field(ge=0)]
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    location_id: CiString36
    evse_uid: CiString36
    connector_id: CiString36
    meter_id: Annotated[str, Field(max_length=255)] | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    charging_periods: tuple[ChargingPeriod, ...] = ()
    total_cost: Price | None = None
    """Excl. VAT (and incl. VAT where known); omitted: no price information, not free."""
    status: SessionStatus
    last_updated: UtcTime


class ProfileType(StrEnum):
    """OCPI 2.2.1 mod_sessions §ProfileType enum."""

    CHEAP = "CHEAP"
    FAST = "FAST"
    GREEN = "GREEN"
    REGULAR = "REGULAR"


class ChargingPreferences(BaseModel):
    """OCPI 2.2.1 mod_sessions §"ChargingPreferences Object" (a request body: fields the spec
    does not know are ignored, as the transport's robustness rule asks)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    profile_type: ProfileType
    departure_time: UtcTime | None = None
    energy_need: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)] | None = None
    discharge_allowed: bool = False


class ChargingPreferencesResponse(StrEnum):
    """OCPI 2.2.1 mod_sessions §ChargingPreferencesResponse enum."""

    ACCEPTED = "ACCEPTED"
    DEPARTURE_REQUIRED = "DEPARTURE_REQUIRED"
    ENERGY_NEED_REQUIRED = "ENERGY_NEED_REQUIRED"
    NOT_POSSIBLE = "NOT_POSSIBLE"
    PROFILE_TYPE_NOT_SUPPORTED = "PROFILE_TYPE_NOT_SUPPORTED"
