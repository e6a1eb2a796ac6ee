"""OCPP 2.0.1 BootNotification and Heartbeat (processors/ocpp201/boot.py), strings in,
replies and events out."""

from __future__ import annotations

from schemas.events import HeartbeatReceived, StationBooted
from tests.processors.conftest import Harness
from tests.stations import BOOT_201


def test_boot_is_accepted_with_the_heartbeat_interval(v201: Harness) -> None:
    answer = v201.send("BootNotification", BOOT_201)
    assert answer[0] == 3 and answer[2]["status"] == "Accepted"
    assert answer[2]["interval"] == 300
    booted = v201.only(StationBooted)
    assert booted["vendor"] == "ACME" and booted["status"] == "Accepted"
    assert booted["ocpp_version"] == "ocpp2.0.1" and booted["reason"] == BOOT_201["reason"]


def test_heartbeat_answers_the_time_and_records_that_the_station_was_seen(v201: Harness) -> None:
    answer = v201.send("Heartbeat", {})
    assert answer == [3, "m1", {"currentTime": "2025-06-01T12:00:00.000Z"}]
    assert v201.types() == [HeartbeatReceived]
    assert v201.only(HeartbeatReceived) == {}
