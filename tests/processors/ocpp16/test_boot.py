"""OCPP 1.6 BootNotification and Heartbeat (processors/ocpp16/boot.py), strings in, replies
and events out."""

from __future__ import annotations

from schemas.events import HeartbeatReceived, StationBooted
from tests.processors.conftest import Harness
from tests.stations import BOOT_16


def test_boot_is_accepted_with_the_heartbeat_interval(v16: Harness) -> None:
    answer = v16.send("BootNotification", BOOT_16)
    assert answer[0] == 3 and answer[2]["status"] == "Accepted"
    assert answer[2]["interval"] == 300
    booted = v16.only(StationBooted)
    assert booted["vendor"] == "ACME" and booted["status"] == "Accepted"
    assert booted["ocpp_version"] == "ocpp1.6" and booted["reason"] is None


def test_heartbeat_answers_the_time_and_records_that_the_station_was_seen(v16: Harness) -> None:
    answer = v16.send("Heartbeat", {})
    assert answer == [3, "m1", {"currentTime": "2025-06-01T12:00:00.000Z"}]
    assert v16.types() == [HeartbeatReceived]
