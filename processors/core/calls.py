"""CSMS-initiated calls: the station's Pipe driven by commands, answers, connections, time.

Pure glue between the records the processor consumes and :mod:`processors.core.pipe`:

- a ``call`` / ``cancel`` / ``tick`` command (:class:`schemas.commands.CommandRecord`) →
  :func:`decide_command`;
- a CallResult / CallError frame from the station → :func:`decide_answer`: merged with the
  call it answers, checked against the action's response schema, then handed to the
  action's result handler (:mod:`processors.core.results`) for domain events;
- a connection opened or closed → :func:`decide_link` (called with the state *after* the
  connection event): a call in flight on a closed connection ends, queued calls go out;
- a handler's own call (e.g. the running cost of a transaction, OCPP 2.0.1 I02) →
  :func:`queue_call`: queued in the Pipe like an operator's, so it obeys the same rules (one
  call in flight, response timeout, expiry, validation at send time).

Each returns a :class:`Decision` whose ``send`` is the Call to route to the gateway that
holds the station's current connection; the agent commits it with the events and the new
state in one Kafka transaction.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from typing import Any
from uuid import uuid5

import ocpp
from ocpp import CallError, CallResult, OcppVersion
from processors import InvalidCommand
from processors.core import pipe
from processors.core.decision import EVENT_NAMESPACE, Context, Decision
from processors.core.pipe import Link, Pipe, PipeCall
from processors.core.results import RESULT_HANDLERS
from processors.core.state import StationState
from schemas.commands import CommandKind, CommandRecord
from schemas.events import CallAnswered, DomainEvent, EventEnvelope, UnmatchedCallAnswer

log = logging.getLogger(__name__)


def link(state: StationState) -> Link:
    version = OcppVersion(state.ocpp_version) if state.ocpp_version else None
    return Link(connected=state.connected, connection_id=state.connection_id, version=version)


def response_timeout(ctx: Context) -> timedelta:
    return timedelta(seconds=ctx.config.call_response_timeout_s)


def decide_command(state: StationState, command: CommandRecord, ctx: Context) -> Decision:
    match command.kind:
        case CommandKind.CALL:
            decided = pipe.decide_request(state.pipe, _pipe_call(command), link(state), ctx.now)
        case CommandKind.CANCEL:
            decided = pipe.decide_cancel(state.pipe, str(command.call_id))
        case CommandKind.TICK:
            decided = pipe.decide_tick(state.pipe, link(state), ctx.now, response_timeout(ctx))
    return Decision(events=envelopes(decided.events, ctx), send=decided.send)


def queue_call(state: StationState, ctx: Context, action: str, payload: dict[str, Any], *,
               expires_in: timedelta) -> Decision:  # fmt: skip
    """A call the CSMS itself decided on while handling ``ctx``'s record: queued (and sent at
    once if the Pipe is free), built for the version the station speaks. Its id is derived
    from the record and the action, so reprocessing the record queues the same call."""
    call = PipeCall(call_id=str(uuid5(EVENT_NAMESPACE, f"{ctx.causation_id}#call#{action}")),
                    action=action, payload=payload, created_at=ctx.now,
                    expires_at=ctx.now + expires_in, ocpp_version=ctx.version.value)  # fmt: skip
    decided = pipe.decide_request(state.pipe, call, link(state), ctx.now)
    return Decision(events=envelopes(decided.events, ctx), send=decided.send)


def _pipe_call(command: CommandRecord) -> PipeCall:
    if command.call_id is None or command.action is None or command.expires_at is None:
        raise InvalidCommand("a call command needs call_id, action and expires_at")
    return PipeCall(call_id=command.call_id, action=command.action,
                    payload=command.payload or {}, created_at=command.at,
                    expires_at=command.expires_at,
                    ocpp_version=command.ocpp_version)  # fmt: skip


def decide_answer(state: StationState, answer: CallResult | CallError, ctx: Context) -> Decision:
    decided = pipe.decide_answer(state.pipe, answer, link(state), ctx.now)
    events = list(decided.events)
    first = events[0]
    if decided.answered is not None and isinstance(first, CallAnswered):
        events[0:1] = _with_results(decided.answered, first, ctx.version)
    return Decision(events=envelopes(tuple(events), ctx), send=decided.send)


def _with_results(call: PipeCall, answered: CallAnswered,
                  version: OcppVersion) -> list[DomainEvent]:  # fmt: skip
    """``CallAnswered`` followed by what the action's result handler makes of it; a response
    that breaks its schema is recorded with the problem, and means nothing more."""
    response = answered.response
    problem = ocpp.validate_payload(version, call.action, response, response=True)
    if problem is not None:
        log.warning("invalid %s response to call %s: %s", call.action, call.call_id, problem)
        error = f"{problem.code}: {problem.description}"
        return [answered.model_copy(update={"response_error": error})]
    handler = RESULT_HANDLERS.get((version, call.action))
    if handler is None:
        return [answered]
    try:
        return [answered, *handler(call.payload, response)]
    except (KeyError, TypeError, ValueError):
        # ValueError includes pydantic's ValidationError: a fact its event model refuses.
        log.exception("result handler for %s %s failed", version.value, call.action)
        return [answered]


def decide_link(before: StationState, after: StationState, ctx: Context) -> Decision:
    """After a connection record: only a station with calls pending has anything to do."""
    if before.pipe.idle:
        return Decision()
    decided = pipe.decide_connection(after.pipe, link(after), ctx.now)
    return Decision(events=envelopes(decided.events, ctx), send=decided.send)


def envelopes(events: tuple[DomainEvent, ...],
              ctx: Context) -> tuple[EventEnvelope[DomainEvent], ...]:  # fmt: skip
    """The Pipe's events in their envelopes, correlated with the call they are about."""
    out = []
    for seq, event in enumerate(events):
        call_id = _call_of(event)
        at = dataclasses.replace(ctx, correlation_id=call_id) if call_id else ctx
        out.append(at.event(event, seq=seq))
    return tuple(out)


def _call_of(event: DomainEvent) -> str | None:
    """The call an event is about: every Pipe event names it (``call_id``), an unmatched
    answer names its message id. A result handler's events name none: they are correlated
    with the answer frame, whose message id is the call's."""
    if isinstance(event, UnmatchedCallAnswer):
        return event.message_id
    call_id = getattr(event, "call_id", None)
    return call_id if isinstance(call_id, str) else None


def deadline(pipe_state: Pipe, ctx: Context) -> str | None:
    """When the Pipe next needs a tick (ISO 8601), for the processor's clock."""
    due = pipe.next_deadline(pipe_state, response_timeout(ctx))
    return due.isoformat() if due is not None else None
