"""A BootNotification travels the whole pipeline, on the real broker and database:
station → gateway → frames log → processor → delivery → gateway → station, and
events → projector → PostgreSQL → API."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import datetime

import pytest

import ocpp
from csms.config import Settings
from schemas.envelopes import Direction, FrameRecord, RecordKind
from tests.integration.kafka_reading import read_all
from tests.services import ServiceSet, api_client
from tests.stations import BOOT_16, BOOT_201, Station, connect_station

pytestmark = pytest.mark.integration

CASES = [("ocpp1.6", BOOT_16, "CP-16-A"), ("ocpp2.0.1", BOOT_201, "CS-201-A")]


async def wait_station(
    settings: Settings, station_id: str, timeout: float = 30.0
) -> dict[str, object]:
    """The station's resource once its boot is projected (the reply reaches the station
    first; the connection alone already creates the row)."""
    url = f"/api/v1/stations/{station_id}"
    deadline = time.monotonic() + timeout
    async with api_client(settings) as http:
        while True:
            response = await http.get(url)
            if response.status_code == 200 and response.json()["last_boot_at"] is not None:
                body: dict[str, object] = response.json()
                return body
            assert response.status_code in (200, 404), response.text
            if time.monotonic() > deadline:
                raise AssertionError(f"{station_id}'s boot never appeared in the API")
            await asyncio.sleep(0.1)


@pytest.mark.parametrize(("subprotocol", "boot", "station_id"), CASES)
async def test_boot_is_answered_logged_projected_and_served(
    stack: ServiceSet,
    settings: Settings,
    subprotocol: str,
    boot: dict[str, object],
    station_id: str,
) -> None:
    version = ocpp.OcppVersion(subprotocol)
    async with connect_station(settings.gateway_port, station_id, subprotocol) as ws:
        assert ws.subprotocol == subprotocol
        reply = await Station(ws).call("BootNotification", boot, timeout=90)

    assert reply[0] == 3 and reply[1] == "m1"
    assert ocpp.validate_payload(version, "BootNotification", reply[2], response=True) is None
    assert reply[2]["status"] == "Accepted"
    assert reply[2]["interval"] == settings.heartbeat_interval_s
    datetime.fromisoformat(reply[2]["currentTime"])

    station = await wait_station(settings, station_id)
    assert station["ocpp_version"] == subprotocol
    assert station["vendor"] == "ACME"
    assert station["boot_count"] == 1
    assert station["last_boot_at"] is not None

    records = [r for r in await read_all(settings.bootstrap, f"{settings.topic_prefix}.frames")
               if r.key == station_id.encode()]  # fmt: skip
    assert len({r.partition for r in records}) == 1  # one station, one partition, in order
    frames = [FrameRecord.decode(r.value) for r in records]
    kinds = [(f.kind, f.direction) for f in frames if f.kind is RecordKind.FRAME]
    assert kinds == [(RecordKind.FRAME, Direction.IN), (RecordKind.FRAME, Direction.OUT)]
    sent = next(f for f in frames if f.direction is Direction.OUT)
    assert sent.raw is not None and ocpp.parse(sent.raw, version) == ocpp.parse(
        ocpp.serialize(ocpp.CallResult("m1", reply[2])), version
    )
    assert frames[0].kind is RecordKind.CONNECTED and frames[-1].kind is RecordKind.DISCONNECTED
    assert all(
        f.ocpp_version == subprotocol and f.gateway_id == settings.gateway_id for f in frames
    )


async def test_unknown_station_is_404(stack: ServiceSet, settings: Settings) -> None:
    async with api_client(settings) as http:
        response = await http.get("/api/v1/stations/nope")
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


@pytest.mark.parametrize("subprotocol", ["ocpp1.6", "ocpp2.0.1"])
async def test_unknown_action_gets_not_implemented_and_connection_stays(
    stack: ServiceSet, settings: Settings, subprotocol: str
) -> None:
    async with connect_station(settings.gateway_port, f"NI-{subprotocol}", subprotocol) as ws:
        station = Station(ws)
        reply = await station.call("FlyToTheMoon", {}, timeout=90)
        assert reply[:3] == [4, "m1", "NotImplemented"]
        # The connection is still open and the station is still served.
        boot = BOOT_16 if subprotocol == "ocpp1.6" else BOOT_201
        again = await station.call("BootNotification", boot)
        assert again[0] == 3 and again[2]["status"] == "Accepted"


async def test_handshake_without_ocpp_subprotocol_is_closed(
    stack: ServiceSet, settings: Settings
) -> None:
    async with connect_station(settings.gateway_port, "CP-NOPROTO", "ocpp9.9") as ws:
        assert ws.subprotocol is None
        with pytest.raises(Exception):  # noqa: B017 - closed by the server, any close is fine
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1002


async def test_boot_round_trip_p50_over_100_boots(stack: ServiceSet, settings: Settings) -> None:
    """Prints the BootNotification round trip (station Call → CallResult) p50 over 100 boots."""
    samples: list[float] = []
    async with connect_station(settings.gateway_port, "CP-RTT", "ocpp1.6") as ws:
        station = Station(ws)
        await station.call("BootNotification", BOOT_16, timeout=90)  # warm-up
        for _ in range(100):
            start = time.perf_counter()
            reply = await station.call("BootNotification", BOOT_16)
            samples.append((time.perf_counter() - start) * 1000)
            assert reply[0] == 3
    p50 = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1]
    print(f"\nBootNotification round trip over 100 boots: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    station_row = await wait_station(settings, "CP-RTT")
    assert station_row["station_id"] == "CP-RTT"


async def wait_connected(settings: Settings, station_id: str, expected: bool) -> float:
    """Seconds until the API shows ``connected == expected`` (fails after 5 s)."""
    start = time.monotonic()
    async with api_client(settings) as http:
        while time.monotonic() - start < 5.0:
            response = await http.get(f"/api/v1/stations/{station_id}")
            if response.status_code == 200 and response.json()["connected"] is expected:
                return time.monotonic() - start
            await asyncio.sleep(0.05)
    raise AssertionError(f"{station_id} not shown connected={expected} within 5 s")


async def test_read_model_shows_connection_changes_within_seconds(
    stack: ServiceSet, settings: Settings
) -> None:
    async with connect_station(settings.gateway_port, "CP-LIVE", "ocpp2.0.1") as ws:
        await Station(ws).call("BootNotification", BOOT_201, timeout=90)
        up = await wait_connected(settings, "CP-LIVE", True)
    down = await wait_connected(settings, "CP-LIVE", False)
    print(f"\nconnected shown after {up:.2f} s, disconnected after {down:.2f} s")
