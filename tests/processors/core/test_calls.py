"""The Pipe as the processor drives it: commands, answers (with result handlers and response
validation), connection records, all through ``decide_record`` / ``decide_command``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ocpp import OcppVersion
from processors import InvalidCommand
from processors.core import calls
from processors.core.decision import Context, Decision, HandlerConfig
from processors.core.state import StationState, evolve_all
from processors.dispatch import decide_record
from schemas.commands import CommandKind, CommandRecord
from schemas.envelopes import Direction, FrameRecord, RecordKind
from schemas.events import (
    CallAnswered,
    CallQueued,
    CallSent,
    CallTimedOut,
    ConfigurationChanged,
    StationConnected,
    StationDisconnected,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
V16 = OcppVersion.V16


def ctx(now: datetime = NOW, n: int = 0) -> Context:
    config = HandlerConfig(call_response_timeout_s=30)
    return Context(station_id="CP-1", version=V16, now=now, causation_id=f"x/0/{n}",
                   correlation_id="c", config=config)  # fmt: skip


def record(kind: RecordKind = RecordKind.FRAME, raw: str | None = None,
           connection: str = "c1") -> FrameRecord:  # fmt: skip
    return FrameRecord(kind=kind, station_id="CP-1", direction=Direction.IN, ocpp_version="ocpp1.6",
                       gateway_id="gw", connection_id=connection, at=NOW, raw=raw)  # fmt: skip


def command(call_id: str, action: str, payload: dict[str, object]) -> CommandRecord:
    return CommandRecord(kind=CommandKind.CALL, station_id="CP-1", at=NOW, call_id=call_id,
                         action=action, payload=payload, ocpp_version="ocpp1.6",
                         expires_at=NOW + timedelta(hours=1))  # fmt: skip


def run(state: StationState, decision: Decision) -> StationState:
    return evolve_all(state, decision.events)


def connected() -> StationState:
    return run(StationState(), decide_record(StationState(), record(RecordKind.CONNECTED), ctx()))


def test_a_call_command_sends_on_the_current_connection_with_correlated_events() -> None:
    state = connected()
    d = calls.decide_command(state, command("k1", "ChangeConfiguration",
                                            {"key": "A", "value": "1"}), ctx())  # fmt: skip
    assert [type(e.data) for e in d.events] == [CallQueued, CallSent]
    assert {e.correlation_id for e in d.events} == {"k1"}
    assert d.send is not None and d.send.unique_id == "k1"
    assert len({e.event_id for e in d.events}) == 2
    state = run(state, d)
    assert state.pipe.in_flight is not None
    assert calls.deadline(state.pipe, ctx()) == (NOW + timedelta(seconds=30)).isoformat()


def test_an_answer_frame_runs_the_result_handler() -> None:
    state = run(connected(), calls.decide_command(
        connected(), command("k1", "ChangeConfiguration", {"key": "A", "value": "1"}), ctx()))
    answer = record(raw=json.dumps([3, "k1", {"status": "Accepted"}]))
    d = decide_record(state, answer, ctx(n=1))
    assert [type(e.data) for e in d.events] == [CallAnswered, ConfigurationChanged]
    assert d.events[1].data == ConfigurationChanged(key="A", value="1", status="Accepted")
    assert d.reply is None and run(state, d).pipe.idle


def test_an_answer_breaking_its_schema_is_recorded_without_result_events() -> None:
    state = run(connected(), calls.decide_command(
        connected(), command("k1", "ChangeConfiguration", {"key": "A", "value": "1"}), ctx()))
    d = decide_record(state, record(raw=json.dumps([3, "k1", {"status": "Maybe"}])), ctx(n=1))
    assert [type(e.data) for e in d.events] == [CallAnswered]
    answered = d.events[0].data
    assert isinstance(answered, CallAnswered) and answered.response_error is not None
    assert answered.response_error.startswith("PropertyConstraintViolation")


def test_reconnecting_station_gets_its_queued_call_and_the_old_one_times_out() -> None:
    state = run(connected(), calls.decide_command(connected(), command("k1", "ClearCache", {}),
                                                  ctx()))  # fmt: skip
    state = run(state, calls.decide_command(state, command("k2", "ClearCache", {}), ctx()))
    d = decide_record(state, record(RecordKind.CONNECTED, connection="c2"), ctx(n=2))
    assert [type(e.data) for e in d.events] == [StationConnected, CallTimedOut, CallSent]
    assert d.send is not None and d.send.unique_id == "k2"


def test_a_tick_after_the_timeout_ends_the_call() -> None:
    state = run(connected(), calls.decide_command(connected(), command("k1", "ClearCache", {}),
                                                  ctx()))  # fmt: skip
    tick = CommandRecord(kind=CommandKind.TICK, station_id="CP-1", at=NOW)
    assert calls.decide_command(state, tick, ctx(NOW + timedelta(seconds=29))).events == ()
    d = calls.decide_command(state, tick, ctx(NOW + timedelta(seconds=30)))
    assert [type(e.data) for e in d.events] == [CallTimedOut]
    assert calls.deadline(run(state, d).pipe, ctx()) is None


def test_connection_records_of_an_idle_pipe_add_nothing() -> None:
    d = decide_record(connected(), record(RecordKind.DISCONNECTED), ctx(n=3))
    assert [type(e.data) for e in d.events] == [StationDisconnected] and d.send is None


def test_a_call_command_without_its_call_id_is_refused() -> None:
    broken = CommandRecord(kind=CommandKind.CALL, station_id="CP-1", at=NOW, action="Reset",
                           payload={"type": "Soft"}, expires_at=NOW)  # fmt: skip
    with pytest.raises(InvalidCommand):
        calls.decide_command(connected(), broken, ctx())
