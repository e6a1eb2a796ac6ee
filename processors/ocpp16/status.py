"""OCPP 1.6 StatusNotification (§4.9): a connector's status.

1.6 numbers connectors 1..n per charge point, 0 being the charge point as a whole; the
CSMS records a 1.6 connector N as EVSE N, connector N (docs/SESSIONS.md, "Connectors"), so
connector 0 (the whole charge point) is EVSE 0, connector 0.

The status time is the station's ``timestamp`` when it sent one (optional in 1.6), else the
time of receipt.
"""

from __future__ import annotations

from ocpp import Call
from ocpp.v16.requests import StatusNotificationRequest
from ocpp.v16.responses import StatusNotificationResponse
from processors.core.decision import Context, Decision, answer
from processors.core.state import StationState
from schemas.events import ConnectorStatusChanged


def decide_status(state: StationState, call: Call, ctx: Context) -> Decision:
    req = StatusNotificationRequest.model_validate(call.payload)
    event = ctx.event(ConnectorStatusChanged(
        evse_id=req.connector_id, connector_id=req.connector_id, status=req.status.value,
        error_code=req.error_code.value, info=req.info, vendor_id=req.vendor_id,
        vendor_error_code=req.vendor_error_code,
        status_at=ctx.station_time(req.timestamp) if req.timestamp else ctx.now,
    ))  # fmt: skip
    return Decision(events=(event,), reply=answer(call, StatusNotificationResponse()))
