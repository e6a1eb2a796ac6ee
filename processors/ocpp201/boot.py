"""OCPP 2.0.1 BootNotification (B01–B03) and Heartbeat (G02)."""

from __future__ import annotations

from ocpp import Call
from ocpp.v201.enums import RegistrationStatusEnumType
from ocpp.v201.requests import BootNotificationRequest
from ocpp.v201.responses import BootNotificationResponse, HeartbeatResponse
from processors.core.decision import Context, Decision, answer
from processors.core.registration import boot_answer
from processors.core.state import StationState
from schemas.events import HeartbeatReceived, StationBooted


def decide_boot(state: StationState, call: Call, ctx: Context) -> Decision:
    """The configured registration status answers (see :mod:`processors.core.registration`)."""
    req = BootNotificationRequest.model_validate(call.payload)
    station, modem = req.charging_station, req.charging_station.modem
    status, interval = boot_answer(state, ctx)
    event = ctx.event(StationBooted(
        ocpp_version=ctx.version.value, vendor=station.vendor_name, model=station.model,
        serial_number=station.serial_number, firmware_version=station.firmware_version,
        reason=req.reason.value, iccid=modem.iccid if modem else None,
        imsi=modem.imsi if modem else None, meter_type=None, meter_serial_number=None,
        status=status, interval=interval,
    ))  # fmt: skip
    reply = BootNotificationResponse(status=RegistrationStatusEnumType(status),
                                     current_time=ctx.wire_now, interval=interval)  # fmt: skip
    return Decision(events=(event,), reply=answer(call, reply))


def decide_heartbeat(state: StationState, call: Call, ctx: Context) -> Decision:
    """G02.FR.01: answer with the CSMS's current time; the event keeps the station's
    ``last_seen_at`` current while it sends nothing else."""
    reply = HeartbeatResponse(current_time=ctx.wire_now)
    return Decision(events=(ctx.event(HeartbeatReceived()),), reply=answer(call, reply))
