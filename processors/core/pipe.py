"""The Pipe: the per-station state machine of CSMS-initiated calls.

OCPP-J 1.6 §4.1.1 / OCPP-J 2.0.1 §4.1.1: a sender has at most one outstanding CALL per
direction; a CALLRESULT / CALLERROR carries only the message id, so the CSMS must remember
what it asked. The Pipe keeps, per station: the call in flight, the queue behind it (durable:
it lives in the processor's keyed Faust state, backed by a Kafka changelog) and the recent
calls that timed out (so a late answer is still recorded against its call).

Station-initiated calls are a separate direction and never wait for the Pipe.

Everything here is pure: ``decide_*`` functions return a :class:`PipeDecision` (the events,
models of :mod:`schemas.events.calls`; the frame to send if any; and the call an answer was
merged with) and :func:`evolve_pipe` applies one event, dispatching on its class. The
message id of a sent call is its ``call_id`` (a UUID: 36 characters, the OCPP-J limit).

A call is checked against the request schema of the version the station speaks *when it is
sent* (the station may have reconnected with another version since the call was queued):
a call that does not validate is never sent and ends rejected by the CSMS
(``CallRejected`` with ``error_details.sent = false``), and the next one proceeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import singledispatch
from typing import Any

from pydantic import BaseModel, ConfigDict

import ocpp
from ocpp import Call, CallError, CallResult, OcppVersion
from schemas.events import (
    CallAnswered,
    CallCancelled,
    CallCancelRefused,
    CallExpired,
    CallQueued,
    CallRejected,
    CallSent,
    CallTimedOut,
    DomainEvent,
    UnmatchedCallAnswer,
)

RECENT_TIMED_OUT = 16
"""How many timed-out calls a station remembers for late answers."""

PIPE_EVENTS: tuple[type[DomainEvent], ...] = (
    CallQueued, CallSent, CallAnswered, CallRejected, CallTimedOut, CallExpired, CallCancelled,
)  # fmt: skip
"""The events :func:`evolve_pipe` applies."""


class CallStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    ANSWERED = "answered"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class PipeCall(BaseModel):
    """A CSMS-initiated call, queued or in flight."""

    model_config = ConfigDict(frozen=True)

    call_id: str
    action: str
    payload: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    sent_at: datetime | None = None
    connection_id: str | None = None
    ocpp_version: str | None = None
    """The version the payload was built for (None: whatever the station speaks)."""


class Pipe(BaseModel):
    model_config = ConfigDict(frozen=True)

    in_flight: PipeCall | None = None
    queue: tuple[PipeCall, ...] = ()
    timed_out: tuple[PipeCall, ...] = ()
    """The last calls that timed out, newest last (a late answer is still merged with them)."""

    @property
    def idle(self) -> bool:
        """Nothing in flight and nothing queued."""
        return self.in_flight is None and not self.queue

    def late_call(self, call_id: str) -> PipeCall | None:
        return next((c for c in reversed(self.timed_out) if c.call_id == call_id), None)

    def queued(self, call_id: str) -> PipeCall | None:
        return next((c for c in self.queue if c.call_id == call_id), None)


@dataclass(frozen=True, slots=True)
class Link:
    """The station's connection as the processor last saw it."""

    connected: bool
    connection_id: str | None
    version: OcppVersion | None = None


@dataclass(frozen=True, slots=True)
class PipeDecision:
    events: tuple[DomainEvent, ...] = ()
    send: Call | None = None
    answered: PipeCall | None = None
    """The call a CallResult / CallError was merged with (for the action's result handler)."""


# -- decide ------------------------------------------------------------------------------------


def decide_request(pipe: Pipe, call: PipeCall, link: Link, now: datetime) -> PipeDecision:
    """A new call from the API: queue it, and send it at once if the Pipe is free."""
    if _in_flight(pipe, call.call_id) or pipe.queued(call.call_id):
        return PipeDecision()  # a redelivered command: already known
    return _then_advance(pipe, (_queued(call),), link, now)


def decide_answer(pipe: Pipe, answer: CallResult | CallError, link: Link,
                  now: datetime) -> PipeDecision:  # fmt: skip
    """A CallResult / CallError from the station, merged with the call it answers."""
    call = pipe.in_flight
    if call is not None and call.call_id == answer.unique_id:
        advanced = _then_advance(pipe, (_answer(call, answer, late=False),), link, now)
        return PipeDecision(events=advanced.events, send=advanced.send, answered=call)
    late = pipe.late_call(answer.unique_id)
    if late is not None:
        return PipeDecision(events=(_answer(late, answer, late=True),), answered=late)
    return PipeDecision(events=(_unmatched(answer),))


def decide_tick(pipe: Pipe, link: Link, now: datetime, response_timeout: timedelta) -> PipeDecision:
    """Time passes: the call in flight may time out, queued calls may expire."""
    events: list[DomainEvent] = []
    call = pipe.in_flight
    if call is not None and call.sent_at is not None and now - call.sent_at >= response_timeout:
        events.append(_timed_out(call, f"no answer within {response_timeout.total_seconds():g} s"))
    if not events and not any(c.expires_at <= now for c in pipe.queue):
        return PipeDecision()
    return _then_advance(pipe, tuple(events), link, now)


def decide_connection(pipe: Pipe, link: Link, now: datetime) -> PipeDecision:
    """The station connected or disconnected.

    OCPP-J answers travel on the connection the call was sent on: a call in flight on a
    connection that closed can no longer be answered, so it ends as timed out. Queued calls
    stay queued (unlike MaEVe, which loses them) and go out when the station is back.
    """
    events: list[DomainEvent] = []
    call = pipe.in_flight
    gone = not link.connected or (call is not None and call.connection_id != link.connection_id)
    if call is not None and gone:
        events.append(_timed_out(call, "connection closed before the answer"))
    return _then_advance(pipe, tuple(events), link, now)


def decide_cancel(pipe: Pipe, call_id: str) -> PipeDecision:
    """Cancel a queued call; a call already sent (or ended) cannot be cancelled."""
    if pipe.queued(call_id) is not None:
        return PipeDecision(events=(CallCancelled(call_id=call_id),))
    reason = "already sent" if _in_flight(pipe, call_id) else "not queued"
    return PipeDecision(events=(CallCancelRefused(call_id=call_id, reason=reason),))


def _then_advance(pipe: Pipe, events: tuple[DomainEvent, ...], link: Link,
                  now: datetime) -> PipeDecision:  # fmt: skip
    """Apply ``events``, drop expired queued calls, and send the next call if the Pipe is free."""
    for event in events:
        pipe = evolve_pipe(pipe, event)
    out = list(events)
    for call in pipe.queue:
        if call.expires_at <= now:
            expired = CallExpired(call_id=call.call_id, action=call.action)
            out.append(expired)
            pipe = evolve_pipe(pipe, expired)
    while pipe.in_flight is None and pipe.queue and link.connected:
        nxt = pipe.queue[0]
        problem = _unsendable(nxt, link)
        if problem is None:
            sent = CallSent(call_id=nxt.call_id, action=nxt.action,
                            connection_id=link.connection_id, sent_at=now)  # fmt: skip
            return PipeDecision(events=(*out, sent), send=Call(nxt.call_id, nxt.action,
                                                               nxt.payload))  # fmt: skip
        out.append(problem)
        pipe = evolve_pipe(pipe, problem)
    return PipeDecision(events=tuple(out))


def _unsendable(call: PipeCall, link: Link) -> CallRejected | None:
    """A CallRejected (by the CSMS: never sent) if ``call`` is not valid for the station's
    version; every frame the CSMS sends is checked against its schema first."""
    if link.version is None:
        return None
    if call.ocpp_version is not None and call.ocpp_version != link.version.value:
        code = "NotSupported"
        description = f"built for {call.ocpp_version}, the station now speaks {link.version.value}"
        details: dict[str, Any] = {}
    else:
        error = ocpp.validate_payload(link.version, call.action, call.payload, response=False)
        if error is None:
            return None
        code, description, details = error.code, error.description, error.details
    return CallRejected(call_id=call.call_id, action=call.action, late=False, error_code=code,
                        error_description=f"not sent: {description}",
                        error_details={**details, "sent": False})  # fmt: skip


def next_deadline(pipe: Pipe, response_timeout: timedelta) -> datetime | None:
    """When :func:`decide_tick` may next have something to do (None: nothing pending)."""
    moments = [c.expires_at for c in pipe.queue]
    if pipe.in_flight is not None and pipe.in_flight.sent_at is not None:
        moments.append(pipe.in_flight.sent_at + response_timeout)
    return min(moments, default=None)


def _queued(call: PipeCall) -> CallQueued:
    # The version is stated only when the call was built for one (absent otherwise).
    built_for = {} if call.ocpp_version is None else {"ocpp_version": call.ocpp_version}
    return CallQueued(call_id=call.call_id, action=call.action, payload=call.payload,
                      created_at=call.created_at, expires_at=call.expires_at,
                      **built_for)  # fmt: skip


def _answer(call: PipeCall, answer: CallResult | CallError, *,
            late: bool) -> CallAnswered | CallRejected:  # fmt: skip
    if isinstance(answer, CallResult):
        return CallAnswered(call_id=call.call_id, action=call.action, response=answer.payload,
                            late=late)  # fmt: skip
    return CallRejected(call_id=call.call_id, action=call.action, late=late,
                        error_code=answer.error_code,
                        error_description=answer.error_description,
                        error_details=answer.error_details)  # fmt: skip


def _unmatched(answer: CallResult | CallError) -> UnmatchedCallAnswer:
    if isinstance(answer, CallResult):
        return UnmatchedCallAnswer(message_id=answer.unique_id, response=answer.payload)
    return UnmatchedCallAnswer(message_id=answer.unique_id, error_code=answer.error_code,
                               error_description=answer.error_description)  # fmt: skip


def _timed_out(call: PipeCall, reason: str) -> CallTimedOut:
    return CallTimedOut(call_id=call.call_id, action=call.action, reason=reason)


# -- evolve ------------------------------------------------------------------------------------


def evolve_pipe(pipe: Pipe, event: DomainEvent) -> Pipe:
    """Apply one Pipe event (any other event leaves the Pipe as it is)."""
    return _apply(event, pipe)


@singledispatch
def _apply(event: DomainEvent, pipe: Pipe) -> Pipe:
    return pipe


@_apply.register
def _on_queued(event: CallQueued, pipe: Pipe) -> Pipe:
    call = PipeCall(call_id=event.call_id, action=event.action, payload=event.payload,
                    created_at=event.created_at, expires_at=event.expires_at,
                    ocpp_version=event.ocpp_version)  # fmt: skip
    return pipe.model_copy(update={"queue": (*pipe.queue, call)})


@_apply.register
def _on_sent(event: CallSent, pipe: Pipe) -> Pipe:
    call = pipe.queued(event.call_id)
    if call is None:
        return pipe
    sent = call.model_copy(update={"sent_at": event.sent_at, "connection_id": event.connection_id})
    return pipe.model_copy(update={"in_flight": sent, "queue": _without(pipe, event.call_id)})


@_apply.register
def _on_answered(event: CallAnswered, pipe: Pipe) -> Pipe:
    return _answered(pipe, event.call_id, late=event.late)


@_apply.register
def _on_rejected(event: CallRejected, pipe: Pipe) -> Pipe:
    if pipe.queued(event.call_id) is None:
        return _answered(pipe, event.call_id, late=event.late)
    # Refused by the CSMS before it was sent (not valid for the station's version).
    return pipe.model_copy(update={"queue": _without(pipe, event.call_id)})


@_apply.register
def _on_timed_out(event: CallTimedOut, pipe: Pipe) -> Pipe:
    if pipe.in_flight is None or not _in_flight(pipe, event.call_id):
        return pipe
    recent = (*pipe.timed_out, pipe.in_flight)[-RECENT_TIMED_OUT:]
    return pipe.model_copy(update={"in_flight": None, "timed_out": recent})


@_apply.register(CallExpired)
@_apply.register(CallCancelled)
def _on_dropped(event: CallExpired | CallCancelled, pipe: Pipe) -> Pipe:
    return pipe.model_copy(update={"queue": _without(pipe, event.call_id)})


def _answered(pipe: Pipe, call_id: str, *, late: bool) -> Pipe:
    """An answer ends the call in flight; a late one only records (the call ended already)."""
    if late or not _in_flight(pipe, call_id):
        return pipe
    return pipe.model_copy(update={"in_flight": None})


def _in_flight(pipe: Pipe, call_id: str) -> bool:
    return pipe.in_flight is not None and pipe.in_flight.call_id == call_id


def _without(pipe: Pipe, call_id: str) -> tuple[PipeCall, ...]:
    return tuple(c for c in pipe.queue if c.call_id != call_id)
