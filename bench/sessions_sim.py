"""Realistic domain events without the network: simulated station lives are fed through the
processor's own pure ``decide_record`` / ``evolve``, so the events have exactly the shapes and
volumes the real pipeline produces. Used to fill the events log for the rebuild benchmark,
and to measure the processor's per-record cost: decide + evolve, and encoding what the
record caused (its events as the events log carries them, its reply frame), as the agent
does (processors/runtime/app.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from bench.station_sim import (
    V16,
    V201,
    SimStation,
    authorize,
    boot,
    meter_values_16,
    now_iso,
    status,
    transaction_event,
)
from ocpp import OcppVersion, serialize
from processors.core.decision import Context, TransactionIds
from processors.core.reference import TariffBook, Token
from processors.core.state import StationState, evolve_all
from processors.dispatch import decide_record
from schemas.envelopes import Direction, FrameRecord, RecordKind
from schemas.events import DomainEvent, EventEnvelope

TOKEN = Token(type="ISO14443", status="Accepted")


def _lookup(_: str) -> Token | None:
    return TOKEN


def session_calls(sim: SimStation, meter_values: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """One charging session's Calls, as a station sends them."""
    v = sim.version
    yield status(v, 1, "Available")
    yield authorize(v, "LOADGEN")
    if v == V16:
        sim.meter_wh += 10
        yield "StartTransaction", {"connectorId": 1, "idTag": "LOADGEN",
                                   "meterStart": sim.meter_wh, "timestamp": now_iso()}  # fmt: skip
        for _ in range(meter_values):
            sim.meter_wh += 150
            yield "MeterValues", meter_values_16(1, sim.seq_no, sim.meter_wh)
        yield "StopTransaction", {"transactionId": sim.seq_no, "idTag": "LOADGEN",
                                  "meterStop": sim.meter_wh, "timestamp": now_iso()}  # fmt: skip
    else:
        yield transaction_event(sim, "Started")
        for _ in range(meter_values):
            yield transaction_event(sim, "Updated")
        yield transaction_event(sim, "Ended")


class Simulator:
    """Runs station lives through ``decide_record``; yields the events they cause."""

    def __init__(self, topic: str = "bench.frames", tariffs: TariffBook | None = None) -> None:
        self.topic = topic
        self.tariffs = tariffs or TariffBook()
        self.offset = 0
        self.next_seq = 1
        self.records = 0
        self.decide_s = 0.0
        self.encode_s = 0.0
        self.states: dict[str, StationState] = {}

    def station_life(self, station_id: str, version: str, sessions: int,
                     meter_values: int) -> Iterator[EventEnvelope[DomainEvent]]:  # fmt: skip
        sim = SimStation(station_id, version, url="")
        yield from self._feed(sim, RecordKind.CONNECTED, None)
        yield from self._call(sim, *boot(version))
        for _ in range(sessions):
            for call in session_calls(sim, meter_values):
                yield from self._call(sim, *call)
        yield from self._feed(sim, RecordKind.DISCONNECTED, None)

    def _call(
        self, sim: SimStation, action: str, payload: dict[str, Any]
    ) -> Iterator[EventEnvelope[DomainEvent]]:
        raw = json.dumps([2, f"m{self.offset}", action, payload])
        yield from self._feed(sim, RecordKind.FRAME, raw)

    def _feed(self, sim: SimStation, kind: RecordKind,
              raw: str | None) -> Iterator[EventEnvelope[DomainEvent]]:  # fmt: skip
        current = self.states.get(sim.station_id, StationState())
        record = FrameRecord(kind=kind, station_id=sim.station_id, direction=Direction.IN,
                             ocpp_version=sim.version, gateway_id="bench-gw",
                             connection_id=f"{sim.station_id}-c", at=datetime.now(UTC),
                             raw=raw, remote_address="127.0.0.1:1")  # fmt: skip
        ctx = Context(
            station_id=sim.station_id, version=OcppVersion(sim.version), now=datetime.now(UTC),
            causation_id=f"{self.topic}/0/{self.offset}", correlation_id=f"m{self.offset}",
            tokens=_lookup, transaction_ids=TransactionIds(0, 1, self.next_seq),
            tariffs=self.tariffs,
        )  # fmt: skip
        start = time.perf_counter()
        decision = decide_record(current, record, ctx)
        new_state = evolve_all(current, decision.events, self.tariffs.version)
        decided = time.perf_counter()
        for event in decision.events:
            event.encode()
        if decision.reply is not None:
            serialize(decision.reply)
        self.decide_s += decided - start
        self.encode_s += time.perf_counter() - decided
        self.records += 1
        self.offset += 1
        if decision.transaction_ids_used:
            sim.seq_no = ctx.transaction_ids.nth(0)
            self.next_seq += decision.transaction_ids_used
        self.states[sim.station_id] = new_state
        yield from decision.events


def generate(
    count: int, *, meter_values: int = 10, tariffs: TariffBook | None = None
) -> Iterator[EventEnvelope[DomainEvent]]:
    """At least ``count`` events from as many 1.6 and 2.0.1 station lives as it takes
    (sessions priced by ``tariffs`` where it assigns one)."""
    sim = Simulator(tariffs=tariffs)
    produced, n = 0, 0
    while produced < count:
        version = V16 if n % 2 else V201
        for ev in sim.station_life(f"RB-{n}", version, sessions=3, meter_values=meter_values):
            produced += 1
            yield ev
        n += 1


if __name__ == "__main__":
    s = Simulator()
    total = 0
    start = time.perf_counter()
    for i in range(200):
        total += sum(1 for _ in s.station_life(f"S{i}", V201 if i % 2 else V16, 3, 10))
    wall = time.perf_counter() - start
    per_record = s.decide_s / s.records * 1e6
    encode = s.encode_s / s.records * 1e6
    print(
        f"{s.records} records → {total} events; decide+evolve {per_record:.0f} µs/record, "
        f"encode {encode:.0f} µs/record, wall {wall / s.records * 1e6:.0f} µs/record"
    )
