"""Station notifications that are recorded and acknowledged: firmware, diagnostics and log
upload status, security events, device-model reports and events, vendor DataTransfer.

- FirmwareStatusNotification (1.6 §4.5, 2.0.1 L01), SignedFirmwareStatusNotification
  (1.6 security white paper), DiagnosticsStatusNotification (1.6 §4.4),
  LogStatusNotification (2.0.1 N01, 1.6 security white paper), SecurityEventNotification
  (2.0.1 A04, 1.6 security white paper): recorded, answered with an empty CallResult.
- NotifyReport (2.0.1 B07/B08) and NotifyEvent (2.0.1 N07): recorded verbatim. A
  NotifyEvent for the ``AvailabilityState`` of a ``Connector`` component (2.0.1 G01 allows
  it instead of StatusNotification) also updates the connector status.
- ReportChargingProfiles (2.0.1 K09, the answer to GetChargingProfiles): the profiles
  installed on an EVSE, recorded per profile with their source (CSO or an external limit).
- ReservationStatusUpdate (2.0.1 H05): the station ended a reservation (Expired, Removed).
- DataTransfer (1.6 §4.3, 2.0.1 P02): recorded; no vendor extension is implemented, so the
  answer is ``UnknownVendorId`` (1.6 §4.3: "If the recipient of the request has no
  implementation for the specific vendorId it SHALL return a status UnknownVendorId").
"""

from __future__ import annotations

from typing import Any

from ocpp import Call, CallResult, to_model, to_payload
from ocpp.v201.requests import NotifyEventRequest
from processors.decision import Context, Decision
from processors.state import StationState
from processors.transactions16 import wire_time
from schemas.envelopes import EventEnvelope

UNKNOWN_VENDOR_ID = "UnknownVendorId"


def _ack(call: Call, *events: EventEnvelope, reply: dict[str, Any] | None = None) -> Decision:
    return Decision(events=events, reply=CallResult(call.unique_id, reply or {}))


def decide_firmware_status(state: StationState, call: Call, ctx: Context) -> Decision:
    p = call.payload
    return _ack(call, ctx.event("FirmwareStatusReported", {
        "status": p["status"], "request_id": p.get("requestId"),
        "signed": call.action == "SignedFirmwareStatusNotification",
    }))  # fmt: skip


def decide_diagnostics_status(state: StationState, call: Call, ctx: Context) -> Decision:
    return _ack(call, ctx.event("DiagnosticsStatusReported", {"status": call.payload["status"]}))


def decide_log_status(state: StationState, call: Call, ctx: Context) -> Decision:
    p = call.payload
    return _ack(call, ctx.event("LogStatusReported",
                                {"status": p["status"], "request_id": p.get("requestId")}))


def decide_security_event(state: StationState, call: Call, ctx: Context) -> Decision:
    p = call.payload
    return _ack(call, ctx.event("SecurityEventReported", {
        "type": p["type"], "at": wire_time(p["timestamp"], ctx), "tech_info": p.get("techInfo"),
    }))  # fmt: skip


def decide_data_transfer(state: StationState, call: Call, ctx: Context) -> Decision:
    p = call.payload
    return _ack(call, ctx.event("DataTransferReceived", {
        "vendor_id": p["vendorId"], "message_id": p.get("messageId"), "data": p.get("data"),
        "status": UNKNOWN_VENDOR_ID,
    }), reply={"status": UNKNOWN_VENDOR_ID})  # fmt: skip


def decide_notify_report(state: StationState, call: Call, ctx: Context) -> Decision:
    p = to_payload(to_model(ctx.version, call.action, call.payload, response=False))
    return _ack(call, ctx.event("ReportReceived", {
        "request_id": p["requestId"], "generated_at": wire_time(p["generatedAt"], ctx),
        "seq_no": p["seqNo"], "tbc": bool(p.get("tbc", False)),
        "report_data": p.get("reportData", []),
    }))  # fmt: skip


def decide_report_charging_profiles(state: StationState, call: Call, ctx: Context) -> Decision:
    p = call.payload
    return _ack(call, ctx.event("ChargingProfilesReported", {
        "request_id": p["requestId"], "evse_id": p["evseId"],
        "source": p["chargingLimitSource"], "tbc": bool(p.get("tbc", False)),
        "profiles": [{"profile_id": c["id"], "stack_level": c["stackLevel"],
                      "purpose": c["chargingProfilePurpose"], "profile": c}
                     for c in p["chargingProfile"]],
    }))  # fmt: skip


def decide_reservation_status(state: StationState, call: Call, ctx: Context) -> Decision:
    p = call.payload
    return _ack(call, ctx.event("ReservationStatusUpdated", {
        "reservation_id": p["reservationId"], "status": p["reservationUpdateStatus"],
    }))  # fmt: skip


def decide_notify_event(state: StationState, call: Call, ctx: Context) -> Decision:
    req = NotifyEventRequest.model_validate(call.payload)
    p = to_payload(req)
    events = [ctx.event("StationEventsNotified", {
        "generated_at": wire_time(p["generatedAt"], ctx), "seq_no": p["seqNo"],
        "tbc": bool(p.get("tbc", False)), "event_data": p["eventData"],
    })]  # fmt: skip
    for seq, item in enumerate(req.event_data):
        evse = item.component.evse
        if (item.component.name == "Connector" and item.variable.name == "AvailabilityState"
                and evse is not None and evse.connector_id is not None):  # fmt: skip
            events.append(ctx.event("ConnectorStatusChanged", {
                "evse_id": evse.id, "connector_id": evse.connector_id,
                "status": item.actual_value, "error_code": None, "info": None,
                "vendor_id": None, "vendor_error_code": None,
                "status_at": wire_time(item.timestamp, ctx),
            }, seq=seq))  # fmt: skip
    return _ack(call, *events)
