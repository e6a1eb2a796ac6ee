"""The OCPI 2.2.1 Tariff object as OCPI serves it (mod_tariffs §"Tariff Object"): the
operator's :class:`schemas.tariffs.Tariff`, with its numbers written as JSON numbers (types
§number; the admin API and the events write them as exact decimal strings)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from pydantic import PlainSerializer

from ocpp.timestamps import format_datetime
from schemas.tariffs import Tariff

Json = None | bool | int | float | str | list["Json"] | dict[str, "Json"]


def wire_value(value: object) -> Json:
    """``value`` (a model's python dump) as OCPI JSON: decimals as numbers, times as UTC
    DateTime, enums as their values, fields without a value left out."""
    if isinstance(value, Enum):
        return wire_value(value.value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, Mapping):
        return {str(k): wire_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, Sequence):
        return [wire_value(v) for v in value]
    raise TypeError(f"no OCPI JSON for {type(value).__name__}")


def _tariff_json(tariff: Tariff) -> Json:
    return wire_value(tariff.model_dump(mode="python", exclude_none=True))


OcpiTariff = Annotated[Tariff, PlainSerializer(_tariff_json, return_type=Any, when_used="json")]
"""A Tariff that serialises to OCPI JSON (numbers, not strings)."""
