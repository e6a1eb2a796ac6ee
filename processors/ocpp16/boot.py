"""OCPP 1.6 BootNotification (§4.2) and Heartbeat (§4.6)."""

from __future__ import annotations

from ocpp import Call
from ocpp.v16.enums import RegistrationStatus
from ocpp.v16.requests import BootNotificationRequest
from ocpp.v16.responses import BootNotificationResponse, HeartbeatResponse
from processors.core.decision import Context, Decision, answer
from processors.core.registration import boot_answer
from processors.core.state import StationState
from schemas.events import HeartbeatReceived, StationBooted


def decide_boot(state: StationState, call: Call, ctx: Context) -> Decision:
    """The configured registration status answers (see :mod:`processors.core.registration`)."""
    req = BootNotificationRequest.model_validate(call.payload)
    status, interval = boot_answer(state, ctx)
    event = ctx.event(StationBooted(
        ocpp_version=ctx.version.value, vendor=req.charge_point_vendor,
        model=req.charge_point_model,
        serial_number=req.charge_point_serial_number or req.charge_box_serial_number,
        firmware_version=req.firmware_version, reason=None, iccid=req.iccid, imsi=req.imsi,
        meter_type=req.meter_type, meter_serial_number=req.meter_serial_number, status=status,
        interval=interval,
    ))  # fmt: skip
    reply = BootNotificationResponse(status=RegistrationStatus(status),
                                     current_time=ctx.wire_now, interval=interval)  # fmt: skip
    return Decision(events=(event,), reply=answer(call, reply))


def decide_heartbeat(state: StationState, call: Call, ctx: Context) -> Decision:
    """§4.6: answer with the CSMS's current time; the event keeps the station's
    ``last_seen_at`` current while it sends nothing else."""
    reply = HeartbeatResponse(current_time=ctx.wire_now)
    return Decision(events=(ctx.event(HeartbeatReceived()),), reply=answer(call, reply))
