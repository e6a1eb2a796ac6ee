"""The records carried on the topics (see docs/ARCHITECTURE.md for the wire shapes).

- :class:`FrameRecord` on the frames log: one per frame that crossed the wire (either
  direction, raw text included, with its verdict) and one per connection opened or closed.
- :class:`Delivery` on a gateway's delivery topic: a frame for that gateway to send.

The events log carries :class:`schemas.events.EventEnvelope`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

VERDICT_OK = "ok"


class Direction(StrEnum):
    IN = "in"  # station → CSMS
    OUT = "out"  # CSMS → station


class RecordKind(StrEnum):
    FRAME = "frame"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    # A connection attempt the gateway refused (handshake or TLS), with its reason; its
    # ``http_status`` is the handshake answer (None when the TLS handshake itself failed).
    REFUSED = "refused"


# ``station_id`` of a refused attempt that never named a station (failed TLS handshake,
# a path that is not /ocpp/<id>); never a valid station id (parentheses are not allowed).
UNIDENTIFIED_STATION = "(unidentified)"


class FrameRecord(BaseModel):
    """A frames-log record: what the gateway saw on one station's connection."""

    model_config = ConfigDict(frozen=True)

    v: int = 1
    kind: RecordKind = RecordKind.FRAME
    station_id: str
    direction: Direction
    ocpp_version: str
    gateway_id: str
    connection_id: str
    at: datetime
    raw: str | None = None
    verdict: str = VERDICT_OK
    remote_address: str | None = None
    reason: str | None = None
    http_status: int | None = None
    security_profile: int | None = None
    """On a ``connected`` record: the OCPP security profile the station was admitted with
    (absent in records written before it was added; their ``reason`` says it in words)."""

    def encode(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def decode(cls, value: bytes) -> FrameRecord:
        return cls.model_validate_json(value)


class Delivery(BaseModel):
    """A frame for the gateway holding ``station_id``'s connection to send, or (``close_code``
    set, no ``raw``) an instruction to close that connection: the station has connected again
    through another gateway, and the old connection is superseded."""

    model_config = ConfigDict(frozen=True)

    v: int = 1
    station_id: str
    connection_id: str | None = None
    raw: str | None = None
    causation_id: str
    close_code: int | None = None
    close_reason: str | None = None

    def encode(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def decode(cls, value: bytes) -> Delivery:
        return cls.model_validate_json(value)


def frame_causation(topic: str, partition: int, offset: int) -> str:
    """The causation id of anything caused by the frames-log record at this position."""
    return f"{topic}/{partition}/{offset}"
