"""Folded writes (a projection's ``folds``) on the real database: a batch that merges a
transaction's TransactionUpdated events, or a connector's status reports, leaves exactly
the rows that applying every event on its own leaves, for random sequences (Started /
Updated / Ended; reports in and out of order)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import psycopg
import pytest
from aiokafka import ConsumerRecord

from csms.config import Settings
from projections.runtime.discovery import projection_named
from projections.runtime.projector import Target, apply_records
from schemas.events import (
    ConnectorStatusChanged,
    DomainEvent,
    EventEnvelope,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
    envelope,
)

pytestmark = pytest.mark.integration

BASE_ID = 9_100_000
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
ANOMALIES = ["meter_stop_below_start", "unknown_transaction", "meter_start_missing"]


def _maybe(rng: random.Random, *values: Any) -> Any:
    return rng.choice([None, *values])


def _event(rng: random.Random, kind: type[DomainEvent], txn: int,
           n: int) -> EventEnvelope[DomainEvent]:  # fmt: skip
    data: dict[str, Any] = {
        "id": txn, "transaction_id": f"tx-{txn}", "ocpp_version": "ocpp2.0.1",
        "evse_id": _maybe(rng, 1, 2), "connector_id": _maybe(rng, 1, 2),
        "id_token": _maybe(rng, "TAG-A", "TAG-B"), "id_token_type": _maybe(rng, "ISO14443"),
        "id_token_status": _maybe(rng, "Accepted", "Blocked"),
        "charging_state": _maybe(rng, "Charging", "SuspendedEV"),
        "last_seq_no": rng.randint(0, 50), "seq_no": rng.randint(0, 50),
        "missing_seq_nos": rng.sample(range(1, 30), rng.randint(0, 3)),
        "offline": rng.random() < 0.2,
        "anomalies": rng.sample(ANOMALIES, rng.randint(0, 2)),
        "trigger_reason": _maybe(rng, "MeterValuePeriodic"), "register_wh": None,
        "at": BASE_TIME, "reservation_id": None, "remote_start_id": None, "start_key": None,
        "started_at": BASE_TIME, "meter_start_wh": rng.choice([None, 100.0]),
        "stopped_at": BASE_TIME + timedelta(hours=1), "meter_stop_wh": 500.0,
        "energy_wh": 400.0, "stop_reason": "Local", "stop_id_token": None,
    }  # fmt: skip
    event = kind.model_validate({k: v for k, v in data.items() if k in kind.model_fields})
    return envelope(event, event_id=uuid.uuid4(), station_id=f"FOLD-{txn % 3}",
                    occurred_at=BASE_TIME + timedelta(seconds=n), causation_id="test",
                    correlation_id="test")  # fmt: skip


def _sequence(rng: random.Random) -> list[EventEnvelope[DomainEvent]]:
    events = []
    for n in range(rng.randint(5, 40)):
        kind = rng.choices([TransactionUpdated, TransactionStarted, TransactionEnded],
                           weights=[8, 1, 1])[0]  # fmt: skip
        events.append(_event(rng, kind, BASE_ID + rng.randint(0, 3), n))
    return events


Record: TypeAlias = ConsumerRecord[bytes, bytes]


def _records(events: list[EventEnvelope[DomainEvent]]) -> list[Record]:
    return [ConsumerRecord("events", 0, i, 0, 0, None, e.encode(), None, 0, 0, [])
            for i, e in enumerate(events)]  # fmt: skip


TRANSACTIONS = f"SELECT * FROM transactions WHERE id >= {BASE_ID} ORDER BY id"


async def _rows_after(target: Target, db: psycopg.AsyncConnection[object],
                      batches: list[list[ConsumerRecord[bytes, bytes]]],
                      query: str = TRANSACTIONS) -> list[Any]:  # fmt: skip
    """The rows ``query`` reads after the batches (rolled back afterwards)."""
    for batch in batches:
        await apply_records(db, target, batch)
    async with db.cursor() as cur:
        await cur.execute(query)
        rows = await cur.fetchall()
    await db.rollback()
    return rows


async def test_folded_batches_leave_the_rows_of_one_write_per_event(settings: Settings) -> None:
    projector = Target(projection_named("transactions"), 1)
    rng = random.Random(20261122)
    async with await psycopg.AsyncConnection.connect(settings.libpq_url) as db:
        for case in range(300):
            records = _records(_sequence(rng))
            one_by_one = await _rows_after(projector, db, [[r] for r in records])
            in_one_batch = await _rows_after(projector, db, [records])
            in_batches = await _rows_after(projector, db, _split(rng, records))
            assert in_one_batch == one_by_one, f"case {case}"
            assert in_batches == one_by_one, f"case {case}, rows there before a batch"
            assert one_by_one, "every sequence writes at least one transaction"


def _split(rng: random.Random, records: list[Record]) -> list[list[Record]]:
    """The records in consecutive batches of random sizes: a later batch's merged writes
    then meet rows the earlier batches left."""
    cuts = sorted(rng.sample(range(1, len(records)), min(len(records) - 1, rng.randint(1, 4))))
    return [records[a:b] for a, b in zip([0, *cuts], [*cuts, len(records)], strict=True)]


def _status(rng: random.Random, n: int) -> EventEnvelope[DomainEvent]:
    """A connector status report; reports arrive late (an older ``status_at``) or with
    the same ``status_at`` as an earlier one."""
    event = ConnectorStatusChanged(
        evse_id=rng.choice([0, 1]), connector_id=rng.choice([1, 2]),
        status=rng.choice(["Available", "Occupied", "Faulted", "Unavailable"]),
        status_at=BASE_TIME + timedelta(seconds=rng.randint(0, 6)),
        error_code=_maybe(rng, "NoError", "GroundFailure"), info=_maybe(rng, "x"),
        vendor_id=None, vendor_error_code=None,
    )  # fmt: skip
    return envelope(event, event_id=uuid.uuid4(), station_id=f"FOLD-C{rng.randint(0, 1)}",
                    occurred_at=BASE_TIME + timedelta(seconds=n), causation_id="test",
                    correlation_id="test")  # fmt: skip


CONNECTORS = ("SELECT * FROM connectors WHERE station_id LIKE 'FOLD-C%%'"
              " ORDER BY station_id, evse_id, connector_id")  # fmt: skip


async def test_folded_connector_reports_leave_the_rows_of_one_write_each(
    settings: Settings,
) -> None:
    projector = Target(projection_named("stations"), 1)
    rng = random.Random(20261123)
    async with await psycopg.AsyncConnection.connect(settings.libpq_url) as db:
        for case in range(150):
            records = _records([_status(rng, n) for n in range(rng.randint(2, 25))])
            one_by_one = await _rows_after(projector, db, [[r] for r in records], CONNECTORS)
            in_one_batch = await _rows_after(projector, db, [records], CONNECTORS)
            in_batches = await _rows_after(projector, db, _split(rng, records), CONNECTORS)
            assert in_one_batch == one_by_one, f"case {case}"
            assert in_batches == one_by_one, f"case {case}, rows there before a batch"
            assert one_by_one, "every sequence writes at least one connector"
