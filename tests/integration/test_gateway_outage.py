"""Kafka goes away under traffic and comes back: the gateway applies backpressure, refuses
new connections with 503 past its bound, and every frame the stations sent is in the frames
log exactly once. Runs on a throwaway broker of its own (infra.kafka.StandaloneBroker), so
the shared local broker other test sessions use is never stopped."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from csms.config import Settings
from infra.kafka import standalone_broker
from infra.topics import create_all
from schemas.envelopes import RecordKind
from tests.integration.gateways import frames, running_gateway
from tests.isolation import free_port
from tests.stations import connect_station

pytestmark = pytest.mark.integration

STATIONS = 5
FRAMES_PER_STATION = 60
PACE_S = 0.1


async def send_steadily(port: int, station_id: str, sent: list[str], done: asyncio.Event) -> None:
    """A station that sends at a steady pace and stays connected until told (a station that
    drops its TCP connection while the gateway is not reading it takes its unread frames
    with it: those never reached the gateway)."""
    async with connect_station(port, station_id, "ocpp1.6") as ws:
        for n in range(FRAMES_PER_STATION):
            unique_id = f"{station_id}-{n}"
            await ws.send(json.dumps([2, unique_id, "Heartbeat", {}]))
            sent.append(unique_id)
            await asyncio.sleep(PACE_S)
        await done.wait()


async def test_broker_outage_loses_and_doubles_nothing(settings: Settings, tmp_path: Path) -> None:
    broker = standalone_broker(settings.kafka_broker, tmp_path / "broker", free_port(), free_port())
    await asyncio.to_thread(broker.start)
    own = settings.model_copy(
        update={"kafka_bootstrap": broker.bootstrap, "topic_prefix": "outage", "partitions": 2}
    )
    await create_all(own.kafka_topics)
    try:
        async with running_gateway(
            own, gateway_open_mode=True, gateway_backlog_max_stall_s=2.0
        ) as gw:
            sent: list[str] = []
            done = asyncio.Event()
            senders = [
                asyncio.create_task(send_steadily(gw.port, f"CP-OUT-{i}", sent, done))
                for i in range(STATIONS)
            ]
            await asyncio.sleep(1.0)
            down_at = time.monotonic()
            await asyncio.to_thread(broker.stop)
            await asyncio.sleep(3.0)
            backlog = gw.frames_log.pending
            with pytest.raises(InvalidStatus) as refused:
                async with connect_station(gw.port, "CP-LATE", "ocpp1.6"):
                    pass
            assert refused.value.response.status_code == 503
            await asyncio.to_thread(broker.start)
            up_at = time.monotonic()
            while gw.frames_log.appended < STATIONS * (1 + FRAMES_PER_STATION) + 1:
                stuck = (gw.frames_log.appended, gw.frames_log.pending, len(sent))
                assert time.monotonic() - up_at < 60, f"backlog not drained: {stuck}"
                await asyncio.sleep(0.05)  # CONNECTED + frames per station, the 503 record
            drained_at = time.monotonic()
            done.set()
            await asyncio.gather(*senders)
            logged_during = gw.frames_log.appended
        records = await frames(own, lambda r: True)
    finally:
        await asyncio.to_thread(broker.stop)

    inbound = [
        json.loads(r.raw or "")[1]
        for r in records
        if r.kind is RecordKind.FRAME and r.direction == "in"
    ]
    counts = Counter(inbound)
    assert len(sent) == STATIONS * FRAMES_PER_STATION
    assert set(counts) == set(sent), f"missing: {sorted(set(sent) - set(counts))[:10]}"
    assert [k for k, v in counts.items() if v > 1] == []
    late = [r for r in records if r.kind is RecordKind.REFUSED and r.station_id == "CP-LATE"]
    assert len(late) == 1 and late[0].http_status == 503
    print(
        f"\nbroker outage: down {up_at - down_at:.1f}s, {len(sent)} frames sent by "
        f"{STATIONS} stations, all {len(counts)} logged exactly once; {backlog} appends "
        f"waiting during the outage; backlog drained {drained_at - up_at:.1f}s after the "
        f"broker was back ({logged_during} records appended by the gateway)"
    )
