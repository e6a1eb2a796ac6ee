"""Pure routing of one frames-log record to its handler: ``decide_record``.

- connection records become StationConnected / StationDisconnected events;
- a well-formed Call from the station goes to the handler registered for its version and
  action (an action the schemas know but no handler serves gets CallError NotImplemented,
  OCPP-J 1.6 §4.2.3 / 2.0.1 §4.3);
- frames the gateway already judged malformed, and the CSMS's own sent frames, need nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import ocpp
from ocpp import Call, CallResult, OcppVersion
from processors import boot
from processors.decision import Context, Decision
from processors.state import StationState
from schemas.envelopes import VERDICT_OK, Direction, FrameRecord, RecordKind

log = logging.getLogger(__name__)

Handler = Callable[[StationState, Call, Context], Decision]

HANDLERS: Mapping[tuple[OcppVersion, str], Handler] = {
    (OcppVersion.V16, "BootNotification"): boot.decide_boot_v16,
    (OcppVersion.V201, "BootNotification"): boot.decide_boot_v201,
    (OcppVersion.V16, "Heartbeat"): boot.decide_heartbeat,
    (OcppVersion.V201, "Heartbeat"): boot.decide_heartbeat,
}


def decide_record(state: StationState, record: FrameRecord, ctx: Context) -> Decision:
    if record.kind is RecordKind.CONNECTED:
        return Decision(events=(ctx.event("StationConnected", {
            "ocpp_version": record.ocpp_version, "gateway_id": record.gateway_id,
            "connection_id": record.connection_id, "remote_address": record.remote_address,
        }),))  # fmt: skip
    if record.kind is RecordKind.DISCONNECTED:
        return Decision(events=(ctx.event("StationDisconnected", {
            "gateway_id": record.gateway_id, "connection_id": record.connection_id,
            "reason": record.reason,
        }),))  # fmt: skip
    if record.direction is Direction.OUT or record.verdict != VERDICT_OK or record.raw is None:
        return Decision()
    message = ocpp.parse(record.raw, ctx.version)
    if not isinstance(message, Call):
        return Decision()  # CallResults / CallErrors answer CSMS calls (the Pipe's job)
    return decide_call(state, message, ctx)


def decide_call(state: StationState, call: Call, ctx: Context) -> Decision:
    handler = HANDLERS.get((ctx.version, call.action))
    if handler is None:
        error = ocpp.not_implemented(ctx.version, f"{call.action} is not supported by this CSMS")
        return Decision(reply=ocpp.call_error(ctx.version, call.unique_id, error))
    decision = handler(state, call, ctx)
    return _checked(decision, call, ctx)


def _checked(decision: Decision, call: Call, ctx: Context) -> Decision:
    """Every outbound message is validated: a reply its schema rejects is a CSMS bug, and
    the station gets InternalError instead of a malformed answer."""
    reply = decision.reply
    if not isinstance(reply, CallResult):
        return decision
    problem = ocpp.validate_payload(ctx.version, call.action, reply.payload, response=True)
    if problem is None:
        return decision
    log.error("handler for %s built an invalid reply: %s", call.action, problem)
    error = ocpp.internal_error(ctx.version, f"CSMS failed to build a valid {call.action} reply")
    return Decision(events=decision.events, reply=ocpp.call_error(ctx.version, call.unique_id, error))
