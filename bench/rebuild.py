"""Benchmark 5: events per second to rebuild every read model from offset 0.

Fills an isolated events topic with at least ``--events`` domain events made by the
processor's own decide functions over simulated charging sessions (bench/sessions_sim.py),
then runs ``csms projections build --all --detach`` (a new version of every projection,
built beside the live ones) and times it until it has caught up with the log."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import psycopg
from aiokafka import AIOKafkaProducer
from psycopg import sql

from bench.sessions_sim import generate
from bench.stack import isolated
from csms.config import Settings
from schemas.topics import Topics
from tests.services import ServiceSet


async def fill(settings: Settings, count: int) -> tuple[int, float]:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=20,
                                max_batch_size=1 << 20)  # fmt: skip
    await producer.start()
    start = time.perf_counter()
    produced = 0
    pending = []
    try:
        for event in generate(count):
            key = (event.station_id or "").encode()
            pending.append(await producer.send(Topics(settings.topic_prefix).events,
                                               event.encode(), key=key))  # fmt: skip
            produced += 1
            if len(pending) >= 10000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return produced, time.perf_counter() - start


def build_all(services: ServiceSet, timeout: float) -> float:
    """Seconds ``csms projections build --all --detach`` takes, start to caught up."""
    start = time.perf_counter()
    output = services.csms("projections", "build", "--all", "--detach", timeout_s=timeout)
    elapsed = time.perf_counter() - start
    if " ready" not in output:
        raise RuntimeError(f"the build did not finish: {output[-2000:]}")
    return elapsed


def run(count: int, log_dir: Path, batch_size: int) -> dict[str, Any]:
    with isolated(projector_batch_size=batch_size) as settings:
        log_dir.mkdir(parents=True, exist_ok=True)
        services = ServiceSet(settings, log_dir)
        produced, fill_s = asyncio.run(fill(settings, count))
        elapsed = build_all(services, timeout=3600)
        rows, floor_s = store_floor(settings.libpq_url, "transactions_v2")
    return {"events": produced, "fill_s": round(fill_s, 1), "rebuild_s": round(elapsed, 1),
            "events_per_s": round(produced / elapsed), "batch_size": batch_size,
            "meter_value_rows": rows, "store_floor_s": round(floor_s, 1),
            "store_floor_events_per_s": round(produced / floor_s)}  # fmt: skip


def store_floor(database_url: str, schema: str) -> tuple[int, float]:
    """PostgreSQL's own floor for this rebuild: the time to store the rebuilt meter values
    alone (one INSERT ... SELECT into an empty copy of the table, same indexes), with no
    projector, Kafka or client in the way. Half the events are meter values, eight rows
    each: no rebuild of these read models on this server is faster than that."""
    with psycopg.connect(database_url) as conn:
        conn.execute("SET synchronous_commit = off")
        rebuilt = sql.Identifier(schema, "meter_values")
        conn.execute(sql.SQL("CREATE TABLE store_floor (LIKE {} INCLUDING ALL)").format(rebuilt))
        conn.commit()
        start = time.perf_counter()
        insert = sql.SQL("INSERT INTO store_floor SELECT * FROM {}").format(rebuilt)
        rows = conn.execute(insert).rowcount
        conn.commit()
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE store_floor")
    return rows, elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--batch-size", type=int, default=1000)
    p.add_argument("--logs", type=Path, default=Path("var/bench/logs-rebuild"))
    args = p.parse_args()
    print(json.dumps(run(args.events, args.logs, args.batch_size), indent=2))


if __name__ == "__main__":
    main()
