"""Records on the commands log (``<prefix>.commands``, key = station id): what the processor
is asked to do with a station's Pipe (docs/CALLS.md).

- ``call``: queue a CSMS-initiated call (written by the API; ``call_id`` is the OCPP
  message id it will carry);
- ``cancel``: cancel a queued call (written by the API);
- ``tick``: time has passed a deadline of the station's Pipe (a response timeout or a
  queued call's expiry), written by the processor's clock so that timeouts are decided in
  order with the station's other records, inside the partition's Kafka transaction.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class CommandKind(StrEnum):
    CALL = "call"
    CANCEL = "cancel"
    TICK = "tick"


class CommandRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    v: int = 1
    kind: CommandKind
    station_id: str
    at: datetime
    call_id: str | None = None
    action: str | None = None
    payload: dict[str, Any] | None = None
    ocpp_version: str | None = None
    expires_at: datetime | None = None

    def encode(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def decode(cls, value: bytes) -> CommandRecord:
        return cls.model_validate_json(value)
