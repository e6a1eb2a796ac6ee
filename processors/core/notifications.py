"""Station notifications both versions send alike, recorded and acknowledged with the
action's empty response: FirmwareStatusNotification (1.6 §4.5, 2.0.1 L01),
SignedFirmwareStatusNotification (1.6 security white paper), LogStatusNotification (2.0.1
N01, 1.6 security white paper), SecurityEventNotification (2.0.1 A04, 1.6 security white
paper).

The notifications one version alone has are in :mod:`processors.ocpp16.notifications` and
:mod:`processors.ocpp201.notifications` / :mod:`processors.ocpp201.device_model`.
"""

from __future__ import annotations

import ocpp
from ocpp import Call, OcppModel
from processors.core.decision import Context, Decision, answer
from processors.core.state import StationState
from schemas.events import (
    DomainEvent,
    EventEnvelope,
    FirmwareStatusReported,
    LogStatusReported,
    SecurityEventReported,
)


def acknowledged(call: Call, response: OcppModel, *events: EventEnvelope[DomainEvent]) -> Decision:
    """``events``, answered with ``response``."""
    return Decision(events=events, reply=answer(call, response))


def empty_response(call: Call, ctx: Context) -> OcppModel:
    """The response model of ``call``'s action in the station's version, which has no
    required field for these notifications."""
    return ocpp.model_for(ctx.version, call.action, response=True)()


def decide_firmware_status(state: StationState, call: Call, ctx: Context) -> Decision:
    p = call.payload
    return acknowledged(call, empty_response(call, ctx), ctx.event(FirmwareStatusReported(
        status=p["status"], request_id=p.get("requestId"),
        signed=call.action == "SignedFirmwareStatusNotification",
    )))  # fmt: skip


def decide_log_status(state: StationState, call: Call, ctx: Context) -> Decision:
    p = call.payload
    return acknowledged(call, empty_response(call, ctx), ctx.event(LogStatusReported(
        status=p["status"], request_id=p.get("requestId"),
    )))  # fmt: skip


def decide_security_event(state: StationState, call: Call, ctx: Context) -> Decision:
    p = call.payload
    return acknowledged(call, empty_response(call, ctx), ctx.event(SecurityEventReported(
        type=p["type"], at=ctx.station_time(p["timestamp"]), tech_info=p.get("techInfo"),
    )))  # fmt: skip
