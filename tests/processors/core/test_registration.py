"""Registration status: BootNotification answer and what a station not Accepted may send
(processors/core/registration.py, processors/ocpp16/boot.py, processors/ocpp201/boot.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from processors.core import triggers
from schemas.events import StationBooted, TriggerAnswered
from tests.processors.conftest import CONFIG, Harness
from tests.stations import BOOT_16, BOOT_201

STATUS_16 = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}


@pytest.mark.parametrize("status", ["Accepted", "Pending", "Rejected"])
def test_boot_answers_the_configured_status(v16: Harness, status: str) -> None:
    v16.configure(registration_status=status)
    reply = v16.result("BootNotification", BOOT_16)
    assert reply["status"] == status
    expected = CONFIG.heartbeat_interval_s if status == "Accepted" else CONFIG.boot_retry_interval_s
    assert reply["interval"] == expected
    assert v16.only(StationBooted)["status"] == status


def test_never_configured_station_is_accepted(v201: Harness) -> None:
    assert v201.result("BootNotification", BOOT_201)["status"] == "Accepted"
    assert v201.result("Heartbeat", {})["currentTime"] == "2025-06-01T12:00:00.000Z"


@pytest.mark.parametrize("status", ["Pending", "Rejected"])
def test_not_accepted_station_gets_security_error(v201: Harness, status: str) -> None:
    v201.configure(registration_status=status)
    v201.result("BootNotification", BOOT_201)
    answer = v201.send("Heartbeat", {}, unique_id="hb")
    assert answer[:3] == [4, "hb", "SecurityError"]  # 2.0.1 B02.FR.09 / B03.FR.07
    assert v201.last_events == []


def test_pending_station_that_never_booted_is_refused_v16(v16: Harness) -> None:
    v16.configure(registration_status="Pending")
    assert v16.send("StatusNotification", STATUS_16)[2] == "SecurityError"


def test_accepted_after_pending_needs_a_new_boot(v16: Harness) -> None:
    v16.configure(registration_status="Pending")
    v16.result("BootNotification", BOOT_16)
    v16.configure(registration_status="Accepted")
    assert v16.send("StatusNotification", STATUS_16)[2] == "SecurityError"
    assert v16.result("BootNotification", BOOT_16)["status"] == "Accepted"
    assert v16.result("StatusNotification", STATUS_16) == {}


def test_operator_rejection_applies_at_once(v16: Harness) -> None:
    v16.result("BootNotification", BOOT_16)
    v16.configure(registration_status="Rejected")
    assert v16.send("Heartbeat", {})[2] == "SecurityError"


def test_pending_after_accepted_boot_keeps_serving_until_reboot(v16: Harness) -> None:
    v16.result("BootNotification", BOOT_16)
    v16.configure(registration_status="Pending")
    assert v16.send("Heartbeat", {})[0] == 3
    assert v16.result("BootNotification", BOOT_16)["status"] == "Pending"
    assert v16.send("Heartbeat", {})[2] == "SecurityError"


def _trigger_answered(h: Harness, requested: str, status: str = "Accepted") -> None:
    """The station's answer to a CSMS TriggerMessage, as the Pipe records it."""
    h.apply(TriggerAnswered(requested_message=requested, status=status))


def test_pending_station_may_send_what_a_trigger_asked_for(v16: Harness) -> None:
    v16.configure(registration_status="Pending")
    v16.result("BootNotification", BOOT_16)
    _trigger_answered(v16, "StatusNotification")
    assert v16.result("StatusNotification", STATUS_16) == {}  # 1.6 §4.2: "unless instructed"
    assert v16.result("StatusNotification", {**STATUS_16, "connectorId": 2}) == {}
    assert v16.send("Heartbeat", {})[2] == "SecurityError"  # not what was asked for


def test_trigger_exemption_ends_after_its_window_or_a_new_boot(v201: Harness) -> None:
    v201.configure(registration_status="Pending")
    v201.result("BootNotification", BOOT_201)
    _trigger_answered(v201, "Heartbeat")
    v201.now += triggers.WINDOW + timedelta(seconds=1)
    assert v201.send("Heartbeat", {})[2] == "SecurityError"
    _trigger_answered(v201, "Heartbeat")
    v201.result("BootNotification", BOOT_201)  # a new boot, still Pending
    assert v201.send("Heartbeat", {})[2] == "SecurityError"


def test_refused_or_rejected_triggers_exempt_nothing(v201: Harness) -> None:
    v201.configure(registration_status="Pending")
    v201.result("BootNotification", BOOT_201)
    _trigger_answered(v201, "Heartbeat", status="Rejected")
    assert v201.send("Heartbeat", {})[2] == "SecurityError"
    v201.configure(registration_status="Rejected")
    _trigger_answered(v201, "Heartbeat")
    assert v201.send("Heartbeat", {})[2] == "SecurityError"  # B03.FR.07


def test_certificate_triggers_ask_for_sign_certificate() -> None:
    assert triggers.requested_actions("SignV2GCertificate") == ("SignCertificate",)
    assert triggers.requested_actions("SignChargePointCertificate") == ("SignCertificate",)
    assert "SignedFirmwareStatusNotification" in triggers.requested_actions(
        "FirmwareStatusNotification"
    )
    assert triggers.requested_actions("MeterValues") == ("MeterValues",)
