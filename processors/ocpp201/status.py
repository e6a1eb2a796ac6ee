"""OCPP 2.0.1 StatusNotification (G01, G03-G05): an EVSE connector's status.

2.0.1 numbers EVSEs 1..n and connectors 1..n per EVSE, as the CSMS records them
(docs/SESSIONS.md, "Connectors"). The status time is the station's ``timestamp`` (2.0.1: "If
absent time of receipt of the message will be assumed").
"""

from __future__ import annotations

from ocpp import Call
from ocpp.v201.requests import StatusNotificationRequest
from ocpp.v201.responses import StatusNotificationResponse
from processors.core.decision import Context, Decision, answer
from processors.core.state import StationState
from schemas.events import ConnectorStatusChanged


def decide_status(state: StationState, call: Call, ctx: Context) -> Decision:
    req = StatusNotificationRequest.model_validate(call.payload)
    event = ctx.event(ConnectorStatusChanged(
        evse_id=req.evse_id, connector_id=req.connector_id, status=req.connector_status.value,
        error_code=None, info=None, vendor_id=None, vendor_error_code=None,
        status_at=ctx.station_time(req.timestamp),
    ))  # fmt: skip
    return Decision(events=(event,), reply=answer(call, StatusNotificationResponse()))
