"""When a Pipe deadline is settled: every frame of the station's partition appended before it
has been processed (processors/runtime/progress.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from processors.runtime.progress import MAX_SNAPSHOTS, EndOffsets, FramesProgress

T0 = datetime(2026, 1, 1, tzinfo=UTC)
STATION = "CS-1"


def progress_with(*snapshots: tuple[float, int]) -> tuple[FramesProgress, int]:
    """A progress over 4 partitions with snapshots (seconds after T0, end of the station's
    partition); also the station's partition."""
    progress = FramesProgress(partitions=4)
    partition = progress.partition_of(STATION)
    for seconds, end in snapshots:
        progress.snapshot(EndOffsets(T0 + timedelta(seconds=seconds), {partition: end}))
    return progress, partition


def test_station_partition_is_kafkas_default_murmur2() -> None:
    # Kafka's own murmur2 test vector (clients UtilsTest): murmur2("abc") = 479470107, so the
    # Java producer puts the key in partition 479470107 % 4 = 3.
    assert FramesProgress(partitions=4).partition_of("abc") == 3


def test_no_snapshot_after_the_deadline_is_not_settled() -> None:
    progress, partition = progress_with((1, 0))
    progress.done(partition, 0)
    assert not progress.settled(STATION, T0 + timedelta(seconds=2))


def test_settled_once_the_frames_before_the_deadline_are_processed() -> None:
    progress, partition = progress_with((1, 3), (2, 5), (3, 9))
    deadline = T0 + timedelta(seconds=1.5)  # judged by the snapshot at 2 s: frames 0..4
    progress.done(partition, 3)
    assert not progress.settled(STATION, deadline)
    progress.done(partition, 4)
    assert progress.settled(STATION, deadline)
    # a frame appended after the deadline does not hold it
    assert not progress.behind(partition, 5) and progress.behind(partition, 9)


def test_other_partitions_do_not_hold_a_station() -> None:
    progress, partition = progress_with((1, 2))
    other = (partition + 1) % 4
    progress.done(other, 50)
    assert not progress.settled(STATION, T0)
    progress.done(partition, 1)
    assert progress.settled(STATION, T0)


def test_committed_offsets_count_as_processed_and_never_move_back() -> None:
    progress, partition = progress_with((1, 10))
    progress.committed({partition: 10})
    assert progress.settled(STATION, T0)
    progress.committed({partition: 4})
    progress.done(partition, 2)  # a frame redelivered below what is known
    assert progress.processed[partition] == 10
    progress.committed({partition: None})
    assert progress.processed[partition] == 10


def test_forget_before_keeps_the_snapshot_a_deadline_is_judged_by() -> None:
    progress, partition = progress_with((1, 1), (2, 2), (3, 3))
    progress.forget_before(T0 + timedelta(seconds=1.5))
    assert [s.taken_at for s in progress.snapshots] == [T0 + timedelta(seconds=2),
                                                        T0 + timedelta(seconds=3)]  # fmt: skip
    progress.done(partition, 1)
    assert progress.settled(STATION, T0 + timedelta(seconds=1.5))


def test_snapshots_are_bounded() -> None:
    progress, _ = progress_with(*((i, i) for i in range(MAX_SNAPSHOTS + 5)))
    assert len(progress.snapshots) == MAX_SNAPSHOTS
    assert progress.snapshots[0].taken_at == T0 + timedelta(seconds=5)
