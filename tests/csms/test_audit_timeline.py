"""``csms audit transaction``: how a timeline reads on the terminal, and its argument."""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime

import pytest

from api.routes.audit import TimelineEnd, TimelinePage
from api.timeline import TimelineEvent, TimelineFrame
from csms.audit_timeline import _transaction_id, lines

AT = datetime(2026, 1, 1, 12, tzinfo=UTC)
EVENT_ID = uuid.UUID("00000000-0000-0000-0000-000000000007")


def frame(seq: int, direction: str, raw: str, message_type: int, *, verdict: str = "ok",
          events: list[TimelineEvent] | None = None) -> TimelineFrame:  # fmt: skip
    return TimelineFrame.model_validate({
        "seq": seq, "position": f"p.frames/1/{seq + 40}", "at": AT, "kind": "frame",
        "direction": direction, "message_type": message_type, "message_id": "m1",
        "action": "StartTransaction", "verdict": verdict, "connection_id": "c",
        "ocpp_version": "ocpp1.6", "link": "00", "raw": raw, "events": events or []})  # fmt: skip


def page(end: TimelineEnd | None) -> TimelinePage:
    started = TimelineEvent(position="p.events/1/9", event_id=EVENT_ID,
                            type="TransactionStarted", schema_version=1, occurred_at=AT,
                            data={"id": 5, "meter_start_wh": 0.0})  # fmt: skip
    return TimelinePage(transaction_pk=5, total=2, next_cursor=None, end=end, frames=[
        frame(3, "in", '[2,"m1","StartTransaction",{}]', 2, events=[started]),
        frame(4, "out", '[3,"m1",{}]', 3, verdict="not sent: connection closed")])  # fmt: skip


def test_a_block_per_frame_with_its_events_indented_under_it() -> None:
    text = list(lines(page(TimelineEnd(transaction=None, billing_session=None, cdrs=[]))))
    assert text[0] == "transaction 5: 2 frames"
    call = text.index('  [2,"m1","StartTransaction",{}]')
    assert text[call - 1].startswith("#3 2026-01-01T12:00:00+00:00 station → CSMS CALL "
                                     "StartTransaction [m1]  (p.frames/1/43)")  # fmt: skip
    assert text[call + 1] == (f"    → TransactionStarted v1 {EVENT_ID} (p.events/1/9)")
    assert text[call + 2] == '      {"id": 5, "meter_start_wh": 0.0}'
    answer = text.index('  [3,"m1",{}]')
    assert "CSMS → station CALLRESULT" in text[answer - 1]
    assert text[answer - 1].endswith("!! not sent: connection closed")


def test_the_end_says_when_the_read_model_has_no_row() -> None:
    text = list(lines(page(TimelineEnd(transaction=None, billing_session=None, cdrs=[]))))
    assert text[-2:] == ["transaction row:", "  (none in the transactions read model)"]


def test_a_page_that_is_not_the_last_has_no_end() -> None:
    assert "transaction row:" not in list(lines(page(None)))


@pytest.mark.parametrize("text", ["0", "-3", "abc", "1.5"])
def test_the_id_is_a_positive_integer(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="not a transaction id"):
        _transaction_id(text)
