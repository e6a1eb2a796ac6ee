"""OCPP 1.6 StatusNotification (processors/ocpp16/status.py)."""

from __future__ import annotations

from schemas.events import ConnectorStatusChanged
from tests.processors.conftest import Harness


def test_v16_connector_status_with_station_time(v16: Harness) -> None:
    assert v16.result("StatusNotification", {
        "connectorId": 2, "errorCode": "GroundFailure", "status": "Faulted", "info": "rcd",
        "timestamp": "2025-06-01T09:59:00+02:00", "vendorErrorCode": "E42"}) == {}
    data = v16.only(ConnectorStatusChanged)
    assert (data["evse_id"], data["connector_id"], data["status"]) == (2, 2, "Faulted")
    assert data["error_code"] == "GroundFailure" and data["vendor_error_code"] == "E42"
    assert data["status_at"] == "2025-06-01T07:59:00.000Z"


def test_v16_connector_zero_without_timestamp_uses_receipt_time(v16: Harness) -> None:
    v16.result("StatusNotification", {"connectorId": 0, "errorCode": "NoError",
                                      "status": "Unavailable"})
    data = v16.only(ConnectorStatusChanged)
    assert (data["evse_id"], data["connector_id"]) == (0, 0)
    assert data["status_at"] == "2025-06-01T12:00:00.000Z"
