"""Pure routing of one frames-log record to its handler: ``decide_record``.

- connection records become StationConnected / StationDisconnected / ConnectionRefused
  events (StationConnected states the security profile the gateway admitted the station
  with);
- a well-formed Call from the station goes to the handler registered for its version and
  action (an action the schemas know but no handler serves gets CallError NotImplemented,
  OCPP-J 1.6 §4.2.3 / 2.0.1 §4.3), unless the station's registration forbids it
  (CallError SecurityError, see :mod:`processors.core.registration`);
- a CallResult / CallError answers a CSMS-initiated call: the station's Pipe merges it
  with its call (:func:`processors.core.calls.decide_answer`); after a connection record the
  Pipe may end the call in flight or send the next queued one;
- frames the gateway already judged malformed, and the CSMS's own sent frames, need nothing.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping

import ocpp
from ocpp import Call, CallError, CallResult, OcppVersion
from processors import ocpp16, ocpp201
from processors.core import calls, notifications, registration
from processors.core.decision import Context, Decision
from processors.core.state import StationState, evolve
from schemas.envelopes import VERDICT_OK, Direction, FrameRecord, RecordKind
from schemas.events import (
    ConnectionRefused,
    DomainEvent,
    EventEnvelope,
    SecurityProfile,
    StationConnected,
    StationDisconnected,
    security_profile_in,
)

log = logging.getLogger(__name__)

Handler = Callable[[StationState, Call, Context], Decision]

V16, V201 = OcppVersion.V16, OcppVersion.V201

HANDLERS: Mapping[tuple[OcppVersion, str], Handler] = {
    (V16, "BootNotification"): ocpp16.boot.decide_boot,
    (V16, "Heartbeat"): ocpp16.boot.decide_heartbeat,
    (V16, "StatusNotification"): ocpp16.status.decide_status,
    (V16, "Authorize"): ocpp16.authorization.decide_authorize,
    (V16, "StartTransaction"): ocpp16.transactions.decide_start,
    (V16, "StopTransaction"): ocpp16.transactions.decide_stop,
    (V16, "MeterValues"): ocpp16.meter_values.decide_meter_values,
    (V16, "DataTransfer"): ocpp16.notifications.decide_data_transfer,
    (V16, "DiagnosticsStatusNotification"): ocpp16.notifications.decide_diagnostics_status,
    (V16, "FirmwareStatusNotification"): notifications.decide_firmware_status,
    (V16, "SignedFirmwareStatusNotification"): notifications.decide_firmware_status,
    (V16, "LogStatusNotification"): notifications.decide_log_status,
    (V16, "SecurityEventNotification"): notifications.decide_security_event,
    (V201, "BootNotification"): ocpp201.boot.decide_boot,
    (V201, "Heartbeat"): ocpp201.boot.decide_heartbeat,
    (V201, "StatusNotification"): ocpp201.status.decide_status,
    (V201, "Authorize"): ocpp201.authorization.decide_authorize,
    (V201, "TransactionEvent"): ocpp201.transactions.decide_transaction_event,
    (V201, "MeterValues"): ocpp201.meter_values.decide_meter_values,
    (V201, "DataTransfer"): ocpp201.notifications.decide_data_transfer,
    (V201, "NotifyReport"): ocpp201.device_model.decide_notify_report,
    (V201, "NotifyEvent"): ocpp201.device_model.decide_notify_event,
    (V201, "ReportChargingProfiles"): ocpp201.notifications.decide_report_charging_profiles,
    (V201, "ReservationStatusUpdate"): ocpp201.notifications.decide_reservation_status,
    (V201, "FirmwareStatusNotification"): notifications.decide_firmware_status,
    (V201, "LogStatusNotification"): notifications.decide_log_status,
    (V201, "SecurityEventNotification"): notifications.decide_security_event,
}
"""Which module handles each station-initiated (version, action): the version's own package
(:mod:`processors.ocpp16`, :mod:`processors.ocpp201`), or :mod:`processors.core.notifications`
for notifications both versions send alike."""


def decide_record(state: StationState, record: FrameRecord, ctx: Context) -> Decision:
    if record.kind is not RecordKind.FRAME:
        return _connection_record(state, record, ctx)
    if record.direction is Direction.OUT or record.verdict != VERDICT_OK or record.raw is None:
        return Decision()
    # The gateway validated the frame (its verdict is ok): read it, do not validate it again.
    message = ocpp.parse(record.raw, ctx.version, validate=False)
    if isinstance(message, CallResult | CallError):
        return calls.decide_answer(state, message, ctx)  # answers a CSMS call (the Pipe)
    if not isinstance(message, Call):
        return Decision()
    return decide_call(state, message, ctx)


def _connection_record(state: StationState, record: FrameRecord, ctx: Context) -> Decision:
    if record.kind is RecordKind.CONNECTED:
        return _connected(state, ctx.event(StationConnected(
            ocpp_version=record.ocpp_version, gateway_id=record.gateway_id,
            connection_id=record.connection_id, remote_address=record.remote_address,
            reason=record.reason, security_profile=_security_profile(record),
        )), ctx)  # fmt: skip
    if record.kind is RecordKind.DISCONNECTED:
        disconnected = ctx.event(StationDisconnected(
            gateway_id=record.gateway_id, connection_id=record.connection_id,
            reason=record.reason,
        ))  # fmt: skip
        return _then_pipe(state, disconnected, ctx)
    # A connection attempt the gateway refused (docs/GATEWAY.md).
    return Decision(events=(ctx.event(ConnectionRefused(
        gateway_id=record.gateway_id, attempt_id=record.connection_id,
        remote_address=record.remote_address, http_status=record.http_status,
        reason=record.reason or record.verdict,
    )),))  # fmt: skip


def _security_profile(record: FrameRecord) -> SecurityProfile | None:
    """The profile the gateway admitted the connection with; records written before they
    stated it say it in their reason ("security profile 2: ...")."""
    match record.security_profile:
        case None:
            return security_profile_in(record.reason)
        case 1 | 2 | 3 as profile:
            return profile
    log.warning("connected record of %s names security profile %s; recorded as none",
                record.station_id, record.security_profile)  # fmt: skip
    return None


def _connected(state: StationState, event: EventEnvelope[StationConnected],
               ctx: Context) -> Decision:  # fmt: skip
    """A station connected again through *another* gateway while its old connection still
    looks open (a half-open TCP path, a client that reconnected without closing): the old
    gateway is told to close it, as a gateway itself replaces an older connection of the
    same station (docs/GATEWAY.md), instead of waiting for its keep-alive to notice."""
    decision = _then_pipe(state, event, ctx)
    if (state.connected and state.gateway_id and state.connection_id
            and state.gateway_id != event.data.gateway_id):  # fmt: skip
        return dataclasses.replace(decision, supersede=(state.gateway_id, state.connection_id))
    return decision


def _then_pipe(state: StationState, event: EventEnvelope[DomainEvent],
               ctx: Context) -> Decision:  # fmt: skip
    """A connection event, then what the station's Pipe does about it."""
    pipe = calls.decide_link(state, evolve(state, event), ctx)
    return Decision(events=(event, *pipe.events), send=pipe.send)


def decide_call(state: StationState, call: Call, ctx: Context) -> Decision:
    refused = registration.refusal(state, call, ctx)
    if refused is not None:
        return Decision(reply=refused)
    handler = HANDLERS.get((ctx.version, call.action))
    if handler is None:
        error = ocpp.not_implemented(ctx.version, f"{call.action} is not supported by this CSMS")
        return Decision(reply=ocpp.call_error(ctx.version, call.unique_id, error))
    try:
        decision = handler(state, call, ctx)
    except (ValueError, KeyError, TypeError):
        # A payload the schema admits but a handler cannot use (or a handler bug): the
        # station gets InternalError and the stream goes on; nothing is recorded.
        log.exception("handler for %s %s failed", ctx.version.value, call.action)
        error = ocpp.internal_error(ctx.version, f"CSMS failed to process {call.action}")
        return Decision(reply=ocpp.call_error(ctx.version, call.unique_id, error))
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
    return dataclasses.replace(decision, reply=ocpp.call_error(ctx.version, call.unique_id, error))
