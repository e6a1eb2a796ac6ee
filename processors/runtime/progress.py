"""How far the agent has read the frames log, so that time never overtakes an answer already
in it (docs/CALLS.md, "Timeouts and the log").

A tick travels on the commands log and an answer on the frames log, and Faust gives no order
between two topics: a tick sent at a deadline can be processed before an answer the gateway
appended before that deadline (after a restart, or whenever the agent lags), and the call
would end ``timed_out`` though the station answered in time. The clock therefore sends a
station's tick only once the agent has processed every frame of the station's partition that
was in the log when the deadline passed: :class:`FramesProgress` keeps the agent's processed
offsets and snapshots of the log's end offsets taken by the clock, and answers whether a
deadline is *settled*.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka.partitioner import DefaultPartitioner

MAX_SNAPSHOTS = 600
"""Snapshots kept (one per clock round with something due: ten minutes at the default
one-second tick); a deadline older than every snapshot is judged by the oldest one."""


@dataclass(frozen=True, slots=True)
class EndOffsets:
    """The frames log's end offsets (next offset to be written) per partition, at ``taken_at``."""

    taken_at: datetime
    ends: Mapping[int, int]


@dataclass(slots=True)
class FramesProgress:
    """The frames partitions processed by this worker's agent, against the log's end offsets."""

    partitions: int
    processed: dict[int, int] = field(default_factory=dict)
    """Partition → the next offset to process (one past the last frame the agent finished)."""
    snapshots: list[EndOffsets] = field(default_factory=list)
    _partitioner: DefaultPartitioner = field(default_factory=DefaultPartitioner)

    def done(self, partition: int, offset: int) -> None:
        """The agent finished the frame at ``offset`` of ``partition``."""
        if offset >= self.processed.get(partition, 0):
            self.processed[partition] = offset + 1

    def committed(self, offsets: Mapping[int, int | None]) -> None:
        """Offsets committed for the group (where the agent resumed after an assignment):
        frames before them were processed by this worker or an earlier one."""
        for partition, offset in offsets.items():
            if offset is not None and offset > self.processed.get(partition, 0):
                self.processed[partition] = offset

    def behind(self, partition: int, end: int) -> bool:
        """Whether frames before ``end`` may still be unprocessed in ``partition``."""
        return self.processed.get(partition, 0) < end

    def snapshot(self, taken: EndOffsets) -> None:
        self.snapshots.append(taken)
        del self.snapshots[:-MAX_SNAPSHOTS]

    def partition_of(self, station_id: str) -> int:
        """The frames partition of a station (the gateway keys frames by station id and
        produces with Kafka's default partitioner: murmur2 of the key)."""
        every = list(range(self.partitions))
        partition: int = self._partitioner(station_id.encode(), every, every)
        return partition

    def settled(self, station_id: str, deadline: datetime) -> bool:
        """Whether every frame of the station's partition appended before ``deadline`` is
        processed: judged against the first snapshot taken at or after the deadline (none:
        not yet known, so not settled)."""
        moments = [s.taken_at for s in self.snapshots]
        at = bisect_left(moments, deadline)
        if at == len(self.snapshots):
            return False
        partition = self.partition_of(station_id)
        end = self.snapshots[at].ends.get(partition)
        return end is None or not self.behind(partition, end)

    def forget_before(self, deadline: datetime) -> None:
        """Drop the snapshots no deadline at or after ``deadline`` will be judged by."""
        moments = [s.taken_at for s in self.snapshots]
        del self.snapshots[:bisect_left(moments, deadline)]
