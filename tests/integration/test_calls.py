"""CSMS-initiated calls end to end on the real broker and database: API → commands
log → processor (the Pipe) → gateway → simulated station → frames log → processor → events
→ projector → ``calls`` read model → API."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from csms.config import Settings
from schemas.topics import Topics
from tests.integration.kafka_reading import read_all
from tests.services import ServiceSet, api_client
from tests.stations import BOOT_16, BOOT_201, AnsweringStation, Responder, connect_station

pytestmark = pytest.mark.integration

BOOTS: dict[str, dict[str, Any]] = {"ocpp1.6": BOOT_16, "ocpp2.0.1": BOOT_201}


@asynccontextmanager
async def online(
    settings: Settings, station_id: str, version: str, responder: Responder | None = None
) -> AsyncIterator[AnsweringStation]:
    """A connected, booted station that answers with ``responder`` (None: the test does)."""
    async with connect_station(settings.gateway_port, station_id, version) as ws:
        station = AnsweringStation(ws, responder)
        boot = await station.call("BootNotification", BOOTS[version], timeout=90)
        assert boot[2]["status"] == "Accepted", boot
        await _visible(settings, station_id)
        try:
            yield station
        finally:
            await station.close()


async def _visible(settings: Settings, station_id: str) -> None:
    """Until the read model shows the station connected (the API reads its version there;
    the boot reply does not wait for the projection)."""
    async with api_client(settings) as http:
        for _attempt in range(300):
            response = await http.get(f"/api/v1/stations/{station_id}")
            if response.status_code == 200 and response.json()["connected"]:
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"{station_id} never shown connected")


async def accept(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": "Accepted"}


async def post_call(http: httpx.AsyncClient, station_id: str, action: str,
                    payload: dict[str, Any], **extra: Any) -> dict[str, Any]:  # fmt: skip
    response = await http.post(f"/api/v1/stations/{station_id}/calls",
                               json={"action": action, "payload": payload, **extra})  # fmt: skip
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def final(http: httpx.AsyncClient, call_id: str, wait: float = 30) -> dict[str, Any]:
    response = await http.get(f"/api/v1/calls/{call_id}", params={"wait": wait})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def out_frames(settings: Settings) -> dict[str, int]:
    """How many times each CSMS call id was sent on the wire (frames log, direction out)."""
    counts: dict[str, int] = {}
    for record in await read_all(settings.bootstrap, Topics(settings.topic_prefix).frames):
        frame = json.loads(record.value or b"{}")
        if frame.get("direction") == "out" and frame.get("raw", "").startswith("[2,"):
            message_id = json.loads(frame["raw"])[1]
            counts[message_id] = counts.get(message_id, 0) + 1
    return counts


async def test_generic_call_is_sent_answered_and_recorded(stack: ServiceSet,
                                                          settings: Settings) -> None:  # fmt: skip
    async with online(settings, "CALL-16-A", "ocpp1.6", accept) as station, \
            api_client(settings) as http:  # fmt: skip
        call = await post_call(http, "CALL-16-A", "Reset", {"type": "Soft"})
        assert call["station_id"] == "CALL-16-A" and call["action"] == "Reset"
        done = await final(http, call["id"])
    assert done["status"] == "answered", done
    assert done["response"] == {"status": "Accepted"} and done["late"] is False
    assert done["sent_at"] is not None and done["answered_at"] is not None
    assert station.calls_received == [[2, call["id"], "Reset", {"type": "Soft"}]]
    assert (await out_frames(settings)).get(call["id"]) == 1


async def test_calls_queue_in_order_one_in_flight_while_station_calls_are_answered(
    stack: ServiceSet, settings: Settings
) -> None:
    async with online(settings, "CALL-16-Q", "ocpp1.6") as station, api_client(settings) as http:
        posted = [
            await post_call(http, "CALL-16-Q", "ChangeConfiguration",
                            {"key": f"Key{n}", "value": str(n)})
            for n in range(3)
        ]  # fmt: skip
        first = await station.next_call()
        assert first[1] == posted[0]["id"]
        # One in flight: nothing else arrives while the first is unanswered ...
        with pytest.raises(TimeoutError):
            await station.next_call(timeout=1.5)
        # ... and the station's own calls are answered meanwhile (independent directions).
        heartbeat = await station.call("Heartbeat", {}, timeout=10)
        assert heartbeat[0] == 3 and "currentTime" in heartbeat[2]
        queued = (await http.get(f"/api/v1/calls/{posted[2]['id']}")).json()
        assert queued["status"] == "queued" and queued["sent_at"] is None
        await station.answer(first[1], {"status": "Accepted"})
        for call in posted[1:]:
            frame = await station.next_call()
            assert frame[1] == call["id"]
            await station.answer(frame[1], {"status": "Accepted"})
        results = [await final(http, c["id"]) for c in posted]
        history = (await http.get("/api/v1/stations/CALL-16-Q/calls")).json()
    assert [r["status"] for r in results] == ["answered"] * 3
    assert [c[3]["key"] for c in station.calls_received] == ["Key0", "Key1", "Key2"]
    assert [r["sent_at"] for r in results] == sorted(r["sent_at"] for r in results)
    assert history["total"] == 3
    assert {c["id"] for c in history["items"]} == {c["id"] for c in posted}


async def test_call_error_rejects_the_call_and_the_next_proceeds(
    stack: ServiceSet, settings: Settings
) -> None:
    async def refuse_reset(action: str, payload: dict[str, Any]) -> Any:
        return ["NotSupported", "no resets here"] if action == "Reset" else {"status": "Accepted"}

    async with online(settings, "CALL-16-E", "ocpp1.6", refuse_reset), \
            api_client(settings) as http:  # fmt: skip
        reset = await post_call(http, "CALL-16-E", "Reset", {"type": "Hard"})
        cache = await post_call(http, "CALL-16-E", "ClearCache", {})
        rejected, answered = await final(http, reset["id"]), await final(http, cache["id"])
    assert rejected["status"] == "rejected" and rejected["response"] is None
    assert rejected["error"] == {"code": "NotSupported", "description": "no resets here",
                                 "details": {}}  # fmt: skip
    assert answered["status"] == "answered"


async def test_bad_calls_are_refused_before_queueing(stack: ServiceSet,
                                                     settings: Settings) -> None:  # fmt: skip
    async with online(settings, "CALL-201-V", "ocpp2.0.1", accept), \
            api_client(settings) as http:  # fmt: skip
        invalid = await http.post("/api/v1/stations/CALL-201-V/calls",
                                  json={"action": "Reset", "payload": {"type": "Hard"}})
        wrong_way = await http.post("/api/v1/stations/CALL-201-V/calls",
                                    json={"action": "BootNotification", "payload": {}})
        v16_only = await http.post("/api/v1/stations/CALL-201-V/calls",
                                   json={"action": "ChangeConfiguration",
                                         "payload": {"key": "a", "value": "b"}})  # fmt: skip
        unknown = await http.post("/api/v1/stations/NOPE-404/calls",
                                  json={"action": "Reset", "payload": {"type": "Immediate"}})
        missing = await http.get(f"/api/v1/calls/{uuid.uuid4()}")
        history = (await http.get("/api/v1/stations/CALL-201-V/calls")).json()
    assert invalid.status_code == 400
    assert invalid.json()["detail"]["code"] == "PropertyConstraintViolation"
    assert invalid.json()["detail"]["details"]["path"] == "payload.type"
    assert wrong_way.status_code == 400 and v16_only.status_code == 400
    assert unknown.status_code == 404 and missing.status_code == 404
    assert history["total"] == 0


async def test_offline_station_gets_its_queued_calls_when_it_reconnects(
    stack: ServiceSet, settings: Settings
) -> None:
    async with online(settings, "CALL-16-OFF", "ocpp1.6", accept):
        pass
    async with api_client(settings) as http:
        station_row = await _eventually_disconnected(http, "CALL-16-OFF")
        assert station_row["connected"] is False
        posted = [
            await post_call(http, "CALL-16-OFF", "TriggerMessage", {"requestedMessage": m})
            for m in ("Heartbeat", "StatusNotification")
        ]
        await asyncio.sleep(1)
        assert [(await http.get(f"/api/v1/calls/{c['id']}")).json()["status"]
                for c in posted] == ["queued", "queued"]  # fmt: skip
        async with online(settings, "CALL-16-OFF", "ocpp1.6", accept) as station:
            results = [await final(http, c["id"]) for c in posted]
    assert [r["status"] for r in results] == ["answered", "answered"]
    assert [c[1] for c in station.calls_received] == [c["id"] for c in posted]


async def _eventually_disconnected(http: httpx.AsyncClient, station_id: str) -> dict[str, Any]:
    for _ in range(100):
        body: dict[str, Any] = (await http.get(f"/api/v1/stations/{station_id}")).json()
        if body.get("connected") is False:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{station_id} still connected")


async def test_cancel_a_queued_call_but_not_a_sent_one(stack: ServiceSet,
                                                      settings: Settings) -> None:  # fmt: skip
    async with online(settings, "CALL-16-C", "ocpp1.6") as station, api_client(settings) as http:
        sent = await post_call(http, "CALL-16-C", "Reset", {"type": "Soft"})
        queued = await post_call(http, "CALL-16-C", "Reset", {"type": "Hard"})
        assert (await station.next_call())[1] == sent["id"]
        cancelled = await http.delete(f"/api/v1/calls/{queued['id']}")
        refused = await http.delete(f"/api/v1/calls/{sent['id']}")
        await station.answer(sent["id"], {"status": "Accepted"})
        answered = await final(http, sent["id"])
        again = await http.delete(f"/api/v1/calls/{queued['id']}")
        with pytest.raises(TimeoutError):
            await station.next_call(timeout=1.5)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert refused.status_code == 409 and "sent" in refused.json()["detail"]
    assert answered["status"] == "answered" and again.status_code == 409


async def test_answer_matching_no_call_is_recorded_and_harmless(
    stack: ServiceSet, settings: Settings
) -> None:
    async with online(settings, "CALL-201-U", "ocpp2.0.1", accept) as station, \
            api_client(settings) as http:  # fmt: skip
        await station.answer("never-asked", {"status": "Accepted"})
        call = await post_call(http, "CALL-201-U", "ClearCache", {})
        assert (await final(http, call["id"]))["status"] == "answered"
    events = [json.loads(r.value or b"{}")
              for r in await read_all(settings.bootstrap, Topics(settings.topic_prefix).events)]
    unmatched = [e for e in events if e["type"] == "UnmatchedCallAnswer"
                 and e["station_id"] == "CALL-201-U"]  # fmt: skip
    assert [e["data"] for e in unmatched] == [{"message_id": "never-asked",
                                               "response": {"status": "Accepted"}}]  # fmt: skip
