"""Charge detail records in the OCPI 2.2.1 CDR shape (mod_cdrs), from a rated session."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from billing.rating import ChargingPeriod, Cost
from schemas.tariffs import Price, Tariff

AuthMethod = Literal["AUTH_REQUEST", "COMMAND", "WHITELIST"]
"""OCPI 2.2.1 AuthMethod."""


class CdrToken(BaseModel):
    """OCPI 2.2.1 mod_cdrs CdrToken."""

    model_config = ConfigDict(frozen=True)

    country_code: str
    party_id: str
    uid: str
    type: str
    """OCPI TokenType: AD_HOC_USER, APP_USER, OTHER, RFID."""
    contract_id: str


class CdrLocation(BaseModel):
    """OCPI 2.2.1 CdrLocation, as far as the CSMS knows the site (the station; locations come
    from the operator's location data where entered)."""

    model_config = ConfigDict(frozen=True)

    id: str
    evse_uid: str
    evse_id: str
    connector_id: str


class SessionFacts(BaseModel):
    """What the CDR states about the session besides its cost."""

    model_config = ConfigDict(frozen=True)

    transaction_pk: int
    station_id: str
    evse_id: int | None
    connector_id: int | None
    id_token: str | None
    id_token_type: str | None
    auth_method: AuthMethod
    start_date_time: datetime
    end_date_time: datetime
    meter_id: str | None = None


class Cdr(BaseModel):
    """OCPI 2.2.1 CDR object (fields the CSMS can state; see docs/BILLING.md)."""

    model_config = ConfigDict(frozen=True)

    country_code: str
    party_id: str
    id: str
    start_date_time: datetime
    end_date_time: datetime
    session_id: str
    cdr_token: CdrToken
    auth_method: AuthMethod
    cdr_location: CdrLocation
    meter_id: str | None
    currency: str
    tariffs: tuple[Tariff, ...]
    tariff_version: int
    """Not OCPI: which version of ``tariffs[0]`` priced the session."""
    charging_periods: tuple[ChargingPeriod, ...]
    total_cost: Price
    total_fixed_cost: Price | None
    total_energy: Decimal
    total_energy_cost: Price | None
    total_time: Decimal
    total_time_cost: Price | None
    total_parking_time: Decimal | None
    total_parking_cost: Price | None
    credit: bool
    credit_reference_id: str | None
    last_updated: datetime


def build_cdr(cdr_id: str, facts: SessionFacts, tariff: Tariff, tariff_version: int,
              cost: Cost, issued_at: datetime) -> Cdr:  # fmt: skip
    """The CDR of a session rated ``cost`` under ``tariff`` (version ``tariff_version``)."""
    raise NotImplementedError


def credit_of(cdr: Cdr, credit_id: str, issued_at: datetime) -> Cdr:
    """The credit CDR cancelling ``cdr`` (OCPI 2.2.1 mod_cdrs "Credit CDRs": negated totals,
    ``credit`` true, ``credit_reference_id`` = the credited CDR's id)."""
    raise NotImplementedError
