"""The Pipe against the clock and against crashes, on a stack of its own (short response
timeout, fast ticks, short group session so a killed processor is replaced quickly):
timeout then late answer, expiry of queued calls, and a processor SIGKILLed mid-queue
neither loses nor repeats a call."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from csms.config import Settings
from tests.integration.test_calls import accept, final, online, out_frames, post_call
from tests.isolation import isolated_deployment
from tests.services import ServiceSet, api_client

pytestmark = pytest.mark.integration

RESPONSE_TIMEOUT_S = 2.0


@pytest.fixture(scope="module")
def timing_settings(base_settings: Settings) -> Iterator[Settings]:
    with isolated_deployment(
        base_settings, heartbeat_interval_s=120, call_response_timeout_s=RESPONSE_TIMEOUT_S,
        pipe_tick_interval_s=0.2, processor_session_timeout_s=6,
    ) as isolated:  # fmt: skip
        yield isolated


@pytest.fixture(scope="module")
def timing_stack(timing_settings: Settings,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceSet]:  # fmt: skip
    with ServiceSet.running(timing_settings, tmp_path_factory.mktemp("timing-logs")) as services:
        yield services


async def test_timeout_then_late_answer_is_recorded_and_the_next_call_proceeds(
    timing_stack: ServiceSet, timing_settings: Settings
) -> None:
    settings = timing_settings
    async with online(settings, "T-16-LATE", "ocpp1.6") as station, api_client(settings) as http:
        slow = await post_call(http, "T-16-LATE", "GetConfiguration",
                               {"key": ["HeartbeatInterval"]})  # fmt: skip
        nxt = await post_call(http, "T-16-LATE", "ClearCache", {})
        assert (await station.next_call())[1] == slow["id"]
        timed_out = await final(http, slow["id"], wait=RESPONSE_TIMEOUT_S + 15)
        # the next call went out once the first timed out
        assert (await station.next_call())[1] == nxt["id"]
        await station.answer(slow["id"], {"configurationKey": [
            {"key": "HeartbeatInterval", "readonly": False, "value": "300"}]})
        await station.answer(nxt["id"], {"status": "Accepted"})
        answered = await final(http, nxt["id"])
        late = await _until(http, slow["id"], lambda c: c["response"] is not None)
    assert timed_out["status"] == "timed_out" and timed_out["response"] is None
    assert "no answer within 2 s" in timed_out["status_reason"]
    assert late["status"] == "timed_out" and late["late"] is True
    assert late["response"]["configurationKey"][0]["value"] == "300"
    assert answered["status"] == "answered" and answered["late"] is False


async def _until(http: Any, call_id: str, condition: Any, timeout: float = 30) -> dict[str, Any]:
    for _ in range(int(timeout * 10)):
        body: dict[str, Any] = (await http.get(f"/api/v1/calls/{call_id}")).json()
        if condition(body):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"call {call_id} never reached the condition: {body}")


async def test_queued_calls_expire_while_the_station_is_offline(
    timing_stack: ServiceSet, timing_settings: Settings
) -> None:
    settings = timing_settings
    async with online(settings, "T-201-EXP", "ocpp2.0.1", accept):
        pass
    async with api_client(settings) as http:
        await asyncio.sleep(1)  # the disconnect reaches the processor
        short = await post_call(http, "T-201-EXP", "ClearCache", {}, expires_in_s=1)
        lasting = await post_call(http, "T-201-EXP", "GetLocalListVersion", {})
        expired = await final(http, short["id"], wait=20)
        async with online(settings, "T-201-EXP", "ocpp2.0.1", accept) as station:
            delivered = await final(http, lasting["id"])
    assert expired["status"] == "expired" and expired["sent_at"] is None
    assert delivered["status"] == "answered"
    assert [c[1] for c in station.calls_received] == [lasting["id"]]


# Three SIGKILLs while calls are in flight and queued: each restart restores the Pipe from
# the table changelogs committed with the offsets (docs/CALLS.md, "Exactly once").
KILLS_AFTER_ANSWERS = (5, 11, 17)


async def test_processor_killed_mid_queue_loses_no_call_and_sends_none_twice(
    timing_stack: ServiceSet, timing_settings: Settings
) -> None:
    settings = timing_settings
    answered = 0

    async def slow_accept(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        nonlocal answered
        await asyncio.sleep(0.1)
        answered += 1
        return {"status": "Accepted"}

    n = 30
    async with online(settings, "T-16-KILL", "ocpp1.6", slow_accept) as station, \
            api_client(settings) as http:  # fmt: skip
        posted = await asyncio.gather(*(
            post_call(http, "T-16-KILL", "ChangeConfiguration", {"key": f"K{i}", "value": str(i)})
            for i in range(n)))  # fmt: skip
        killed_at: list[int] = []
        for threshold in KILLS_AFTER_ANSWERS:
            for _ in range(12_000):  # 120 s: a Pipe that stalls fails the test, never hangs it
                if answered >= threshold:
                    break
                await asyncio.sleep(0.01)
            assert answered >= threshold, (
                f"the station got {answered} calls, then none (kills after {killed_at}): "
                + str([(c["id"], c["status"]) for c in
                       [(await http.get(f"/api/v1/calls/{p['id']}")).json() for p in posted]]))
            timing_stack.stop("processor", kill=True)
            killed_at.append(answered)
            timing_stack.start("processor")
        results = [await _until(http, c["id"], lambda c: c["status"] not in ("queued", "sent"),
                                timeout=120) for c in posted]  # fmt: skip
    assert killed_at[-1] < n - 5, f"the queue had (nearly) drained before the kills {killed_at}"
    assert [r["status"] for r in results] == ["answered"] * n, [r["status"] for r in results]
    ids = [c["id"] for c in posted]
    received = [c[1] for c in station.calls_received]
    assert sorted(received) == sorted(ids)  # each call reached the station exactly once
    by_sent = sorted(results, key=lambda r: r["sent_at"])
    assert received == [r["id"] for r in by_sent]  # one at a time, in the Pipe's order
    sent = await out_frames(settings)
    assert {i: sent.get(i) for i in ids} == dict.fromkeys(ids, 1)
