"""Connector / EVSE status: StatusNotification (OCPP 1.6 §4.9; OCPP 2.0.1 G01, G03-G05).

1.6 numbers connectors 1..n per charge point, 0 being the charge point as a whole; 2.0.1
numbers EVSEs 1..n and connectors 1..n per EVSE. One shape holds both (docs/SESSIONS.md,
"Connectors"): a 1.6 connector N is recorded as EVSE N, connector N, so connector 0 (the
whole charge point) is EVSE 0, connector 0.

The status time is the station's ``timestamp`` when it sent one (optional in 1.6; 2.0.1:
"If absent time of receipt of the message will be assumed"), else the time of receipt.
"""

from __future__ import annotations

from ocpp import Call, CallResult
from ocpp.v16.requests import StatusNotificationRequest as Status16
from ocpp.v201.requests import StatusNotificationRequest as Status201
from processors.decision import Context, Decision
from processors.state import StationState
from processors.transactions16 import wire_time


def decide_status_v16(state: StationState, call: Call, ctx: Context) -> Decision:
    req = Status16.model_validate(call.payload)
    event = ctx.event("ConnectorStatusChanged", {
        "evse_id": req.connector_id, "connector_id": req.connector_id,
        "status": req.status.value, "error_code": req.error_code.value, "info": req.info,
        "vendor_id": req.vendor_id, "vendor_error_code": req.vendor_error_code,
        "status_at": wire_time(req.timestamp, ctx) if req.timestamp else ctx.wire_now,
    })  # fmt: skip
    return Decision(events=(event,), reply=CallResult(call.unique_id, {}))


def decide_status_v201(state: StationState, call: Call, ctx: Context) -> Decision:
    req = Status201.model_validate(call.payload)
    event = ctx.event("ConnectorStatusChanged", {
        "evse_id": req.evse_id, "connector_id": req.connector_id,
        "status": req.connector_status.value, "error_code": None, "info": None,
        "vendor_id": None, "vendor_error_code": None, "status_at": wire_time(req.timestamp, ctx),
    })  # fmt: skip
    return Decision(events=(event,), reply=CallResult(call.unique_id, {}))
