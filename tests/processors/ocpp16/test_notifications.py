"""OCPP 1.6 notifications and DataTransfer (processors/ocpp16/notifications.py)."""

from __future__ import annotations

from schemas.events import DataTransferReceived, DiagnosticsStatusReported
from tests.processors.conftest import Harness


def test_v16_data_transfer_is_unknown_vendor(v16: Harness) -> None:
    reply = v16.result("DataTransfer", {"vendorId": "com.acme", "messageId": "x", "data": "{}"})
    assert reply == {"status": "UnknownVendorId"}
    assert v16.only(DataTransferReceived)["vendor_id"] == "com.acme"


def test_v16_diagnostics_status(v16: Harness) -> None:
    assert v16.result("DiagnosticsStatusNotification", {"status": "Uploaded"}) == {}
    assert v16.only(DiagnosticsStatusReported) == {"status": "Uploaded"}
