"""Explicit topic creation (the broker never auto-creates topics)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from infra.config import TopicsConfig
from schemas.topics import FOREVER, Topics

log = logging.getLogger(__name__)

# Bounded retention for delivery topics: a frame nobody delivered within a week is moot.
DELIVERY_RETENTION_MS = 7 * 24 * 3600 * 1000


def forever_topics(deployment: TopicsConfig) -> list[NewTopic]:
    topics = Topics(deployment.prefix)
    config = {"retention.ms": str(FOREVER), "retention.bytes": "-1"}
    return [
        NewTopic(name, deployment.partitions, 1, topic_configs=config)
        for name in topics.forever()
    ]


def delivery_topic(deployment: TopicsConfig, gateway_id: str) -> NewTopic:
    name = Topics(deployment.prefix).delivery(gateway_id)
    return NewTopic(name, 1, 1, topic_configs={"retention.ms": str(DELIVERY_RETENTION_MS)})


async def create_topics(deployment: TopicsConfig, new_topics: list[NewTopic]) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=deployment.bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in new_topics if t.name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
            await _wait_ready(admin, [t.name for t in missing])
    finally:
        await admin.close()
    for t in missing:
        log.info("created topic %s (%d partitions)", t.name, t.num_partitions)
    return [t.name for t in missing]


async def _wait_ready(admin: AIOKafkaAdminClient, names: list[str], timeout: float = 30.0) -> None:
    """Until every partition of ``names`` has a leader in the broker's metadata: a created
    topic is answered before every broker serves it, and clients started next must find it."""
    deadline = time.monotonic() + timeout
    while True:
        described = await admin.describe_topics(names)
        if all(_ready(d) for d in described):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics not ready after {timeout:.0f} s: {described}")
        await asyncio.sleep(0.1)


def _ready(described: dict[str, object]) -> bool:
    partitions = described.get("partitions")
    return (
        described.get("error_code") == 0
        and isinstance(partitions, list)
        and bool(partitions)
        and all(p.get("leader", -1) >= 0 for p in partitions)
    )


async def create_all(deployment: TopicsConfig) -> list[str]:
    return await create_topics(deployment, forever_topics(deployment))
