"""Connection lifecycle on a live gateway: replacement, keep-alive, graceful shutdown, and
two gateway processes routing replies through Kafka."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.exceptions import ConnectionClosed

from csms.config import Settings
from ingest.gateway import Gateway
from schemas.envelopes import Direction, FrameRecord, RecordKind
from tests.integration.gateways import gateway_settings, running_gateway, wait_frames
from tests.services import ServiceSet
from tests.stations import BOOT_16, Station, connect_station

pytestmark = pytest.mark.integration


def heartbeat(n: int) -> str:
    return json.dumps([2, f"hb-{n}", "Heartbeat", {}])


def of(station_id: str, gw: Gateway) -> object:
    def match(r: FrameRecord) -> bool:
        return r.station_id == station_id and r.gateway_id == gw.config.gateway_id

    return match


async def test_second_connection_replaces_the_first_without_losing_frames(
    settings: Settings,
) -> None:
    async with running_gateway(settings, gateway_open_mode=True) as gw:  # noqa: SIM117 - port
        async with connect_station(gw.port, "CP-TWICE", "ocpp1.6") as first:
            for n in range(20):
                await first.send(heartbeat(n))
            async with connect_station(gw.port, "CP-TWICE", "ocpp1.6") as second:
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(first.recv(), 10)
                assert first.close_code == 1008
                assert first.close_reason == "replaced by a newer connection for this station id"
                for n in range(20, 30):
                    await second.send(heartbeat(n))
                await asyncio.sleep(0.5)
    records = await wait_frames(settings, of("CP-TWICE", gw), 34)  # type: ignore[arg-type]
    conns = [r.connection_id for r in records if r.kind is RecordKind.CONNECTED]
    assert len(conns) == 2
    got = [
        json.loads(r.raw or "")[1]
        for r in records
        if r.kind is RecordKind.FRAME and r.direction is Direction.IN
    ]
    assert sorted(got) == sorted(f"hb-{n}" for n in range(30))  # every frame, once
    first_frames = {
        json.loads(r.raw or "")[1]
        for r in records
        if r.kind is RecordKind.FRAME
        and r.direction is Direction.IN
        and r.connection_id == conns[0]
    }
    assert first_frames == {f"hb-{n}" for n in range(20)}
    gone = [r for r in records if r.kind is RecordKind.DISCONNECTED and r.connection_id == conns[0]]
    assert (
        gone[0].reason
        == "closed by gateway: 1008 replaced by a newer connection for this station id"
    )


async def test_dead_connection_is_detected_within_two_ping_intervals(settings: Settings) -> None:
    interval = 0.5
    async with running_gateway(  # noqa: SIM117 - the station needs the gateway's port
        settings, gateway_open_mode=True, gateway_ping_interval_s=interval
    ) as gw:
        async with connect_station(gw.port, "CP-DEAD", "ocpp1.6") as ws:
            await asyncio.sleep(0.2)
            assert "CP-DEAD" in gw.connections
            ws.transport.pause_reading()  # the station stops answering pings
            start = time.monotonic()
            while "CP-DEAD" in gw.connections and time.monotonic() - start < 10:
                await asyncio.sleep(0.02)
            detected = time.monotonic() - start
            ws.transport.abort()
    print(f"\ndead connection detected after {detected:.2f}s (ping interval {interval}s)")
    assert detected <= 2 * interval + 0.3
    records = await wait_frames(settings, of("CP-DEAD", gw), 2)  # type: ignore[arg-type]
    assert records[-1].kind is RecordKind.DISCONNECTED
    assert "1011 keepalive ping timeout" in str(records[-1].reason)


async def test_graceful_shutdown_closes_with_1001_and_logs_everything(settings: Settings) -> None:
    ids = [f"CP-BYE-{n}" for n in range(3)]
    gw_cm = running_gateway(settings, gateway_open_mode=True)
    gw = await gw_cm.__aenter__()
    port = gw.port
    clients = [await connect_station(gw.port, sid, "ocpp1.6").__aenter__() for sid in ids]
    for ws in clients:
        await ws.send(heartbeat(1))
    await asyncio.sleep(0.3)
    await gw_cm.__aexit__(None, None, None)  # Gateway.stop()
    for ws in clients:
        with pytest.raises(ConnectionClosed):
            while True:  # (a processor may be running and answer the heartbeat)
                await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1001
    with pytest.raises(OSError):
        await connect_station(port, "CP-LATE", "ocpp1.6").__aenter__()
    for sid in ids:
        records = await wait_frames(settings, of(sid, gw), 3)  # type: ignore[arg-type]
        inbound = [r for r in records if r.direction is Direction.IN]
        kinds = [RecordKind.CONNECTED, RecordKind.FRAME, RecordKind.DISCONNECTED]
        assert [r.kind for r in inbound] == kinds
        assert str(inbound[-1].reason).startswith("closed by gateway: 1001")


async def test_two_gateway_processes_route_replies_to_the_holder(
    stack: ServiceSet, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A station boots on gateway 1, then reconnects to gateway 2: each reply comes back
    through the gateway holding its connection, via that gateway's delivery topic only."""
    second = gateway_settings(settings, gateway_open_mode=True)
    from tests.isolation import free_port

    second = second.model_copy(update={"gateway_port": free_port()})
    services = ServiceSet(second, tmp_path_factory.mktemp("gw2"))
    services.start("gateway")
    try:
        services.wait_port(second.gateway_port)
        for port, gw_id in (
            (settings.gateway_port, settings.gateway_id),
            (second.gateway_port, second.gateway_id),
        ):
            async with connect_station(port, "CP-ROAM", "ocpp1.6") as ws:
                reply = await Station(ws).call("BootNotification", BOOT_16, timeout=90)
                assert reply[0] == 3 and reply[2]["status"] == "Accepted"
            sent = await wait_frames(
                settings,
                lambda r, g=gw_id: (
                    r.station_id == "CP-ROAM" and r.direction is Direction.OUT and r.gateway_id == g
                ),
                1,
            )
            assert len(sent) == 1
    finally:
        services.stop_all()
    from tests.integration.kafka_reading import read_all

    for gw_id in (settings.gateway_id, second.gateway_id):
        topic = f"{settings.topic_prefix}.deliver.{gw_id}"
        routed = [r for r in await read_all(settings.bootstrap, topic) if r.key == b"CP-ROAM"]
        assert len(routed) == 1  # one boot each: never broadcast to both gateways


async def test_reconnecting_through_another_gateway_closes_the_old_connection(
    stack: ServiceSet, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The station's old connection on gateway 1 is still open when it connects through
    gateway 2: the processor tells gateway 1 to close it (1008), well before any keep-alive
    would, and the read model keeps the newer connection."""
    from tests.isolation import free_port

    second = gateway_settings(settings, gateway_open_mode=True)
    second = second.model_copy(update={"gateway_port": free_port()})
    services = ServiceSet(second, tmp_path_factory.mktemp("gw2-supersede"))
    services.start("gateway")
    try:
        services.wait_port(second.gateway_port)
        async with connect_station(settings.gateway_port, "CP-MOVE", "ocpp1.6") as old:
            await Station(old).call("BootNotification", BOOT_16, timeout=90)
            async with connect_station(second.gateway_port, "CP-MOVE", "ocpp1.6") as new:
                started = time.monotonic()
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(old.recv(), 15)
                closed_after = time.monotonic() - started
                assert old.close_code == 1008
                assert "another gateway" in (old.close_reason or "")
                reply = await Station(new).call("Heartbeat", {})
                assert reply[0] == 3  # the newer connection is served
        print(f"\nold connection closed {closed_after:.2f} s after the new one opened")
    finally:
        services.stop_all()
