"""BootNotification and Heartbeat (OCPP 1.6 §4.2, §4.6; OCPP 2.0.1 B01–B03, G02)."""

from __future__ import annotations

from typing import Any

from ocpp import Call, CallResult
from ocpp.v16.requests import BootNotificationRequest as BootNotification16
from ocpp.v201.requests import BootNotificationRequest as BootNotification201
from processors.decision import Context, Decision
from processors.registration import boot_answer
from processors.state import StationState


def decide_boot_v16(state: StationState, call: Call, ctx: Context) -> Decision:
    req = BootNotification16.model_validate(call.payload)
    return _boot(state, call, ctx, {
        "vendor": req.charge_point_vendor, "model": req.charge_point_model,
        "serial_number": req.charge_point_serial_number or req.charge_box_serial_number,
        "firmware_version": req.firmware_version, "reason": None, "iccid": req.iccid,
        "imsi": req.imsi, "meter_type": req.meter_type,
        "meter_serial_number": req.meter_serial_number,
    })  # fmt: skip


def decide_boot_v201(state: StationState, call: Call, ctx: Context) -> Decision:
    req = BootNotification201.model_validate(call.payload)
    station, modem = req.charging_station, req.charging_station.modem
    return _boot(state, call, ctx, {
        "vendor": station.vendor_name, "model": station.model,
        "serial_number": station.serial_number, "firmware_version": station.firmware_version,
        "reason": req.reason.value, "iccid": modem.iccid if modem else None,
        "imsi": modem.imsi if modem else None, "meter_type": None, "meter_serial_number": None,
    })  # fmt: skip


def _boot(state: StationState, call: Call, ctx: Context, identity: dict[str, Any]) -> Decision:
    """The configured registration status answers (see :mod:`processors.registration`)."""
    status, interval = boot_answer(state, ctx)
    event = ctx.event("StationBooted", {
        "ocpp_version": ctx.version.value, **identity, "status": status, "interval": interval,
    })  # fmt: skip
    reply = {"status": status, "currentTime": ctx.wire_now, "interval": interval}
    return Decision(events=(event,), reply=CallResult(call.unique_id, reply))


def decide_heartbeat(state: StationState, call: Call, ctx: Context) -> Decision:
    """OCPP 1.6 §4.6 / 2.0.1 G02.FR.01: answer with the CSMS's current time; the event keeps
    the station's ``last_seen_at`` current while it sends nothing else."""
    reply = CallResult(call.unique_id, {"currentTime": ctx.wire_now})
    return Decision(events=(ctx.event("HeartbeatReceived", {}),), reply=reply)
