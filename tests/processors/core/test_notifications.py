"""Notifications both versions send alike (processors/core/notifications.py)."""

from __future__ import annotations

from schemas.events import FirmwareStatusReported, LogStatusReported, SecurityEventReported
from tests.processors.conftest import Harness


def test_v16_firmware_status(v16: Harness) -> None:
    assert v16.result("FirmwareStatusNotification", {"status": "Installed"}) == {}
    assert v16.only(FirmwareStatusReported) == {"status": "Installed", "request_id": None,
                                                  "signed": False}
    assert v16.result("SignedFirmwareStatusNotification",
                      {"status": "SignatureVerified", "requestId": 2}) == {}  # fmt: skip
    assert v16.only(FirmwareStatusReported) == {"status": "SignatureVerified",
                                                  "request_id": 2, "signed": True}


def test_v201_firmware_log_and_security(v201: Harness) -> None:
    v201.result("FirmwareStatusNotification", {"status": "Downloading", "requestId": 7})
    assert v201.only(FirmwareStatusReported)["request_id"] == 7
    v201.result("LogStatusNotification", {"status": "Uploading", "requestId": 3})
    assert v201.only(LogStatusReported) == {"status": "Uploading", "request_id": 3}
    v201.result("SecurityEventNotification", {"type": "TamperDetectionActivated",
                                              "timestamp": "2025-06-01T10:00:00Z"})
    assert v201.only(SecurityEventReported)["type"] == "TamperDetectionActivated"
