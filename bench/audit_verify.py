"""Benchmark: ``csms audit verify`` over a big frames log, against the raw Kafka read floor.

Fills the frames topic of an isolated stack with ``--frames`` FrameRecords (MeterValues
calls and their answers of ``--stations`` stations, keyed by station id as the gateway
appends them), lets the audit projection index and checkpoint them (the projector alone is
run; its rate is reported too), then times, in the same run:

- the floor: the same records read from Kafka with the verifier's consumer settings, doing
  nothing with them;
- the verification in process (:func:`csms.audit_verify.verify`), read to report.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from aiokafka import AIOKafkaProducer

from bench.stack import isolated
from csms.audit_verify import VerifyOptions, log_consumer, verify
from csms.config import Settings
from projections.runtime.projector import topic_partitions
from schemas.envelopes import Direction, FrameRecord
from schemas.readmodel import AUDIT
from schemas.topics import Topics
from tests.services import ServiceSet


def records(frames: int, stations: int) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs: per station a MeterValues call then its answer, in turn."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    out: list[tuple[bytes, bytes]] = []
    for n in range(frames):
        station, step = f"BENCH-{n % stations:05d}", n // stations
        at = start + timedelta(seconds=step)
        message = f"m{step // 2}"
        raw = (json.dumps([2, message, "MeterValues", {"connectorId": 1, "meterValue": [{
                   "timestamp": at.isoformat(), "sampledValue": [{"value": str(step)}]}]}])
               if step % 2 == 0 else json.dumps([3, message, {}]))  # fmt: skip
        record = FrameRecord(station_id=station,
                             direction=Direction.IN if step % 2 == 0 else Direction.OUT,
                             ocpp_version="ocpp1.6", gateway_id="gw-bench",
                             connection_id="c1", at=at, raw=raw)  # fmt: skip
        out.append((station.encode(), record.encode()))
    return out


async def fill(settings: Settings, pairs: list[tuple[bytes, bytes]]) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=20,
                                max_batch_size=1 << 20)  # fmt: skip
    await producer.start()
    start = time.perf_counter()
    try:
        topic = Topics(settings.topic_prefix).frames
        pending = []
        for key, value in pairs:
            pending.append(await producer.send(topic, value, key=key))
            if len(pending) >= 20000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - start


def indexed(settings: Settings) -> int:
    with psycopg.connect(settings.libpq_url) as db:
        row = db.execute("SELECT coalesce(sum(next_offset), 0) FROM projection_offsets"
                         " WHERE projection = %s AND topic = %s",
                         (AUDIT, Topics(settings.topic_prefix).frames)).fetchone()  # fmt: skip
    return int(row[0]) if row else 0


def index(services: ServiceSet, total: int, timeout: float) -> float:
    """Seconds the projector takes to index the frames topic (audit and every other live
    version: only the audit projection reads frames)."""
    start = time.perf_counter()
    services.start("projector")
    while indexed(services.settings) < total:
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"indexed {indexed(services.settings)} of {total}")
        services.assert_alive()
        time.sleep(0.5)
    return time.perf_counter() - start


async def floor(settings: Settings) -> tuple[int, float]:
    """The raw read of the whole frames topic with the verifier's consumer settings."""
    topic = Topics(settings.topic_prefix).frames
    consumer = log_consumer(settings.bootstrap)
    await consumer.start()
    try:
        tps = await topic_partitions(settings.bootstrap, topic, wait_s=0)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        start = time.perf_counter()
        read, remaining = 0, {tp for tp in tps if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=50_000)
            for tp, part in batches.items():
                read += len(part)
                if part and part[-1].offset >= ends[tp] - 1:
                    remaining.discard(tp)
        return read, time.perf_counter() - start
    finally:
        await consumer.stop()


def run(frames: int, stations: int, log_dir: Path) -> dict[str, Any]:
    with isolated(audit_checkpoint_every=1000) as settings:
        log_dir.mkdir(parents=True, exist_ok=True)
        services = ServiceSet(settings, log_dir)
        try:
            fill_s = asyncio.run(fill(settings, records(frames, stations)))
            index_s = index(services, frames, timeout=3600)
        finally:
            services.stop_all()
        read, floor_s = asyncio.run(floor(settings))
        report = asyncio.run(verify(settings, VerifyOptions(), progress=io.StringIO()))
    assert report.ok and report.records == frames, report.text()[:2000]
    return {"frames": frames, "stations": stations, "fill_s": round(fill_s, 1),
            "index_s": round(index_s, 1), "index_frames_per_s": round(frames / index_s),
            "verify_s": round(report.seconds, 2),
            "verify_frames_per_s": round(report.frames_per_s),
            "floor_s": round(floor_s, 2), "floor_frames_per_s": round(read / floor_s),
            "checkpoints": sum(s.checkpoints for s in report.stations)}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--frames", type=int, default=500_000)
    p.add_argument("--stations", type=int, default=500)
    p.add_argument("--logs", type=Path, default=Path("var/bench/logs-audit-verify"))
    args = p.parse_args()
    print(json.dumps(run(args.frames, args.stations, args.logs), indent=2))


if __name__ == "__main__":
    main()
