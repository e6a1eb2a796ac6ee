"""Billing end to end on the real stack: tariffs published and assigned through the API,
OCPP 2.0.1 sessions priced by the processor, CDRs from the billing projection equal to the
pure rating of what the stations sent; then a billing backfill: tariff version 2 published,
the period re-rated into a new billing version beside the live one, the diff shows exactly
the sessions that changed, switch, both versions readable (docs/BILLING.md)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from billing.rating import Reading, rate
from csms.config import Settings
from schemas.tariffs import Tariff
from tests.integration.test_sessions import eventually
from tests.services import ServiceSet, api_client, live_versions, versions_of
from tests.stations import BOOT_201, AnsweringStation, connect_station

pytestmark = pytest.mark.integration

PERIOD = datetime(2025, 10, 1, tzinfo=UTC)
TARIFF_ID = "BF-TOD"


def tariff_body(evening_energy: str) -> dict[str, Any]:
    """17:00-21:00 (UTC): energy at ``evening_energy`` and charging time; otherwise cheaper
    energy and parking time; a start fee (OCPI 2.2.1 mod_tariffs)."""
    return {
        "currency": "EUR",
        "elements": [
            {"price_components": [{"type": "FLAT", "price": "0.50", "vat": 21, "step_size": 1}]},
            {"price_components": [
                {"type": "ENERGY", "price": evening_energy, "vat": 21, "step_size": 1},
                {"type": "TIME", "price": "1.20", "vat": 21, "step_size": 60}],
             "restrictions": {"start_time": "17:00", "end_time": "21:00"}},
            {"price_components": [
                {"type": "ENERGY", "price": "0.30", "vat": 21, "step_size": 1},
                {"type": "PARKING_TIME", "price": "4.00", "vat": 21, "step_size": 300}]},
        ],
        "tariff_alt_text": [{"language": "en", "text": "Evening 17-21 peak price"}],
    }  # fmt: skip


async def publish(http: httpx.AsyncClient, tariff_id: str, body: dict[str, Any]) -> Tariff:
    response = await http.put(f"/api/v1/tariffs/{tariff_id}", json=body)
    assert response.status_code in (200, 201), response.text
    stored = response.json()
    return Tariff.model_validate(stored.get("tariff", stored))


async def assign(http: httpx.AsyncClient, station_id: str, tariff_id: str) -> None:
    response = await http.put("/api/v1/tariff-assignments", json={
        "target": "station", "station_id": station_id, "tariff_id": tariff_id})  # fmt: skip
    assert response.status_code in (200, 201), response.text


def at(minutes: float, start: datetime) -> str:
    return (start + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def meter(minutes: float, wh: float, start: datetime) -> list[dict[str, Any]]:
    return [{"timestamp": at(minutes, start), "sampledValue": [
        {"value": wh, "measurand": "Energy.Active.Import.Register",
         "unitOfMeasure": {"unit": "Wh"}, "context": "Sample.Periodic"}]}]  # fmt: skip


# A session: (minutes after its start, register Wh, charging); the last is the stop.
PROFILE = ((0, 1000.0, True), (20, 4000.0, True), (45, 9000.0, True), (60, 9000.0, False),
           (75, 9000.0, False))  # fmt: skip


async def run_session(settings: Settings, station_id: str, txn: str,
                      start: datetime) -> list[Any]:  # fmt: skip
    """One 2.0.1 session following PROFILE; the CSMS calls the station received."""

    async def respond(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {} if action == "CostUpdated" else {"status": "Accepted"}

    async with connect_station(settings.gateway_port, station_id, "ocpp2.0.1") as ws:
        cs = AnsweringStation(ws, respond)
        boot = await cs.call("BootNotification", BOOT_201, timeout=90)
        assert boot[0] == 3 and boot[2]["status"] == "Accepted", boot
        token = {"idToken": "BF-TAG", "type": "ISO14443"}
        for seq, (minutes, wh, charging) in enumerate(PROFILE):
            kind = "Started" if seq == 0 else "Ended" if seq == len(PROFILE) - 1 else "Updated"
            info: dict[str, Any] = {"transactionId": txn,
                                    "chargingState": "Charging" if charging else "SuspendedEV"}
            if kind == "Ended":
                info["stoppedReason"] = "EVDisconnected"
            payload = {"eventType": kind, "timestamp": at(minutes, start), "seqNo": seq,
                       "triggerReason": "Authorized" if seq == 0 else "MeterValuePeriodic",
                       "transactionInfo": info, "evse": {"id": 1, "connectorId": 1},
                       "meterValue": meter(minutes, wh, start)}  # fmt: skip
            if seq == 0:
                payload["idToken"] = token
            reply = await cs.call("TransactionEvent", payload)
            assert reply[0] == 3, reply
        await cs.close()
        return cs.calls_received


def expected_cost(tariff: Tariff, start: datetime) -> Any:
    readings = [Reading(at=start + timedelta(minutes=m), energy_wh=Decimal(repr(wh)),
                        charging=charging) for m, wh, charging in PROFILE[:-1]]  # fmt: skip
    m, wh, _ = PROFILE[-1]
    stop = Reading(at=start + timedelta(minutes=m), energy_wh=Decimal(repr(wh)))
    return rate(tariff, "UTC", start, readings, stop)


async def cdr_of(http: httpx.AsyncClient, station_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        page = (await http.get("/api/v1/cdrs", params={"station_id": station_id})).json()
        return page["items"][0] if page["items"] else None

    found: dict[str, Any] = await eventually(probe, timeout=60)
    return found


async def priced_probe(settings: Settings, http: httpx.AsyncClient, station_id: str) -> None:
    """Sessions on ``station_id`` until one is priced: the processor has the tariff and the
    assignment in its tables (they reach it from the admin log independently of the API's
    read model)."""
    for n in range(30):
        txn = f"PROBE-{n}"
        await run_session(settings, station_id, txn, PERIOD - timedelta(days=30))

        async def projected(txn: str = txn) -> int | None:
            # The transactions read model follows the events asynchronously.
            listed = await http.get("/api/v1/transactions", params={"station_id": station_id})
            ids = [t["id"] for t in listed.json()["items"] if t["transaction_id"] == txn]
            return ids[0] if ids else None

        newest = await eventually(projected)

        async def billed(newest: int = newest) -> dict[str, Any] | None:
            found = await http.get(f"/api/v1/billing/sessions/{newest}")
            return found.json() if found.status_code == 200 else None

        if (await eventually(billed))["tariff_id"] is not None:
            return
    raise AssertionError(f"no session of {station_id} was ever priced")


async def test_cdrs_match_the_rating_and_a_backfill_rerates_the_period(
    stack: ServiceSet, settings: Settings,
) -> None:
    starts = {  # station → session start (station time)
        "BF-1": PERIOD + timedelta(days=2, hours=16, minutes=30),  # in the period, evening
        "BF-2": PERIOD + timedelta(days=5, hours=18),  # in the period
        "BF-3": PERIOD + timedelta(days=40, hours=18),  # after the period
        "BF-OTHER": PERIOD + timedelta(days=3, hours=18),  # in the period, another tariff
    }
    async with api_client(settings) as http:
        v1 = await publish(http, TARIFF_ID, tariff_body("0.45"))
        other = await publish(http, "BF-OTHER-T", tariff_body("0.99"))
        for station in ("BF-1", "BF-2", "BF-3", "BF-PROBE"):
            await assign(http, station, TARIFF_ID)
        await assign(http, "BF-OTHER", "BF-OTHER-T")
        await priced_probe(settings, http, "BF-PROBE")
        cost_calls = {}
        for station, start in starts.items():
            calls = await run_session(settings, station, f"TX-{station}", start)
            cost_calls[station] = [c for c in calls if c[2] == "CostUpdated"]
        before = {station: await cdr_of(http, station) for station in starts}

        # Each CDR is the pure rating of what the station sent, under the tariff applied.
        for station, start in starts.items():
            tariff = other if station == "BF-OTHER" else v1
            cost = expected_cost(tariff, start)
            cdr = before[station]
            assert Decimal(cdr["total_cost_excl_vat"]) == cost.excl_vat, station
            assert Decimal(cdr["total_cost_incl_vat"]) == cost.incl_vat, station
            assert cdr["tariff_version"] == 1 and cdr["currency"] == "EUR"
            full = (await http.get(f"/api/v1/cdrs/{cdr['id']}")).json()
            assert full["tariffs"][0]["id"] == tariff.id and full["charging_periods"]
        assert cost_calls["BF-1"], "the running cost reached the station (I02 CostUpdated)"

        v2 = await publish(http, TARIFF_ID, tariff_body("0.60"))
        billing_versions = [v for v, _ in versions_of(settings.libpq_url, "billing")]
        old, new = live_versions(settings.libpq_url)["billing"], max(billing_versions) + 1
        output = stack.csms(
            "billing", "backfill", "--from", PERIOD.date().isoformat(),
            "--to", (PERIOD + timedelta(days=31)).date().isoformat(),
            "--tariff", f"{TARIFF_ID}@2", "--as", f"v{new}",
        )  # fmt: skip
        assert f"billing@{new} re-rated 2 sessions" in output, output

        diff = json.loads(stack.csms("billing", "diff", f"v{old}", f"v{new}", "--json"))
        changed = {c["station_id"]: c for c in diff["changed"]}
        assert set(changed) == {"BF-1", "BF-2"}, diff["changed"]
        for station in ("BF-1", "BF-2"):
            assert Decimal(changed[station]["old_excl_vat"]) == expected_cost(
                v1, starts[station]).excl_vat
            assert Decimal(changed[station]["new_excl_vat"]) == expected_cost(
                v2, starts[station]).excl_vat
        assert expected_cost(v2, starts["BF-1"]).excl_vat != expected_cost(
            v1, starts["BF-1"]).excl_vat

        stack.csms("projections", "switch", "billing", str(new))
        for station in starts:
            now_live = await cdr_of(http, station)
            old_version = {"station_id": station, "projection_version": f"v{old}"}
            kept = (await http.get("/api/v1/cdrs", params=old_version)).json()["items"][0]
            assert kept == before[station], station
            version = 2 if station in ("BF-1", "BF-2") else 1
            assert now_live["tariff_version"] == version, station
        summary = (await http.get("/api/v1/billing/summary", params={
            "group_by": "station", "until": "2100-01-01T00:00:00Z"})).json()  # fmt: skip
        by_station = {r["key"]: r for r in summary["rows"]}
        assert Decimal(by_station["BF-2"]["excl_vat"]) == expected_cost(
            v2, starts["BF-2"]).excl_vat
        exported = (await http.get("/api/v1/cdrs.csv", params={"station_id": "BF-1"})).text
        rows = list(csv.DictReader(io.StringIO(exported)))
        assert [r["tariff_version"] for r in rows] == ["2"]
        missing = await http.get("/api/v1/cdrs", params={"projection_version": 999})
        assert missing.status_code == 404


async def test_a_correction_is_a_credit_cdr_and_a_new_one(stack: ServiceSet,
                                                          settings: Settings) -> None:  # fmt: skip
    start = PERIOD + timedelta(days=90, hours=17, minutes=10)
    async with api_client(settings) as http:
        v1 = await publish(http, "CORR-T", tariff_body("0.45"))
        await assign(http, "BF-CORR", "CORR-T")
        await priced_probe(settings, http, "BF-CORR")
        await run_session(settings, "BF-CORR", "TX-CORR", start)

        async def ended_cdr() -> dict[str, Any] | None:
            page = (await http.get("/api/v1/cdrs", params={"station_id": "BF-CORR"})).json()
            return next((c for c in page["items"] if c["start_date_time"].startswith(
                start.date().isoformat())), None)  # fmt: skip

        original = await eventually(ended_cdr, timeout=60)
        assert Decimal(original["total_cost_excl_vat"]) == expected_cost(v1, start).excl_vat
        v2 = await publish(http, "CORR-T", tariff_body("0.60"))
        assert v2.elements != v1.elements
        response = await http.post(f"/api/v1/cdrs/{original['id']}/corrections",
                                   json={"reason": "evening energy price raised"})
        assert response.status_code == 201, response.text
        credit, cdr = response.json()["credit"], response.json()["cdr"]
        assert credit["credit"] is True and credit["credit_reference_id"] == original["id"]
        assert Decimal(credit["total_cost_excl_vat"]) == -Decimal(original["total_cost_excl_vat"])
        assert cdr["credit"] is False and cdr["tariff_version"] == 2
        assert Decimal(cdr["total_cost_excl_vat"]) == expected_cost(v2, start).excl_vat
        assert Decimal(cdr["total_energy_kwh"]) == Decimal(original["total_energy_kwh"])
        unchanged = (await http.get(f"/api/v1/cdrs/{original['id']}")).json()
        assert Decimal(unchanged["total_cost"]["excl_vat"]) == Decimal(
            original["total_cost_excl_vat"]), "the corrected CDR is never edited"
        again = await http.post(f"/api/v1/cdrs/{original['id']}/corrections",
                                json={"reason": "twice"})
        assert again.status_code == 409, again.text
        missing = await http.post(f"/api/v1/cdrs/{cdr['id']}/corrections",
                                  json={"reason": "x", "tariff_version": 9})
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == [
            "body", "tariff_version"]
        session = (await http.get(f"/api/v1/billing/sessions/{cdr['transaction_pk']}")).json()
        assert session["cdr_id"] == cdr["id"] and session["tariff_version"] == 2
        net = (await http.get("/api/v1/billing/summary", params={
            "group_by": "station", "until": "2100-01-01T00:00:00Z"})).json()  # fmt: skip
        row = next(r for r in net["rows"] if r["key"] == "BF-CORR")
        assert row["credits"] == 1


async def test_a_billing_version_is_named_v1_or_1_and_a_bad_name_is_422(
    stack: ServiceSet, settings: Settings,
) -> None:
    async with api_client(settings) as http:
        live = live_versions(settings.libpq_url)["billing"]
        for name in (f"v{live}", str(live)):
            response = await http.get("/api/v1/billing/summary", params={
                "projection_version": name})  # fmt: skip
            assert response.status_code == 200 and response.json()["projection_version"] == live
        bad = await http.get("/api/v1/cdrs", params={"projection_version": "vx"})
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["query", "projection_version"]
