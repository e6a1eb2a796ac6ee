"""The projector's routing of the frames log: only projections that read frames get its
records (and claim its offsets); a projector of event-only versions never follows it."""

from __future__ import annotations

from aiokafka import TopicPartition

from projections.runtime.discovery import projection_named
from projections.runtime.projector import Projector, Target
from schemas.readmodel import AUDIT


def projector(*names: str) -> Projector:
    return Projector(bootstrap="unused:9092", database_url="postgresql://unused", topics=(
        "p.events", "p.admin"), targets=[Target(projection_named(n), 1) for n in names],
        frames_topic="p.frames")  # fmt: skip


def test_frames_go_only_to_the_projections_that_read_them() -> None:
    both = projector("stations", AUDIT, "transactions")
    assert both.topics == ("p.events", "p.admin", "p.frames")
    assert [t.projection.name for t in both.targets_of(TopicPartition("p.frames", 0))] == [AUDIT]
    assert len(both.targets_of(TopicPartition("p.events", 0))) == 3


def test_event_only_versions_do_not_follow_the_frames_topic() -> None:
    assert projector("stations", "transactions").topics == ("p.events", "p.admin")
