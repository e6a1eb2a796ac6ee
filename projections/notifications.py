"""The ``station_notifications`` read model: firmware / diagnostics / log status, security
events, device-model reports and events, DataTransfer, one row per event (kind = type)."""

from __future__ import annotations

from psycopg import AsyncCursor
from psycopg.types.json import Jsonb

from schemas.envelopes import EventEnvelope

TABLES = ("station_notifications",)

KINDS = (
    "FirmwareStatusReported", "DiagnosticsStatusReported", "LogStatusReported",
    "SecurityEventReported", "DataTransferReceived", "ReportReceived", "StationEventsNotified",
)  # fmt: skip


async def on_notification(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    d = event.data
    status = d.get("status", d.get("type"))
    at = d.get("at") or d.get("generated_at") or event.occurred_at
    await cur.execute(
        """
        INSERT INTO station_notifications (event_id, station_id, kind, status, request_id, at,
            details)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (event_id) DO NOTHING
        """,
        (event.event_id, event.station_id, event.type, status, d.get("request_id"), at,
         Jsonb(d)),
    )  # fmt: skip
