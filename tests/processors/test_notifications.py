"""Recorded-and-acknowledged notifications (processors/notifications.py)."""

from __future__ import annotations

from tests.processors.conftest import Harness


def test_v16_data_transfer_is_unknown_vendor(v16: Harness) -> None:
    reply = v16.result("DataTransfer", {"vendorId": "com.acme", "messageId": "x", "data": "{}"})
    assert reply == {"status": "UnknownVendorId"}
    assert v16.only("DataTransferReceived")["vendor_id"] == "com.acme"


def test_v201_data_transfer_keeps_any_json(v201: Harness) -> None:
    v201.result("DataTransfer", {"vendorId": "com.acme", "data": {"a": [1, 2]}})
    assert v201.only("DataTransferReceived")["data"] == {"a": [1, 2]}


def test_v16_diagnostics_and_firmware_status(v16: Harness) -> None:
    assert v16.result("DiagnosticsStatusNotification", {"status": "Uploaded"}) == {}
    assert v16.only("DiagnosticsStatusReported") == {"status": "Uploaded"}
    assert v16.result("FirmwareStatusNotification", {"status": "Installed"}) == {}
    assert v16.only("FirmwareStatusReported") == {"status": "Installed", "request_id": None,
                                                  "signed": False}


def test_v201_firmware_log_and_security(v201: Harness) -> None:
    v201.result("FirmwareStatusNotification", {"status": "Downloading", "requestId": 7})
    assert v201.only("FirmwareStatusReported")["request_id"] == 7
    v201.result("LogStatusNotification", {"status": "Uploading", "requestId": 3})
    assert v201.only("LogStatusReported") == {"status": "Uploading", "request_id": 3}
    v201.result("SecurityEventNotification", {"type": "TamperDetectionActivated",
                                              "timestamp": "2025-06-01T10:00:00Z"})
    assert v201.only("SecurityEventReported")["type"] == "TamperDetectionActivated"


def test_v201_notify_report_verbatim(v201: Harness) -> None:
    data = [{"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"},
             "variableAttribute": [{"value": "22000", "mutability": "ReadOnly"}]}]
    v201.result("NotifyReport", {"requestId": 1, "generatedAt": "2025-06-01T10:00:00Z",
                                 "seqNo": 0, "tbc": False, "reportData": data})
    assert v201.only("ReportReceived")["report_data"] == data


def test_v201_notify_event_availability_state_sets_connector_status(v201: Harness) -> None:
    v201.result("NotifyEvent", {"generatedAt": "2025-06-01T10:00:00Z", "seqNo": 0, "eventData": [
        {"eventId": 1, "timestamp": "2025-06-01T09:59:00Z", "trigger": "Delta",
         "actualValue": "Occupied", "eventNotificationType": "HardWiredNotification",
         "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
         "variable": {"name": "AvailabilityState"}}]})  # fmt: skip
    assert v201.types() == ["StationEventsNotified", "ConnectorStatusChanged"]
    status = v201.only("ConnectorStatusChanged")
    assert (status["evse_id"], status["connector_id"], status["status"]) == (1, 1, "Occupied")


def test_v201_report_charging_profiles(v201: Harness) -> None:
    profile = {"id": 3, "stackLevel": 2, "chargingProfilePurpose": "TxDefaultProfile",
               "chargingProfileKind": "Relative", "chargingSchedule": [{
                   "id": 1, "chargingRateUnit": "W",
                   "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400}]}]}  # fmt: skip
    assert v201.result("ReportChargingProfiles", {
        "requestId": 9, "chargingLimitSource": "SO", "evseId": 0, "tbc": True,
        "chargingProfile": [profile]}) == {}  # fmt: skip
    assert v201.only("ChargingProfilesReported") == {
        "request_id": 9, "evse_id": 0, "source": "SO", "tbc": True,
        "profiles": [{"profile_id": 3, "stack_level": 2, "purpose": "TxDefaultProfile",
                      "profile": profile}],
    }  # fmt: skip


def test_v201_reservation_status_update(v201: Harness) -> None:
    update = {"reservationId": 4, "reservationUpdateStatus": "Expired"}
    assert v201.result("ReservationStatusUpdate", update) == {}
    assert v201.only("ReservationStatusUpdated") == {"reservation_id": 4, "status": "Expired"}

