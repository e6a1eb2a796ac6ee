"""Rating: what a charging session costs under an OCPI 2.2.1 tariff (mod_tariffs).

A session is seen as a series of :class:`Reading` (its start, each meter reading, each change
of charging state, its stop). :class:`Meter` is the incremental state of one session under one
tariff: :func:`open_meter` at the start, :func:`observe` for each reading in time order,
:func:`close` at the stop; :func:`price` turns it into a :class:`Cost` at any moment. The
processor keeps a Meter per open transaction in its state (running cost on the station) and
the billing projection keeps one per session in its rows (the CDR); both call the same
functions, so both state the same amounts.

All arithmetic is :class:`~decimal.Decimal` (no floats); amounts are rounded only in
:class:`Cost` (docs/BILLING.md, "Rounding").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from schemas.tariffs import Tariff, TariffDimensionType


class Reading(BaseModel):
    """One observation of a session at ``at``: any of the register, the power, the current
    and the charging state (None: not part of this reading)."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    energy_wh: Decimal | None = None
    """Energy.Active.Import.Register, Wh (the meter's register, not the session's energy)."""
    power_w: Decimal | None = None
    """Power.Active.Import, W."""
    current_a: Decimal | None = None
    """Current.Import summed over the phases, A."""
    charging: bool | None = None
    """True: the EV takes energy (2.0.1 chargingState Charging; 1.6 status Charging); False:
    plugged in but not charging (EVConnected, SuspendedEV, SuspendedEVSE, Idle; 1.6
    SuspendedEV, SuspendedEVSE, Finishing); None: unchanged."""


class Meter(BaseModel):
    """The rating state of one session under one tariff (JSON-serialisable: it is kept in the
    processor's Faust table and in the billing read model). Its size grows with the session's
    charging periods (a new one only where the active tariff elements change), not with its
    readings."""

    model_config = ConfigDict(frozen=True)

    # Fields are the implementation's (billing.rating); callers only pass Meters around.


class DimensionCost(BaseModel):
    """What one dimension of a session costs."""

    model_config = ConfigDict(frozen=True)

    type: TariffDimensionType
    volume: Decimal
    """kWh for ENERGY, hours for TIME and PARKING_TIME, the count of fees for FLAT."""
    billed_volume: Decimal
    """``volume`` after step_size rounding."""
    excl_vat: Decimal
    incl_vat: Decimal | None
    """None when a component priced in it states no VAT."""


class CdrDimension(BaseModel):
    """OCPI 2.2.1 mod_cdrs CdrDimension."""

    model_config = ConfigDict(frozen=True)

    type: str
    """CdrDimensionType: ENERGY, MAX_CURRENT, MIN_CURRENT, MAX_POWER, MIN_POWER,
    PARKING_TIME, TIME, ..."""
    volume: Decimal


class ChargingPeriod(BaseModel):
    """OCPI 2.2.1 mod_cdrs ChargingPeriod: from ``start_date_time`` until the next period's
    start (or the session's end), with its volumes."""

    model_config = ConfigDict(frozen=True)

    start_date_time: datetime
    dimensions: tuple[CdrDimension, ...]
    tariff_id: str | None = None


class Cost(BaseModel):
    """A session's cost under its tariff at some moment (running or final)."""

    model_config = ConfigDict(frozen=True)

    currency: str
    excl_vat: Decimal
    """Total after min_price / max_price, rounded to the currency's minor unit."""
    incl_vat: Decimal | None
    """None when some component states no VAT (OCPI: no incl. VAT total can be given)."""
    dimensions: tuple[DimensionCost, ...]
    """ENERGY, FLAT, TIME, PARKING_TIME: those the tariff prices."""
    energy_kwh: Decimal
    charging_hours: Decimal
    parking_hours: Decimal
    min_price_applied: bool
    max_price_applied: bool
    periods: tuple[ChargingPeriod, ...]


def open_meter(tariff: Tariff, time_zone: str, started_at: datetime,
               start: Reading | None = None) -> Meter:  # fmt: skip
    """The meter of a session starting at ``started_at`` in a station in ``time_zone`` (IANA);
    ``start``: what the start event read (register, charging state)."""
    raise NotImplementedError


def observe(meter: Meter, tariff: Tariff, reading: Reading) -> Meter:
    """``meter`` advanced to ``reading`` (a reading older than the last one is ignored)."""
    raise NotImplementedError


def close(meter: Meter, tariff: Tariff, stop: Reading) -> Meter:
    """``meter`` at the session's stop (its last reading: time, final register)."""
    raise NotImplementedError


def price(meter: Meter, tariff: Tariff, until: datetime | None = None) -> Cost:
    """What the session costs: up to its stop if closed, else up to ``until`` (the running
    cost of a session still going; its last reading when None)."""
    raise NotImplementedError


def rate(tariff: Tariff, time_zone: str, started_at: datetime, readings: Sequence[Reading],
         stop: Reading | None = None, until: datetime | None = None) -> Cost:  # fmt: skip
    """The whole pipeline at once: open, observe each reading, close at ``stop`` if given,
    price."""
    meter = open_meter(tariff, time_zone, started_at)
    for reading in readings:
        meter = observe(meter, tariff, reading)
    if stop is not None:
        meter = close(meter, tariff, stop)
    return price(meter, tariff, until)
