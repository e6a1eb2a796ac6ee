"""Meter values written by the projector's COPY on the real database: every field arrives as
the event carried it (special characters, nulls, signed data), an event the log holds twice
is stored once, and a malformed event is skipped without losing its batch."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
import pytest
from aiokafka import ConsumerRecord

from csms.config import Settings
from projections.runtime.discovery import projection_named
from projections.runtime.projector import Target, apply_records
from schemas.events import EventEnvelope, MeterValuesReported, envelope

pytestmark = pytest.mark.integration

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
AWKWARD = 'tab\there, new\nline, cr\r, back\\slash, \\N, "quoted", ünïcode ⚡'


def _sample(n: int, **overrides: Any) -> dict[str, Any]:
    sample: dict[str, Any] = {
        "sampled_at": AT.isoformat(), "measurand": "Energy.Active.Import.Register",
        "phase": None, "context": "Sample.Periodic", "location": "Outlet",
        "value": f"{1000 + n}.5", "unit": "kWh", "multiplier": 0,
        "canonical_value": 1000500.0 + n, "canonical_unit": "Wh", "format": "Raw",
        "signed_data": None,
    }  # fmt: skip
    sample.update(overrides)
    return sample


def _event(samples: list[dict[str, Any]],
           station: str = "MV-1") -> EventEnvelope[MeterValuesReported]:  # fmt: skip
    event = MeterValuesReported.model_validate({
        "id": 77, "transaction_id": "tx-77", "evse_id": 1, "connector_id": None,
        "samples": samples, "source": "MeterValues",
    })  # fmt: skip
    return envelope(event, event_id=uuid.uuid4(), station_id=station, occurred_at=AT,
                    causation_id="t.frames/0/1", correlation_id="c")  # fmt: skip


def _records(values: list[bytes]) -> list[ConsumerRecord[bytes, bytes]]:
    return [ConsumerRecord("events", 0, i, 0, 0, None, v, None, 0, 0, [])
            for i, v in enumerate(values)]  # fmt: skip


async def _stored(settings: Settings, batches: list[list[bytes]]) -> list[Any]:
    """The meter_values rows the batches leave (rolled back afterwards)."""
    target = Target(projection_named("transactions"), 1)
    async with (
        await psycopg.AsyncConnection.connect(settings.libpq_url) as db,
        db.transaction(force_rollback=True),
    ):
        for batch in batches:
            await apply_records(db, target, _records(batch))
        async with db.cursor() as cur:
            await cur.execute(
                "SELECT event_id, seq, station_id, transaction_pk, transaction_id, evse_id,"
                " connector_id, sampled_at, measurand, phase, value, multiplier,"
                " canonical_value, signed_data, source FROM meter_values"
                " WHERE station_id LIKE 'MV-%%' ORDER BY event_id, seq"
            )
            return await cur.fetchall()


async def test_every_field_arrives_as_the_event_carried_it(settings: Settings) -> None:
    signed = {"signedMeterData": AWKWARD, "encodingMethod": "OCMF", "n": [1, 2.5, None]}
    event = _event([
        _sample(0, value=AWKWARD, phase="L1"),
        _sample(1, signed_data=signed, multiplier=-3, canonical_value=0.1),
    ])  # fmt: skip
    rows = await _stored(settings, [[event.encode()]])
    assert rows == [
        (event.event_id, 0, "MV-1", 77, "tx-77", 1, None, AT,
         "Energy.Active.Import.Register", "L1", AWKWARD, 0, 1000500.0, None, "MeterValues"),
        (event.event_id, 1, "MV-1", 77, "tx-77", 1, None, AT,
         "Energy.Active.Import.Register", None, "1001.5", -3, 0.1, signed, "MeterValues"),
    ]  # fmt: skip


async def test_an_event_the_log_holds_twice_is_stored_once(settings: Settings) -> None:
    first, second = _event([_sample(0), _sample(1)]), _event([_sample(2)])
    in_one_batch = await _stored(settings, [[first.encode(), second.encode(), first.encode()]])
    across_batches = await _stored(settings, [[first.encode()], [second.encode(), first.encode()]])
    assert len(in_one_batch) == 3
    assert across_batches == in_one_batch


async def test_a_malformed_event_is_skipped_and_its_batch_kept(settings: Settings) -> None:
    good = _event([_sample(0)])
    no_samples = orjson.dumps({**orjson.loads(good.encode()), "event_id": str(uuid.uuid4()),
                               "data": {"id": 77}})  # fmt: skip
    bad_id = good.encode().replace(str(good.event_id).encode(), b"not-a-uuid")
    rows = await _stored(settings, [[b"{not json", bad_id, no_samples, good.encode()]])
    assert [(r[0], r[1]) for r in rows] == [(good.event_id, 0)]
