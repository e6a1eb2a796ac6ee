"""Running and final cost on the station, end to end on the real broker and database: a tariff
published and assigned through the API, a station's time zone and cost messages set through
it, the processor pricing the sessions from its tables.

- OCPP 2.0.1 (block I): the tariff in personalMessage (I01), CostUpdated calls while charging
  (I02), the final totalCost in the Ended answer (I03), each equal to the pure rating
  (``billing.rating.rate``) of what the station sent;
- OCPP 1.6, California Pricing: SetUserPrice, RunningCost and FinalCost DataTransfers to a
  station with cost messages on, nothing to one with them off.

Running costs come at most every ``cost_update_interval_s`` (60 s) of the station's meter
time; the sessions' readings are minutes apart on the station's clock, so every reading
brings one.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from billing.rating import Cost, Reading, rate
from csms.config import Settings
from schemas.tariffs import Tariff
from tests.integration.test_sessions import eventually
from tests.services import ServiceSet, api_client
from tests.stations import BOOT_16, BOOT_201, AnsweringStation, connect_station

pytestmark = pytest.mark.integration

ZONE = "Europe/Amsterdam"
START = datetime(2025, 11, 3, 15, 50, tzinfo=UTC)  # 16:50 in Amsterdam, a Monday
TOKEN = "RC-TAG"
VENDOR = "org.openchargealliance.costmsg"
TARIFF = {
    "currency": "EUR",
    "elements": [
        {"price_components": [{"type": "FLAT", "price": "0.50", "vat": 21, "step_size": 1}]},
        {"price_components": [  # the evening peak, local time
            {"type": "ENERGY", "price": "0.60", "vat": 21, "step_size": 1},
            {"type": "TIME", "price": "1.20", "vat": 21, "step_size": 60}],
         "restrictions": {"start_time": "17:00", "end_time": "21:00"}},
        {"price_components": [
            {"type": "ENERGY", "price": "0.30", "vat": 21, "step_size": 1},
            {"type": "PARKING_TIME", "price": "2.00", "vat": 21, "step_size": 60}]},
    ],
}  # fmt: skip
# (minutes after the start, register Wh, charging): the start, the readings, the stop.
PROFILE = ((0, 1000.0, True), (5, 2000.0, True), (10, 3000.0, True), (15, 4500.0, True),
           (20, 6000.0, True), (25, 6000.0, False), (30, 6000.0, False))  # fmt: skip


def at(minutes: float) -> str:
    return (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def readings(upto: int) -> list[Reading]:
    """The readings of PROFILE[0..upto] as the processor observes them."""
    return [Reading(at=START + timedelta(minutes=m), energy_wh=Decimal(repr(wh)),
                    charging=charging) for m, wh, charging in PROFILE[:upto + 1]]  # fmt: skip


def expected(tariff: Tariff, upto: int, *, final: bool = False) -> Cost:
    if not final:
        return rate(tariff, ZONE, START, readings(upto))
    m, wh, _ = PROFILE[-1]
    stop = Reading(at=START + timedelta(minutes=m), energy_wh=Decimal(repr(wh)))
    return rate(tariff, ZONE, START, readings(len(PROFILE) - 2), stop)


def shown(cost: Cost) -> float:
    assert cost.incl_vat is not None  # every component states its VAT
    return float(cost.incl_vat)


async def respond(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {} if action == "CostUpdated" else {"status": "Accepted"}


@pytest.fixture(scope="module")
async def tariff(stack: ServiceSet, settings: Settings) -> Tariff:
    """The time-of-day tariff, assigned to the test stations; the stations' time zone and
    cost messages; the token."""
    async with api_client(settings) as http:
        response = await http.put("/api/v1/tariffs/RC-TOD", json=TARIFF)
        assert response.status_code in (200, 201), response.text
        stored = response.json()
        for station in ("RC-201", "RC-16-ON", "RC-16-OFF"):
            await put(http, "/api/v1/tariff-assignments", {
                "target": "station", "station_id": station, "tariff_id": "RC-TOD"})
        await put(http, "/api/v1/stations/RC-201", {"time_zone": ZONE})
        await put(http, "/api/v1/stations/RC-16-ON", {"time_zone": ZONE, "cost_messages": True})
        await put(http, "/api/v1/stations/RC-16-OFF", {"time_zone": ZONE})
        await put(http, f"/api/v1/tokens/{TOKEN}", {"type": "ISO14443", "status": "Accepted"})
    return Tariff.model_validate(stored.get("tariff", stored))


async def put(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    response = await http.put(path, json=body)
    assert response.status_code in (200, 201), response.text


def transaction_event(seq: int) -> dict[str, Any]:
    minutes, wh, charging = PROFILE[seq]
    kind = "Started" if seq == 0 else "Ended" if seq == len(PROFILE) - 1 else "Updated"
    info: dict[str, Any] = {"transactionId": "RC-TX-1",
                            "chargingState": "Charging" if charging else "SuspendedEV"}
    if kind == "Ended":
        info["stoppedReason"] = "EVDisconnected"
    payload: dict[str, Any] = {
        "eventType": kind, "timestamp": at(minutes), "seqNo": seq,
        "triggerReason": "Authorized" if seq == 0 else "MeterValuePeriodic",
        "transactionInfo": info, "evse": {"id": 1, "connectorId": 1},
        "meterValue": [{"timestamp": at(minutes), "sampledValue": [
            {"value": wh, "measurand": "Energy.Active.Import.Register",
             "unitOfMeasure": {"unit": "Wh"}}]}],
    }  # fmt: skip
    if seq == 0:
        payload["idToken"] = {"idToken": TOKEN, "type": "ISO14443"}
    return payload


async def test_ocpp201_running_cost_and_final_total_cost(settings: Settings,
                                                         tariff: Tariff) -> None:  # fmt: skip
    async with connect_station(settings.gateway_port, "RC-201", "ocpp2.0.1") as ws:
        cs = AnsweringStation(ws, respond)
        boot = await cs.call("BootNotification", BOOT_201, timeout=90)
        assert boot[0] == 3 and boot[2]["status"] == "Accepted", boot

        async def tariff_shown() -> dict[str, Any] | None:  # the processor has the tables
            info = (await cs.call("Authorize", {"idToken": {
                "idToken": TOKEN, "type": "ISO14443"}}))[2]["idTokenInfo"]  # fmt: skip
            return info if "personalMessage" in info else None

        info = await eventually(tariff_shown, timeout=60)
        assert info["status"] == "Accepted"
        assert info["personalMessage"]["format"] == "UTF8"  # I01 (the prices of this hour)

        replies = [(await cs.call("TransactionEvent", transaction_event(seq)))[2]
                   for seq in range(len(PROFILE))]  # fmt: skip
        assert replies[0]["idTokenInfo"]["personalMessage"] == {  # at 16:50 local
            "format": "UTF8", "language": "en",
            "content": "0.363 EUR/kWh, 2.42 EUR/h parking, 0.605 EUR per session (incl. VAT)"}
        final = expected(tariff, 0, final=True)
        assert replies[-1]["totalCost"] == shown(final)  # I03
        assert all("totalCost" not in r for r in replies[:-1])

        updates = len(PROFILE) - 2

        async def cost_updates() -> list[list[Any]] | None:
            found = [c for c in cs.calls_received if c[2] == "CostUpdated"]
            return found if len(found) >= updates else None

        calls = await eventually(cost_updates)
        await cs.close()
    totals = [c[3]["totalCost"] for c in calls]
    assert all(c[3]["transactionId"] == "RC-TX-1" for c in calls)
    assert totals == [shown(expected(tariff, k)) for k in range(1, updates + 1)]  # I02
    assert totals == sorted(totals) and totals[0] < totals[-1] < replies[-1]["totalCost"]


def meter_values_16(txn: int, seq: int) -> dict[str, Any]:
    minutes, wh, _ = PROFILE[seq]
    return {"connectorId": 1, "transactionId": txn, "meterValue": [{
        "timestamp": at(minutes), "sampledValue": [
            {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]}


def cost_messages(cs: AnsweringStation) -> list[tuple[str, dict[str, Any]]]:
    return [(c[3]["messageId"], json.loads(c[3]["data"])) for c in cs.calls_received
            if c[2] == "DataTransfer" and c[3].get("vendorId") == VENDOR]  # fmt: skip


async def run_16_session(cs: AnsweringStation) -> int:
    """A 1.6 session following PROFILE: StartTransaction, Charging, meter values, a pause
    (SuspendedEV), StopTransaction; returns its transaction id."""
    minutes, wh, _ = PROFILE[0]
    start = await cs.call("StartTransaction", {"connectorId": 1, "idTag": TOKEN,
                                               "meterStart": int(wh), "timestamp": at(minutes)})
    txn: int = start[2]["transactionId"]
    await cs.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                         "status": "Charging", "timestamp": at(0)})  # fmt: skip
    for seq in range(1, len(PROFILE) - 1):
        if PROFILE[seq][2] is False and PROFILE[seq - 1][2] is True:
            await cs.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                                 "status": "SuspendedEV",
                                                 "timestamp": at(PROFILE[seq][0])})  # fmt: skip
        await cs.call("MeterValues", meter_values_16(txn, seq))
    minutes, wh, _ = PROFILE[-1]
    await cs.call("StopTransaction", {"transactionId": txn, "meterStop": int(wh),
                                      "timestamp": at(minutes), "reason": "EVDisconnected"})
    return txn


async def test_ocpp16_california_pricing_messages_only_with_cost_messages_on(
    settings: Settings, tariff: Tariff,
) -> None:
    async with connect_station(settings.gateway_port, "RC-16-ON", "ocpp1.6") as ws:
        cs = AnsweringStation(ws, respond)
        await cs.call("BootNotification", BOOT_16, timeout=90)

        async def price_sent() -> bool:  # the processor has the tariff and the configuration
            await cs.call("Authorize", {"idTag": TOKEN})
            await asyncio.sleep(0.5)
            return any(m == "SetUserPrice" for m, _ in cost_messages(cs))

        await eventually(price_sent, timeout=60)
        await asyncio.sleep(1.0)  # a price an earlier Authorize brought
        cs.calls_received.clear()
        txn = await run_16_session(cs)
        running = len(PROFILE) - 2

        async def all_sent() -> list[tuple[str, dict[str, Any]]] | None:
            found = cost_messages(cs)
            return found if any(m == "FinalCost" for m, _ in found) else None

        messages = await eventually(all_sent)
        await cs.close()
    ids = [m for m, _ in messages]
    assert ids == ["SetUserPrice", *["RunningCost"] * running, "FinalCost"], ids
    assert messages[0][1] == {"idToken": TOKEN, "priceText": (
        "0.363 EUR/kWh, 2.42 EUR/h parking, 0.605 EUR per session (incl. VAT)")}
    costs = [d for m, d in messages if m == "RunningCost"]
    # 1.6 readings: no charging state at the start, then StatusNotification's.
    expected_running = [_running_16(tariff, k) for k in range(1, running + 1)]
    assert [d["cost"] for d in costs] == expected_running
    assert [d["meterValue"] for d in costs] == [int(PROFILE[k][1]) for k in range(1, running + 1)]
    assert all(d["transactionId"] == txn for d in costs)
    assert [d["state"] for d in costs] == ["Charging"] * 4 + ["Idle"]
    assert costs[0]["chargingPrice"] == {"kWhPrice": 0.363, "flatFee": 0.605}  # 16:55 local
    assert costs[1]["chargingPrice"] == {"kWhPrice": 0.726, "hourPrice": 1.452,
                                         "flatFee": 0.605}  # 17:00 local: the peak
    final = messages[-1][1]
    assert final["transactionId"] == txn and final["cost"] == _final_16(tariff)
    assert final["priceText"].startswith(f"Total {final['cost']:.2f} EUR: 5.000 kWh")


def _readings_16(upto: int) -> list[Reading]:
    out = [Reading(at=START, energy_wh=Decimal(repr(PROFILE[0][1])))]
    out.append(Reading(at=START, charging=True))
    for seq in range(1, upto + 1):
        minutes, wh, charging = PROFILE[seq]
        if charging is False and PROFILE[seq - 1][2] is True:
            out.append(Reading(at=START + timedelta(minutes=minutes), charging=False))
        out.append(Reading(at=START + timedelta(minutes=minutes), energy_wh=Decimal(repr(wh))))
    return out


def _running_16(tariff: Tariff, upto: int) -> float:
    return shown(rate(tariff, ZONE, START, _readings_16(upto)))


def _final_16(tariff: Tariff) -> float:
    m, wh, _ = PROFILE[-1]
    stop = Reading(at=START + timedelta(minutes=m), energy_wh=Decimal(repr(wh)))
    return shown(rate(tariff, ZONE, START, _readings_16(len(PROFILE) - 2), stop))


async def test_ocpp16_without_cost_messages_gets_none(settings: Settings,
                                                      tariff: Tariff) -> None:  # fmt: skip
    async with connect_station(settings.gateway_port, "RC-16-OFF", "ocpp1.6") as ws:
        cs = AnsweringStation(ws, respond)
        await cs.call("BootNotification", BOOT_16, timeout=90)
        async with api_client(settings) as http:
            for _ in range(10):  # sessions until the processor priced one
                await cs.call("Authorize", {"idTag": TOKEN})
                session = await billed(http, await run_16_session(cs))
                if session["tariff_id"] is not None:
                    break
        await asyncio.sleep(1.0)  # a call queued with the stop would have arrived by now
        await cs.close()
    assert session["tariff_id"] == "RC-TOD", "no session of the station was priced"
    assert [c for c in cs.calls_received if c[2] == "DataTransfer"] == []


async def billed(http: httpx.AsyncClient, txn: int) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        found = await http.get(f"/api/v1/billing/sessions/{txn}")
        body: dict[str, Any] = found.json() if found.status_code == 200 else {}
        return body if body.get("status") == "completed" else None

    session: dict[str, Any] = await eventually(probe, timeout=60)
    return session
