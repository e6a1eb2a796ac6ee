"""Re-derivation: prove a transaction's events from the wire (docs/AUDIT.md, "Re-derivation").

Given what the logs hold for one station (its recorded events in events-log order, the
frames-log records that caused the transaction's events, and the admin log's reference
data), :func:`rederive` rebuilds the station's state as the processor had it before each of
those frames and runs the processor's own pure handlers (:func:`processors.dispatch.
decide_record`) on the frame again. The events they produce must equal the events recorded
for that frame, field by field, event id included (event ids are derived from the cause).

What the handler is given is what the processor was given then, read from the logs:

- the state: the station's recorded events folded in log order (the processor's state is
  exactly that fold, :func:`processors.core.state.evolve`), with the admin log's
  ``StationConfigured`` of the station merged by time;
- tokens and tariffs: the admin log's reference data recorded before the frame's events'
  time (the processor reads the admin log beside the frames log, so a change made within
  its lag of a frame may have been applied the other way: it shows as a difference);
- ``now``: the recorded events' ``occurred_at`` (the processor's clock when it handled the
  frame); the CSMS transaction id counter: the one the recorded start used;
- the handler settings of this deployment (a setting changed since is a difference).

After each frame the state goes on from the *recorded* events, so one difference is
reported once and does not cascade into the frames after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from api.frames_log import Position
from ocpp import OcppVersion
from processors.core.decision import Context, HandlerConfig, TransactionIds
from processors.core.state import StationState, evolve
from processors.dispatch import decide_record
from processors.runtime.app import Tables, apply_admin, frame_correlation
from schemas.envelopes import FrameRecord, frame_causation
from schemas.events import (
    DomainEvent,
    EventEnvelope,
    EventError,
    StationConfigured,
    TransactionStarted,
)

DifferenceKind = Literal["changed", "missing", "extra", "frame unreadable"]


class EventDifference(BaseModel):
    """One event where the recorded and the re-derived disagree."""

    causation_id: str
    """The frames-log position of the frame."""
    index: int
    """The event's place among the frame's events."""
    kind: DifferenceKind
    """changed: both have it, some field differs; missing: re-derived but not recorded;
    extra: recorded but not re-derived."""
    type: str
    fields: dict[str, tuple[Any, Any]] = {}
    """Field path → (recorded, re-derived), for ``changed``."""


def causation_of(p: Position) -> str:
    """The causation id of what the frames-log record at ``p`` caused."""
    return frame_causation(p.topic, p.partition, p.offset)


@dataclass(slots=True)
class Rederived:
    frames: int = 0
    """Frames re-run."""
    events: int = 0
    """Recorded events compared."""
    differences: list[EventDifference] = field(default_factory=list)


def rederive(station_id: str, station_events: Sequence[EventEnvelope[DomainEvent]],
             frames: Mapping[str, tuple[Position, FrameRecord]],
             admin: Sequence[tuple[bytes, EventEnvelope[DomainEvent]]],
             config: HandlerConfig, partitions: int) -> Rederived:  # fmt: skip
    """Re-run the frames of ``frames`` (by causation id) among ``station_events`` (the
    station's recorded events in log order); ``admin``: the admin log's records (raw value,
    decoded) in log order."""
    run = _Run(Tables(states={}, tokens={}, seqs={}, deadlines={}, tariffs={}, assignments={}),
               station_id, config, partitions)  # fmt: skip
    reference = _Reference(admin, run.tables, station_id)
    waiting = sorted(frames.values(), key=lambda f: f[0].offset)
    # Every event recorded for a frame is compared, wherever it is in the log (an event
    # appended later with an earlier frame's causation id is one of that frame's).
    by_cause: dict[str, list[EventEnvelope[DomainEvent]]] = {}
    for event in station_events:
        by_cause.setdefault(event.causation_id, []).append(event)
    for group in _by_cause(station_events):
        cause = group[0].causation_id
        reference.until(group[0])
        here = frames.get(cause)
        # A frame of the transaction whose events are all gone from the log comes before the
        # first recorded event of a later frame of its partition.
        while waiting and here is not None and waiting[0][0].offset < here[0].offset:
            run.check([], *waiting.pop(0))
        if here is not None and waiting and waiting[0][0] == here[0]:
            run.check(by_cause[cause], *waiting.pop(0))
        _fold(run.tables, station_id, group)
    for position, record in waiting:
        run.check([], position, record)
    return run.result


@dataclass(slots=True)
class _Run:
    tables: Tables
    station_id: str
    config: HandlerConfig
    partitions: int
    result: Rederived = field(default_factory=Rederived)

    def check(self, recorded: list[EventEnvelope[DomainEvent]], position: Position,
              record: FrameRecord) -> None:  # fmt: skip
        """Re-run one frame against its recorded events (none: all of them are missing)."""
        self.result.frames += 1
        self.result.events += len(recorded)
        derived = _decide(self.tables, self.station_id, recorded, position, record, self.config,
                          self.partitions)  # fmt: skip
        self.result.differences += _compare(causation_of(position), recorded, derived)


def _by_cause(events: Iterable[EventEnvelope[DomainEvent]]
              ) -> Iterable[list[EventEnvelope[DomainEvent]]]:  # fmt: skip
    """The events in runs of one causation id (one processed record's events)."""
    run: list[EventEnvelope[DomainEvent]] = []
    for event in events:
        if run and event.causation_id != run[0].causation_id:
            yield run
            run = []
        run.append(event)
    if run:
        yield run


class _Reference:
    """The admin log applied up to a moment (reference data, and the station's
    configuration into its state)."""

    def __init__(self, admin: Sequence[tuple[bytes, EventEnvelope[DomainEvent]]],
                 tables: Tables, station_id: str) -> None:  # fmt: skip
        self.pending = list(admin)
        self.tables, self.station_id = tables, station_id

    def until(self, event: EventEnvelope[DomainEvent]) -> None:
        while self.pending and self.pending[0][1].occurred_at < event.occurred_at:
            raw, admin = self.pending.pop(0)
            if isinstance(admin.data, StationConfigured) and admin.station_id != self.station_id:
                continue
            try:
                apply_admin(raw, self.tables)
            except EventError:
                continue  # the processor skipped it too


def _decide(tables: Tables, station_id: str, recorded: list[EventEnvelope[DomainEvent]],
            position: Position, record: FrameRecord, config: HandlerConfig,
            partitions: int) -> list[EventEnvelope[DomainEvent]] | None:  # fmt: skip
    """The events the handlers make of ``record`` now (None: the record is no frame the
    handlers read)."""
    try:
        version = OcppVersion(record.ocpp_version)
    except ValueError:
        return None
    ctx = Context(
        station_id=station_id, version=version,
        now=recorded[0].occurred_at if recorded else record.at,
        causation_id=causation_of(position), correlation_id=frame_correlation(record),
        config=config, tokens=tables.token, tariffs=tables.book,
        transaction_ids=_ids(recorded, position.partition, partitions),
    )  # fmt: skip
    return list(decide_record(tables.state(station_id), record, ctx).events)


def _ids(recorded: list[EventEnvelope[DomainEvent]], partition: int,
         partitions: int) -> TransactionIds:  # fmt: skip
    """The id counter the recorded start used (ids are ``seq * partitions + partition``)."""
    started = [e.data.id for e in recorded if isinstance(e.data, TransactionStarted)]
    seq = (min(started) - partition) // partitions if started else 1
    return TransactionIds(partition=partition, stride=partitions, next_seq=max(seq, 1))


def _fold(tables: Tables, station_id: str, events: list[EventEnvelope[DomainEvent]]) -> None:
    state: StationState = tables.state(station_id)
    for event in events:
        state = evolve(state, event, tables.book.version)
    tables.states[station_id] = state.model_dump(mode="json")


def _compare(cause: str, recorded: list[EventEnvelope[DomainEvent]],
             derived: list[EventEnvelope[DomainEvent]] | None,
             ) -> list[EventDifference]:  # fmt: skip
    """Recorded and re-derived events paired by event id (derived from the cause, the type
    and the n-th of that type, so a re-derived event has the id of the one recorded for
    it): a pair that differs is ``changed``; a re-derived event never recorded is
    ``missing``; a recorded one left over is ``extra`` (with its differences from the
    re-derived event of its id, when it repeats one: an event written again with other
    values)."""
    if derived is None:
        return [EventDifference(causation_id=cause, index=0, kind="frame unreadable",
                                type=recorded[0].type if recorded else "")]  # fmt: skip
    by_id = {d.event_id: d for d in derived}
    paired: set[int] = set()
    out: list[EventDifference] = []
    for i, d in enumerate(derived):
        j = next((j for j, r in enumerate(recorded) if j not in paired
                  and r.event_id == d.event_id), None)  # fmt: skip
        if j is None:
            out.append(EventDifference(causation_id=cause, index=i, kind="missing", type=d.type))
            continue
        paired.add(j)
        fields = _diff(_json(recorded[j]), _json(d))
        if fields:
            out.append(EventDifference(causation_id=cause, index=j, kind="changed",
                                       type=d.type, fields=fields))  # fmt: skip
    for j, r in enumerate(recorded):
        if j not in paired:
            same = by_id.get(r.event_id)
            out.append(EventDifference(causation_id=cause, index=j, kind="extra", type=r.type,
                                       fields={} if same is None else _diff(_json(r),
                                                                            _json(same))))
    return out


def _json(event: EventEnvelope[DomainEvent]) -> Any:
    return event.model_dump(mode="json")


def _diff(a: Any, b: Any, path: str = "") -> dict[str, tuple[Any, Any]]:
    """Leaf paths where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: dict[str, tuple[Any, Any]] = {}
        for key in sorted(set(a) | set(b)):
            out |= _diff(a.get(key), b.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = {}
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out |= _diff(x, y, f"{path}[{i}]")
        return out
    return {} if a == b else {path or "(value)": (a, b)}
