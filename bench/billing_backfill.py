"""Benchmark: a billing backfill (``csms billing backfill``) of at least ``--events`` events,
with the floors measured in the same run (docs/BILLING.md, "Backfill").

1. An isolated stack's events log is filled with domain events made by the processor's own
   decide functions over simulated station lives (bench/sessions_sim.py), every session
   priced by one default tariff (its ``TariffApplied`` among them); the tariff's versions 1
   and 2 go on the admin log.
2. The projector service builds every read model (billing@1 included) and is stopped.
3. ``csms billing backfill`` re-rates every session (the period covers them all) by
   version 2 into billing@2: the replay's records/s is the result.
4. Floors, same run, same machine: Kafka (the same records read from the same offsets, not
   decoded), in-process (the same events filtered, decoded and rated, no PostgreSQL) and
   PostgreSQL (storing the re-rated rows alone, ``INSERT ... SELECT`` into empty copies).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from psycopg import sql

from bench.sessions_sim import generate
from bench.stack import isolated
from billing.rating import Meter, close, observe, open_meter, price
from billing.readings import readings_of
from csms.config import Settings
from processors.core.reference import DEFAULT_TARGET, TariffBook, apply_tariff_event
from projections.runtime.projector import topic_partitions
from schemas.events import (
    TariffApplied,
    TariffAssigned,
    TariffPublished,
    TransactionEnded,
    envelope,
    event_from_json,
)
from schemas.tariffs import Tariff
from schemas.topics import Topics
from tests.integration.read_store import wait_caught_up
from tests.services import ServiceSet

TARIFF_ID = "BENCH"


def tariff(energy_price: str) -> Tariff:
    """A realistic public tariff: start fee, time-of-day energy and charging time, parking
    after charging (OCPI 2.2.1 mod_tariffs)."""
    return Tariff.model_validate({
        "country_code": "NL", "party_id": "CSM", "id": TARIFF_ID, "currency": "EUR",
        "elements": [
            {"price_components": [{"type": "FLAT", "price": "0.35", "vat": 21, "step_size": 1}]},
            {"price_components": [{"type": "ENERGY", "price": energy_price, "vat": 21,
                                   "step_size": 1},
                                  {"type": "TIME", "price": "0.60", "vat": 21, "step_size": 60}],
             "restrictions": {"start_time": "07:00", "end_time": "22:00"}},
            {"price_components": [{"type": "ENERGY", "price": "0.29", "vat": 21, "step_size": 1},
                                  {"type": "PARKING_TIME", "price": "3.00", "vat": 21,
                                   "step_size": 300}]},
        ],
        "last_updated": "2026-11-01T00:00:00Z",
    })  # fmt: skip


def _admin(data: Any, key: str) -> tuple[bytes, bytes]:
    event = envelope(data, event_id=uuid.uuid4(), station_id=None,
                     occurred_at=datetime.now(UTC), causation_id="bench/admin",
                     correlation_id=key)  # fmt: skip
    return key.encode(), event.encode()


def book() -> tuple[TariffBook, list[tuple[bytes, bytes]]]:
    """The processor's tariff tables as the sessions found them (version 1 the default), and
    the admin records of both versions and the assignment."""
    v1 = TariffPublished(version=1, tariff=tariff("0.39"))
    v2 = TariffPublished(version=2, tariff=tariff("0.44"))
    default = TariffAssigned(target="default", tariff_id=TARIFF_ID)
    tariffs: dict[str, Any] = {}
    assignments: dict[str, Any] = {}
    for data in (v1, default):
        apply_tariff_event(tariffs, assignments, data)
    records = [_admin(v1, TARIFF_ID), _admin(v2, TARIFF_ID), _admin(default, DEFAULT_TARGET)]
    return TariffBook(tariffs, assignments), records


async def fill(settings: Settings, count: int) -> tuple[int, float]:
    topics = Topics(settings.topic_prefix)
    tariffs, admin = book()
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=20,
                                max_batch_size=1 << 20)  # fmt: skip
    await producer.start()
    start = time.perf_counter()
    produced = 0
    pending = []
    try:
        for key, value in admin:
            await producer.send_and_wait(topics.admin, value, key=key)
        for event in generate(count, tariffs=tariffs):
            key = (event.station_id or "").encode()
            pending.append(await producer.send(topics.events, event.encode(), key=key))
            produced += 1
            if len(pending) >= 10000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return produced, time.perf_counter() - start


def build_live(services: ServiceSet, timeout: float) -> float:
    """Seconds the projector service takes to build every read model's version 1."""
    settings = services.settings
    topics = Topics(settings.topic_prefix)
    start = time.perf_counter()
    services.start("projector")
    try:
        asyncio.run(wait_caught_up(settings.bootstrap, settings.libpq_url,
                                   [topics.events, topics.admin], timeout=timeout))  # fmt: skip
    finally:
        services.stop("projector")
    return time.perf_counter() - start


_REPORT = re.compile(r"re-rated (\d+) sessions .* replayed (\d+) records, applied (\d+) events "
                     r"in ([\d.]+) s")  # fmt: skip


def backfill(services: ServiceSet, timeout: float) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    start = time.perf_counter()
    output = services.csms("billing", "backfill", "--from", str(today - timedelta(days=2)),
                           "--to", str(today + timedelta(days=2)), "--tariff",
                           f"{TARIFF_ID}@2", "--as", "v2", timeout_s=timeout)  # fmt: skip
    wall = time.perf_counter() - start
    found = _REPORT.search(output)
    if found is None:
        raise RuntimeError(f"the backfill did not report: {output[-2000:]}")
    sessions, replayed, applied, replay_s = found.groups()
    return {"sessions": int(sessions), "replayed": int(replayed), "applied": int(applied),
            "replay_s": float(replay_s), "wall_s": round(wall, 1),
            "records_per_s": round(int(replayed) / float(replay_s))}  # fmt: skip


async def kafka_floor(settings: Settings) -> tuple[int, float]:
    """Reading every record of the events log from offset 0, not decoded."""
    topic = Topics(settings.topic_prefix).events
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap,
                                isolation_level="read_committed", enable_auto_commit=False,
                                max_partition_fetch_bytes=4 << 20)  # fmt: skip
    await consumer.start()
    try:
        tps = await topic_partitions(settings.bootstrap, topic)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        start = time.perf_counter()
        read = 0
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            batches = await consumer.getmany(timeout_ms=500, max_records=2000)
            read += sum(len(records) for records in batches.values())
        return read, time.perf_counter() - start
    finally:
        await consumer.stop()


def in_process_floor(count: int) -> tuple[int, float]:
    """The same kind of events, decoded and rated in memory (JSON → events → readings →
    meters → cost at each session's end), no PostgreSQL or Kafka."""
    tariffs, _ = book()
    encoded = [e.encode() for e in generate(count, tariffs=tariffs)]
    v2 = tariff("0.44")
    start = time.perf_counter()
    meters: dict[int, Meter] = {}
    for value in encoded:
        event = event_from_json(orjson.loads(value))
        data = event.data
        session = getattr(data, "id", None)
        if isinstance(data, TariffApplied):
            meters[data.id] = open_meter(v2, data.time_zone, event.occurred_at)
        elif isinstance(session, int) and (meter := meters.get(session)) is not None:
            readings = readings_of(data)
            if isinstance(data, TransactionEnded):
                price(close(meter, v2, readings[-1]), v2)
                del meters[session]
                continue
            for reading in readings:
                meter = observe(meter, v2, reading)
            meters[session] = meter
    return len(encoded), time.perf_counter() - start


def store_floor(database_url: str) -> tuple[int, float]:
    """PostgreSQL alone storing the re-rated rows: every row of billing@2's tables copied into
    empty copies of them (same indexes), in one transaction."""
    tables = ("billing_sessions", "billing_readings", "cdrs")
    rows = 0
    with psycopg.connect(database_url) as conn:
        conn.execute("SET synchronous_commit = off")
        for table in tables:
            conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                sql.Identifier(f"floor_{table}"), sql.Identifier("billing_v2", table)))
        conn.commit()
        start = time.perf_counter()
        for table in tables:
            rows += conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM {}").format(
                sql.Identifier(f"floor_{table}"), sql.Identifier("billing_v2", table))).rowcount
        conn.commit()
        elapsed = time.perf_counter() - start
        for table in tables:
            conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(f"floor_{table}")))
    return rows, elapsed


def totals(database_url: str) -> dict[str, str]:
    with psycopg.connect(database_url) as conn:
        out = {}
        for version in (1, 2):
            (total,) = conn.execute(sql.SQL("SELECT coalesce(sum(total_cost_excl_vat), 0) FROM {}")
                                    .format(sql.Identifier(f"billing_v{version}", "cdrs"))
                                    ).fetchone() or (Decimal(0),)  # fmt: skip
            out[f"billing_v{version}_excl_vat"] = str(total)
    return out


def run(count: int, log_dir: Path, batch_size: int) -> dict[str, Any]:
    with isolated(projector_batch_size=batch_size) as settings:
        log_dir.mkdir(parents=True, exist_ok=True)
        services = ServiceSet(settings, log_dir)
        produced, fill_s = asyncio.run(fill(settings, count))
        live_s = build_live(services, timeout=3600)
        result = backfill(services, timeout=3600)
        kafka_read, kafka_s = asyncio.run(kafka_floor(settings))
        stored, store_s = store_floor(settings.libpq_url)
        money = totals(settings.libpq_url)
    decoded, decode_s = in_process_floor(min(count, 200_000))
    return {
        "events": produced, "fill_s": round(fill_s, 1), "live_build_s": round(live_s, 1),
        "batch_size": batch_size, **result, **money,
        "kafka_floor_records_per_s": round(kafka_read / kafka_s),
        "in_process_floor_events_per_s": round(decoded / decode_s),
        "store_floor_rows": stored, "store_floor_s": round(store_s, 1),
        "store_floor_events_per_s": round(produced / store_s),
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--batch-size", type=int, default=2000)
    p.add_argument("--logs", type=Path, default=Path("var/bench/logs-billing"))
    args = p.parse_args()
    print(json.dumps(run(args.events, args.logs, args.batch_size), indent=2))


if __name__ == "__main__":
    main()
