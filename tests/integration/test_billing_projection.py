"""The billing projection on the real database: a CDR per priced session, equal to the pure
rating of the same readings; the same rows however the events are split into batches; the
running cost of an open session; 1.6 connector statuses mapped to the session; a version's
tariff override; a backfill's replay writes what the whole log rated with the override writes
(docs/BILLING.md)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeAlias

import psycopg
import pytest
from aiokafka import ConsumerRecord

from billing.rating import Reading, rate
from billing.readings import readings_of
from csms.config import Settings
from projections.billing import Override
from projections.billing_backfill import _Fork, _Part, _Rater
from projections.runtime.discovery import projection_named
from projections.runtime.projector import Target, apply_records
from schemas.events import (
    ConnectorStatusChanged,
    DomainEvent,
    EventEnvelope,
    MeterValuesReported,
    Sample,
    TariffApplied,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
    envelope,
)
from schemas.tariffs import Tariff

pytestmark = pytest.mark.integration

Record: TypeAlias = ConsumerRecord[bytes, bytes]
BASE_ID = 7_300_000
T0 = datetime(2026, 11, 3, 16, 40, tzinfo=UTC)

def _tariff(night_energy: str) -> Tariff:
    """A time-of-day tariff: a start fee; 17:00-21:00 energy and charging time; otherwise
    cheaper energy and parking time (OCPI 2.2.1 mod_tariffs, TariffRestrictions)."""
    return Tariff.model_validate({
        "country_code": "NL", "party_id": "CSM", "id": "TOD", "currency": "EUR",
        "min_price": {"excl_vat": "0.50", "incl_vat": "0.60"},
        "elements": [
            {"price_components": [{"type": "FLAT", "price": "0.50", "vat": "21",
                                   "step_size": 1}]},
            {"price_components": [{"type": "ENERGY", "price": "0.45", "vat": "21", "step_size": 1},
                                  {"type": "TIME", "price": "1.20", "vat": "21", "step_size": 60}],
             "restrictions": {"start_time": "17:00", "end_time": "21:00"}},
            {"price_components": [{"type": "ENERGY", "price": night_energy, "vat": "21",
                                   "step_size": 1},
                                  {"type": "PARKING_TIME", "price": "4.00", "vat": "21",
                                   "step_size": 300}]},
        ],
        "last_updated": "2026-11-01T00:00:00Z",
    })  # fmt: skip


TARIFF = _tariff("0.30")
TARIFF_V2 = _tariff("0.35")


def _wrap(data: DomainEvent, station: str, at: datetime) -> EventEnvelope[DomainEvent]:
    return envelope(data, event_id=uuid.uuid4(), station_id=station, occurred_at=at,
                    causation_id="test", correlation_id="test")  # fmt: skip


def _common(txn: int, version: str = "ocpp2.0.1") -> dict[str, Any]:
    return {"id": txn, "transaction_id": f"tx-{txn}", "ocpp_version": version, "evse_id": 1,
            "connector_id": 1, "seq_no": None, "trigger_reason": None, "offline": False,
            "charging_state": None}


def _sample(at: datetime, measurand: str, value: float, unit: str) -> Sample:
    return Sample(sampled_at=at, measurand=measurand, phase=None, context="Sample.Periodic",
                  location="Outlet", value=str(value), unit=unit, multiplier=None,
                  canonical_value=value, canonical_unit=unit, format=None,
                  signed_data=None)  # fmt: skip


def session(rng: random.Random, txn: int, start: datetime, *, ended: bool = True,
            one_six: bool = False) -> list[EventEnvelope[DomainEvent]]:  # fmt: skip
    """A session: start, its tariff, meter values every few minutes, a pause in charging (a
    2.0.1 chargingState, or a 1.6 StatusNotification), the stop."""
    station = f"BILL-{txn}"
    common = _common(txn, "ocpp1.6" if one_six else "ocpp2.0.1")
    register = float(rng.randint(0, 50_000))
    token = {"id_token": "TAG-1", "id_token_type": "ISO14443", "id_token_status": "Accepted"}
    events = [
        _wrap(TransactionStarted(**{**common, "charging_state": "Charging"}, **token,
                                 started_at=start, meter_start_wh=register, reservation_id=None,
                                 remote_start_id=None, start_key=None), station, start),
        _wrap(TariffApplied(id=txn, transaction_id=f"tx-{txn}", tariff_id="TOD",
                            tariff_version=1, assigned_by="default", group_id=None,
                            time_zone="UTC", tariff=TARIFF), station, start),
    ]  # fmt: skip
    at = start
    pause = rng.randint(3, 8)
    for n in range(rng.randint(4, 14)):
        at += timedelta(minutes=rng.randint(2, 9))
        if n == pause:
            events.append(_pause(common, token, station, at, one_six))
        else:
            register += rng.randint(100, 2500)
        events.append(_wrap(MeterValuesReported(
            id=txn, transaction_id=f"tx-{txn}", evse_id=1, connector_id=1,
            source="TransactionEvent",
            samples=(_sample(at, "Energy.Active.Import.Register", register, "Wh"),
                     _sample(at, "Power.Active.Import", float(rng.randint(0, 22000)), "W")),
        ), station, at))  # fmt: skip
    if ended:
        at += timedelta(minutes=rng.randint(1, 30))
        events.append(_wrap(TransactionEnded(
            **common, stopped_at=at, meter_start_wh=None, meter_stop_wh=register,
            energy_wh=None, stop_reason="EVDisconnected", stop_id_token=None,
            missing_seq_nos=(), anomalies=()), station, at))  # fmt: skip
    return events


def _pause(common: dict[str, Any], token: dict[str, Any], station: str, at: datetime,
           one_six: bool) -> EventEnvelope[DomainEvent]:  # fmt: skip
    if one_six:
        return _wrap(ConnectorStatusChanged(
            evse_id=1, connector_id=1, status="SuspendedEV", error_code="NoError", info=None,
            vendor_id=None, vendor_error_code=None, status_at=at), station, at)  # fmt: skip
    return _wrap(TransactionUpdated(
        **{**common, "charging_state": "SuspendedEV"}, **token, at=at, last_seq_no=1,
        missing_seq_nos=(), register_wh=None, anomalies=()), station, at)  # fmt: skip


def _records(events: list[EventEnvelope[DomainEvent]]) -> list[Record]:
    return [ConsumerRecord("events", 0, i, 0, 0, None, e.encode(), None, 0, 0, [])
            for i, e in enumerate(events)]  # fmt: skip


def expected(events: list[EventEnvelope[DomainEvent]], tariff: Tariff = TARIFF) -> Any:
    """The pure rating of a session's readings, as the projection should state it."""
    readings: list[Reading] = []
    stop = None
    started = events[0].data
    assert isinstance(started, TransactionStarted)
    for event in events:
        if isinstance(event.data, TransactionEnded):
            stop = readings_of(event.data)[-1]
        elif not isinstance(event.data, TariffApplied):
            readings.extend(readings_of(event.data))
    return rate(tariff, "UTC", started.started_at, readings, stop)


SESSIONS = f"SELECT * FROM billing_sessions WHERE id >= {BASE_ID} ORDER BY id"
CDRS = f"SELECT * FROM cdrs WHERE transaction_pk >= {BASE_ID} ORDER BY id"
READINGS = f"SELECT * FROM billing_readings WHERE session_id >= {BASE_ID} ORDER BY 1, 2, 3"


async def _rows_after(db: psycopg.AsyncConnection[object], target: Target,
                      batches: list[list[Record]], query: str) -> list[Any]:  # fmt: skip
    for batch in batches:
        await apply_records(db, target, batch)
    async with db.cursor() as cur:
        await cur.execute(query)
        rows = await cur.fetchall()
    await db.rollback()
    return rows


def _interleaved(rng: random.Random, sessions: list[list[EventEnvelope[DomainEvent]]]
                 ) -> list[EventEnvelope[DomainEvent]]:  # fmt: skip
    """The sessions' events merged in time order (each session's own order kept)."""
    merged = [e for s in sessions for e in s]
    return sorted(merged, key=lambda e: e.occurred_at)


BILLING = projection_named("billing")


async def test_a_cdr_per_ended_session_equal_to_the_pure_rating(settings: Settings) -> None:
    rng = random.Random(20261202)
    sessions = [session(rng, BASE_ID + k, T0 + timedelta(minutes=7 * k), one_six=k % 2 == 1)
                for k in range(12)]  # fmt: skip
    records = _records(_interleaved(rng, sessions))
    async with await psycopg.AsyncConnection.connect(settings.libpq_url) as db:
        rows = await _rows_after(db, Target(BILLING, 1), [records], CDRS)
    by_session = {r[1]: r for r in rows}
    assert len(rows) == len(sessions)
    for events in sessions:
        cost = expected(events)
        row = by_session[events[0].data.id]  # type: ignore[attr-defined]
        assert (row[12], row[13]) == (cost.excl_vat, cost.incl_vat), events[0].data
        assert row[14] == cost.energy_kwh
        assert row[9] == "EUR" and row[17] is False


async def test_batches_of_any_size_leave_the_same_rows(settings: Settings) -> None:
    rng = random.Random(7)
    async with await psycopg.AsyncConnection.connect(settings.libpq_url) as db:
        for case in range(6):
            sessions = [session(rng, BASE_ID + 100 * case + k, T0 + timedelta(minutes=3 * k),
                                ended=k != 2, one_six=k % 3 == 0) for k in range(5)]  # fmt: skip
            records = _records(_interleaved(rng, sessions))
            cuts = sorted(rng.sample(range(1, len(records)), 4))
            split = [records[a:b] for a, b in zip([0, *cuts], [*cuts, len(records)], strict=True)]
            target = Target(BILLING, 1)
            for query in (SESSIONS, CDRS, READINGS):
                whole = await _rows_after(db, target, [records], query)
                assert await _rows_after(db, target, split, query) == whole, (case, query)
                one_by_one = await _rows_after(db, target, [[r] for r in records], query)
                assert one_by_one == whole, (case, query)


async def test_an_open_session_shows_its_running_cost_and_has_no_cdr(settings: Settings) -> None:
    rng = random.Random(11)
    events = session(rng, BASE_ID + 900, T0, ended=False)
    async with await psycopg.AsyncConnection.connect(settings.libpq_url) as db:
        await apply_records(db, Target(BILLING, 1), _records(events))
        async with db.cursor() as cur:
            await cur.execute("SELECT status, cost_excl_vat, cdr_id FROM billing_sessions"
                              " WHERE id = %s", (BASE_ID + 900,))  # fmt: skip
            status, running, cdr = await cur.fetchone() or (None, None, None)
            await cur.execute("SELECT count(*) FROM cdrs WHERE transaction_pk = %s",
                              (BASE_ID + 900,))  # fmt: skip
            (count,) = await cur.fetchone() or (0,)
        await db.rollback()
    assert status == "active" and cdr is None and count == 0
    assert running == expected(events).excl_vat and running > Decimal(0)


async def test_a_version_with_an_override_rates_the_period_by_the_other_version(
    settings: Settings,
) -> None:
    rng = random.Random(5)
    inside = session(rng, BASE_ID + 950, T0)
    outside = session(rng, BASE_ID + 951, T0 + timedelta(days=3))
    override = Override(tariff_id="TOD", version=2, tariff=TARIFF_V2, since=T0 - timedelta(hours=1),
                        until=T0 + timedelta(days=1))  # fmt: skip
    target = Target(BILLING, 1, {"override": override.model_dump(mode="json")})
    async with await psycopg.AsyncConnection.connect(settings.libpq_url) as db:
        rows = await _rows_after(db, target, [_records(inside + outside)],
                                 "SELECT transaction_pk, tariff_version, total_cost_excl_vat"
                                 f" FROM cdrs WHERE transaction_pk >= {BASE_ID + 950}"
                                 " ORDER BY 1")  # fmt: skip
    assert rows == [
        (BASE_ID + 950, 2, expected(inside, TARIFF_V2).excl_vat),
        (BASE_ID + 951, 1, expected(outside).excl_vat),
    ]
    assert expected(inside, TARIFF_V2).excl_vat != expected(inside).excl_vat


async def test_an_unpriced_session_is_kept_without_cost_or_cdr(settings: Settings) -> None:
    rng = random.Random(3)
    events = [e for e in session(rng, BASE_ID + 970, T0) if not isinstance(e.data, TariffApplied)]
    async with await psycopg.AsyncConnection.connect(settings.libpq_url) as db:
        rows = await _rows_after(db, Target(BILLING, 1), [_records(events)],
                                 "SELECT status, tariff_id, cost_excl_vat, cdr_id FROM"
                                 f" billing_sessions WHERE id = {BASE_ID + 970}")  # fmt: skip
    assert rows == [("completed", None, None, None)]


async def test_a_backfill_replay_writes_what_a_whole_rebuild_with_the_override_writes(
    settings: Settings,
) -> None:
    """The replay processes of ``csms billing backfill`` keep open sessions in memory and write
    one batch while rating the next (projections/billing_backfill.py): whatever the batches,
    the rows are those of the projection applied to the whole log with the same override."""
    rng = random.Random(13)
    base = BASE_ID + 2000
    sessions = [session(rng, base + k, T0 + timedelta(minutes=4 * k), ended=k % 7 != 3,
                        one_six=k % 3 == 0) for k in range(24)]  # fmt: skip
    records = _records(_interleaved(rng, sessions))
    override = Override(tariff_id="TOD", version=2, tariff=TARIFF_V2,
                        since=T0 - timedelta(hours=1), until=T0 + timedelta(days=1))  # fmt: skip
    params = {"override": override.model_dump(mode="json")}
    ours = f"ANY(ARRAY[{', '.join(str(base + k) for k in range(24))}]::bigint[])"
    mine = [f"SELECT * FROM billing_sessions WHERE id = {ours} ORDER BY id",
            f"SELECT * FROM cdrs WHERE transaction_pk = {ours} ORDER BY id",
            f"SELECT * FROM billing_readings WHERE session_id = {ours} ORDER BY 1, 2, 3"]
    async with await psycopg.AsyncConnection.connect(settings.libpq_url) as db:
        whole = [await _rows_after(db, Target(BILLING, 1, params), [records], q) for q in mine]
    fork = _Fork(frozenset(base + k for k in range(24)),
                 frozenset(f"BILL-{base + k}" for k in range(24)), 0, {})  # fmt: skip
    part = _Part(settings.bootstrap, settings.libpq_url, 50, "events", 1, params, {}, fork)
    for attempt in range(3):
        cuts = sorted(rng.sample(range(1, len(records)), 12 + 10 * attempt))
        async with await psycopg.AsyncConnection.connect(settings.libpq_url) as reader, \
                await psycopg.AsyncConnection.connect(settings.libpq_url) as writer:  # fmt: skip
            rater = _Rater(part, reader, writer)
            for a, b in zip([0, *cuts], [*cuts, len(records)], strict=True):
                await rater.rate(records[a:b])
            await rater.finish()
            async with reader.cursor() as cur:
                await cur.execute(f"SET LOCAL search_path TO {BILLING.schema(1)}")
                replayed = []
                for query in mine:
                    await cur.execute(query)
                    replayed.append(await cur.fetchall())
                for table, key in (("cdrs", "transaction_pk"), ("billing_readings", "session_id"),
                                   ("billing_sessions", "id")):  # fmt: skip
                    await cur.execute(f"DELETE FROM {table} WHERE {key} = {ours}")
            await reader.commit()
        assert [len(r) for r in replayed] == [len(r) for r in whole] and whole[1], attempt
        assert replayed == whole, attempt
