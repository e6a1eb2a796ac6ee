"""The ``notifications`` projection: the ``station_notifications`` table, one row per event
(kind = the event type) of firmware / diagnostics / log status, security events,
device-model reports and events, DataTransfer."""

from __future__ import annotations

from datetime import datetime

from psycopg.types.json import Jsonb

from projections.runtime.projection import Cursor, Handlers, Projection
from schemas import readmodel
from schemas.events import (
    DataTransferReceived,
    DiagnosticsStatusReported,
    DomainEvent,
    EventEnvelope,
    FirmwareStatusReported,
    LogStatusReported,
    ReportReceived,
    SecurityEventReported,
    StationEventsNotified,
)

KINDS = (
    FirmwareStatusReported, DiagnosticsStatusReported, LogStatusReported, SecurityEventReported,
    DataTransferReceived, ReportReceived, StationEventsNotified,
)  # fmt: skip

handles = Handlers()


@handles(*KINDS)
async def on_notification(cur: Cursor, event: EventEnvelope[DomainEvent]) -> None:
    d = event.data.model_dump(mode="json")
    status = d.get("status", d.get("type"))
    await cur.execute(
        """
        INSERT INTO station_notifications (event_id, station_id, kind, status, request_id, at,
            details)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (event_id) DO NOTHING
        """,
        (event.event_id, event.station_id, event.type, status, d.get("request_id"),
         _reported_at(event), Jsonb(d)),
    )  # fmt: skip


def _reported_at(event: EventEnvelope[DomainEvent]) -> datetime:
    """When the station says it happened, else when the CSMS heard of it."""
    for name in ("at", "generated_at"):
        value = getattr(event.data, name, None)
        if isinstance(value, datetime):
            return value
    return event.occurred_at


PROJECTION = Projection("notifications", tables=(readmodel.station_notifications,),
                        handlers=handles)  # fmt: skip
