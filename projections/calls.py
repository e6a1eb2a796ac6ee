"""The ``calls`` read model: every CSMS-initiated call and how it ended (docs/CALLS.md).

Statuses: queued → sent → answered | rejected | timed_out, or queued → expired | cancelled
(and rejected, when the CSMS found the call invalid for the station's version at send
time). A late answer (after the call timed out) keeps ``timed_out`` and fills
``response`` / ``error``, ``answered_at`` and ``late``. Every update is guarded by the
status it moves from, so applying the log in order is all it takes to be deterministic.
"""

from __future__ import annotations

from psycopg.types.json import Jsonb

from projections.runtime.projection import Cursor, Handlers, Projection
from schemas import readmodel
from schemas.events import (
    CallAnswered,
    CallCancelled,
    CallExpired,
    CallQueued,
    CallRejected,
    CallSent,
    CallTimedOut,
    DomainEvent,
    EventEnvelope,
)

handles = Handlers()


@handles(CallQueued)
async def on_queued(cur: Cursor, event: EventEnvelope[CallQueued]) -> None:
    d = event.data
    await cur.execute(
        """
        INSERT INTO calls (call_id, station_id, action, payload, ocpp_version, status,
            created_at, expires_at)
        VALUES (%s, %s, %s, %s, %s, 'queued', %s, %s)
        ON CONFLICT (call_id) DO NOTHING
        """,
        (d.call_id, event.station_id, d.action, Jsonb(d.payload), d.ocpp_version, d.created_at,
         d.expires_at),
    )  # fmt: skip


@handles(CallSent)
async def on_sent(cur: Cursor, event: EventEnvelope[CallSent]) -> None:
    d = event.data
    await cur.execute(
        "UPDATE calls SET status = 'sent', sent_at = %s, connection_id = %s"
        " WHERE call_id = %s AND status = 'queued'",
        (d.sent_at, d.connection_id, d.call_id),
    )


@handles(CallAnswered)
async def on_answered(cur: Cursor, event: EventEnvelope[CallAnswered]) -> None:
    d = event.data
    await cur.execute(
        """
        UPDATE calls SET response = %(response)s, answered_at = %(at)s, late = %(late)s,
            status = CASE WHEN %(late)s THEN status ELSE 'answered' END,
            ended_at = COALESCE(ended_at, %(at)s),
            status_reason = COALESCE(%(problem)s, status_reason)
        WHERE call_id = %(id)s AND status IN ('sent', 'timed_out')
        """,
        {"response": Jsonb(d.response), "at": event.occurred_at, "late": d.late,
         "problem": d.response_error, "id": d.call_id},
    )  # fmt: skip


@handles(CallRejected)
async def on_rejected(cur: Cursor, event: EventEnvelope[CallRejected]) -> None:
    d = event.data
    error = {"code": d.error_code, "description": d.error_description,
             "details": d.error_details}  # fmt: skip
    sent = d.error_details.get("sent", True) is not False
    await cur.execute(
        """
        UPDATE calls SET error = %(error)s, late = %(late)s,
            answered_at = CASE WHEN %(sent)s THEN %(at)s ELSE NULL END,
            status = CASE WHEN %(late)s THEN status ELSE 'rejected' END,
            ended_at = COALESCE(ended_at, %(at)s)
        WHERE call_id = %(id)s AND status IN ('queued', 'sent', 'timed_out')
        """,
        {"error": Jsonb(error), "late": d.late, "sent": sent, "at": event.occurred_at,
         "id": d.call_id},
    )  # fmt: skip


@handles(CallTimedOut)
async def on_timed_out(cur: Cursor, event: EventEnvelope[CallTimedOut]) -> None:
    await _end(cur, event, event.data.call_id, ("timed_out", "sent"), event.data.reason)


@handles(CallExpired)
async def on_expired(cur: Cursor, event: EventEnvelope[CallExpired]) -> None:
    await _end(cur, event, event.data.call_id, ("expired", "queued"),
               "expired before it could be sent")  # fmt: skip


@handles(CallCancelled)
async def on_cancelled(cur: Cursor, event: EventEnvelope[CallCancelled]) -> None:
    await _end(cur, event, event.data.call_id, ("cancelled", "queued"), None)


async def _end(cur: Cursor, event: EventEnvelope[DomainEvent], call_id: str,
               status_was: tuple[str, str], reason: str | None) -> None:  # fmt: skip
    status, was = status_was
    await cur.execute(
        "UPDATE calls SET status = %s, ended_at = %s, status_reason = %s"
        " WHERE call_id = %s AND status = %s",
        (status, event.occurred_at, reason, call_id, was),
    )


PROJECTION = Projection("calls", tables=(readmodel.calls,), handlers=handles)
