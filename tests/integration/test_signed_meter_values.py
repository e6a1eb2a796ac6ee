"""Signed meter values end to end on the real broker and database: stations send OCMF
records (2.0.1 signedMeterValue with the key in the frame; 1.6 SignedData with the key
registered through the API), the signed_meter_values read model verifies them, and the API
shows each transaction's summary and each value's verdict; a key registered or removed later
verifies the station's values again."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from csms.config import Settings
from tests.integration.test_sessions import eventually
from tests.integration.test_verify_transaction import audited
from tests.services import ServiceSet, api_client
from tests.stations import BOOT_16, BOOT_201, Station, connect_station

pytestmark = pytest.mark.integration

METER = ec.generate_private_key(ec.SECP256R1())
ROGUE = ec.generate_private_key(ec.SECP256R1())
REGISTER = "Energy.Active.Import.Register"


def ts(minutes: int) -> str:
    return (datetime(2025, 6, 1, 8, 0, tzinfo=UTC) + timedelta(minutes=minutes)).isoformat()


def der(private: ec.EllipticCurvePrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)


def ocmf(kwh: str, tx: str, *, by: ec.EllipticCurvePrivateKey = METER,
         shown: str | None = None) -> str:  # fmt: skip
    """An OCMF record of one reading signed by ``by``; ``shown``: the reading the record
    claims after it was signed (a tampered record)."""
    def payload(rv: str) -> str:
        return ('{"FV":"1.0","GI":"ACME","GS":"GW-7","PG":"T1","MS":"MTR-1","IS":false,'
                f'"IT":"NONE","RD":[{{"TM":"2025-06-01T08:00:00,000+0000 S","TX":"{tx}",'
                f'"RV":{rv},"RI":"1-b:1.8.0","RU":"kWh","ST":"G"}}]}}')
    signature = by.sign(payload(kwh).encode(), ec.ECDSA(hashes.SHA256())).hex().upper()
    return f'OCMF|{payload(shown or kwh)}|{{"SD":"{signature}"}}'


def smv(record: str, key: bytes | None) -> dict[str, str]:
    return {"signedMeterData": base64.b64encode(record.encode()).decode(),
            "signingMethod": "ECDSA-secp256r1-SHA256", "encodingMethod": "OCMF",
            "publicKey": "" if key is None else base64.b64encode(key).decode()}  # fmt: skip


def sampled_201(minute: int, wh: int, context: str, signed: dict[str, str]) -> list[Any]:
    return [{"timestamp": ts(minute), "sampledValue": [{
        "value": wh, "context": context, "measurand": REGISTER, "unitOfMeasure": {"unit": "Wh"},
        "signedMeterValue": signed}]}]  # fmt: skip


def tx_event(kind: str, seq: int, minute: int, txn: str, **extra: Any) -> dict[str, Any]:
    trigger = {"Started": "CablePluggedIn", "Ended": "EVCommunicationLost"}[kind]
    info: dict[str, Any] = {"transactionId": txn}
    if kind == "Ended":
        info["stoppedReason"] = "EVDisconnected"
    return {"eventType": kind, "timestamp": ts(minute), "seqNo": seq, "triggerReason": trigger,
            "transactionInfo": info, "evse": {"id": 1, "connectorId": 1}, **extra}  # fmt: skip


def sampled_16(minute: int, wh: str, context: str, signed: str | None) -> list[Any]:
    values: list[dict[str, str]] = [{"value": wh, "unit": "Wh", "measurand": REGISTER,
                                     "context": context}]  # fmt: skip
    if signed is not None:
        values.append({"value": signed, "format": "SignedData", "measurand": REGISTER,
                       "context": context})  # fmt: skip
    return [{"timestamp": ts(minute), "sampledValue": values}]


async def summary_becomes(http: httpx.AsyncClient, csms_id: int, status: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        response = await http.get(f"/api/v1/transactions/{csms_id}")
        if response.status_code != 200:
            return None
        body: dict[str, Any] = response.json()
        done = body["status"] == "completed" and body["signed_meter_values"]["status"] == status
        return body if done else None

    found: dict[str, Any] = await eventually(probe, timeout=60)
    return found


async def verdicts(http: httpx.AsyncClient, csms_id: int) -> list[dict[str, Any]]:
    page = (await http.get(f"/api/v1/transactions/{csms_id}/signed-meter-values")).json()
    items: list[dict[str, Any]] = page["items"]
    return items


async def transaction_ids(http: httpx.AsyncClient, station_id: str, count: int) -> list[int]:
    async def probe() -> list[int] | None:
        params = {"station_id": station_id, "status": "completed"}
        items = (await http.get("/api/v1/transactions", params=params)).json()["items"]
        by_wire = sorted((t["transaction_id"], t["id"]) for t in items)
        return [i for _, i in by_wire] if len(by_wire) == count else None

    found: list[int] = await eventually(probe, timeout=60)
    return found


async def test_ocpp201_records_with_their_key_in_the_frame(stack: ServiceSet,
                                                           settings: Settings) -> None:  # fmt: skip
    """SMV-A: signed and keyed in the frame → verified (frame key); SMV-B: a value altered
    after signing → invalid; SMV-C: no key anywhere → unverifiable, until the meter's key is
    registered (verified by it), and again after it is removed."""
    key = der(METER)
    sessions = {
        "SMV-A": (ocmf("1.0", "B"), ocmf("2.5", "E")),
        "SMV-B": (ocmf("1.0", "B"), ocmf("2.5", "E", shown="2.0")),
        "SMV-C": (ocmf("1.0", "B"), ocmf("2.5", "E")),
    }
    async with connect_station(settings.gateway_port, "CS-SMV201", "ocpp2.0.1") as ws:
        cs = Station(ws)
        assert (await cs.result("BootNotification", BOOT_201, timeout=90))["status"] == "Accepted"
        for n, (txn, (begin, end)) in enumerate(sessions.items()):
            frame_key = None if txn == "SMV-C" else key
            plain_end = 2000 if txn == "SMV-B" else 2500  # what the tampered record now claims
            await cs.result("TransactionEvent", tx_event("Started", 0, 10 * n, txn, meterValue=
                            sampled_201(10 * n, 1000, "Transaction.Begin", smv(begin, frame_key))))
            await cs.result("TransactionEvent", tx_event("Ended", 1, 10 * n + 5, txn, meterValue=
                            sampled_201(10 * n + 5, plain_end, "Transaction.End",
                                        smv(end, frame_key))))  # fmt: skip

    async with api_client(settings) as http:
        a, b, c = await transaction_ids(http, "CS-SMV201", 3)
        verified = await summary_becomes(http, a, "verified")
        invalid = await summary_becomes(http, b, "invalid")
        unverifiable = await summary_becomes(http, c, "unverifiable")
        a_values, b_values = await verdicts(http, a), await verdicts(http, b)

        put = await http.put("/api/v1/stations/CS-SMV201/meter-keys/meter-1",
                             json={"public_key": key.hex(), "meter_serial": "MTR-1"})
        assert put.status_code == 201, put.text
        now_verified = await summary_becomes(http, c, "verified")
        c_values = await verdicts(http, c)
        deleted = await http.delete("/api/v1/stations/CS-SMV201/meter-keys/meter-1")
        back = await summary_becomes(http, c, "unverifiable")
        a_after = await verdicts(http, a)

    assert verified["signed_meter_values"] == {"status": "verified", "verified": 2, "invalid": 0,
                                               "unverifiable": 0}  # fmt: skip
    assert [(v["verdict"], v["key_source"], v["context"]) for v in a_values] == [
        ("verified", "frame", "Transaction.Begin"), ("verified", "frame", "Transaction.End")]
    assert a_values[1]["signed_reading"] == "2.5 kWh" and a_values[1]["meter_serial"] == "MTR-1"
    assert a_values[0]["seq"] == 0 and a_values[0]["source"] == "TransactionEvent"
    assert invalid["signed_meter_values"]["invalid"] == 1
    assert [v["verdict"] for v in b_values] == ["verified", "invalid"]
    assert "does not verify against the key in the frame" in b_values[1]["reason"]
    assert unverifiable["signed_meter_values"]["unverifiable"] == 2
    assert now_verified["signed_meter_values"]["verified"] == 2
    assert {(v["key_source"], v["key_id"]) for v in c_values} == {("registered", "meter-1")}
    assert deleted.status_code == 204 and back["signed_meter_values"]["unverifiable"] == 2
    assert {v["key_source"] for v in a_after} == {"frame"}
    await audited(stack, settings, "CS-SMV201", [a, b, c])


async def test_ocpp16_signed_data_with_a_registered_key(stack: ServiceSet,
                                                        settings: Settings) -> None:  # fmt: skip
    """1.6 SignedData beside the plain values: verified by the registered key; a record signed
    by another meter is invalid; a plain value that disagrees with its signed reading is
    invalid; a transaction of plain values only is unsigned."""
    async with api_client(settings) as http:
        bad = await http.put("/api/v1/stations/CP-SMV16/meter-keys/evse-1",
                             json={"public_key": "30AB"})  # fmt: skip
        put = await http.put("/api/v1/stations/CP-SMV16/meter-keys/evse-1",
                             json={"public_key": base64.b64encode(der(METER)).decode(),
                                   "evse_id": 1})  # fmt: skip
        listed = (await http.get("/api/v1/stations/CP-SMV16/meter-keys")).json()
        missing = await http.get("/api/v1/stations/CP-SMV16/meter-keys/nope")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "public_key"]
    assert put.status_code == 201, put.text
    assert put.json()["public_key"] == der(METER).hex().upper() and put.json()["evse_id"] == 1
    assert [k["key_id"] for k in listed["items"]] == ["evse-1"] and missing.status_code == 404

    plans = [  # (begin record, end record, plain end Wh)
        (ocmf("1.0", "B"), ocmf("2.5", "E"), "2500"),
        (ocmf("1.0", "B"), ocmf("2.5", "E", by=ROGUE), "2500"),
        (ocmf("1.0", "B"), ocmf("2.5", "E"), "2800"),
        (None, None, "2500"),
    ]
    ids = []
    async with connect_station(settings.gateway_port, "CP-SMV16", "ocpp1.6") as ws:
        cp = Station(ws)
        assert (await cp.result("BootNotification", BOOT_16, timeout=90))["status"] == "Accepted"
        for n, (begin, end, plain_end) in enumerate(plans):
            start = await cp.result("StartTransaction", {
                "connectorId": 1, "idTag": "SMV-TAG", "meterStart": 1000, "timestamp": ts(10 * n)})
            txn = start["transactionId"]
            ids.append(txn)
            assert await cp.result("MeterValues", {"connectorId": 1, "transactionId": txn,
                                   "meterValue": sampled_16(10 * n, "1000", "Transaction.Begin",
                                                            begin)}) == {}  # fmt: skip
            await cp.result("StopTransaction", {
                "transactionId": txn, "meterStop": int(plain_end), "timestamp": ts(10 * n + 5),
                "reason": "EVDisconnected",
                "transactionData": sampled_16(10 * n + 5, plain_end, "Transaction.End", end)})

    async with api_client(settings) as http:
        ok = await summary_becomes(http, ids[0], "verified")
        rogue = await summary_becomes(http, ids[1], "invalid")
        disagrees = await summary_becomes(http, ids[2], "invalid")
        plain = await summary_becomes(http, ids[3], "unsigned")
        ok_values, disagreeing = await verdicts(http, ids[0]), await verdicts(http, ids[2])
        rogue_values, plain_values = await verdicts(http, ids[1]), await verdicts(http, ids[3])

    assert ok["signed_meter_values"]["verified"] == 2
    assert [(v["key_source"], v["key_id"], v["source"]) for v in ok_values] == [
        ("registered", "evse-1", "MeterValues"), ("registered", "evse-1", "StopTransaction")]
    assert ok_values[0]["signed_data"].startswith("OCMF|")
    assert ok_values[0]["plain_value"] == "1000" and ok_values[0]["seq"] == 1
    assert rogue["signed_meter_values"] == {"status": "invalid", "verified": 1, "invalid": 1,
                                            "unverifiable": 0}  # fmt: skip
    assert "registered key 'evse-1'" in rogue_values[1]["reason"]
    assert disagrees["signed_meter_values"]["invalid"] == 1
    assert "disagrees with the plain value 2800 Wh" in disagreeing[1]["reason"]
    assert plain["signed_meter_values"]["status"] == "unsigned" and plain_values == []
    await audited(stack, settings, "CP-SMV16", ids)
