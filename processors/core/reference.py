"""Reference data the handlers need, delivered as admin events on Kafka (DESIGN decision 8).

The API appends these to the admin topic; the processor keeps them in Faust tables:

- ``StationConfigured`` (key = station id) → the station's row of the per-station state
  table (the admin topic is co-partitioned with the frames log: same key, same partition
  count), read by the registration gate and BootNotification;
- ``TokenUpserted`` / ``TokenDeleted`` (key = id token) → the ``tokens`` global table,
  read by the authorization rules.

Processors never read the read store, so replaying the logs gives the same decisions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from schemas.events import TokenUpserted


class Token(BaseModel):
    """An id token as the operator issued it (``TokenUpserted`` data)."""

    model_config = ConfigDict(frozen=True)

    type: str
    status: str
    expires_at: datetime | None = None
    group_id: str | None = None

    @classmethod
    def issued(cls, event: TokenUpserted) -> Token:
        return cls(type=event.type, status=event.status, expires_at=event.expires_at,
                   group_id=event.group_id)  # fmt: skip

    @classmethod
    def from_table(cls, value: dict[str, Any] | None) -> Token | None:
        return None if value is None else cls.model_validate(value)
