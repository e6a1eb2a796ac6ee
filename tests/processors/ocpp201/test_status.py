"""OCPP 2.0.1 StatusNotification (processors/ocpp201/status.py)."""

from __future__ import annotations

from schemas.events import ConnectorStatusChanged
from tests.processors.conftest import Harness


def test_v201_evse_connector_status(v201: Harness) -> None:
    v201.result("StatusNotification", {"timestamp": "2025-06-01T11:00:00Z",
                                       "connectorStatus": "Occupied", "evseId": 1,
                                       "connectorId": 2})
    data = v201.only(ConnectorStatusChanged)
    assert (data["evse_id"], data["connector_id"], data["status"]) == (1, 2, "Occupied")
