"""OCPP 1.6 notifications only 1.6 has, and 1.6 DataTransfer.

- DiagnosticsStatusNotification (§4.4): recorded, answered empty.
- DataTransfer (§4.3): recorded; no vendor extension is implemented, so the answer is
  ``UnknownVendorId`` ("If the recipient of the request has no implementation for the
  specific vendorId it SHALL return a status UnknownVendorId"). 1.6 ``data`` is text.
"""

from __future__ import annotations

from ocpp import Call
from ocpp.v16.enums import DataTransferStatus
from ocpp.v16.requests import DataTransferRequest
from ocpp.v16.responses import DataTransferResponse, DiagnosticsStatusNotificationResponse
from processors.core.decision import Context, Decision
from processors.core.notifications import acknowledged
from processors.core.state import StationState
from schemas.events import DataTransferReceived, DiagnosticsStatusReported

UNKNOWN_VENDOR_ID = DataTransferStatus.UNKNOWN_VENDOR_ID


def decide_diagnostics_status(state: StationState, call: Call, ctx: Context) -> Decision:
    status = call.payload["status"]
    event = ctx.event(DiagnosticsStatusReported(status=status))
    return acknowledged(call, DiagnosticsStatusNotificationResponse(), event)


def decide_data_transfer(state: StationState, call: Call, ctx: Context) -> Decision:
    req = DataTransferRequest.model_validate(call.payload)
    event = ctx.event(DataTransferReceived(
        vendor_id=req.vendor_id, message_id=req.message_id, data=req.data,
        status=UNKNOWN_VENDOR_ID.value,
    ))  # fmt: skip
    return acknowledged(call, DataTransferResponse(status=UNKNOWN_VENDOR_ID), event)
