"""Charging sessions end to end on the real broker and database, OCPP 1.6 and 2.0.1:
station → gateway → frames log → processor → events log → projector → PostgreSQL → API,
with tokens and station configuration written through the API (admin log → processor
tables and read model)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

import ocpp
from csms.config import Settings
from schemas.topics import Topics
from tests.integration.read_store import snapshot, wait_caught_up, wait_settled
from tests.services import ServiceSet, api_client
from tests.stations import BOOT_16, BOOT_201, AnsweringStation, Station, connect_station

pytestmark = pytest.mark.integration

V16, V201 = ocpp.OcppVersion.V16, ocpp.OcppVersion.V201
PAST = (datetime.now(UTC) - timedelta(days=1)).isoformat()
TOKENS = {
    "TAG-OK": {"type": "ISO14443", "status": "Accepted", "group_id": "GRP-1"},
    "TAG-BLOCKED": {"type": "ISO14443", "status": "Blocked"},
    "TAG-EXPIRED": {"type": "ISO14443", "status": "Accepted", "expires_at": PAST},
}


def ts(minutes: int) -> str:
    return (datetime(2025, 3, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=minutes)).isoformat()


async def eventually(probe: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    """``probe()`` until it returns something truthy (the read model is eventually
    consistent with the logs; the processor's tables too)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
async def tokens_issued(stack: ServiceSet, settings: Settings) -> None:
    """The test tokens, PUT through the API and seen by the processor (its global table is
    filled from the admin log independently of the read model, so wait until an Authorize
    sees them)."""
    async with api_client(settings) as http:
        for id_token, body in TOKENS.items():
            response = await http.put(f"/api/v1/tokens/{id_token}", json=body)
            assert response.status_code == 200, response.text
    async with connect_station(settings.gateway_port, "TOKEN-PROBE", "ocpp1.6") as ws:
        station = Station(ws)
        await station.result("BootNotification", BOOT_16, timeout=90)

        async def expired_seen() -> bool:
            info = (await station.result("Authorize", {"idTag": "TAG-EXPIRED"}))["idTagInfo"]
            return bool(info["status"] == "Expired")

        await eventually(expired_seen)


async def get_transaction(http: httpx.AsyncClient, csms_id: int, *,
                          status: str = "completed") -> dict[str, Any]:  # fmt: skip
    async def probe() -> dict[str, Any] | None:
        response = await http.get(f"/api/v1/transactions/{csms_id}")
        if response.status_code == 404:
            return None
        body: dict[str, Any] = response.json()
        return body if body["status"] == status else None

    result: dict[str, Any] = await eventually(probe)
    return result


def meter_16(connector: int, txn: int | None, minute: int, kwh: float) -> dict[str, Any]:
    payload: dict[str, Any] = {"connectorId": connector, "meterValue": [{
        "timestamp": ts(minute), "sampledValue": [
            {"value": f"{kwh}", "unit": "kWh", "measurand": "Energy.Active.Import.Register",
             "context": "Sample.Periodic", "location": "Outlet"},
            {"value": "7200", "unit": "W", "measurand": "Power.Active.Import", "phase": "L1"},
        ],
    }]}  # fmt: skip
    if txn is not None:
        payload["transactionId"] = txn
    return payload


async def test_ocpp16_session_boot_to_stop(stack: ServiceSet, settings: Settings,
                                           tokens_issued: None) -> None:  # fmt: skip
    async with connect_station(settings.gateway_port, "CP-S16", "ocpp1.6") as ws:
        cp = Station(ws)
        boot = await cp.result("BootNotification", BOOT_16, timeout=90)
        assert boot["status"] == "Accepted"
        for connector in (0, 1):
            await cp.result("StatusNotification", {
                "connectorId": connector, "errorCode": "NoError", "status": "Available",
                "timestamp": ts(0)})  # fmt: skip

        verdicts = {tag: (await cp.result("Authorize", {"idTag": tag}))["idTagInfo"]
                    for tag in ("TAG-OK", "TAG-BLOCKED", "TAG-EXPIRED", "TAG-NOPE")}  # fmt: skip
        assert verdicts["TAG-OK"] == {"status": "Accepted", "parentIdTag": "GRP-1"}
        assert verdicts["TAG-BLOCKED"]["status"] == "Blocked"
        assert verdicts["TAG-EXPIRED"]["status"] == "Expired"
        assert verdicts["TAG-NOPE"] == {"status": "Invalid"}

        start = await cp.result("StartTransaction", {
            "connectorId": 1, "idTag": "TAG-OK", "meterStart": 1000, "timestamp": ts(1),
        })  # fmt: skip
        assert start["idTagInfo"]["status"] == "Accepted"
        txn = start["transactionId"]
        assert isinstance(txn, int) and txn > 0
        await cp.result("StatusNotification", {
            "connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": ts(1)})
        for minute, kwh in ((2, 1.5), (3, 2.25), (4, 3.0)):
            assert await cp.result("MeterValues", meter_16(1, txn, minute, kwh)) == {}
        stop = await cp.result("StopTransaction", {
            "transactionId": txn, "idTag": "TAG-OK", "meterStop": 3500, "timestamp": ts(5),
            "reason": "EVDisconnected", "transactionData": [{"timestamp": ts(5), "sampledValue": [
                {"value": "3.5", "unit": "kWh", "context": "Transaction.End"}]}],
        })  # fmt: skip
        assert stop["idTagInfo"]["status"] == "Accepted"

    async with api_client(settings) as http:
        session = await get_transaction(http, txn)
        station = (await http.get("/api/v1/stations/CP-S16")).json()
    assert session["id"] == txn and session["transaction_id"] == str(txn)
    assert session["station_id"] == "CP-S16" and session["connector_id"] == 1
    assert session["id_token"] == "TAG-OK" and session["id_token_status"] == "Accepted"
    assert session["meter_start_wh"] == 1000 and session["meter_stop_wh"] == 3500
    assert session["energy_wh"] == 2500
    assert session["stop_reason"] == "EVDisconnected"
    assert session["anomalies"] == []
    assert session["started_at"].startswith("2025-03-01T12:01:00")
    values = session["meter_values"]
    energy = [v for v in values if v["measurand"] == "Energy.Active.Import.Register"]
    assert [v["canonical_value"] for v in energy] == [1500, 2250, 3000, 3500]
    assert all(v["unit"] == "kWh" and v["canonical_unit"] == "Wh" for v in energy)
    power = [v for v in values if v["measurand"] == "Power.Active.Import"]
    assert len(power) == 3 and power[0]["phase"] == "L1" and power[0]["canonical_unit"] == "W"
    assert energy[-1]["context"] == "Transaction.End" and energy[-1]["source"] == "StopTransaction"
    evses = {e["evse_id"]: e["connectors"] for e in station["evses"]}
    assert evses[0][0]["status"] == "Available"  # connector 0: the charge point as a whole
    # The Charging status was reported after Available, at the same timestamp, ts(1) > ts(0).
    assert evses[1][0]["status"] == "Charging"


async def test_ocpp16_retried_start_gets_the_same_transaction_id(
    stack: ServiceSet, settings: Settings, tokens_issued: None
) -> None:
    start = {"connectorId": 2, "idTag": "TAG-OK", "meterStart": 10, "timestamp": ts(10)}
    ids = []
    for _ in range(2):  # the station reconnects and sends its unanswered StartTransaction again
        async with connect_station(settings.gateway_port, "CP-RETRY", "ocpp1.6") as ws:
            cp = Station(ws)
            await cp.result("BootNotification", BOOT_16, timeout=90)
            ids.append((await cp.result("StartTransaction", start))["transactionId"])
    async with connect_station(settings.gateway_port, "CP-RETRY", "ocpp1.6") as ws:
        other = await Station(ws).result("StartTransaction", {**start, "timestamp": ts(11)})
    assert ids[0] == ids[1]
    assert other["transactionId"] != ids[0]

    async with api_client(settings) as http:
        await get_transaction(http, other["transactionId"], status="active")
        listed = (await http.get("/api/v1/transactions",
                                 params={"station_id": "CP-RETRY"})).json()  # fmt: skip
    assert sorted(t["id"] for t in listed["items"]) == sorted({ids[0], other["transactionId"]})


async def test_ocpp16_meter_stop_below_start_is_accepted_and_flagged(
    stack: ServiceSet, settings: Settings, tokens_issued: None
) -> None:
    async with connect_station(settings.gateway_port, "CP-BACKWARDS", "ocpp1.6") as ws:
        cp = Station(ws)
        await cp.result("BootNotification", BOOT_16, timeout=90)
        txn = (await cp.result("StartTransaction", {
            "connectorId": 1, "idTag": "TAG-BLOCKED", "meterStart": 5000, "timestamp": ts(20),
        }))["transactionId"]  # fmt: skip
        stop = await cp.result("StopTransaction", {
            "transactionId": txn, "meterStop": 4000, "timestamp": ts(21)})
        assert stop == {}  # no idTag sent: no idTagInfo (1.6 §4.10)
    async with api_client(settings) as http:
        session = await get_transaction(http, txn)
    assert session["id_token_status"] == "Blocked"  # recorded whatever the verdict
    assert session["anomalies"] == ["meter_stop_below_start"]
    assert session["energy_wh"] is None and session["meter_stop_wh"] == 4000
    assert session["stop_reason"] == "Local"  # omitted on the wire = Local


def tx_event(kind: str, seq: int, minute: int, *, txn: str = "TX-201-1",
             **extra: Any) -> dict[str, Any]:  # fmt: skip
    info = {"transactionId": txn, **extra.pop("info", {})}
    trigger = extra.pop("trigger", "MeterValuePeriodic")
    return {"eventType": kind, "timestamp": ts(minute), "seqNo": seq, "triggerReason": trigger,
            "transactionInfo": info, **extra}  # fmt: skip


def energy_201(minute: int, wh: float, context: str = "Sample.Periodic") -> list[dict[str, Any]]:
    return [{"timestamp": ts(minute), "sampledValue": [
        {"value": wh / 1000, "context": context, "measurand": "Energy.Active.Import.Register",
         "unitOfMeasure": {"unit": "kWh"}}]}]  # fmt: skip


async def test_ocpp201_session_boot_to_ended(stack: ServiceSet, settings: Settings,
                                             tokens_issued: None) -> None:  # fmt: skip
    token = {"idToken": "TAG-OK", "type": "ISO14443"}
    async with connect_station(settings.gateway_port, "CS-S201", "ocpp2.0.1") as ws:
        cs = Station(ws)
        assert (await cs.result("BootNotification", BOOT_201, timeout=90))["status"] == "Accepted"
        await cs.result("StatusNotification", {"timestamp": ts(0), "connectorStatus": "Available",
                                               "evseId": 1, "connectorId": 1})  # fmt: skip
        infos = {}
        for tag in ("TAG-OK", "TAG-BLOCKED", "TAG-EXPIRED", "TAG-NOPE"):
            answer = await cs.result("Authorize", {"idToken": {"idToken": tag, "type": "ISO14443"}})
            infos[tag] = answer["idTokenInfo"]
        assert infos["TAG-OK"] == {"status": "Accepted",
                                   "groupIdToken": {"idToken": "GRP-1", "type": "Central"}}
        assert infos["TAG-BLOCKED"]["status"] == "Blocked"
        assert infos["TAG-EXPIRED"]["status"] == "Expired"
        assert infos["TAG-NOPE"] == {"status": "Unknown"}

        started = await cs.result("TransactionEvent", tx_event(
            "Started", 0, 1, trigger="Authorized", idToken=token, evse={"id": 1, "connectorId": 1},
            meterValue=energy_201(1, 1000, "Transaction.Begin"),
            info={"chargingState": "Charging"}))  # fmt: skip
        assert started["idTokenInfo"]["status"] == "Accepted"
        for seq, minute, wh in ((1, 2, 1800), (2, 3, 2600), (4, 4, 3400)):  # seqNo 3 never sent
            assert await cs.result("TransactionEvent", tx_event(
                "Updated", seq, minute, meterValue=energy_201(minute, wh))) == {}  # fmt: skip
        ended = await cs.result("TransactionEvent", tx_event(
            "Ended", 5, 5, trigger="EVCommunicationLost", idToken=token,
            meterValue=energy_201(5, 4000, "Transaction.End"),
            info={"stoppedReason": "EVDisconnected"}))  # fmt: skip
        assert ended["idTokenInfo"]["status"] == "Accepted"
        ghost = await cs.result("TransactionEvent", tx_event("Updated", 7, 6, txn="TX-GHOST"))
        assert ghost == {}

    async with api_client(settings) as http:
        listed = await eventually(lambda: _completed(http, "CS-S201"))
        session = await get_transaction(http, listed[0]["id"])
        others = {"items": await eventually(lambda: _listed(http, "CS-S201", "active"))}
    assert session["transaction_id"] == "TX-201-1" and session["evse_id"] == 1
    assert session["meter_start_wh"] == 1000 and session["meter_stop_wh"] == 4000
    assert session["energy_wh"] == 3000 and session["stop_reason"] == "EVDisconnected"
    assert session["missing_seq_nos"] == [3] and session["last_seq_no"] == 5
    assert session["id_token"] == "TAG-OK" and session["anomalies"] == []
    assert len(session["meter_values"]) == 5
    [ghost_row] = others["items"]
    assert ghost_row["transaction_id"] == "TX-GHOST"
    assert ghost_row["anomalies"] == ["unknown_transaction"]


async def _completed(http: httpx.AsyncClient, station_id: str) -> list[dict[str, Any]]:
    return await _listed(http, station_id, "completed")


async def _listed(http: httpx.AsyncClient, station_id: str, status: str) -> list[dict[str, Any]]:
    """The station's transactions with ``status`` (an empty list is falsy: keep waiting)."""
    params = {"station_id": station_id, "status": status}
    body = (await http.get("/api/v1/transactions", params=params)).json()
    items: list[dict[str, Any]] = body["items"]
    return items


async def _configure(settings: Settings, station_id: str, status: str) -> None:
    async with api_client(settings) as http:
        response = await http.put(f"/api/v1/stations/{station_id}",
                                  json={"registration_status": status})  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["registration_status"] == status  # read-your-writes


async def _boot_until(cs: Station, boot: dict[str, Any], status: str) -> dict[str, Any]:
    """BootNotification until answered ``status`` (the processor applies the admin event
    independently of the read model the PUT waited for)."""
    async def probe() -> dict[str, Any] | None:
        answer = await cs.result("BootNotification", boot, timeout=90)
        return answer if answer["status"] == status else None

    result: dict[str, Any] = await eventually(probe)
    return result


@pytest.mark.parametrize(("subprotocol", "boot", "probe"), [
    ("ocpp1.6", BOOT_16, ("StatusNotification",
                          {"connectorId": 1, "errorCode": "NoError", "status": "Available"})),
    ("ocpp2.0.1", BOOT_201, ("StatusNotification", {"timestamp": ts(0), "connectorStatus":
                             "Available", "evseId": 1, "connectorId": 1})),
])  # fmt: skip
async def test_pending_and_rejected_stations_may_only_boot(
    stack: ServiceSet, settings: Settings, subprotocol: str, boot: dict[str, Any],
    probe: tuple[str, dict[str, Any]],
) -> None:
    station_id = f"REG-{subprotocol}"
    await _configure(settings, station_id, "Pending")
    async with connect_station(settings.gateway_port, station_id, subprotocol) as ws:
        cs = Station(ws)
        pending = await _boot_until(cs, boot, "Pending")
        assert pending["interval"] == settings.boot_retry_interval_s
        refused = await cs.call(*probe)
        assert refused[0] == 4 and refused[2] == "SecurityError"  # 2.0.1 B02.FR.09
        heartbeat = await cs.call("Heartbeat", {})
        assert heartbeat[2] == "SecurityError"

        await _configure(settings, station_id, "Rejected")
        rejected = await _boot_until(cs, boot, "Rejected")
        assert rejected["interval"] == settings.boot_retry_interval_s
        assert (await cs.call(*probe))[2] == "SecurityError"  # 2.0.1 B03.FR.07

        await _configure(settings, station_id, "Accepted")
        accepted = await _boot_until(cs, boot, "Accepted")
        assert accepted["interval"] == settings.heartbeat_interval_s
        assert await cs.result(*probe) == {}
    # The boot reply reaches the station at once; its event is projected right after.
    async with api_client(settings) as http:
        for _ in range(100):
            station = (await http.get(f"/api/v1/stations/{station_id}")).json()
            if station["boot_status"] == "Accepted":
                break
            await asyncio.sleep(0.1)
    assert station["registration_status"] == "Accepted" and station["boot_status"] == "Accepted"


async def test_pending_station_may_send_what_a_trigger_message_asked_for(
    stack: ServiceSet, settings: Settings
) -> None:
    """1.6 §4.2 / 2.0.1 B02: a Pending station sends nothing but BootNotification unless a
    TriggerMessage asks for it; the CSMS serves exactly what it asked for."""
    station_id = "REG-TRIGGER"
    await _configure(settings, station_id, "Pending")
    status = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    async with connect_station(settings.gateway_port, station_id, "ocpp1.6") as ws, \
            api_client(settings) as http:  # fmt: skip
        async def accept(action: str, payload: dict[str, Any]) -> dict[str, Any]:
            return {"status": "Accepted"}

        cs = AnsweringStation(ws, accept)

        async def pending() -> list[Any] | None:
            answer = await cs.call("BootNotification", BOOT_16, timeout=90)
            return answer if answer[2]["status"] == "Pending" else None

        await eventually(pending)
        assert (await cs.call("StatusNotification", status))[2] == "SecurityError"
        await eventually(lambda: _shown_connected(http, station_id))
        posted = await http.post(f"/api/v1/stations/{station_id}/commands/trigger-message",
                                 json={"message": "StatusNotification"})  # fmt: skip
        assert posted.status_code == 202, posted.text
        answered = await http.get(f"/api/v1/calls/{posted.json()['id']}", params={"wait": 30})
        assert answered.json()["status"] == "answered", answered.text
        assert (await cs.call("StatusNotification", status))[0] == 3
        assert (await cs.call("Heartbeat", {}))[2] == "SecurityError"  # not asked for
        await cs.close()


async def _shown_connected(http: httpx.AsyncClient, station_id: str) -> bool | None:
    response = await http.get(f"/api/v1/stations/{station_id}")
    return True if response.status_code == 200 and response.json()["connected"] else None


async def test_rebuild_from_offset_zero_reproduces_the_sessions(
    stack: ServiceSet, settings: Settings
) -> None:
    """Runs after the session tests of this module: every read model, sessions included,
    is identical in new versions built from offset 0 beside the live ones."""
    topics = [Topics(settings.topic_prefix).events, Topics(settings.topic_prefix).admin]
    await wait_settled(settings)
    before = snapshot(settings.libpq_url)
    assert len(before["transactions"]) >= 5 and len(before["meter_values"]) >= 10
    assert before["tokens"] and before["connectors"]

    stack.rebuild_beside()
    await wait_caught_up(settings.bootstrap, settings.libpq_url, topics)
    after = snapshot(settings.libpq_url)
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], table
