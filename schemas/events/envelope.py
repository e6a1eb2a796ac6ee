"""The event envelope: one domain event as it travels on the events and admin logs.

On the wire (``envelope.v1.json``)::

    {"event_id": "uuid", "type": "StationBooted", "schema_version": 1, "station_id": "CP-1",
     "occurred_at": "...", "causation_id": "csms.frames/0/42", "correlation_id": "m1",
     "data": {...}}

In the code, ``data`` is the typed event (:class:`~schemas.events.base.DomainEvent`);
``type`` and ``schema_version`` are those of its class. :func:`decode_event` reads a record
of any version and returns it upcast to the newest version of its type.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, SerializeAsAny, ValidationError, model_validator

from schemas.events.base import DomainEvent, InvalidEvent, event_class, upcast

E = TypeVar("E", bound=DomainEvent, covariant=True)
Ev = TypeVar("Ev", bound=DomainEvent)

__all__ = ["EventEnvelope", "decode_event", "envelope", "event_from_json"]


class EventEnvelope(BaseModel, Generic[E]):
    """A domain event with what the log needs to know about it."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    type: str
    schema_version: int
    station_id: str | None
    occurred_at: datetime
    causation_id: str
    """``topic/partition/offset`` of the record that caused it, or ``api/<request id>``."""
    correlation_id: str
    """The OCPP message id (or connection id, call id, API request id) it belongs to."""
    data: SerializeAsAny[E]

    @model_validator(mode="after")
    def _names_its_event(self) -> EventEnvelope[E]:
        data = self.data
        if (self.type, self.schema_version) != (data.type_name, data.schema_version):
            raise ValueError(f"envelope says {self.type} v{self.schema_version}, "
                             f"data is {data.type_name} v{data.schema_version}")  # fmt: skip
        return self

    def encode(self) -> bytes:
        """The record as the logs carry it: the fields its event was given. An optional field
        left out stays out, as in the records written before events were models (and a
        record read back and written again keeps its shape)."""
        return self.model_dump_json(exclude_unset=True).encode()


def envelope(data: Ev, *, event_id: UUID, station_id: str | None, occurred_at: datetime,
             causation_id: str, correlation_id: str) -> EventEnvelope[Ev]:  # fmt: skip
    """``data`` in an envelope naming its type and version."""
    return EventEnvelope(
        event_id=event_id, type=data.type_name, schema_version=data.schema_version,
        station_id=station_id, occurred_at=occurred_at, causation_id=causation_id,
        correlation_id=correlation_id, data=data,
    )  # fmt: skip


_ANY_EVENT = EventEnvelope[DomainEvent]
"""The envelope of any event (parametrising it costs a lookup each time: done once)."""


def decode_event(value: bytes | str) -> EventEnvelope[DomainEvent]:
    """A record of the events or admin log, its event upcast to the newest version.
    Raises :class:`~schemas.events.base.EventError`."""
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError as e:
        raise InvalidEvent(f"not JSON: {e}") from e
    if not isinstance(raw, dict):
        raise InvalidEvent("an event record is a JSON object")
    return event_from_json(raw)


def event_from_json(raw: Mapping[str, Any]) -> EventEnvelope[DomainEvent]:
    """:func:`decode_event` of a record already parsed from JSON."""
    try:
        cls = event_class(str(raw["type"]), int(raw["schema_version"]))
        data = upcast(cls.model_validate(raw["data"]))
        return _ANY_EVENT.model_validate({
            **raw, "type": data.type_name, "schema_version": data.schema_version, "data": data,
        })  # fmt: skip
    except (KeyError, TypeError, ValidationError) as e:
        raise InvalidEvent(f"not a valid event record: {e}") from e
