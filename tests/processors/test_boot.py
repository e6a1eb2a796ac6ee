"""BootNotification and Heartbeat, strings in, replies and events out."""

from __future__ import annotations

from tests.processors.conftest import Harness
from tests.stations import BOOT_16, BOOT_201


def test_boot_is_accepted_with_the_heartbeat_interval(v16: Harness, v201: Harness) -> None:
    for harness, boot in ((v16, BOOT_16), (v201, BOOT_201)):
        answer = harness.send("BootNotification", boot)
        assert answer[0] == 3 and answer[2]["status"] == "Accepted"
        assert answer[2]["interval"] == 300
        booted = harness.only("StationBooted")
        assert booted["vendor"] == "ACME" and booted["status"] == "Accepted"


def test_heartbeat_answers_the_time_and_records_that_the_station_was_seen(v201: Harness) -> None:
    answer = v201.send("Heartbeat", {})
    assert answer == [3, "m1", {"currentTime": "2025-06-01T12:00:00.000Z"}]
    assert v201.types() == ["HeartbeatReceived"]
    assert v201.only("HeartbeatReceived") == {}
