"""The replay of a long transaction: the timeline of a 1.6 session with 1,000 MeterValues,
logged among other stations' traffic in the same partitions, through the API
(``GET /api/v1/transactions/{id}/timeline``) and the CLI (``csms audit transaction``), and
the raw Kafka read of the same records as its floor.

    python -m bench.audit_timeline [--meter-values 1000] [--others 12] [--repeat 5]

On an isolated stack (own topics, own database). Each measurement is the best and the
median of ``--repeat`` runs, after one warm-up. The floor reads, with a bare consumer
already started, every record from the first to the last frames-log and events-log offset
the timeline holds (other stations' records included, nothing decoded): what fetching
those records costs before anything is done with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import murmur2

from bench.stack import running_stack
from bench.station_sim import V16, SimStation, heartbeat, meter_values_16
from csms.audit_timeline import read_timeline
from csms.config import Settings
from tests.services import ServiceSet, api_client, settings_env


def partition_of(station_id: str, partitions: int) -> int:
    """The partition Kafka's default partitioner puts the station's records in."""
    hashed: int = murmur2(station_id.encode())
    return (hashed & 0x7FFFFFFF) % partitions


def neighbours(station_id: str, partitions: int, count: int) -> list[str]:
    """``count`` station ids whose records share ``station_id``'s partition."""
    wanted = partition_of(station_id, partitions)
    names = (f"BENCH-NB-{n}" for n in range(10_000))
    return [n for n in names if partition_of(n, partitions) == wanted][:count]


async def session(url: str, station_id: str, meter_values: int) -> None:
    """Boot, start, ``meter_values`` MeterValues, stop: one station, one call at a time."""
    station = SimStation(station_id, V16, url, timeout_s=30)
    await station.connect()
    try:
        await _ok(station, "BootNotification", {"chargePointVendor": "Bench",
                                                "chargePointModel": "Audit"})  # fmt: skip
        started = await _ok(station, "StartTransaction", {
            "connectorId": 1, "idTag": "BENCH", "meterStart": 0,
            "timestamp": "2026-01-01T00:00:00Z"})  # fmt: skip
        txn = started["transactionId"]
        for n in range(meter_values):
            await _ok(station, "MeterValues", meter_values_16(1, txn, 10 * (n + 1)))
        await _ok(station, "StopTransaction", {"transactionId": txn, "meterStop": 10 * (
            meter_values + 1), "timestamp": "2026-01-01T02:00:00Z"})  # fmt: skip
    finally:
        await station.close()


async def _ok(station: SimStation, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    outcome = await station.call(action, payload)
    if not outcome.ok or outcome.result is None:
        raise RuntimeError(f"{action} failed: {outcome.error}")
    return outcome.result


async def chatter(url: str, station_id: str, stop: asyncio.Event) -> int:
    """Another station's traffic (MeterValues without a transaction, Heartbeats) until
    ``stop``; returns how many calls it made."""
    station = SimStation(station_id, V16, url, timeout_s=30)
    await station.connect()
    made = 0
    try:
        while not stop.is_set():
            action, payload = (heartbeat(V16) if made % 4 == 0
                               else ("MeterValues", meter_values_16(1, None, made)))  # fmt: skip
            await _ok(station, action, payload)
            made += 1
    finally:
        await station.close()
    return made


async def log_traffic(settings: Settings, meter_values: int, others: int) -> str:
    """The session among ``others`` chattering neighbours; returns the session's station."""
    url = f"ws://127.0.0.1:{settings.gateway_port}/ocpp"
    main = "BENCH-AUDIT-1"
    stop = asyncio.Event()
    background = [asyncio.create_task(chatter(url, n, stop))
                  for n in neighbours(main, settings.partitions, others)]  # fmt: skip
    try:
        await session(url, main, meter_values)
    finally:
        stop.set()
        await asyncio.gather(*background)
    return main


async def transaction_pk(settings: Settings, station_id: str, timeout_s: float = 120) -> int:
    deadline = time.monotonic() + timeout_s
    async with api_client(settings) as http:
        while time.monotonic() < deadline:
            page = (await http.get("/api/v1/transactions", params={
                "station_id": station_id, "status": "completed"})).json()  # fmt: skip
            if page["items"]:
                pk: int = page["items"][0]["id"]
                return pk
            await asyncio.sleep(0.5)
    raise TimeoutError(f"no completed transaction of {station_id}")


async def wait_indexed(settings: Settings, pk: int, frames: int,
                       timeout_s: float = 300) -> None:  # fmt: skip
    """Until the timeline holds ``frames`` frames (the audit projection has indexed the
    session: its calls and their answers)."""
    deadline = time.monotonic() + timeout_s
    async with api_client(settings) as http:
        while time.monotonic() < deadline:
            response = await http.get(f"/api/v1/transactions/{pk}/timeline",
                                      params={"limit": 1, "cursor": 0})  # fmt: skip
            if response.status_code == 200 and response.json()["total"] >= frames:
                return
            await asyncio.sleep(0.5)
    raise TimeoutError(f"the audit index has not got the {frames} frames of transaction {pk}")


async def timed(run: Callable[[], Awaitable[object]], repeat: int) -> dict[str, float]:
    await run()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await run()
        times.append(time.perf_counter() - start)
    return {"best_s": round(min(times), 3), "median_s": round(statistics.median(times), 3)}


async def api_timeline(settings: Settings, pk: int) -> dict[str, Any]:
    """The whole timeline through the API, page after page (one page at the default limit)."""
    pages: list[dict[str, Any]] = []
    async with api_client(settings) as http:
        cursor = 0
        while True:
            response = await http.get(f"/api/v1/transactions/{pk}/timeline",
                                      params={"cursor": cursor})  # fmt: skip
            response.raise_for_status()
            pages.append(response.json())
            if pages[-1]["next_cursor"] is None:
                break
            cursor = pages[-1]["next_cursor"]
    return {"pages": len(pages), "frames": sum(len(p["frames"]) for p in pages),
            "events": sum(len(f["events"]) for p in pages for f in p["frames"]),
            "bytes": sum(len(json.dumps(p)) for p in pages)}  # fmt: skip


def cli_seconds(settings: Settings, pk: int) -> float:
    """``csms audit transaction <pk> --json`` as a process, start-up included."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "csms.cli", "audit", "transaction", str(pk),
                           "--json"], capture_output=True, env=settings_env(settings),
                          timeout=120, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace")[-2000:])
    return time.perf_counter() - start


async def floor(settings: Settings, spans: dict[tuple[str, int], tuple[int, int]]) -> float:
    """Seconds to fetch every record of each span (first..last offset) with a started bare
    consumer, nothing decoded."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, group_id=None,
                                enable_auto_commit=False, isolation_level="read_committed",
                                max_partition_fetch_bytes=4 << 20, fetch_max_bytes=4 << 20)
    await consumer.start()
    try:
        start = time.perf_counter()
        for (topic, partition), (first, last) in spans.items():
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            consumer.seek(tp, first)
            while await consumer.position(tp) <= last:
                await consumer.getmany(tp, timeout_ms=1000)
        return time.perf_counter() - start
    finally:
        await consumer.stop()


def spans_of(page: dict[str, Any]) -> dict[tuple[str, int], tuple[int, int]]:
    """(topic, partition) → first and last offset of the timeline's records there."""
    spans: dict[tuple[str, int], tuple[int, int]] = {}
    positions = [f["position"] for f in page["frames"]]
    positions += [e["position"] for f in page["frames"] for e in f["events"]]
    for position in positions:
        topic, partition, offset = position.rsplit("/", 2)
        key = (topic, int(partition))
        first, last = spans.get(key, (int(offset), int(offset)))
        spans[key] = (min(first, int(offset)), max(last, int(offset)))
    return spans


async def measure(services: ServiceSet, meter_values: int, others: int,
                  repeat: int) -> dict[str, Any]:  # fmt: skip
    settings = services.settings
    started = time.perf_counter()
    station = await log_traffic(settings, meter_values, others)
    logged_s = time.perf_counter() - started
    pk = await transaction_pk(settings, station)
    await wait_indexed(settings, pk, 2 * (meter_values + 2))  # start, stop and answers
    shape = await api_timeline(settings, pk)
    async with api_client(settings) as http:
        whole = (await http.get(f"/api/v1/transactions/{pk}/timeline",
                                params={"limit": 10_000})).json()  # fmt: skip
    spans = spans_of(whole)
    records_in_spans = sum(last - first + 1 for first, last in spans.values())
    api = await timed(lambda: api_timeline(settings, pk), repeat)
    in_process = await timed(lambda: read_timeline(settings, pk), repeat)
    cli = sorted(cli_seconds(settings, pk) for _ in range(max(3, repeat // 2)))
    floors = sorted([await floor(settings, spans) for _ in range(repeat)])
    return {
        "meter_values": meter_values, "other_stations": others, "logging_s": round(logged_s, 1),
        "timeline": shape, "records_read": shape["frames"] + shape["events"],
        "records_in_spans": records_in_spans, "api": api, "cli_in_process": in_process,
        "cli_process": {"best_s": round(cli[0], 3), "median_s": round(cli[len(cli) // 2], 3)},
        "kafka_floor": {"best_s": round(floors[0], 3),
                        "median_s": round(floors[len(floors) // 2], 3)},
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--meter-values", type=int, default=1000)
    p.add_argument("--others", type=int, default=12, help="stations chattering meanwhile in "
                   "the session's partition")  # fmt: skip
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as logs, running_stack(Path(logs)) as services:
        result = asyncio.run(measure(services, args.meter_values, args.others, args.repeat))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
