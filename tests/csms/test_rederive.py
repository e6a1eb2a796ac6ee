"""Re-derivation (csms/rederive.py): a station's history recorded by the processor's own
decide functions re-derives to the same events; a recorded event changed, dropped or added
is reported where it is, and the frames after it still re-derive."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from api.frames_log import Position
from csms.rederive import causation_of, rederive
from ocpp import OcppVersion
from processors.core.decision import Context, HandlerConfig, TransactionIds
from processors.core.state import evolve_all
from processors.dispatch import decide_record
from processors.runtime.app import Tables, apply_admin, frame_correlation
from schemas.envelopes import Direction, FrameRecord, RecordKind
from schemas.events import (
    DomainEvent,
    EventEnvelope,
    TokenUpserted,
    TransactionEnded,
    decode_event,
    envelope,
)

T0 = datetime(2026, 11, 3, 16, 40, tzinfo=UTC)
CONFIG = HandlerConfig()
STATION = "RD-1"
PARTITIONS = 4
PARTITION = 2


@dataclass
class Recorder:
    """The processor, in miniature: frames through decide_record with its tables."""

    tables: Tables = field(default_factory=lambda: Tables(states={}, tokens={}, seqs={},
                                                          deadlines={}, tariffs={},
                                                          assignments={}))  # fmt: skip
    events: list[EventEnvelope[DomainEvent]] = field(default_factory=list)
    frames: dict[str, tuple[Position, FrameRecord]] = field(default_factory=dict)
    admin: list[tuple[bytes, EventEnvelope[DomainEvent]]] = field(default_factory=list)
    offset: int = 100
    next_seq: int = 7
    now: datetime = T0

    def token(self, id_token: str, status: str = "Accepted") -> None:
        raw = envelope(TokenUpserted(id_token=id_token, type="ISO14443", status=status,
                                     expires_at=None, group_id=None), event_id=uuid.uuid4(),
                       station_id=None, occurred_at=self.now, causation_id="api/r",
                       correlation_id="r").encode()  # fmt: skip
        apply_admin(raw, self.tables)
        self.admin.append((raw, decode_event(raw)))

    def record(self, kind: RecordKind = RecordKind.FRAME, raw: str | None = None) -> None:
        self.offset += 3
        self.now += timedelta(seconds=30)
        record = FrameRecord(kind=kind, station_id=STATION, direction=Direction.IN,
                             ocpp_version="ocpp1.6", gateway_id="gw", connection_id="c1",
                             at=self.now, raw=raw)  # fmt: skip
        position = Position("p.frames", PARTITION, self.offset)
        ctx = Context(station_id=STATION, version=OcppVersion.V16, now=self.now,
                      causation_id=causation_of(position), correlation_id=frame_correlation(record),
                      config=CONFIG, tokens=self.tables.token, tariffs=self.tables.book,
                      transaction_ids=TransactionIds(PARTITION, PARTITIONS, self.next_seq))
        decision = decide_record(self.tables.state(STATION), record, ctx)
        self.next_seq += decision.transaction_ids_used
        state = evolve_all(self.tables.state(STATION), decision.events, self.tables.book.version)
        self.tables.states[STATION] = state.model_dump(mode="json")
        self.events += decision.events
        self.frames[causation_of(position)] = (position, record)

    def call(self, action: str, payload: dict[str, Any], unique_id: str) -> None:
        self.record(raw=json.dumps([2, unique_id, action, payload]))


def a_session() -> Recorder:
    r = Recorder()
    r.token("TAG-1")
    r.record(RecordKind.CONNECTED)
    r.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}, "b1")
    r.call("Authorize", {"idTag": "TAG-1"}, "a1")
    r.call("StartTransaction", {"connectorId": 1, "idTag": "TAG-1", "meterStart": 1000,
                                "timestamp": "2026-11-03T16:43:00Z"}, "s1")  # fmt: skip
    started = next(e.data for e in r.events if e.type == "TransactionStarted")
    txn = getattr(started, "id")  # noqa: B009
    for n in range(3):
        r.call("MeterValues", {"connectorId": 1, "transactionId": txn, "meterValue": [{
            "timestamp": f"2026-11-03T16:5{n}:00Z",
            "sampledValue": [{"value": str(1500 + 500 * n), "measurand":
                              "Energy.Active.Import.Register", "unit": "Wh"}]}]}, f"m{n}")
    r.call("StopTransaction", {"transactionId": txn, "meterStop": 3200,
                               "timestamp": "2026-11-03T17:10:00Z", "idTag": "TAG-1"}, "e1")
    return r


def test_a_recorded_history_rederives_to_the_same_events() -> None:
    r = a_session()
    result = rederive(STATION, r.events, r.frames, r.admin, CONFIG, PARTITIONS)
    assert result.differences == []
    assert result.frames == len(r.frames) and result.events == len(r.events)
    assert any(e.type == "TransactionEnded" for e in r.events)


def test_a_changed_recorded_value_is_reported_and_the_rest_still_rederives() -> None:
    r = a_session()
    ended = next(i for i, e in enumerate(r.events) if isinstance(e.data, TransactionEnded))
    forged = r.events[ended].model_copy(update={
        "data": r.events[ended].data.model_copy(update={"meter_stop_wh": 9999.0})})
    events = [*r.events[:ended], forged, *r.events[ended + 1:]]
    result = rederive(STATION, events, r.frames, r.admin, CONFIG, PARTITIONS)
    [difference] = result.differences
    assert difference.kind == "changed" and difference.type == "TransactionEnded"
    assert difference.causation_id == r.events[ended].causation_id
    assert difference.fields["data.meter_stop_wh"] == (9999.0, 3200.0)


def test_a_dropped_or_added_event_is_reported() -> None:
    r = a_session()
    started = next(i for i, e in enumerate(r.events) if e.type == "TransactionStarted")
    dropped = [e for i, e in enumerate(r.events) if i != started]
    found = rederive(STATION, dropped, r.frames, r.admin, CONFIG, PARTITIONS).differences
    assert (found[0].kind, found[0].type) == ("missing", "TransactionStarted"), found
    assert found[0].causation_id == r.events[started].causation_id
    extra = [*r.events[: started + 1], r.events[started], *r.events[started + 1 :]]
    found = rederive(STATION, extra, r.frames, r.admin, CONFIG, PARTITIONS).differences
    assert [(d.kind, d.type) for d in found][-1][0] == "extra"


def test_reference_data_is_what_it_was_when_the_frame_was_handled() -> None:
    r = Recorder()
    r.token("TAG-2", status="Blocked")
    r.record(RecordKind.CONNECTED)
    r.call("Authorize", {"idTag": "TAG-2"}, "a1")
    r.now += timedelta(seconds=1)
    r.token("TAG-2", status="Accepted")  # unblocked after the Authorize
    result = rederive(STATION, r.events, r.frames, r.admin, CONFIG, PARTITIONS)
    assert result.differences == []
    statuses = [getattr(e.data, "status") for e in r.events if e.type == "IdTokenAuthorized"]  # noqa: B009
    assert statuses == ["Blocked"]


def test_an_event_appended_later_with_an_earlier_frames_cause_is_reported() -> None:
    r = a_session()
    ended = next(e for e in r.events if isinstance(e.data, TransactionEnded))
    forged = ended.model_copy(update={"data": ended.data.model_copy(update={"energy_wh": 1.0})})
    first_meter = next(e for e in r.events if e.type == "MeterValuesReported")
    late = first_meter.model_copy(update={"event_id": uuid.uuid4()})
    found = rederive(STATION, [*r.events, late, forged], r.frames, r.admin, CONFIG,
                     PARTITIONS).differences  # fmt: skip
    assert {(d.causation_id, d.kind) for d in found} == {
        (first_meter.causation_id, "extra"), (ended.causation_id, "extra")}
    [again] = [d for d in found if d.causation_id == ended.causation_id]
    assert again.fields == {"data.energy_wh": (1.0, ended.data.model_dump()["energy_wh"])}
