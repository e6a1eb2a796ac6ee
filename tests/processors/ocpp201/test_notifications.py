"""OCPP 2.0.1 notifications and DataTransfer (processors/ocpp201/notifications.py)."""

from __future__ import annotations

from schemas.events import ChargingProfilesReported, DataTransferReceived, ReservationStatusUpdated
from tests.processors.conftest import Harness


def test_v201_data_transfer_keeps_any_json(v201: Harness) -> None:
    v201.result("DataTransfer", {"vendorId": "com.acme", "data": {"a": [1, 2]}})
    assert v201.only(DataTransferReceived)["data"] == {"a": [1, 2]}


def test_v201_report_charging_profiles(v201: Harness) -> None:
    profile = {"id": 3, "stackLevel": 2, "chargingProfilePurpose": "TxDefaultProfile",
               "chargingProfileKind": "Relative", "chargingSchedule": [{
                   "id": 1, "chargingRateUnit": "W",
                   "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400}]}]}  # fmt: skip
    assert v201.result("ReportChargingProfiles", {
        "requestId": 9, "chargingLimitSource": "SO", "evseId": 0, "tbc": True,
        "chargingProfile": [profile]}) == {}  # fmt: skip
    assert v201.only(ChargingProfilesReported) == {
        "request_id": 9, "evse_id": 0, "source": "SO", "tbc": True,
        "profiles": [{"profile_id": 3, "stack_level": 2, "purpose": "TxDefaultProfile",
                      "profile": profile}],
    }  # fmt: skip


def test_v201_reservation_status_update(v201: Harness) -> None:
    update = {"reservationId": 4, "reservationUpdateStatus": "Expired"}
    assert v201.result("ReservationStatusUpdate", update) == {}
    assert v201.only(ReservationStatusUpdated) == {"reservation_id": 4, "status": "Expired"}
