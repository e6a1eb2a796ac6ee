"""Faust tables whose changelog writes join the Kafka transaction of the record that made them.

A Faust table hands each changelog write to the producer's buffer (``send_soon``), which a
background task publishes later. With ``processing_guarantee="exactly_once"`` Faust commits a
transaction with the consumed offsets *without* draining that buffer first, so a write made
while processing record N could be published into the transaction after the one that
committed N's offset. A crash in between lost the write while N counted as done: after a
restart the station's state lacked the call in flight, its answer was recorded as unmatched
and the Pipe sent the call again.

These tables keep the record's writes aside instead; the agent publishes them
(:meth:`ChangelogWrites.publish`) before it finishes the record, so they reach the
transactional producer ahead of the record's offset, in the same transaction as its events
and deliveries. Reads, recovery and standby replicas are Faust's, unchanged.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.types import FutureMessage
from faust.types.codecs import CodecArg


class ChangelogWrites:
    """The changelog writes of the record being processed, in the order they were made."""

    def __init__(self) -> None:
        self._pending: list[FutureMessage] = []

    def add(self, fut: FutureMessage) -> None:
        self._pending.append(fut)

    def __len__(self) -> int:
        return len(self._pending)

    async def publish(self) -> None:
        """Hand the writes to the producer; inside an agent that is the transaction manager,
        which routes each to the transactional producer of its partition."""
        pending, self._pending = self._pending, []
        for fut in pending:
            await fut.message.channel.publish_message(fut, wait=False)


class _Deferred:
    """Replaces :meth:`faust.Table.send_changelog`: builds the same message, defers sending."""

    writes: ChangelogWrites | None = None
    changelog_topic: Any
    key_serializer: CodecArg
    value_serializer: CodecArg

    def send_changelog(
        self,
        partition: int | None,
        key: Any,
        value: Any,
        key_serializer: CodecArg | None = None,
        value_serializer: CodecArg | None = None,
    ) -> FutureMessage:
        if self.writes is None:
            raise RuntimeError("table used before its ChangelogWrites was attached")
        fut: FutureMessage = self.changelog_topic.as_future_message(
            key=key,
            value=value,
            partition=partition,
            key_serializer=self.key_serializer if key_serializer is None else key_serializer,
            value_serializer=(
                self.value_serializer if value_serializer is None else value_serializer
            ),
            callback=self._on_changelog_sent,  # type: ignore[attr-defined]
            eager_partitioning=True,
        )
        self.writes.add(fut)
        return fut


class TransactionalTable(_Deferred, faust.Table[Any, Any]):
    """A :class:`faust.Table` whose writes go out through :class:`ChangelogWrites`."""


class TransactionalGlobalTable(_Deferred, faust.GlobalTable):
    """A :class:`faust.GlobalTable` whose writes go out through :class:`ChangelogWrites`."""


def attach(writes: ChangelogWrites, *tables: Any) -> None:
    for table in tables:
        if not isinstance(table, _Deferred):
            raise TypeError(f"{table!r} is not a transactional table")
        table.writes = writes
