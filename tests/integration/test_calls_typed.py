"""Every typed command against a 1.6 and a 2.0.1 station: mapped to the right message, or
409 where the version has none; answers land in the read models."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from csms.config import Settings
from tests.integration.test_calls import final, online
from tests.services import ServiceSet, api_client

pytestmark = pytest.mark.integration

V16, V201 = "ocpp1.6", "ocpp2.0.1"
LATER = "2030-01-01T00:00:00Z"
PROFILE_16 = {"chargingProfileId": 7, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
              "chargingProfileKind": "Absolute", "chargingSchedule": {
                  "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0,
                                                                        "limit": 16}]}}  # fmt: skip
PROFILE_201 = {"id": 7, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
               "chargingProfileKind": "Absolute", "chargingSchedule": [{
                   "id": 1, "chargingRateUnit": "A", "startSchedule": LATER,
                   "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}]}  # fmt: skip
HB = {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval"}

# (command, body for 1.6, body for 2.0.1, action in 1.6, action in 2.0.1); None: 409.
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str | None, str | None]] = [
    ("remote-start", {"id_token": {"id_token": "TAG-1"}, "evse_id": 1},
     {"id_token": {"id_token": "TAG-1"}, "evse_id": 1},
     "RemoteStartTransaction", "RequestStartTransaction"),
    ("remote-stop", {"transaction_id": "42"}, {"transaction_id": "tx-42"},
     "RemoteStopTransaction", "RequestStopTransaction"),
    ("reset", {"type": "Hard"}, {"type": "Hard"}, "Reset", "Reset"),
    ("change-availability", {"operative": False, "evse_id": 1},
     {"operative": False, "evse_id": 1, "connector_id": 1},
     "ChangeAvailability", "ChangeAvailability"),
    ("unlock-connector", {"connector_id": 1}, {"evse_id": 1, "connector_id": 1},
     "UnlockConnector", "UnlockConnector"),
    ("trigger-message", {"message": "StatusNotification", "evse_id": 1},
     {"message": "StatusNotification", "evse_id": 1}, "TriggerMessage", "TriggerMessage"),
    ("get-configuration", {"keys": ["HeartbeatInterval", "Nope"]}, {}, "GetConfiguration", None),
    ("change-configuration", {"key": "MeterValueSampleInterval", "value": "60"},
     {"key": "x", "value": "y"}, "ChangeConfiguration", None),
    ("get-variables", {"variables": [HB]}, {"variables": [HB]}, None, "GetVariables"),
    ("set-variables", {"variables": [{**HB, "value": "300"}]},
     {"variables": [{**HB, "value": "300"}]}, None, "SetVariables"),
    ("get-base-report", {}, {"report_base": "SummaryInventory"}, None, "GetBaseReport"),
    ("clear-cache", {}, {}, "ClearCache", "ClearCache"),
    ("set-charging-profile", {"evse_id": 1, "profile": PROFILE_16},
     {"evse_id": 1, "profile": PROFILE_201}, "SetChargingProfile", "SetChargingProfile"),
    ("get-charging-profiles", {}, {"evse_id": 1}, None, "GetChargingProfiles"),
    ("get-composite-schedule", {"evse_id": 1, "duration": 3600},
     {"evse_id": 1, "duration": 3600}, "GetCompositeSchedule", "GetCompositeSchedule"),
    ("clear-charging-profile", {"profile_id": 99}, {"profile_id": 99},
     "ClearChargingProfile", "ClearChargingProfile"),
    ("update-firmware", {"location": "https://fw.example/1.bin", "retrieve_at": LATER},
     {"location": "https://fw.example/1.bin", "retrieve_at": LATER},
     "UpdateFirmware", "UpdateFirmware"),
    ("get-diagnostics", {"location": "ftp://logs.example/"}, {"location": "ftp://x/"},
     "GetDiagnostics", None),
    ("get-log", {"location": "https://logs.example/"}, {"location": "https://logs.example/"},
     "GetLog", "GetLog"),
    ("send-local-list", {"version": 5, "entries": [{"id_token": "TAG-1", "status": "Accepted"}]},
     {"version": 5, "entries": [{"id_token": "TAG-1", "status": "Accepted"}]},
     "SendLocalList", "SendLocalList"),
    ("get-local-list-version", {}, {}, "GetLocalListVersion", "GetLocalListVersion"),
    ("reserve-now", {"reservation_id": 3, "id_token": {"id_token": "TAG-1"}, "expires_at": LATER,
                     "evse_id": 1},
     {"reservation_id": 3, "id_token": {"id_token": "TAG-1"}, "expires_at": LATER, "evse_id": 1},
     "ReserveNow", "ReserveNow"),
    ("cancel-reservation", {"reservation_id": 4}, {"reservation_id": 4},
     "CancelReservation", "CancelReservation"),
    ("data-transfer", {"vendor_id": "ACME", "data": "ping"},
     {"vendor_id": "ACME", "data": {"a": 1}}, "DataTransfer", "DataTransfer"),
]  # fmt: skip

RESPONSES: dict[str, dict[str, Any]] = {
    "UnlockConnector": {"status": "Unlocked"},
    "GetConfiguration": {"configurationKey": [
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"}], "unknownKey": ["Nope"]},
    "GetVariables": {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "300",
        "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]},
    "SetVariables": {"setVariableResult": [{"attributeStatus": "Accepted",
        "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]},
    "GetChargingProfiles": {"status": "NoProfiles"},
    "GetDiagnostics": {"fileName": "diag.zip"},
    "GetLog": {"status": "Accepted", "filename": "log.zip"},
}  # fmt: skip


def response_for(version: str, action: str) -> dict[str, Any]:
    if action == "UpdateFirmware" and version == V16:
        return {}
    if action == "GetLocalListVersion":
        return {"listVersion": 7} if version == V16 else {"versionNumber": 7}
    return RESPONSES.get(action, {"status": "Accepted"})


@pytest.mark.parametrize("version", [V16, V201])
async def test_every_typed_command(stack: ServiceSet, settings: Settings, version: str) -> None:
    station_id = f"TYPED-{version[4:].replace('.', '')}"

    async def answer(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return response_for(version, action)

    async with online(settings, station_id, version, answer) as station, \
            api_client(settings) as http:  # fmt: skip
        for name, body16, body201, action16, action201 in CASES:
            body, action = (body16, action16) if version == V16 else (body201, action201)
            response = await http.post(f"/api/v1/stations/{station_id}/commands/{name}",
                                       json=body)  # fmt: skip
            if action is None:
                assert response.status_code == 409, (name, response.text)
                assert "exists only in" in response.json()["detail"]
                continue
            assert response.status_code == 202, (name, response.text)
            call = await final(http, response.json()["id"])
            assert (call["action"], call["status"]) == (action, "answered"), (name, call)
            assert station.calls_received[-1][2] == action
        await check_api(http, station_id, version)
    check_read_models(settings, station_id, version)


async def check_api(http: Any, station_id: str, version: str) -> None:
    """The station-settings endpoints serve what the results put in the read models."""
    base = f"/api/v1/stations/{station_id}"
    profiles = (await http.get(f"{base}/charging-profiles")).json()
    assert [(p["evse_id"], p["profile_id"], p["stack_level"]) for p in profiles] == [(1, 7, 1)]
    reservations = (await http.get(f"{base}/reservations")).json()
    assert [(r["reservation_id"], r["status"]) for r in reservations] == [(3, "Accepted")]
    assert (await http.get(f"{base}/local-list")).json()["version"] == 7
    config = (await http.get(f"{base}/configuration")).json()
    variables = (await http.get(f"{base}/variables")).json()
    if version == V16:
        assert [(c["key"], c["value"]) for c in config] == [
            ("HeartbeatInterval", "300"), ("MeterValueSampleInterval", "60")]  # fmt: skip
        assert variables == []
    else:
        assert config == []
        assert [(v["component"], v["variable"], v["value"]) for v in variables] == [
            ("OCPPCommCtrlr", "HeartbeatInterval", "300")]  # fmt: skip


def check_read_models(settings: Settings, station_id: str, version: str) -> None:
    with psycopg.connect(settings.libpq_url) as conn:
        def rows(sql: str) -> list[tuple[Any, ...]]:
            return conn.execute(sql, (station_id,)).fetchall()

        config = rows("SELECT key, value, readonly FROM station_configuration"
                      " WHERE station_id = %s ORDER BY key")  # fmt: skip
        variables = rows("SELECT component, variable, value, status FROM station_variables"
                         " WHERE station_id = %s")  # fmt: skip
        profiles = rows("SELECT evse_id, profile_id, stack_level FROM charging_profiles"
                        " WHERE station_id = %s")  # fmt: skip
        reservations = rows("SELECT reservation_id, status FROM reservations"
                            " WHERE station_id = %s")  # fmt: skip
        local_list = rows("SELECT version FROM local_list_versions WHERE station_id = %s")
        calls = rows("SELECT count(*) FROM calls WHERE station_id = %s AND status = 'answered'")
    assert profiles == [(1, 7, 1)] and reservations == [(3, "Accepted")]
    assert local_list == [(7,)]  # SendLocalList set 5, GetLocalListVersion then reported 7
    expected = sum(1 for c in CASES if c[3 if version == V16 else 4] is not None)
    assert calls == [(expected,)]
    if version == V16:
        assert config == [("HeartbeatInterval", "300", False),
                          ("MeterValueSampleInterval", "60", None)]  # fmt: skip
        assert variables == []
    else:
        assert config == []
        assert variables == [("OCPPCommCtrlr", "HeartbeatInterval", "300", "Accepted")]


async def test_base_report_feeds_the_variables_read_model(
    stack: ServiceSet, settings: Settings
) -> None:
    """GetBaseReport is accepted, the station reports its device model with NotifyReport
    (B07), and the API then serves those variables; unknown stations get 404."""
    station_id = "REPORT-201"

    async def accept(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted"}

    report = [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
         "variableAttribute": [{"type": "Actual", "value": "120", "mutability": "ReadWrite"}]},
        {"component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
         "variable": {"name": "AvailabilityState"},
         "variableAttribute": [{"value": "Available", "mutability": "ReadOnly"}]},
    ]  # fmt: skip
    async with online(settings, station_id, V201, accept) as station, \
            api_client(settings) as http:  # fmt: skip
        response = await http.post(f"/api/v1/stations/{station_id}/commands/get-base-report",
                                   json={"report_base": "FullInventory"})  # fmt: skip
        assert response.status_code == 202, response.text
        call = await final(http, response.json()["id"])
        assert call["status"] == "answered"
        request_id = station.calls_received[-1][3]["requestId"]
        notified = await station.call("NotifyReport", {
            "requestId": request_id, "generatedAt": "2026-11-21T12:00:00Z", "seqNo": 0,
            "tbc": False, "reportData": report,
        })  # fmt: skip
        assert notified[0] == 3
        variables: list[dict[str, Any]] = []
        for _ in range(100):
            got = await http.get(f"/api/v1/stations/{station_id}/variables")
            assert got.status_code == 200, got.text
            variables = got.json()
            if len(variables) == 2:
                break
            await asyncio.sleep(0.1)
        missing = await http.get("/api/v1/stations/NOBODY/variables")
    seen = {(v["component"], v["evse_id"], v["variable"], v["value"], v["status"])
            for v in variables}  # fmt: skip
    assert seen == {("OCPPCommCtrlr", 0, "HeartbeatInterval", "120", "Reported"),
                    ("Connector", 1, "AvailabilityState", "Available", "Reported")}  # fmt: skip
    assert missing.status_code == 404


async def test_station_reports_land_in_profiles_and_reservations(
    stack: ServiceSet, settings: Settings
) -> None:
    """2.0.1 K09 ReportChargingProfiles after GetChargingProfiles; H05 ReservationStatusUpdate;
    an Accepted reservation past its expiry is shown Expired."""
    station_id = "TYPED-REPORTS"
    base = f"/api/v1/stations/{station_id}"
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    ems = {**PROFILE_201, "id": 21, "stackLevel": 0,
           "chargingProfilePurpose": "ChargingStationExternalConstraints"}

    async def answer(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted"}

    async with online(settings, station_id, V201, answer) as station, \
            api_client(settings) as http:  # fmt: skip
        asked = await http.post(f"{base}/commands/get-charging-profiles", json={"evse_id": 2})
        request_id = (await final(http, asked.json()["id"]))["payload"]["requestId"]
        report = {"requestId": request_id, "chargingLimitSource": "EMS", "evseId": 2,
                  "chargingProfile": [ems], "tbc": False}  # fmt: skip
        assert (await station.call("ReportChargingProfiles", report))[0] == 3
        for reservation_id, expires_at in ((5, soon), (6, LATER)):
            reserved = await http.post(f"{base}/commands/reserve-now", json={
                "reservation_id": reservation_id, "id_token": {"id_token": "TAG-1"},
                "expires_at": expires_at, "evse_id": 1})  # fmt: skip
            assert (await final(http, reserved.json()["id"]))["status"] == "answered"
        removed = {"reservationId": 6, "reservationUpdateStatus": "Removed"}
        assert (await station.call("ReservationStatusUpdate", removed))[0] == 3

        async def settled() -> tuple[list[Any], list[Any]]:
            for _ in range(100):
                profiles = (await http.get(f"{base}/charging-profiles")).json()
                reservations = (await http.get(f"{base}/reservations")).json()
                statuses = [r["status"] for r in reservations]
                if profiles and statuses == ["Expired", "Removed"]:
                    return profiles, reservations
                await asyncio.sleep(0.1)
            raise AssertionError(f"never settled: {profiles} {reservations}")

        profiles, reservations = await settled()
    assert [(p["evse_id"], p["profile_id"], p["source"], p["purpose"]) for p in profiles] == [
        (2, 21, "EMS", "ChargingStationExternalConstraints")]  # fmt: skip
    assert [(r["reservation_id"], r["status"]) for r in reservations] == [
        (5, "Expired"), (6, "Removed")]  # fmt: skip
