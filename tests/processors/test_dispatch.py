"""Routing (processors/dispatch.py): every station-initiated action of issue 4 has a handler."""

from __future__ import annotations

import pytest

from ocpp import OcppVersion
from processors.dispatch import HANDLERS
from tests.processors.conftest import Harness

ISSUE_4 = {
    OcppVersion.V16: ["BootNotification", "Heartbeat", "StatusNotification", "Authorize",
                      "StartTransaction", "StopTransaction", "MeterValues", "DataTransfer",
                      "DiagnosticsStatusNotification", "FirmwareStatusNotification"],
    OcppVersion.V201: ["BootNotification", "Heartbeat", "StatusNotification", "Authorize",
                       "TransactionEvent", "MeterValues", "NotifyReport", "NotifyEvent",
                       "SecurityEventNotification", "DataTransfer", "FirmwareStatusNotification",
                       "LogStatusNotification"],
}  # fmt: skip


@pytest.mark.parametrize(("version", "action"),
                         [(v, a) for v, actions in ISSUE_4.items() for a in actions])
def test_handler_registered(version: OcppVersion, action: str) -> None:
    assert (version, action) in HANDLERS


def test_unhandled_action_is_not_implemented(v16: Harness) -> None:
    assert v16.send("Reset", {"type": "Hard"}, unique_id="r")[:3] == [4, "r", "NotImplemented"]
