"""Reading the read store back in tests: snapshots and projector progress."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg
from aiokafka.admin import AIOKafkaAdminClient

from csms.config import Settings
from schemas.topics import Topics
from tests.integration.kafka_reading import read_all


def snapshot(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read-model table the API reads (the views of schema ``public``
    onto the live versions), in a stable order."""
    with psycopg.connect(database_url) as conn:
        query = "SELECT viewname FROM pg_views WHERE schemaname = 'public' ORDER BY viewname"
        views = [r[0] for r in conn.execute(query)]
        return {
            v: sorted(conn.execute(f'SELECT * FROM "{v}"').fetchall(), key=repr) for v in views
        }


def applied_offsets(database_url: str) -> dict[tuple[str, int], int]:
    """Per (topic, partition): the next offset every live projection version has reached."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT o.topic, o.partition, min(o.next_offset), count(*) FROM projection_offsets o"
            " JOIN projection_versions v ON (v.projection, v.version) = (o.projection, o.version)"
            " WHERE v.status = 'live' GROUP BY 1, 2"
        ).fetchall()
        counted = conn.execute("SELECT count(*) FROM projection_versions WHERE status = 'live'")
        (live,) = counted.fetchone() or (0,)
    # A partition some live version has no offset for yet has not been reached by it.
    return {(t, p): o for t, p, o, n in rows if n == live}


async def last_offsets(bootstrap: str, topics: list[str]) -> dict[tuple[str, int], int]:
    """The offset of the last committed record of each partition that has one."""
    last: dict[tuple[str, int], int] = {}
    for topic in topics:
        for record in await read_all(bootstrap, topic):
            key = (topic, record.partition)
            last[key] = max(last.get(key, -1), record.offset)
    return last


async def wait_caught_up(
    bootstrap: str, database_url: str, topics: list[str], timeout: float = 60.0
) -> None:
    """Until the projector has applied every record now in ``topics``."""
    targets = await last_offsets(bootstrap, topics)
    deadline = time.monotonic() + timeout
    while True:
        applied = applied_offsets(database_url)
        if all(applied.get(k, 0) > offset for k, offset in targets.items()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"projector behind: applied {applied}, last records {targets}")
        await asyncio.sleep(0.2)


def connected_stations(database_url: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT station_id FROM stations WHERE connected").fetchall()
    return [r[0] for r in rows]


async def processed_offsets(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {(tp.topic, tp.partition): meta.offset for tp, meta in committed.items()}


async def wait_processed(settings: Settings, timeout: float = 60.0) -> None:
    """Until the processor has committed every frame now in the frames log."""
    frames = Topics(settings.topic_prefix).frames
    targets = await last_offsets(settings.bootstrap, [frames])
    deadline = time.monotonic() + timeout
    while True:
        done = await processed_offsets(settings.bootstrap, settings.processor_id)
        if all(done.get(k, 0) > offset for k, offset in targets.items()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"processor behind: committed {done}, last frames {targets}")
        await asyncio.sleep(0.2)


async def wait_settled(settings: Settings, timeout: float = 60.0) -> None:
    """Until nothing is in flight: every station of earlier tests has gone (its disconnect is
    projected), the processor has handled every frame and the projector every event."""
    deadline = time.monotonic() + timeout
    while connected_stations(settings.libpq_url):
        if time.monotonic() > deadline:
            raise AssertionError(f"still connected: {connected_stations(settings.libpq_url)}")
        await asyncio.sleep(0.2)
    await wait_processed(settings, timeout)
    topics = Topics(settings.topic_prefix)
    await wait_caught_up(settings.bootstrap, settings.libpq_url, [topics.events, topics.admin],
                         timeout)  # fmt: skip
