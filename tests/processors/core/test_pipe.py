"""The Pipe, driven with values only: queueing, one in flight, answers, timeouts, late
answers, unmatched answers, disconnects, cancel and expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp import Call, CallError, CallResult, OcppVersion
from processors.core.pipe import (
    Link,
    Pipe,
    PipeCall,
    PipeDecision,
    decide_answer,
    decide_cancel,
    decide_connection,
    decide_request,
    decide_tick,
    evolve_pipe,
    next_deadline,
)
from schemas.events import (
    CallAnswered,
    CallCancelled,
    CallCancelRefused,
    CallExpired,
    CallQueued,
    CallRejected,
    CallSent,
    CallTimedOut,
    DomainEvent,
    UnmatchedCallAnswer,
)

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ONLINE = Link(connected=True, connection_id="c1")
OFFLINE = Link(connected=False, connection_id="c1")
TIMEOUT = timedelta(seconds=30)


def call(n: int, *, expires_in: float = 3600) -> PipeCall:
    return PipeCall(call_id=f"call-{n}", action="Reset", payload={"type": "Soft"},
                    created_at=T0, expires_at=T0 + timedelta(seconds=expires_in))  # fmt: skip


def apply(pipe: Pipe, decision: PipeDecision) -> Pipe:
    for event in decision.events:
        pipe = evolve_pipe(pipe, event)
    return pipe


def types(decision: PipeDecision) -> list[type[DomainEvent]]:
    return [type(e) for e in decision.events]


def data(decision: PipeDecision, n: int = 0) -> dict[str, Any]:
    """The n-th event's data as the events log carries it."""
    event: dict[str, Any] = decision.events[n].model_dump(mode="json", exclude_unset=True)
    return event


def test_first_call_is_sent_at_once_and_the_rest_queue_in_order() -> None:
    pipe = Pipe()
    first = decide_request(pipe, call(1), ONLINE, T0)
    assert types(first) == [CallQueued, CallSent]
    assert first.send == Call("call-1", "Reset", {"type": "Soft"})
    pipe = apply(pipe, first)
    for n in (2, 3):
        d = decide_request(pipe, call(n), ONLINE, T0)
        assert types(d) == [CallQueued] and d.send is None  # one in flight at most
        pipe = apply(pipe, d)
    assert pipe.in_flight is not None and pipe.in_flight.call_id == "call-1"
    assert [c.call_id for c in pipe.queue] == ["call-2", "call-3"]

    answered = decide_answer(pipe, CallResult("call-1", {"status": "Accepted"}), ONLINE, T0)
    assert types(answered) == [CallAnswered, CallSent]
    assert data(answered)["response"] == {"status": "Accepted"}
    assert answered.send is not None and answered.send.unique_id == "call-2"


def test_redelivered_request_is_ignored() -> None:
    pipe = apply(Pipe(), decide_request(Pipe(), call(1), ONLINE, T0))
    assert decide_request(pipe, call(1), ONLINE, T0) == PipeDecision()


def test_offline_station_queues_until_it_connects() -> None:
    pipe = apply(Pipe(), decide_request(Pipe(), call(1), OFFLINE, T0))
    assert pipe.in_flight is None and len(pipe.queue) == 1
    back = decide_connection(pipe, Link(True, "c2"), T0 + timedelta(minutes=5))
    assert types(back) == [CallSent]
    assert data(back)["connection_id"] == "c2"


def test_call_error_rejects_and_next_proceeds() -> None:
    pipe = Pipe()
    for n in (1, 2):
        pipe = apply(pipe, decide_request(pipe, call(n), ONLINE, T0))
    d = decide_answer(pipe, CallError("call-1", "NotSupported", "no", {}), ONLINE, T0)
    assert types(d) == [CallRejected, CallSent]
    assert data(d)["error_code"] == "NotSupported"


def test_timeout_then_late_answer_is_recorded_against_its_call() -> None:
    pipe = Pipe()
    for n in (1, 2):
        pipe = apply(pipe, decide_request(pipe, call(n), ONLINE, T0))
    assert decide_tick(pipe, ONLINE, T0 + TIMEOUT - timedelta(seconds=1), TIMEOUT) == PipeDecision()
    tick = decide_tick(pipe, ONLINE, T0 + TIMEOUT, TIMEOUT)
    assert types(tick) == [CallTimedOut, CallSent]
    pipe = apply(pipe, tick)
    late = decide_answer(pipe, CallResult("call-1", {"status": "Accepted"}), ONLINE, T0)
    assert types(late) == [CallAnswered] and data(late)["late"] is True
    assert late.send is None
    pipe = apply(pipe, late)
    assert pipe.in_flight is not None and pipe.in_flight.call_id == "call-2"


def test_answer_matching_nothing_is_recorded_not_crashed_on() -> None:
    d = decide_answer(Pipe(), CallResult("who-knows", {"x": 1}), ONLINE, T0)
    assert types(d) == [UnmatchedCallAnswer]
    assert data(d) == {"message_id": "who-knows", "response": {"x": 1}}


def test_disconnect_ends_the_call_in_flight_but_keeps_the_queue() -> None:
    pipe = Pipe()
    for n in (1, 2):
        pipe = apply(pipe, decide_request(pipe, call(n), ONLINE, T0))
    down = decide_connection(pipe, OFFLINE, T0)
    assert types(down) == [CallTimedOut]
    pipe = apply(pipe, down)
    assert pipe.in_flight is None and [c.call_id for c in pipe.queue] == ["call-2"]


def test_cancel_only_queued_calls() -> None:
    pipe = Pipe()
    for n in (1, 2):
        pipe = apply(pipe, decide_request(pipe, call(n), ONLINE, T0))
    assert types(decide_cancel(pipe, "call-2")) == [CallCancelled]
    refused = decide_cancel(pipe, "call-1")
    assert refused.events == (CallCancelRefused(call_id="call-1", reason="already sent"),)
    pipe = apply(pipe, decide_cancel(pipe, "call-2"))
    assert pipe.queue == ()


def test_queued_calls_expire() -> None:
    pipe = apply(Pipe(), decide_request(Pipe(), call(1, expires_in=60), OFFLINE, T0))
    d = decide_tick(pipe, OFFLINE, T0 + timedelta(seconds=61), TIMEOUT)
    assert types(d) == [CallExpired]
    assert apply(pipe, d).queue == ()


V16_ONLINE = Link(connected=True, connection_id="c1", version=OcppVersion.V16)


def test_a_call_invalid_for_the_stations_version_is_never_sent_and_the_next_proceeds() -> None:
    bad = PipeCall(call_id="bad", action="Reset", payload={"type": "Immediate"},  # 2.0.1 only
                   created_at=T0, expires_at=T0 + timedelta(hours=1))  # fmt: skip
    pipe = apply(Pipe(), decide_request(Pipe(), bad, OFFLINE, T0))
    pipe = apply(pipe, decide_request(pipe, call(2), OFFLINE, T0))
    back = decide_connection(pipe, V16_ONLINE, T0)
    assert types(back) == [CallRejected, CallSent]
    rejected = data(back)
    assert rejected["error_code"] == "PropertyConstraintViolation"
    assert rejected["error_details"]["sent"] is False
    assert back.send is not None and back.send.unique_id == "call-2"


def test_a_call_built_for_another_version_is_not_sent() -> None:
    other = call(1).model_copy(update={"ocpp_version": "ocpp2.0.1"})
    d = decide_request(Pipe(), other, V16_ONLINE, T0)
    never_sent: list[type[DomainEvent]] = [CallQueued, CallRejected]
    assert types(d) == never_sent and d.send is None
    assert apply(Pipe(), d).queue == ()


def test_answer_names_the_call_it_was_merged_with_even_when_late() -> None:
    pipe = apply(Pipe(), decide_request(Pipe(), call(1), ONLINE, T0))
    on_time = decide_answer(pipe, CallResult("call-1", {"status": "Accepted"}), ONLINE, T0)
    assert on_time.answered is not None and on_time.answered.payload == {"type": "Soft"}
    pipe = apply(pipe, decide_tick(pipe, ONLINE, T0 + TIMEOUT, TIMEOUT))
    late = decide_answer(pipe, CallResult("call-1", {"status": "Accepted"}), ONLINE, T0)
    assert late.answered is not None and late.answered.payload == {"type": "Soft"}


def test_next_deadline_is_the_response_timeout_or_the_first_expiry() -> None:
    assert next_deadline(Pipe(), TIMEOUT) is None
    pipe = apply(Pipe(), decide_request(Pipe(), call(1, expires_in=10), OFFLINE, T0))
    assert next_deadline(pipe, TIMEOUT) == T0 + timedelta(seconds=10)
    pipe = apply(Pipe(), decide_request(Pipe(), call(1), ONLINE, T0))
    assert next_deadline(pipe, TIMEOUT) == T0 + TIMEOUT
    assert pipe.idle is False and Pipe().idle is True
