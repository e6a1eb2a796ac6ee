"""Public API schemas (separate from the read-model tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict


class StationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    station_id: str
    ocpp_version: str | None
    connected: bool
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    boot_reason: str | None
    boot_status: str | None
    boot_count: int
    last_boot_at: datetime | None
    last_seen_at: datetime | None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


class ErrorBody(BaseModel):
    detail: str
