"""Charge detail records in the OCPI 2.2.1 CDR shape (mod_cdrs), from a rated session.

What the CSMS states where OCPI leaves it to the CPO:

- ``session_id``: the CSMS transaction id as text; ``id`` the caller's.
- ``cdr_token``: ``uid`` and ``contract_id`` are the OCPP id token (``"UNKNOWN"`` when the
  session had none), ``country_code`` / ``party_id`` the tariff's (the CPO's). ``type`` from
  the OCPP IdTokenType: ISO14443, ISO15693 and a token without type (OCPP 1.6 idTag) are
  RFID; Central (started by the CSMS, e.g. from an app) is APP_USER; eMAID (ISO 15118 Plug &
  Charge, which OCPI 2.2.1 has no type for), KeyCode, Local, MacAddress, NoAuthorization and
  anything else are OTHER.
- ``cdr_location``: the station is the location (``id``); the EVSE is
  ``"<station>*<evse>"`` (``evse_uid`` and ``evse_id``), the OCPP 2.0.1 EVSE, or the OCPP 1.6
  connector (then its ``connector_id`` is 1); without either, EVSE 0 (the station).
- Volumes (kWh, hours, kW, A) use 4 decimals (OCPI 2.2.1 types §number: "Unless mentioned
  otherwise, numbers use 4 decimals"), half up; amounts the currency's minor unit, half up.
  ``total_cost`` is the rated total (after min_price / max_price); the other cost totals are
  their dimensions' costs before those bounds.
- ``total_time`` is the session's whole duration, ``total_parking_time`` its time not
  charging (mod_cdrs NOTE: ``total_charging_time = total_time - total_parking_time``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from billing.currencies import minor_unit
from billing.rating import CdrDimension, ChargingPeriod, Cost, DimensionCost, valid_model
from schemas.tariffs import Price, Tariff, TariffDimensionType

_VOLUME = Decimal("0.0001")
_ZERO = Decimal(0)
_TOKEN_TYPES = {
    "ISO14443": "RFID", "ISO15693": "RFID", "Central": "APP_USER",
}  # fmt: skip
"""OCPP IdTokenType → OCPI TokenType (anything else: OTHER; no type: RFID)."""

AuthMethod = Literal["AUTH_REQUEST", "COMMAND", "WHITELIST"]
"""OCPI 2.2.1 AuthMethod."""


class SignedPrice(BaseModel):
    """OCPI 2.2.1 types §Price as a credit CDR states it: negative amounts (mod_cdrs "Credit
    CDRs"), which :class:`~schemas.tariffs.Price` (a tariff's, never negative) refuses."""

    model_config = ConfigDict(frozen=True)

    excl_vat: Decimal
    incl_vat: Decimal | None = None


CdrPrice = Price | SignedPrice
"""A CDR's amounts: a :class:`Price`, or a :class:`SignedPrice` in a credit CDR."""


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
    total_cost: CdrPrice
    total_fixed_cost: CdrPrice | None
    total_energy: Decimal
    total_energy_cost: CdrPrice | None
    total_time: Decimal
    total_time_cost: CdrPrice | None
    total_parking_time: Decimal | None
    total_parking_cost: CdrPrice | None
    total_reservation_cost: CdrPrice | None = None
    """The reservation before the session, its fee included."""
    credit: bool
    credit_reference_id: str | None
    last_updated: datetime


def build_cdr(cdr_id: str, facts: SessionFacts, tariff: Tariff, tariff_version: int,
              cost: Cost, issued_at: datetime) -> Cdr:  # fmt: skip
    """The CDR of a session rated ``cost`` under ``tariff`` (version ``tariff_version``).
    Every value is already of its field's type (from validated models, or made here), so the
    CDR is not validated again: that was most of the time a CDR took."""
    unit = minor_unit(cost.currency)
    session = {d.type: d for d in cost.dimensions if not d.reservation}
    reserved = [d for d in cost.dimensions if d.reservation]
    return valid_model(
        Cdr,
        country_code=tariff.country_code, party_id=tariff.party_id, id=cdr_id,
        start_date_time=facts.start_date_time, end_date_time=facts.end_date_time,
        session_id=str(facts.transaction_pk), cdr_token=_token(facts, tariff),
        auth_method=facts.auth_method, cdr_location=_location(facts), meter_id=facts.meter_id,
        currency=cost.currency, tariffs=(tariff,), tariff_version=tariff_version,
        charging_periods=tuple(_period(p) for p in cost.periods),
        total_cost=_tariff_price(cost.excl_vat, cost.incl_vat),
        total_fixed_cost=_price(unit, session.get(TariffDimensionType.FLAT)),
        total_energy=_volume(cost.energy_kwh),
        total_energy_cost=_price(unit, session.get(TariffDimensionType.ENERGY)),
        total_time=_volume(_hours(facts.end_date_time - facts.start_date_time)),
        total_time_cost=_price(unit, session.get(TariffDimensionType.TIME)),
        total_parking_time=_volume(cost.parking_hours),
        total_parking_cost=_price(unit, session.get(TariffDimensionType.PARKING_TIME)),
        total_reservation_cost=_sum(unit, reserved),
        credit=False, credit_reference_id=None, last_updated=issued_at,
    )  # fmt: skip


def credit_of(cdr: Cdr, credit_id: str, issued_at: datetime) -> Cdr:
    """The credit CDR cancelling ``cdr`` (OCPI 2.2.1 mod_cdrs "Credit CDRs": negated totals,
    ``credit`` true, ``credit_reference_id`` = the credited CDR's id)."""
    # mod_cdrs "Credit CDRs": "The Credit CDR will contain all the data of the original CDR.
    # Only the values in the total_cost field SHALL contain the negative amounts"; the cost
    # totals of its parts are negated too, so that a CDR and its credit sum to nothing in
    # every total (volumes stay as they were).
    return cdr.model_copy(update={
        "id": credit_id, "credit": True, "credit_reference_id": cdr.id,
        "last_updated": issued_at, "total_cost": _negated(cdr.total_cost),
        "total_fixed_cost": _negated(cdr.total_fixed_cost),
        "total_energy_cost": _negated(cdr.total_energy_cost),
        "total_time_cost": _negated(cdr.total_time_cost),
        "total_parking_cost": _negated(cdr.total_parking_cost),
        "total_reservation_cost": _negated(cdr.total_reservation_cost),
    })  # fmt: skip


def _token(facts: SessionFacts, tariff: Tariff) -> CdrToken:
    uid = facts.id_token or "UNKNOWN"
    if facts.id_token_type is None:
        kind = "RFID" if facts.id_token else "OTHER"
    else:
        kind = _TOKEN_TYPES.get(facts.id_token_type, "OTHER")
    return valid_model(CdrToken, country_code=tariff.country_code, party_id=tariff.party_id,
                       uid=uid, type=kind, contract_id=uid)  # fmt: skip


def _location(facts: SessionFacts) -> CdrLocation:
    if facts.evse_id is not None:
        evse, connector = facts.evse_id, facts.connector_id or 1
    else:  # OCPP 1.6: a connector is an EVSE with one connector
        evse, connector = facts.connector_id or 0, 1
    evse_uid = f"{facts.station_id}*{evse}"
    return valid_model(CdrLocation, id=facts.station_id, evse_uid=evse_uid, evse_id=evse_uid,
                       connector_id=str(connector))  # fmt: skip


def _period(p: ChargingPeriod) -> ChargingPeriod:
    dimensions = tuple(valid_model(CdrDimension, type=d.type, volume=_volume(d.volume))
                       for d in p.dimensions)  # fmt: skip
    return valid_model(ChargingPeriod, start_date_time=p.start_date_time, dimensions=dimensions,
                       tariff_id=p.tariff_id)  # fmt: skip


def _price(unit: Decimal, d: DimensionCost | None) -> Price | None:
    return None if d is None else _sum(unit, [d])


def _sum(unit: Decimal, dimensions: list[DimensionCost]) -> Price | None:
    if not dimensions:
        return None
    excl = sum((d.excl_vat for d in dimensions), _ZERO)
    incl: Decimal | None = None
    if all(d.incl_vat is not None for d in dimensions):
        incl = sum((d.incl_vat for d in dimensions if d.incl_vat is not None), _ZERO)
    return _tariff_price(_amount(excl, unit), None if incl is None else _amount(incl, unit))


def _tariff_price(excl: Decimal, incl: Decimal | None) -> Price:
    """``Price(excl_vat=excl, incl_vat=incl)``, validated only when it may be refused (a
    negative or infinite amount: the same error as ever)."""
    if excl.is_finite() and excl >= 0 and (incl is None or (incl.is_finite() and incl >= 0)):
        return valid_model(Price, excl_vat=excl, incl_vat=incl)
    return Price(excl_vat=excl, incl_vat=incl)


def _negated(price: CdrPrice | None) -> CdrPrice | None:
    if price is None:
        return None
    incl = None if price.incl_vat is None else _ZERO - price.incl_vat
    return SignedPrice(excl_vat=_ZERO - price.excl_vat, incl_vat=incl)


def _amount(value: Decimal, unit: Decimal) -> Decimal:
    return value.quantize(unit, rounding=ROUND_HALF_UP)


def _volume(value: Decimal) -> Decimal:
    return value.quantize(_VOLUME, rounding=ROUND_HALF_UP)


def _hours(duration: timedelta) -> Decimal:
    return Decimal(duration // timedelta(microseconds=1)) / Decimal(3_600_000_000)
