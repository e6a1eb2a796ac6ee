"""The audit projection's pure parts: what the framing reads of a record, the checkpoint
rule (frame time, never the clock), an answer's action from its call, and which events get
a frame_events row with which transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from audit import chain
from projections.audit import (
    AuditSettings,
    Chaining,
    Framing,
    Head,
    frame_event_row,
    frames_position,
    framing,
)
from projections.runtime.projection import FrameItem, LoggedEvent
from schemas.envelopes import Direction, FrameRecord, RecordKind

AT = datetime(2026, 3, 1, tzinfo=UTC)
RULES = AuditSettings(checkpoint_every=3, checkpoint_seconds=60, signing_key=Path("unused"))


def item(offset: int, raw: str | None, direction: Direction = Direction.IN,
         seconds: int = 0, connection: str = "c1") -> FrameItem:  # fmt: skip
    record = FrameRecord(station_id="CP", direction=direction, ocpp_version="ocpp1.6",
                         gateway_id="gw", connection_id=connection,
                         at=AT + timedelta(seconds=seconds), raw=raw,
                         kind=RecordKind.FRAME if raw else RecordKind.CONNECTED)  # fmt: skip
    return FrameItem("p.frames", 0, offset, 0, "CP", record.encode(), record)


def test_the_framing_reads_type_id_and_action_where_it_can() -> None:
    assert framing('[2,"m1","Heartbeat",{}]', "ocpp1.6") == Framing(2, "m1", "Heartbeat")
    assert framing('[3,"m1",{}]', "ocpp2.0.1") == Framing(3, "m1")
    assert framing('[4,"m1","InternalError","",{}]', "ocpp1.6") == Framing(4, "m1")
    assert framing("not json", "ocpp1.6") == Framing()
    assert framing('[3,"m1"]', "ocpp1.6") == Framing(3, "m1")  # wrong arity: what it read
    assert framing(None, "ocpp1.6") == Framing()


def test_links_follow_the_values_and_an_answer_takes_its_calls_action() -> None:
    chaining = Chaining({}, RULES)
    items = [item(0, None), item(1, '[2,"m1","Heartbeat",{}]'),
             item(2, '[3,"m1",{}]', Direction.OUT), item(3, '[3,"m9",{}]', Direction.OUT),
             item(4, '[3,"m1",{}]', Direction.OUT, connection="c2")]  # fmt: skip
    for i in items:
        chaining.add(i)
    assert [r.seq for r in chaining.rows] == [1, 2, 3, 4, 5]
    assert chaining.rows[-1].link == chain.head("CP", [i.value for i in items])
    assert chaining.rows[2].framing.action == "Heartbeat" and not chaining.rows[2].answers
    # Not in this batch (or another connection's): left for the index to answer.
    assert (chaining.rows[3].framing.action, chaining.rows[3].answers) == (None, True)
    assert (chaining.rows[4].framing.action, chaining.rows[4].answers) == (None, True)


def test_checkpoints_at_the_first_record_then_every_n_or_after_t_seconds() -> None:
    chaining = Chaining({}, RULES)
    for offset, seconds in enumerate([0, 1, 2, 3, 4, 100, 101]):
        chaining.add(item(offset, '[2,"m","Heartbeat",{}]', seconds=seconds))
    assert [c.count for c in chaining.due] == [1, 4, 6]
    assert chaining.due[1].offset == 3 and chaining.due[2].at == AT + timedelta(seconds=100)
    head = chaining.heads["CP"]
    assert (head.seq, head.checkpointed_seq) == (7, 6)


def test_a_head_from_an_earlier_batch_goes_on() -> None:
    earlier = Head(10, b"\x01" * 32, AT, checkpointed_seq=9, checkpointed_at=AT)
    chaining = Chaining({"CP": earlier}, RULES)
    chaining.add(item(50, '[2,"m","Heartbeat",{}]', seconds=5))
    assert chaining.rows[0].seq == 11
    assert chaining.rows[0].link == chain.link(b"\x01" * 32, chaining.rows[0].item.value)
    assert chaining.due == []


def test_an_unreadable_record_is_chained_all_the_same() -> None:
    broken = FrameItem("p.frames", 0, 7, 1_700_000_000_000, "CP", b"{oops", None, "bad json")
    chaining = Chaining({}, RULES)
    chaining.add(broken)
    row = chaining.rows[0]
    assert (row.kind, row.seq, row.link) == ("unreadable", 1, chain.head("CP", [b"{oops"]))
    assert row.at == datetime.fromtimestamp(1_700_000_000, UTC)


def envelope(causation: str, kind: str = "TransactionStarted", **data: object) -> LoggedEvent:
    return LoggedEvent("p.events", 1, 42, {"event_id": str(uuid.uuid4()), "type": kind,
                                           "station_id": "CP", "causation_id": causation,
                                           "data": data})  # fmt: skip


def test_events_caused_by_frames_are_indexed_with_their_transaction() -> None:
    row = frame_event_row(envelope("p.frames/0/17", id=4711, transaction_id="T"))
    assert row is not None and (row.causation_id, row.transaction_pk) == ("p.frames/0/17", 4711)
    booted = frame_event_row(envelope("p.frames/0/17", "StationBooted", id=3))
    assert booted is not None and booted.transaction_pk is None
    assert frame_event_row(envelope("cmd-9f0c", id=1)) is None
    assert frame_event_row(envelope("p.frames/0/x")) is None


def test_a_frames_position_is_topic_partition_offset_of_a_frames_topic() -> None:
    assert frames_position("csms.frames/3/1200")
    assert not frames_position("csms.commands/3/1200")
    assert not frames_position("3f1e0c6a-0b7d-4d5e-9a9c-1c2d3e4f5a6b")
