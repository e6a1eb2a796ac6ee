"""The ``signed_meter_values`` projection: the verdict on every signed sample
(:mod:`audit.signed_values`), the meter keys registered per station, and each transaction's
summary (docs/AUDIT.md, "Signed meter values").

Tables: ``signed_meter_values`` (one row per signed sample, keyed like ``meter_values`` by
the MeterValuesReported event id and the sample's index in it, so the two join),
``meter_keys`` (from the admin log's ``MeterKeyRegistered`` / ``MeterKeyRemoved``) and
``signed_meter_value_summaries`` (one row per transaction with a signed value; none means
unsigned).

Signed values arrive only in MeterValuesReported: 1.6 MeterValues and
StopTransaction.transactionData, 2.0.1 MeterValues and TransactionEvent.meterValue (the
transaction events themselves carry no sample).

A verdict is a function of the sample and of the keys registered for its station at the
time: a key registered or removed verifies every signed value of that station again. So once
both logs are applied the rows are the same whichever way the events log and the admin log
interleaved (a rebuild from offset 0 reads the two at other relative speeds than the live
projector did). The two logs' partitions are applied by concurrent tasks, so a batch holds
its stations (an advisory lock per station, until it commits) while it reads their keys
and writes their values.

The three event types go through one batched apply, in log order. A MeterValuesReported
without a signed sample is skipped from its JSON without being decoded (the hot path of a
rebuild: nearly every meter value is plain).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from audit.signed_values import (
    MeterKey,
    PlainReading,
    SignedValue,
    Status,
    Verdict,
    parse_public_key,
    summarize,
    verify,
)
from projections.runtime.projection import Batched, Cursor, Projection
from schemas import readmodel
from schemas.events import (
    DomainEvent,
    EventEnvelope,
    MeterKeyRegistered,
    MeterKeyRemoved,
    MeterValuesReported,
    Sample,
    event_from_json,
)

Keys = dict[str, dict[str, MeterKey]]
"""Station id → key id → key."""


def signed_only(raw: Mapping[str, Any]) -> EventEnvelope[DomainEvent] | None:
    """A MeterValuesReported record decoded only when one of its samples is signed."""
    if not any(s["signed_data"] is not None for s in raw["data"]["samples"]):
        return None
    return event_from_json(raw)


async def apply(cur: Cursor, items: Sequence[Any], params: Mapping[str, Any]) -> None:
    """The batch's signed values and key changes, in log order; then every station whose
    keys changed is verified again, and the summaries of the transactions touched rewritten."""
    events: list[EventEnvelope[Any]] = [i for i in items if i is not None]
    if not events:
        return
    stations = {_station(e) for e in events}
    await lock_stations(cur, stations)
    keys = await load_keys(cur, stations)
    changed: set[str] = set()
    touched: set[int] = set()
    for event in events:
        data = event.data
        if isinstance(data, MeterValuesReported):
            touched |= await insert_values(cur, event, keys.get(_station(event), {}))
        elif isinstance(data, MeterKeyRegistered | MeterKeyRemoved):
            await change_key(cur, event, keys.setdefault(data.station_id, {}))
            changed.add(data.station_id)
    for station_id in sorted(changed):
        touched |= await verify_again(cur, station_id, keys.get(station_id, {}))
    await write_summaries(cur, touched)


def _station(event: EventEnvelope[Any]) -> str:
    data = event.data
    if isinstance(data, MeterKeyRegistered | MeterKeyRemoved):
        return data.station_id
    assert event.station_id is not None
    return event.station_id


# --- keys ------------------------------------------------------------------------------------


async def lock_stations(cur: Cursor, stations: Iterable[str]) -> None:
    """Hold the stations (in this version's schema) until the batch commits, taken in one
    order. The events log and the admin log are applied by concurrent tasks: without this, a
    key registered while a batch of signed values is being verified would verify again only
    the rows committed before it, and the batch's rows would keep the verdict of the keys it
    read first."""
    await cur.execute(
        "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '/' || s))"
        " FROM (SELECT s FROM unnest(%s::text[]) AS s ORDER BY s) AS ordered",
        (sorted(stations),),
    )  # fmt: skip



async def load_keys(cur: Cursor, stations: Iterable[str]) -> Keys:
    await cur.execute(
        "SELECT station_id, key_id, public_key, evse_id, meter_serial FROM meter_keys"
        " WHERE station_id = ANY(%s)", (sorted(stations),),
    )  # fmt: skip
    keys: Keys = {}
    for station_id, key_id, public_key, evse_id, serial in await fetched(cur):
        keys.setdefault(station_id, {})[key_id] = MeterKey(
            key_id, parse_public_key(public_key), evse_id, serial)  # fmt: skip
    return keys


async def change_key(cur: Cursor, event: EventEnvelope[Any],
                     station_keys: dict[str, MeterKey]) -> None:  # fmt: skip
    d = event.data
    if isinstance(d, MeterKeyRemoved):
        station_keys.pop(d.key_id, None)
        await cur.execute("DELETE FROM meter_keys WHERE station_id = %s AND key_id = %s",
                          (d.station_id, d.key_id))  # fmt: skip
        return
    key = parse_public_key(d.public_key)
    station_keys[d.key_id] = MeterKey(d.key_id, key, d.evse_id, d.meter_serial)
    await cur.execute(
        """
        INSERT INTO meter_keys (station_id, key_id, public_key, curve, fingerprint, evse_id,
            meter_serial, registered_at, event_id)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (station_id, key_id) DO UPDATE SET public_key = EXCLUDED.public_key,
            curve = EXCLUDED.curve, fingerprint = EXCLUDED.fingerprint,
            evse_id = EXCLUDED.evse_id, meter_serial = EXCLUDED.meter_serial,
            registered_at = EXCLUDED.registered_at, event_id = EXCLUDED.event_id
        """,
        (d.station_id, d.key_id, key.hex, key.curve, key.fingerprint, d.evse_id,
         d.meter_serial, event.occurred_at, event.event_id),
    )  # fmt: skip


# --- signed values ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """A signed sample as stored: what :func:`audit.signed_values.verify` reads back."""

    event_id: UUID
    seq: int
    value: SignedValue

    def verdict(self, keys: Mapping[str, MeterKey]) -> Verdict:
        return verify(self.value, tuple(keys.values()))


def signed_rows(event: EventEnvelope[MeterValuesReported]) -> list[Row]:
    d = event.data
    return [Row(event.event_id, seq, SignedValue(s.signed_data, s.measurand, s.context,
                                                 d.evse_id, plain_of(s, d.samples)))
            for seq, s in enumerate(d.samples) if s.signed_data is not None]  # fmt: skip


def plain_of(sample: Sample, samples: Sequence[Sample]) -> PlainReading | None:
    """2.0.1: the signed SampledValue's own ``value``. 1.6: a Raw sample of the same
    measurand, phase, location and context beside it (OCMF "Embedding in OCPP": the signed
    value is sent "in addition to the usual raw values"), at the same time if several."""
    if not isinstance(sample.signed_data, str):
        return PlainReading(sample.value, sample.unit, sample.multiplier)
    same = [s for s in samples if s.signed_data is None and _where(s) == _where(sample)]
    at = [s for s in same if s.sampled_at == sample.sampled_at]
    chosen = at[0] if len(at) == 1 else same[0] if len(same) == 1 else None
    return None if chosen is None else PlainReading(chosen.value, chosen.unit, chosen.multiplier)


def _where(s: Sample) -> tuple[str, str | None, str, str]:
    return s.measurand, s.phase, s.location, s.context


_VERDICT_COLUMNS = ("verdict", "reason", "key_source", "key_id", "key_fingerprint", "algorithm",
                    "meter_serial", "pagination", "signed_reading")  # fmt: skip


def _verdict_values(verdict: Verdict) -> tuple[object, ...]:
    return (verdict.status, verdict.reason, verdict.key_source, verdict.key_id,
            verdict.key_fingerprint, verdict.algorithm, verdict.meter_serial, verdict.pagination,
            verdict.signed_reading)  # fmt: skip


_INSERT = f"""
INSERT INTO signed_meter_values (event_id, seq, station_id, transaction_pk, transaction_id,
    evse_id, sampled_at, measurand, context, source, signed_data, plain_value, plain_unit,
    plain_multiplier, {", ".join(_VERDICT_COLUMNS)})
VALUES ({", ".join(["%s"] * (14 + len(_VERDICT_COLUMNS)))})
ON CONFLICT (event_id, seq) DO NOTHING
"""


async def insert_values(cur: Cursor, event: EventEnvelope[MeterValuesReported],
                        keys: Mapping[str, MeterKey]) -> set[int]:  # fmt: skip
    """The event's signed samples with their verdicts (an event the log holds twice writes
    nothing the second time); returns its transaction, if any."""
    d = event.data
    rows = signed_rows(event)
    params: list[tuple[object, ...]] = []
    for row in rows:
        s, plain = d.samples[row.seq], row.value.plain
        params.append((
            row.event_id, row.seq, event.station_id, d.id, d.transaction_id, d.evse_id,
            s.sampled_at, s.measurand, s.context, d.source, Jsonb(s.signed_data),
            plain and plain.value, plain and plain.unit, plain and plain.multiplier,
            *_verdict_values(row.verdict(keys)),
        ))  # fmt: skip
    await cur.executemany(_INSERT, params)
    return {d.id} if rows and d.id is not None else set()


async def verify_again(cur: Cursor, station_id: str, keys: Mapping[str, MeterKey]) -> set[int]:
    """Every signed value of the station against its keys as they now are; rows whose verdict
    changes are rewritten. Returns the transactions of the rows rewritten."""
    await cur.execute(
        f"""
        SELECT event_id, seq, transaction_pk, evse_id, measurand, context, signed_data,
            plain_value, plain_unit, plain_multiplier, {", ".join(_VERDICT_COLUMNS)}
        FROM signed_meter_values WHERE station_id = %s ORDER BY event_id, seq
        """,
        (station_id,),
    )  # fmt: skip
    changes: list[tuple[object, ...]] = []
    touched: set[int] = set()
    for r in await fetched(cur):
        plain = None if r[7] is None else PlainReading(r[7], r[8], r[9])
        now = _verdict_values(verify(SignedValue(r[6], r[4], r[5], r[3], plain),
                                     tuple(keys.values())))  # fmt: skip
        if now != tuple(r[10:]):
            changes.append((*now, r[0], r[1]))
            touched |= set() if r[2] is None else {r[2]}
    await cur.executemany(_UPDATE, changes)
    return touched


_UPDATE = (f"UPDATE signed_meter_values SET {', '.join(f'{c} = %s' for c in _VERDICT_COLUMNS)}"
           " WHERE event_id = %s AND seq = %s")


async def fetched(cur: Cursor) -> list[tuple[Any, ...]]:
    """The rows of the statement just executed (the projector's cursors type rows as
    ``object``: they are tuples)."""
    rows = await cur.fetchall()
    assert all(isinstance(r, tuple) for r in rows)
    return rows  # type: ignore[return-value]


async def write_summaries(cur: Cursor, transactions: set[int]) -> None:
    """Each transaction's summary from all its signed values (audit.signed_values.summarize)."""
    if not transactions:
        return
    await cur.execute(
        "SELECT transaction_pk, min(station_id), verdict, count(*) FROM signed_meter_values"
        " WHERE transaction_pk = ANY(%s) GROUP BY transaction_pk, verdict",
        (sorted(transactions),),
    )  # fmt: skip
    counts: dict[int, tuple[str, dict[Status, int]]] = {}
    for pk, station_id, verdict, n in await fetched(cur):
        counts.setdefault(pk, (station_id, {}))[1][verdict] = n
    await cur.executemany(
        """
        INSERT INTO signed_meter_value_summaries (transaction_pk, station_id, status, verified,
            invalid, unverifiable)
        VALUES (%s, %s, %s, %s, %s, %s)
        ON CONFLICT (transaction_pk) DO UPDATE SET status = EXCLUDED.status,
            verified = EXCLUDED.verified, invalid = EXCLUDED.invalid,
            unverifiable = EXCLUDED.unverifiable
        """,
        [(pk, station_id, summarize(n), n.get("verified", 0), n.get("invalid", 0),
          n.get("unverifiable", 0)) for pk, (station_id, n) in sorted(counts.items())],
    )  # fmt: skip


_SIGNED = Batched(apply, raw={MeterValuesReported: signed_only})

PROJECTION = Projection(
    readmodel.SIGNED_METER_VALUES,
    tables=(readmodel.meter_keys, readmodel.signed_meter_values,
            readmodel.signed_meter_value_summaries),
    batched={cls: _SIGNED for cls in (MeterValuesReported, MeterKeyRegistered, MeterKeyRemoved)},
)  # fmt: skip
