"""OCPP 2.0.1 NotifyReport and NotifyEvent (processors/ocpp201/device_model.py)."""

from __future__ import annotations

from schemas.events import ConnectorStatusChanged, ReportReceived, StationEventsNotified
from tests.processors.conftest import Harness


def test_v201_notify_report_verbatim(v201: Harness) -> None:
    data = [{"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"},
             "variableAttribute": [{"value": "22000", "mutability": "ReadOnly"}]}]
    v201.result("NotifyReport", {"requestId": 1, "generatedAt": "2025-06-01T10:00:00Z",
                                 "seqNo": 0, "tbc": False, "reportData": data})
    assert v201.only(ReportReceived)["report_data"] == data


def test_v201_notify_event_availability_state_sets_connector_status(v201: Harness) -> None:
    v201.result("NotifyEvent", {"generatedAt": "2025-06-01T10:00:00Z", "seqNo": 0, "eventData": [
        {"eventId": 1, "timestamp": "2025-06-01T09:59:00Z", "trigger": "Delta",
         "actualValue": "Occupied", "eventNotificationType": "HardWiredNotification",
         "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
         "variable": {"name": "AvailabilityState"}}]})  # fmt: skip
    assert v201.types() == [StationEventsNotified, ConnectorStatusChanged]
    status = v201.only(ConnectorStatusChanged)
    assert (status["evse_id"], status["connector_id"], status["status"]) == (1, 1, "Occupied")
