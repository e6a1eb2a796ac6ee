"""What a handler is given (``Context``) and what it returns (``Decision``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from ocpp import CallError, CallResult, OcppVersion
from schemas.envelopes import EventEnvelope
from schemas.events import validate_event_data

# Event ids are derived from what caused them, so reprocessing a record yields the same ids.
EVENT_NAMESPACE = UUID("5b0f7a0c-6c1e-4d7c-9a55-0f3c2f7d9e11")


@dataclass(frozen=True, slots=True)
class HandlerConfig:
    heartbeat_interval_s: int = 300
    boot_retry_interval_s: int = 60


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a pure handler may depend on besides state and message."""

    station_id: str
    version: OcppVersion
    now: datetime
    causation_id: str
    correlation_id: str
    config: HandlerConfig = field(default_factory=HandlerConfig)

    def event(self, event_type: str, data: dict[str, Any], *, version: int = 1,
              seq: int = 0) -> EventEnvelope:  # fmt: skip
        """A domain event caused by the current record; ``data`` must match its schema."""
        validate_event_data(event_type, version, data)
        return EventEnvelope(
            event_id=uuid5(EVENT_NAMESPACE, f"{self.causation_id}#{event_type}#{seq}"),
            type=event_type, schema_version=version, station_id=self.station_id,
            occurred_at=self.now, causation_id=self.causation_id,
            correlation_id=self.correlation_id, data=data,
        )  # fmt: skip

    @property
    def wire_now(self) -> str:
        """``now`` as an OCPP date-time: RFC 3339, UTC, millisecond precision, 'Z'."""
        return self.now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Decision:
    """A handler's output: events to append, and the frame to answer the station with."""

    events: tuple[EventEnvelope, ...] = ()
    reply: CallResult | CallError | None = None
