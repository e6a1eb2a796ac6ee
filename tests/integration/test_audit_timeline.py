"""The replay of a transaction end to end on the real stack: a 1.6 and a 2.0.1 session go
through the gateway, the processor and the audit projection's index; their timelines
(API and ``csms audit transaction``) hold every frame of the transaction in log order,
raw text as sent, each station call followed by its answer, each frame with its events,
then the transaction's row; the station's frames page by seq (docs/AUDIT.md, "The index
and the replay of a transaction")."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from csms.config import Settings
from tests.integration.test_sessions import eventually, tx_event
from tests.services import ServiceSet, api_client
from tests.stations import BOOT_16, BOOT_201, Station, connect_station

pytestmark = pytest.mark.integration

Sent = list[tuple[str, list[Any]]]
"""What a station sent (raw text) and what it was answered (the parsed frame)."""
Sessions = dict[str, tuple[Sent, int]]


async def _call(station: Station, sent: Sent, action: str, payload: dict[str, Any]) -> list[Any]:
    reply = await station.call(action, payload, timeout=90)
    assert reply[0] == 3, f"{action} answered {reply}"
    # tests.stations.Station sends json.dumps([2, id, action, payload]): the same text.
    sent.append((json.dumps([2, reply[1], action, payload]), reply))
    return reply


def _meter_16(txn: int, n: int) -> dict[str, Any]:
    return {"connectorId": 1, "transactionId": txn, "meterValue": [{
        "timestamp": f"2026-02-01T10:0{n}:00Z", "sampledValue": [
            {"value": str(1000 + 500 * n), "measurand": "Energy.Active.Import.Register",
             "unit": "Wh"}]}]}  # fmt: skip


async def session_16(settings: Settings, station_id: str) -> Sent:
    """Boot and a Heartbeat (not the transaction's), then start, 3 MeterValues, stop."""
    sent: Sent = []
    async with connect_station(settings.gateway_port, station_id, "ocpp1.6") as ws:
        cp = Station(ws)
        await _call(cp, [], "BootNotification", BOOT_16)
        started = await _call(cp, sent, "StartTransaction", {
            "connectorId": 1, "idTag": "AUDIT-TAG", "meterStart": 1000,
            "timestamp": "2026-02-01T10:00:00Z"})  # fmt: skip
        txn = started[2]["transactionId"]
        for n in range(1, 4):
            await _call(cp, sent, "MeterValues", _meter_16(txn, n))
        await _call(cp, [], "Heartbeat", {})
        await _call(cp, sent, "StopTransaction", {"transactionId": txn, "meterStop": 2600,
                                                  "timestamp": "2026-02-01T10:05:00Z"})
    return sent


async def session_201(settings: Settings, station_id: str) -> Sent:
    sent: Sent = []
    token = {"idToken": "AUDIT-TAG", "type": "ISO14443"}
    async with connect_station(settings.gateway_port, station_id, "ocpp2.0.1") as ws:
        cs = Station(ws)
        await _call(cs, [], "BootNotification", BOOT_201)
        await _call(cs, sent, "TransactionEvent", tx_event(
            "Started", 0, 1, txn="AUDIT-201", trigger="Authorized", idToken=token,
            evse={"id": 1, "connectorId": 1}))  # fmt: skip
        for seq in (1, 2):
            await _call(cs, sent, "TransactionEvent", tx_event("Updated", seq, 1 + seq,
                                                               txn="AUDIT-201"))  # fmt: skip
        await _call(cs, sent, "TransactionEvent", tx_event(
            "Ended", 3, 5, txn="AUDIT-201", trigger="StopAuthorized",
            info={"stoppedReason": "Local"}))  # fmt: skip
    return sent


async def _transaction(http: httpx.AsyncClient, station_id: str) -> int:
    async def completed() -> int | None:
        page = (await http.get("/api/v1/transactions", params={
            "station_id": station_id, "status": "completed"})).json()  # fmt: skip
        return int(page["items"][0]["id"]) if page["items"] else None

    found: int = await eventually(completed, timeout=60)
    return found


async def _timeline(http: httpx.AsyncClient, pk: int, frames: int) -> dict[str, Any]:
    """The timeline once the index holds ``frames`` frames of it and its row is complete."""
    async def indexed() -> dict[str, Any] | None:
        response = await http.get(f"/api/v1/transactions/{pk}/timeline")
        if response.status_code != 200:
            return None
        body: dict[str, Any] = response.json()
        end = body["end"] or {}
        done = (len(body["frames"]) >= frames and end.get("transaction") is not None
                and end["transaction"]["status"] == "completed")  # fmt: skip
        return body if done else None

    found: dict[str, Any] = await eventually(indexed, timeout=90)
    return found


def _assert_replays(timeline: dict[str, Any], sent: Sent, pk: int) -> None:
    """Every call sent, in order, each followed by its answer; raw text as on the wire."""
    frames = timeline["frames"]
    assert len(frames) == 2 * len(sent) == timeline["total"], [f["raw"] for f in frames]
    for (raw, reply), call, answer in zip(sent, frames[::2], frames[1::2], strict=True):
        assert (call["direction"], call["message_type"], call["raw"]) == ("in", 2, raw)
        assert (answer["direction"], answer["message_type"]) == ("out", 3)
        assert json.loads(answer["raw"]) == reply
        assert call["message_id"] == answer["message_id"] == reply[1]
        assert call["verdict"] == answer["verdict"] == "ok"
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    for call in frames[::2]:
        assert call["events"], f"{call['action']} caused no event"
        assert all(e["event_id"] and e["position"] for e in call["events"])
    assert timeline["end"]["transaction"]["id"] == pk
    assert timeline["next_cursor"] is None


def _types(timeline: dict[str, Any]) -> list[list[str]]:
    return [[e["type"] for e in f["events"]] for f in timeline["frames"][::2]]


@pytest.fixture(scope="module")
async def sessions(stack: ServiceSet, settings: Settings) -> Sessions:
    sent = {"AUDIT-TL-16": await session_16(settings, "AUDIT-TL-16"),
            "AUDIT-TL-201": await session_201(settings, "AUDIT-TL-201")}  # fmt: skip
    async with api_client(settings) as http:
        return {s: (calls, await _transaction(http, s)) for s, calls in sent.items()}


async def test_a_16_timeline_replays_the_session(settings: Settings, sessions: Sessions) -> None:
    sent, pk = sessions["AUDIT-TL-16"]
    async with api_client(settings) as http:
        timeline = await _timeline(http, pk, 2 * len(sent))
    _assert_replays(timeline, sent, pk)
    types = _types(timeline)
    assert "TransactionStarted" in types[0] and "TransactionEnded" in types[-1]
    assert all("MeterValuesReported" in t for t in types[1:4]), types
    started = next(e for e in timeline["frames"][0]["events"] if e["type"] == "TransactionStarted")
    assert started["data"]["id"] == pk and started["data"]["meter_start_wh"] == 1000


async def test_a_201_timeline_replays_the_session(settings: Settings,
                                                  sessions: Sessions) -> None:  # fmt: skip
    sent, pk = sessions["AUDIT-TL-201"]
    async with api_client(settings) as http:
        timeline = await _timeline(http, pk, 2 * len(sent))
    _assert_replays(timeline, sent, pk)
    types = _types(timeline)
    assert "TransactionStarted" in types[0] and "TransactionEnded" in types[-1], types
    assert timeline["end"]["transaction"]["transaction_id"] == "AUDIT-201"


async def test_the_cli_prints_the_same_timeline(stack: ServiceSet, settings: Settings,
                                                sessions: Sessions) -> None:  # fmt: skip
    sent, pk = sessions["AUDIT-TL-16"]
    async with api_client(settings) as http:
        timeline = await _timeline(http, pk, 2 * len(sent))
    printed = json.loads(stack.csms("audit", "transaction", str(pk), "--json"))
    assert printed["frames"] == timeline["frames"]
    assert printed["end"]["transaction"] == timeline["end"]["transaction"]
    text = stack.csms("audit", "transaction", str(pk))
    assert text.count("\n#") == len(timeline["frames"]) and "transaction row:" in text
    assert sent[0][0] in text


async def test_station_frames_page_by_seq(settings: Settings, sessions: Sessions) -> None:
    sent, pk = sessions["AUDIT-TL-16"]
    async with api_client(settings) as http:
        await _timeline(http, pk, 2 * len(sent))
        url = "/api/v1/stations/AUDIT-TL-16/frames"

        async def closed() -> dict[str, Any] | None:  # the disconnection indexed too
            body: dict[str, Any] = (await http.get(url, params={"limit": 1000})).json()
            return body if body["items"][-1]["kind"] == "disconnected" else None

        whole = await eventually(closed)
        pages, cursor = [], 0
        while cursor is not None:
            page = (await http.get(url, params={"limit": 3, "cursor": cursor})).json()
            pages += page["items"]
            cursor = page["next_cursor"]
    items = whole["items"]
    assert pages == items
    assert [f["seq"] for f in items] == list(range(1, len(items) + 1))
    assert items[0]["kind"] == "connected" and items[-1]["kind"] == "disconnected"
    calls = [f["raw"] for f in items if f["direction"] == "in" and f["kind"] == "frame"]
    assert [raw for raw, _ in sent] == [r for r in calls if "Boot" not in r and "Heartbeat"
                                        not in r]  # fmt: skip


async def test_unknown_transaction(stack: ServiceSet, settings: Settings,
                                   sessions: Sessions) -> None:  # fmt: skip
    async with api_client(settings) as http:
        response = await http.get("/api/v1/transactions/987654321/timeline")
    assert response.status_code == 404
    with pytest.raises(AssertionError, match="exited 1"):
        stack.csms("audit", "transaction", "987654321")
