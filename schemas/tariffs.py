"""The OCPI 2.2.1 Tariff object (OCPI 2.2.1 mod_tariffs §"Tariff Object" and its data types),
as the operator publishes it and the admin log carries it.

Amounts, prices, VAT percentages and restriction limits are :class:`~decimal.Decimal`: they
are read from JSON numbers or strings and written to JSON as strings, so a price is never
rounded through a float on its way from the operator to a bill.

This module checks the shape and each field on its own (lengths, formats, non-negative
numbers). What needs the whole tariff to decide (an element that can never apply, a
restriction whose minimum exceeds its maximum, an unknown currency) is checked by
:func:`billing.validation.problems` before the API publishes a tariff.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from ocpp.timestamps import format_datetime


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcTime = Annotated[
    datetime,
    AfterValidator(_aware),
    PlainSerializer(format_datetime, return_type=str, when_used="json"),
]
"""OCPI 2.2.1 types §DateTime: UTC (read as UTC when no offset is given), written with "Z"."""

CiString2 = Annotated[str, Field(min_length=2, max_length=2)]
CiString3 = Annotated[str, Field(min_length=3, max_length=3)]
TariffId = Annotated[str, Field(min_length=1, max_length=36)]
"""Tariff.id: CiString(36)."""
Amount = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
"""A non-negative exact number (OCPI 2.2.1 types §"number")."""
TimeOfDay = Annotated[str, Field(pattern=r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")]
"""TariffRestrictions.start_time / end_time: local time of day, "HH:MM"."""
LocalDate = Annotated[
    str, Field(pattern=r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
]
"""TariffRestrictions.start_date / end_date: a local date, "YYYY-MM-DD"."""


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class TariffDimensionType(StrEnum):
    """OCPI 2.2.1 TariffDimensionType: what a price component charges for."""

    ENERGY = "ENERGY"
    """Per kWh; step_size in Wh."""
    FLAT = "FLAT"
    """A fixed fee per session (start or transaction fee)."""
    PARKING_TIME = "PARKING_TIME"
    """Per hour not charging; step_size in seconds."""
    TIME = "TIME"
    """Per hour charging; step_size in seconds."""


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class ReservationRestrictionType(StrEnum):
    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


class TariffType(StrEnum):
    """OCPI 2.2.1 TariffType; a tariff without one is valid for all sessions."""

    AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
    PROFILE_CHEAP = "PROFILE_CHEAP"
    PROFILE_FAST = "PROFILE_FAST"
    PROFILE_GREEN = "PROFILE_GREEN"
    REGULAR = "REGULAR"


class DisplayText(_Part):
    """OCPI 2.2.1 types §DisplayText."""

    language: Annotated[str, Field(min_length=2, max_length=2)]
    """ISO 639-1 language code."""
    text: Annotated[str, Field(min_length=1, max_length=512)]


class Price(_Part):
    """OCPI 2.2.1 types §Price."""

    excl_vat: Amount
    incl_vat: Amount | None = None


class PriceComponent(_Part):
    """OCPI 2.2.1 PriceComponent: the price per unit of one dimension (excl. VAT)."""

    type: TariffDimensionType
    price: Amount
    vat: Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    """VAT percentage; omitted = no VAT applicable (different from 0 %)."""
    step_size: Annotated[int, Field(ge=0)]
    """Billed in blocks of this many units (Wh for ENERGY, seconds for the times); FLAT has no
    unit (the specification's own free-of-charge example gives 0). 0 bills like 1."""


class TariffRestrictions(_Part):
    """OCPI 2.2.1 TariffRestrictions: when an element is active during a session (local times
    are in the station's time zone)."""

    start_time: TimeOfDay | None = None
    end_time: TimeOfDay | None = None
    start_date: LocalDate | None = None
    end_date: LocalDate | None = None
    """Exclusive."""
    min_kwh: Amount | None = None
    max_kwh: Amount | None = None
    """Exclusive."""
    min_current: Amount | None = None
    max_current: Amount | None = None
    min_power: Amount | None = None
    """kW."""
    max_power: Amount | None = None
    """kW."""
    min_duration: Annotated[int, Field(ge=0)] | None = None
    """Seconds, inclusive."""
    max_duration: Annotated[int, Field(ge=0)] | None = None
    """Seconds, exclusive."""
    day_of_week: tuple[DayOfWeek, ...] = ()
    reservation: ReservationRestrictionType | None = None


class TariffElement(_Part):
    price_components: Annotated[tuple[PriceComponent, ...], Field(min_length=1)]
    restrictions: TariffRestrictions | None = None


class EnergySource(_Part):
    source: str
    """OCPI EnergySourceCategory: NUCLEAR, GENERAL_FOSSIL, COAL, GAS, GENERAL_GREEN, SOLAR,
    WIND, WATER."""
    percentage: Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)]


class EnvironmentalImpact(_Part):
    category: str
    """OCPI EnvironmentalImpactCategory: NUCLEAR_WASTE, CARBON_DIOXIDE."""
    amount: Amount
    """g/kWh."""


class EnergyMix(_Part):
    """OCPI 2.2.1 mod_locations §EnergyMix."""

    is_green_energy: bool
    energy_sources: tuple[EnergySource, ...] = ()
    environ_impact: tuple[EnvironmentalImpact, ...] = ()
    supplier_name: Annotated[str, Field(max_length=64)] | None = None
    energy_product_name: Annotated[str, Field(max_length=64)] | None = None


class Tariff(_Part):
    """OCPI 2.2.1 Tariff object."""

    country_code: CiString2
    party_id: CiString3
    id: TariffId
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    """ISO 4217 code."""
    type: TariffType | None = None
    tariff_alt_text: tuple[DisplayText, ...] = ()
    tariff_alt_url: Annotated[str, Field(max_length=255)] | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: Annotated[tuple[TariffElement, ...], Field(min_length=1)]
    start_date_time: UtcTime | None = None
    end_date_time: UtcTime | None = None
    energy_mix: EnergyMix | None = None
    last_updated: UtcTime
