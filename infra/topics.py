"""Explicit topic creation (the broker never auto-creates topics)."""

from __future__ import annotations

import contextlib
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from csms.config import Settings
from schemas.topics import FOREVER, Topics

log = logging.getLogger(__name__)

# Bounded retention for delivery topics: a frame nobody delivered within a week is moot.
DELIVERY_RETENTION_MS = 7 * 24 * 3600 * 1000


def forever_topics(settings: Settings) -> list[NewTopic]:
    topics = Topics(settings.topic_prefix)
    config = {"retention.ms": str(FOREVER), "retention.bytes": "-1"}
    return [
        NewTopic(name, settings.partitions, 1, topic_configs=config) for name in topics.forever()
    ]


def delivery_topic(settings: Settings, gateway_id: str) -> NewTopic:
    name = Topics(settings.topic_prefix).delivery(gateway_id)
    return NewTopic(name, 1, 1, topic_configs={"retention.ms": str(DELIVERY_RETENTION_MS)})


async def create_topics(settings: Settings, new_topics: list[NewTopic]) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in new_topics if t.name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()
    for t in missing:
        log.info("created topic %s (%d partitions)", t.name, t.num_partitions)
    return [t.name for t in missing]


async def create_all(settings: Settings) -> list[str]:
    return await create_topics(settings, forever_topics(settings))
