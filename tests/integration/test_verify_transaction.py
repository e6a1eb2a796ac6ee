"""``csms audit verify-transaction`` end to end on the real stack: a 1.6 and a 2.0.1 session
re-derive from their frames to the recorded events and the read model; an event written
again into the events log with a wrong value is reported, frame and field named
(docs/AUDIT.md, "Re-derivation")."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from aiokafka import AIOKafkaProducer

from api.frames_log import LogReader, Position
from csms.config import Settings
from schemas.events import TransactionEnded, decode_event
from schemas.topics import Topics
from tests.integration.test_billing import run_session
from tests.integration.test_sessions import eventually
from tests.services import ServiceSet, api_client
from tests.stations import AnsweringStation, connect_station

pytestmark = pytest.mark.integration

BOOT_16 = {"chargePointVendor": "V", "chargePointModel": "M"}


async def accept(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": "Accepted"}


async def session_16(settings: Settings, station_id: str) -> None:
    async with connect_station(settings.gateway_port, station_id, "ocpp1.6") as ws:
        cs = AnsweringStation(ws, accept)
        assert (await cs.call("BootNotification", BOOT_16, timeout=90))[2]["status"] == "Accepted"
        started = await cs.call("StartTransaction", {
            "connectorId": 1, "idTag": "VT-TAG", "meterStart": 1000,
            "timestamp": "2026-11-03T16:43:00Z"})  # fmt: skip
        txn = started[2]["transactionId"]
        for n in range(4):
            reply = await cs.call("MeterValues", {"connectorId": 1, "transactionId": txn,
                                                  "meterValue": [{
                "timestamp": f"2026-11-03T16:5{n}:00Z", "sampledValue": [
                    {"value": str(1500 + 700 * n), "measurand": "Energy.Active.Import.Register",
                     "unit": "Wh"}]}]})  # fmt: skip
            assert reply[0] == 3, reply
        stopped = await cs.call("StopTransaction", {"transactionId": txn, "meterStop": 4200,
                                                    "timestamp": "2026-11-03T17:10:00Z"})
        assert stopped[0] == 3, stopped
        await cs.close()


async def transaction_of(settings: Settings, station_id: str) -> int:
    async with api_client(settings) as http:
        async def ended() -> int | None:
            page = (await http.get("/api/v1/transactions",
                                   params={"station_id": station_id})).json()  # fmt: skip
            items = [t for t in page["items"] if t["status"] == "completed"]
            return int(items[0]["id"]) if items else None

        found: int = await eventually(ended)
        return found


async def indexed(settings: Settings, transaction_pk: int, at_least: int) -> int:
    async def count() -> int | None:
        async with await psycopg.AsyncConnection.connect(settings.libpq_url) as db:
            cur = await db.execute("SELECT count(*) FROM public.frame_events"
                                   " WHERE transaction_pk = %s", (transaction_pk,))  # fmt: skip
            row = await cur.fetchone()
        n = int(row[0]) if row else 0
        return n if n >= at_least else None

    found: int = await eventually(count)
    return found


def verify(stack: ServiceSet, transaction_pk: int) -> dict[str, Any]:
    try:
        output = stack.csms("audit", "verify-transaction", str(transaction_pk), "--json")
    except AssertionError as e:  # exit 1: not verified; its JSON is in the output
        text = str(e)
        output = text[text.index("{"):]
    # The report is the first JSON document (log lines of the command may follow it).
    report, _ = json.JSONDecoder().raw_decode(output[output.index("{"):])
    assert isinstance(report, dict)
    return report


async def test_a_16_and_a_201_session_rederive_from_their_frames(
    stack: ServiceSet, settings: Settings,
) -> None:
    await session_16(settings, "VT-16")
    await run_session(settings, "VT-201", "VT-201-TX", datetime(2026, 11, 3, 17, tzinfo=UTC))
    for station, events in (("VT-16", 6), ("VT-201", 5)):
        txn = await transaction_of(settings, station)
        await indexed(settings, txn, events)
        report = verify(stack, txn)
        assert report["event_differences"] == [] and report["row_differences"] == [], report
        assert report["station_id"] == station and report["frames"] >= events - 1, report
        assert report["events"] >= events, report


async def test_an_event_written_again_with_a_wrong_value_is_reported(
    stack: ServiceSet, settings: Settings,
) -> None:
    await session_16(settings, "VT-FORGED")
    txn = await transaction_of(settings, "VT-FORGED")
    count = await indexed(settings, txn, 6)
    async with await psycopg.AsyncConnection.connect(settings.libpq_url) as db:
        cur = await db.execute("SELECT event_topic, event_partition, event_offset FROM"
                               " public.frame_events WHERE transaction_pk = %s AND type = %s",
                               (txn, TransactionEnded.type_name))  # fmt: skip
        position = await cur.fetchone()
    assert position is not None
    original = await _read(settings, *position)
    ended = decode_event(original)
    assert isinstance(ended.data, TransactionEnded)
    forged = ended.model_copy(update={"data": ended.data.model_copy(
        update={"meter_stop_wh": 9999.0})})  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(Topics(settings.topic_prefix).events, forged.encode(),
                                     key=b"VT-FORGED")  # fmt: skip
    finally:
        await producer.stop()
    await indexed(settings, txn, count + 1)
    report = verify(stack, txn)
    [difference] = report["event_differences"]
    assert difference["kind"] == "extra" and difference["type"] == TransactionEnded.type_name
    assert difference["causation_id"] == ended.causation_id
    assert difference["fields"] == {"data.meter_stop_wh": [9999.0, 4200.0]}, difference


async def _read(settings: Settings, topic: str, partition: int, offset: int) -> bytes:
    reader = LogReader(settings.bootstrap)
    try:
        found = await reader.read([Position(topic, partition, offset)])
    finally:
        await reader.close()
    return found[Position(topic, partition, offset)]


async def audited(stack: ServiceSet, settings: Settings, station_id: str,
                  transactions: list[int]) -> None:  # fmt: skip
    """Every audit check of a station's transactions passes: each timeline holds its frames
    (raw text, verdicts, caused events), each re-derives from its frames, and the station's
    hash chain verifies against its signed checkpoints."""
    async with api_client(settings) as http:
        for txn in transactions:
            await indexed(settings, txn, 2)
            page = (await http.get(f"/api/v1/transactions/{txn}/timeline")).json()
            calls = [f for f in page["frames"] if f["direction"] == "in" and f["events"]]
            assert calls and all(f["raw"] and f["verdict"] == "ok" for f in page["frames"]), page
            report = verify(stack, txn)
            assert report["ok"] is True, report
    chain = json.loads(stack.csms("audit", "verify", "--station", station_id, "--json"))
    assert chain["ok"] is True, chain
