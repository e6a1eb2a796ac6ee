"""Projection versions on the real broker and database (DESIGN decision 6): version 2 builds
from offset 0 under live traffic while the API keeps serving version 1 in full; after the
switch, version 2 serves identical rows (checksum per table); the old version stays
readable until dropped; and two projector processes on the same versions never apply an
event twice.

These tests run their own deployment (own topics, database, services): the shared one has
rows some gateway tests write straight into the read store, which no version built from
the log can have.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from aiokafka import AIOKafkaProducer

from bench.sessions_sim import generate
from csms.config import Settings
from projections.runtime.discovery import discover
from schemas.events import StationBooted, envelope
from schemas.topics import Topics
from tests.integration.read_store import snapshot, wait_caught_up, wait_settled
from tests.isolation import isolated_deployment
from tests.services import ServiceSet, api_client, live_versions, settings_env, versions_of
from tests.stations import BOOT_16, Station, connect_station

pytestmark = pytest.mark.integration

PREFILLED = 30_000
"""Events put on the log before the build, so that it takes long enough to be watched."""
PREFILLED_IDS = 50_000_000


@pytest.fixture
def own_stack(base_settings: Settings, tmp_path: Path) -> Iterator[ServiceSet]:
    with (isolated_deployment(base_settings, "pv", heartbeat_interval_s=120) as settings,
          ServiceSet.running(settings, tmp_path / "logs") as services):  # fmt: skip
        yield services


async def _produce(settings: Settings, values: list[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=20)  # fmt: skip
    await producer.start()
    try:
        sends = [await producer.send(Topics(settings.topic_prefix).events, value, key=key.encode())
                 for key, value in values]  # fmt: skip
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


def _prefilled() -> list[tuple[str, bytes]]:
    """Simulated station lives (the processor's own decide functions, bench/sessions_sim.py),
    their transaction ids moved clear of the ones this deployment's processor gives out."""
    out = []
    for event in generate(PREFILLED):
        if isinstance(getattr(event.data, "id", None), int):
            moved = event.data.model_copy(update={"id": PREFILLED_IDS + event.data.id})  # type: ignore[attr-defined]
            event = event.model_copy(update={"data": moved})
        out.append((event.station_id or "", event.encode()))
    return out


async def _charge(settings: Settings, station_id: str) -> None:
    """One 1.6 session through the whole pipeline: boot, start, meter values, stop."""
    async with connect_station(settings.gateway_port, station_id, "ocpp1.6") as ws:
        station = Station(ws)
        await station.call("BootNotification", BOOT_16, timeout=90)
        started = await station.call("StartTransaction", {
            "connectorId": 1, "idTag": "VERSIONS", "meterStart": 1000,
            "timestamp": datetime.now(UTC).isoformat(),
        })  # fmt: skip
        transaction_id = started[2]["transactionId"]
        await station.call("MeterValues", {"connectorId": 1, "transactionId": transaction_id,
                                           "meterValue": [{
            "timestamp": datetime.now(UTC).isoformat(),
            "sampledValue": [{"value": "1500", "unit": "Wh"}]}]})  # fmt: skip
        await station.call("StopTransaction", {
            "transactionId": transaction_id, "meterStop": 2000,
            "timestamp": datetime.now(UTC).isoformat(),
        })  # fmt: skip


@contextlib.asynccontextmanager
async def _traffic(settings: Settings) -> AsyncIterator[list[str]]:
    """Stations charging one after another until the block ends; yields their ids."""
    charged: list[str] = []
    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            station_id = f"LIVE-{len(charged)}"
            await _charge(settings, station_id)
            charged.append(station_id)

    task = asyncio.create_task(loop())
    try:
        yield charged
    finally:
        stop.set()
        await task


async def _totals(http: httpx.AsyncClient) -> tuple[int, int]:
    stations = (await http.get("/api/v1/stations", params={"limit": 1})).json()["total"]
    sessions = (await http.get("/api/v1/transactions", params={"limit": 1})).json()["total"]
    return int(stations), int(sessions)


def _build(services: ServiceSet) -> subprocess.Popen[bytes]:
    log = (services.log_dir / "build.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "csms.cli", "projections", "build", "--all",
                             "--detach"], stdout=log, stderr=subprocess.STDOUT,
                            env=settings_env(services.settings))  # fmt: skip


def _checksums(services: ServiceSet, version: dict[str, int]) -> dict[str, str]:
    return {name: services.csms("projections", "checksum", f"{name}@{v}").split("\n", 1)[1]
            for name, v in version.items()}  # fmt: skip


async def test_a_new_version_builds_under_traffic_while_the_old_one_serves_in_full(
    own_stack: ServiceSet,
) -> None:
    settings = own_stack.settings
    await _produce(settings, _prefilled())
    for n in range(3):
        await _charge(settings, f"BEFORE-{n}")
    await wait_settled(settings, timeout=300)
    v1 = live_versions(settings.libpq_url)
    assert set(v1) == {p.name for p in discover()} and set(v1.values()) == {1}

    async with api_client(settings) as http:
        floor = await _totals(http)
        assert floor[0] >= 3 and floor[1] >= 3
        seen: list[tuple[int, int]] = []
        async with _traffic(settings) as charged:
            build = _build(own_stack)
            while build.poll() is None:
                seen.append(await _totals(http))
                await asyncio.sleep(0.05)
        assert build.returncode == 0, own_stack.log_text("build")
        # The API read version 1, complete and current, all through the build.
        assert len(seen) > 10, "the build was too quick to watch"
        assert all(s[0] >= floor[0] and s[1] >= floor[1] for s in seen)
        assert charged, "no traffic during the build"
        await wait_settled(settings, timeout=300)
        before_switch = snapshot(settings.libpq_url)
        after = await _totals(http)
        assert after[0] >= floor[0] + len(charged) and after[1] >= floor[1] + len(charged)

        v2 = {name: 2 for name in v1}
        assert all(versions_of(settings.libpq_url, name)[-1] == (2, "ready") for name in v1)
        for name in v1:
            own_stack.csms("projections", "switch", name, "2")
        assert live_versions(settings.libpq_url) == v2
        assert snapshot(settings.libpq_url) == before_switch
        assert _checksums(own_stack, v2) == _checksums(own_stack, v1)

        # Version 1 stays readable until dropped; dropping it leaves the API serving.
        old_rows = _count(settings, "stations_v1.stations")
        assert old_rows == len(before_switch["stations"])
        own_stack.csms("projections", "drop", "stations@1")
        with pytest.raises(psycopg.errors.UndefinedTable):
            _count(settings, "stations_v1.stations")
        assert (await _totals(http))[0] == old_rows
        listing = own_stack.csms("projections", "list")
        assert "stations@2" in listing and "stations@1" not in listing


async def test_two_projectors_on_the_same_versions_never_apply_an_event_twice(
    own_stack: ServiceSet,
) -> None:
    settings = own_stack.settings
    small_batches = {"CSMS_PROJECTOR_BATCH_SIZE": "20"}
    own_stack.stop("projector")
    own_stack.start("projector", env=small_batches)
    own_stack.start("projector", env=small_batches, label="projector-2")
    await asyncio.sleep(3)  # both following the head of the log
    stations, boots = 20, 60
    await _produce(settings, [(f"TWICE-{i % stations}", _booted(f"TWICE-{i % stations}", i))
                              for i in range(stations * boots)])  # fmt: skip
    topics = Topics(settings.topic_prefix)
    await wait_caught_up(settings.bootstrap, settings.libpq_url, [topics.events, topics.admin])
    own_stack.assert_alive()
    with psycopg.connect(settings.libpq_url) as conn:
        counts = dict(conn.execute("SELECT station_id, boot_count FROM stations"
                                   " WHERE station_id LIKE 'TWICE-%'").fetchall())  # fmt: skip
    assert counts == {f"TWICE-{i}": boots for i in range(stations)}
    logs = own_stack.log_text("projector") + own_stack.log_text("projector-2")
    assert "already applied elsewhere" in logs, "the two projectors never met"


def _booted(station_id: str, n: int) -> bytes:
    event = StationBooted(ocpp_version="ocpp1.6", vendor="ACME", model="Twice",
                          firmware_version=f"fw-{n}", status="Accepted", interval=300)  # fmt: skip
    return envelope(event, event_id=uuid.uuid4(), station_id=station_id,
                    occurred_at=datetime.now(UTC), causation_id=f"test/{n}",
                    correlation_id=f"test-{n}").encode()  # fmt: skip


def _count(settings: Settings, table: str) -> Any:
    with psycopg.connect(settings.libpq_url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row[0]
