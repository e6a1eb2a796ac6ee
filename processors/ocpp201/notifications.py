"""OCPP 2.0.1 notifications only 2.0.1 has, and 2.0.1 DataTransfer.

- ReportChargingProfiles (K09, the answer to GetChargingProfiles): the profiles installed
  on an EVSE, recorded per profile with their source (CSO or an external limit).
- ReservationStatusUpdate (H05): the station ended a reservation (Expired, Removed).
- DataTransfer (P02): recorded; no vendor extension is implemented, so the answer is
  ``UnknownVendorId`` (as 1.6 §4.3 prescribes). 2.0.1 ``data`` is any JSON.
"""

from __future__ import annotations

from ocpp import Call
from ocpp.v201.enums import DataTransferStatusEnumType
from ocpp.v201.requests import DataTransferRequest
from ocpp.v201.responses import (
    DataTransferResponse,
    ReportChargingProfilesResponse,
    ReservationStatusUpdateResponse,
)
from processors.core.decision import Context, Decision
from processors.core.notifications import acknowledged
from processors.core.state import StationState
from schemas.events import (
    ChargingProfilesReported,
    DataTransferReceived,
    ReportedProfile,
    ReservationStatusUpdated,
)

UNKNOWN_VENDOR_ID = DataTransferStatusEnumType.UNKNOWN_VENDOR_ID


def decide_report_charging_profiles(state: StationState, call: Call, ctx: Context) -> Decision:
    p = call.payload
    profiles = tuple(ReportedProfile(profile_id=c["id"], stack_level=c["stackLevel"],
                                     purpose=c["chargingProfilePurpose"], profile=c)
                     for c in p["chargingProfile"])  # fmt: skip
    return acknowledged(call, ReportChargingProfilesResponse(), ctx.event(ChargingProfilesReported(
        request_id=p["requestId"], evse_id=p["evseId"], source=p["chargingLimitSource"],
        tbc=bool(p.get("tbc", False)), profiles=profiles,
    )))  # fmt: skip


def decide_reservation_status(state: StationState, call: Call, ctx: Context) -> Decision:
    p = call.payload
    return acknowledged(call, ReservationStatusUpdateResponse(), ctx.event(ReservationStatusUpdated(
        reservation_id=p["reservationId"], status=p["reservationUpdateStatus"],
    )))  # fmt: skip


def decide_data_transfer(state: StationState, call: Call, ctx: Context) -> Decision:
    req = DataTransferRequest.model_validate(call.payload)
    event = ctx.event(DataTransferReceived(
        vendor_id=req.vendor_id, message_id=req.message_id, data=req.data,
        status=UNKNOWN_VENDOR_ID.value,
    ))  # fmt: skip
    return acknowledged(call, DataTransferResponse(status=UNKNOWN_VENDOR_ID), event)
