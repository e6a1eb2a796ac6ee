"""Bad input on a live gateway: each refused frame is closed or answered as OCPP-J and
RFC 6455 say, and logged with its verdict. The gateway runs on topics of its own (no
processor), so every answer seen here is the gateway's."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection as SyncConnection
from websockets.sync.client import connect as sync_connect
from websockets.typing import Subprotocol

import ocpp
from csms.config import Settings
from infra.topics import create_all
from ingest.gateway import Gateway
from schemas.envelopes import FrameRecord, RecordKind
from tests.integration.gateways import gateway_settings, running_gateway, wait_frames
from tests.isolation import free_port
from tests.services import ServiceSet
from tests.stations import connect_station, station_url

pytestmark = pytest.mark.integration

MAX_FRAME = 4096


@pytest.fixture(scope="module")
async def gw(settings: Settings) -> AsyncIterator[Gateway]:
    prefix = f"{settings.topic_prefix}-bad{uuid.uuid4().hex[:4]}"
    async with running_gateway(
        settings,
        topic_prefix=prefix,
        gateway_open_mode=True,
        gateway_max_frame_bytes=MAX_FRAME,
        gateway_rate_limit_per_s=5,
        gateway_rate_limit_burst=5,
    ) as gateway:
        yield gateway


def log_topic(gw: Gateway) -> str:
    return gw.frames_log.topic


async def records(
    settings: Settings, gw: Gateway, station_id: str, count: int
) -> list[FrameRecord]:
    return await wait_frames(
        settings, lambda r: r.station_id == station_id, count, topic=log_topic(gw)
    )


async def closed(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    return ws.close_code


async def test_oversized_frame_is_closed_1009(settings: Settings, gw: Gateway) -> None:
    async with connect_station(gw.port, "CP-BIG", "ocpp1.6") as ws:
        await ws.send(json.dumps([2, "1", "DataTransfer", {"vendorId": "x" * MAX_FRAME}]))
        assert await closed(ws) == 1009
    frame = [r for r in await records(settings, gw, "CP-BIG", 3) if r.kind is RecordKind.FRAME]
    assert frame[0].verdict.startswith("MessageTooBig") and frame[0].verdict.endswith("closed 1009")


async def test_binary_frame_is_closed_1003(settings: Settings, gw: Gateway) -> None:
    async with connect_station(gw.port, "CP-BIN", "ocpp1.6") as ws:
        await ws.send(b"\x00\x01binary")
        assert await closed(ws) == 1003
    frame = [r for r in await records(settings, gw, "CP-BIN", 3) if r.kind is RecordKind.FRAME]
    assert frame[0].raw == "AAFiaW5hcnk=" and frame[0].verdict.startswith("BinaryFrame: 8 bytes")


async def test_invalid_utf8_is_closed_1007(settings: Settings, gw: Gateway) -> None:
    async with connect_station(gw.port, "CP-UTF", "ocpp1.6") as ws:
        await ws.send(b'[2,"1","Heartbeat",{"x":"\xff\xfe"}]', text=True)
        assert await closed(ws) == 1007
    frame = [r for r in await records(settings, gw, "CP-UTF", 3) if r.kind is RecordKind.FRAME]
    assert frame[0].verdict.startswith("InvalidUtf8") and frame[0].verdict.endswith("closed 1007")


@pytest.mark.parametrize(
    ("subprotocol", "frame", "expected"),
    [
        ("ocpp2.0.1", "not json", [4, "-1", "RpcFrameworkError"]),
        ("ocpp2.0.1", '[2,"a1","BootNotification",{}]', [4, "a1", "OccurrenceConstraintViolation"]),
        ("ocpp2.0.1", '[7,"a2"]', [4, "a2", "MessageTypeNotSupported"]),
        (
            "ocpp1.6",
            '[2,"b1","BootNotification",{"chargePointVendor":1,"chargePointModel":"m"}]',
            [4, "b1", "TypeConstraintViolation"],
        ),
        ("ocpp1.6", '[2,"b2","Heartbeat","x"]', [4, "b2", "FormationViolation"]),
    ],
)
async def test_malformed_ocpp_gets_the_right_call_error_and_the_connection_stays(
    settings: Settings, gw: Gateway, subprotocol: str, frame: str, expected: list[Any]
) -> None:
    station_id = f"CP-MAL-{uuid.uuid4().hex[:6]}"
    async with connect_station(gw.port, station_id, subprotocol) as ws:
        await ws.send(frame)
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert reply[:3] == expected
        await ws.send(frame)  # still open, still answered
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))[:3] == expected
    logged = [r for r in await records(settings, gw, station_id, 6) if r.kind is RecordKind.FRAME]
    inbound = [r for r in logged if r.direction == "in"]
    assert inbound[0].raw == frame and inbound[0].verdict.startswith(expected[2])
    assert next(r.raw for r in logged if r.direction == "out") == json.dumps(
        reply, separators=(",", ":")
    )


async def test_message_rate_limit_answers_then_closes(settings: Settings, gw: Gateway) -> None:
    async with connect_station(gw.port, "CP-CHATTY", "ocpp1.6") as ws:
        for n in range(5):  # the burst: logged, left to the processors (none here)
            await ws.send(json.dumps([2, f"ok{n}", "Heartbeat", {}]))
        await ws.send(json.dumps([2, "over", "Heartbeat", {}]))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert reply[:3] == [4, "over", "GenericError"] and "rate limit" in reply[3]
        for n in range(10):
            await ws.send(json.dumps([2, f"flood{n}", "Heartbeat", {}]))
        assert await closed(ws) == 1008
        assert ws.close_reason == "message rate limit exceeded"
    logged = await records(settings, gw, "CP-CHATTY", 10)
    verdicts = [r.verdict for r in logged if r.kind is RecordKind.FRAME and r.direction == "in"]
    assert verdicts[:5] == ["ok"] * 5 and verdicts[5].startswith("RateLimited")


async def test_reconnecting_does_not_reset_the_rate_limit(gw: Gateway) -> None:
    """The limit is per station: a flooding station that reconnects gets no fresh burst."""
    async with connect_station(gw.port, "CP-RECONNECT", "ocpp1.6") as ws:
        for n in range(20):
            await ws.send(json.dumps([2, f"flood{n}", "Heartbeat", {}]))
        assert await closed(ws) == 1008
    left = time.monotonic()
    async with connect_station(gw.port, "CP-RECONNECT", "ocpp1.6") as ws:
        for n in range(3):  # a fresh bucket (burst 5) would take all three
            await ws.send(json.dumps([2, f"again{n}", "Heartbeat", {}]))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        refilled = (time.monotonic() - left) * 5  # tokens back at 5/s since the close
    assert refilled < 2, "reconnecting took too long for this check"
    assert reply[0] == 4 and reply[2] == "GenericError" and "rate limit" in reply[3]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
OCPP_ISH = st.tuples(
    st.sampled_from([2, 3, 4, 5, "2"]),
    st.text(max_size=40),
    st.sampled_from(["Heartbeat", "BootNotification", "Authorize", "Nope", ""]),
    JSON,
).map(lambda t: json.dumps(list(t)))
FRAMES = st.one_of(st.text(max_size=200), JSON.map(json.dumps), OCPP_ISH)


@pytest.fixture(scope="module")
def fuzz_gateway_port(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    """A gateway *process* on topics of its own, so the sync fuzz test can block freely."""
    own = gateway_settings(
        settings,
        topic_prefix=f"{settings.topic_prefix}-fuzz",
        gateway_open_mode=True,
        gateway_port=free_port(),
        gateway_rate_limit_per_s=10_000.0,
        gateway_rate_limit_burst=10_000,
    )
    asyncio.run(create_all(own.kafka_topics))
    services = ServiceSet(own, tmp_path_factory.mktemp("fuzz-gw"))
    services.start("gateway")
    try:
        services.wait_port(own.gateway_port)
        yield own.gateway_port
        services.assert_alive()
    finally:
        services.stop_all()


@pytest.mark.parametrize("subprotocol", ["ocpp1.6", "ocpp2.0.1"])
def test_fuzzed_frames_get_exactly_the_answer_ocpp_prescribes(
    fuzz_gateway_port: int, subprotocol: str
) -> None:
    """Random frames at a live gateway: each gets exactly the CallError ``ocpp.parse``
    prescribes (or nothing), in order, on one connection that stays open; the gateway stays
    up. A marker frame after each fuzzed one (a Heartbeat with a non-object payload and a
    known id) shows where the answers to one frame end."""
    version = ocpp.OcppVersion(subprotocol)
    url = station_url(fuzz_gateway_port, f"CP-FUZZ-{subprotocol}")
    with sync_connect(url, subprotocols=[Subprotocol(subprotocol)], max_size=2**20) as ws:
        counter = itertools.count()

        @hyp_settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
        @given(frame=FRAMES)
        def one(frame: str) -> None:
            check_one(ws, version, frame, next(counter))

        one()
        assert next(counter) >= 300
    with sync_connect(
        station_url(fuzz_gateway_port, "CP-AFTER"), subprotocols=[Subprotocol(subprotocol)]
    ) as ws:
        ws.send('[2,"after","Heartbeat","x"]')
        assert json.loads(ws.recv(timeout=10))[1] == "after"


def check_one(ws: SyncConnection, version: ocpp.OcppVersion, frame: str, n: int) -> None:
    marker = f"marker-{n}"
    ws.send(frame)
    ws.send(json.dumps([2, marker, "Heartbeat", "not an object"]))
    parsed = ocpp.parse(frame, version)
    expected = parsed.to_call_error(version) if isinstance(parsed, ocpp.Rejection) else None
    answers = []
    while True:
        reply = json.loads(ws.recv(timeout=10))
        if reply[1] == marker:
            break
        answers.append(reply)
    want = [json.loads(ocpp.serialize(expected))] if expected is not None else []
    # The description is left out: ocpp/ renders some from a Python set, whose order
    # differs between processes (string hash randomisation); id, code and details do not.
    assert [_sans_description(a) for a in answers] == [_sans_description(w) for w in want], (
        frame,
        answers,
        want,
    )


def _sans_description(call_error: list[Any]) -> list[Any]:
    return call_error[:3] + call_error[4:]
