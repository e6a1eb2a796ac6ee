"""The changelog writes of a record are kept aside until the agent publishes them."""

from __future__ import annotations

from typing import Any

import faust
import pytest
from faust.types import FutureMessage, PendingMessage

from processors.runtime.tables import ChangelogWrites, TransactionalTable, attach


class _Channel:
    def __init__(self) -> None:
        self.published: list[tuple[bytes, bool]] = []

    async def publish_message(self, fut: FutureMessage, wait: bool = False) -> None:
        self.published.append((fut.message.key, wait))  # type: ignore[arg-type]


def _fut(channel: _Channel, key: bytes) -> FutureMessage:
    message = PendingMessage(channel, key, b"v", partition=0, timestamp=None,  # type: ignore[arg-type]
                             headers=None, key_serializer=None, value_serializer=None,
                             callback=None)  # fmt: skip
    return FutureMessage(message)


async def test_publish_sends_in_order_without_waiting_and_empties() -> None:
    channel, writes = _Channel(), ChangelogWrites()
    for key in (b"a", b"b", b"c"):
        writes.add(_fut(channel, key))
    assert len(writes) == 3 and channel.published == []
    await writes.publish()
    assert channel.published == [(b"a", False), (b"b", False), (b"c", False)]
    assert len(writes) == 0
    await writes.publish()
    assert len(channel.published) == 3


async def test_a_table_write_is_kept_aside_until_published() -> None:
    app = faust.App("tables-unit", store="memory://", Table=TransactionalTable)
    table: Any = app.Table("t", default=None, partitions=4, key_type=str)
    writes = ChangelogWrites()
    attach(writes, table)
    fut = table.send_changelog(2, "station-1", {"x": 1})
    assert len(writes) == 1 and fut.message.partition == 2
    assert fut.message.channel is table.changelog_topic


async def test_attach_refuses_a_plain_faust_table() -> None:
    app = faust.App("tables-unit-plain", store="memory://")
    with pytest.raises(TypeError):
        attach(ChangelogWrites(), app.Table("plain", default=None, partitions=1))
