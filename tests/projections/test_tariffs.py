"""The ``tariffs`` projection on the real database: versions (a raced or out-of-order version
is ignored), deletion, assignments by target, the stations' pricing settings, and the same
rows whether the records come one by one, in one batch or in several (each reading is of a
version built afresh from the first record, as a rebuild builds it)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeAlias

import psycopg
import pytest
from aiokafka import ConsumerRecord
from psycopg import sql

from csms.config import Settings
from projections.runtime.discovery import projection_named
from projections.runtime.projector import Target, apply_records
from schemas.events import (
    DomainEvent,
    StationConfigured,
    StationConfiguredV1,
    TariffAssigned,
    TariffDeleted,
    TariffPublished,
    TariffUnassigned,
    envelope,
)
from schemas.tariffs import PriceComponent, Tariff, TariffDimensionType, TariffElement

pytestmark = pytest.mark.integration

BASE_TIME = datetime(2026, 3, 1, tzinfo=UTC)
Record: TypeAlias = ConsumerRecord[bytes, bytes]


def tariff(tariff_id: str, price: str) -> Tariff:
    energy = PriceComponent(type=TariffDimensionType.ENERGY, price=Decimal(price), step_size=1)
    return Tariff(country_code="NL", party_id="CSM", id=tariff_id, currency="EUR",
                  elements=(TariffElement(price_components=(energy,)),),
                  last_updated=BASE_TIME)  # fmt: skip


class Log:
    """Admin records in log order, each its own event id and time."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.event_ids: list[uuid.UUID] = []

    def add(self, event: DomainEvent, station_id: str | None = None) -> uuid.UUID:
        n = len(self.records)
        recorded = envelope(event, event_id=uuid.uuid4(), station_id=station_id,
                            occurred_at=BASE_TIME + timedelta(seconds=n), causation_id="test",
                            correlation_id="test")  # fmt: skip
        self.records.append(ConsumerRecord("admin", 0, n, 0, 0, None, recorded.encode(), None,
                                           0, 0, []))  # fmt: skip
        self.event_ids.append(recorded.event_id)
        return recorded.event_id


FRESH = Target(projection_named("tariffs"), 990)
"""A version of the tariffs read model created afresh (and rolled back) for each reading:
its rows are those of a rebuild from the first record, and the rows the running stack keeps
in the live version stay out of sight."""


async def rows_after(db: psycopg.AsyncConnection[object], batches: Sequence[Sequence[Record]],
                     query: str) -> list[Any]:  # fmt: skip
    """What ``query`` reads after the batches are applied to a fresh version (rolled back)."""
    async with db.cursor() as cur:
        await cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(FRESH.schema)))
        for statement in FRESH.projection.ddl(FRESH.schema):
            await cur.execute(statement.encode())
    for batch in batches:
        await apply_records(db, FRESH, batch)
    async with db.cursor() as cur:
        await cur.execute(query)
        rows: list[Any] = await cur.fetchall()
    await db.rollback()
    return rows


TARIFFS = "SELECT tariff_id, version, body->'elements'->0->'price_components'->0->>'price'," \
          " event_id, deleted, published_at, updated_at FROM tariffs ORDER BY tariff_id"
VERSIONS = "SELECT tariff_id, version, event_id FROM tariff_versions ORDER BY 1, 2"
ASSIGNMENTS = ("SELECT target_key, target, station_id, evse_id, group_id, tariff_id"
               " FROM tariff_assignments ORDER BY target_key")  # fmt: skip
PRICING = "SELECT station_id, time_zone, cost_messages FROM station_pricing ORDER BY 1"


@pytest.fixture
async def db(settings: Settings) -> Any:
    async with await psycopg.AsyncConnection.connect(settings.libpq_url) as conn:
        yield conn


async def test_each_version_follows_the_last_and_the_newest_is_current(
    db: psycopg.AsyncConnection[object],
) -> None:
    log = Log()
    log.add(TariffPublished(version=1, tariff=tariff("T-1", "0.25")))
    second = log.add(TariffPublished(version=2, tariff=tariff("T-1", "0.30")))
    log.add(TariffPublished(version=1, tariff=tariff("T-2", "0.10")))
    rows = await rows_after(db, [log.records], TARIFFS)
    assert [r[:5] for r in rows] == [("T-1", 2, "0.30", second, False),
                                     ("T-2", 1, "0.10", log.event_ids[2], False)]  # fmt: skip
    assert rows[0][5] == rows[0][6] == BASE_TIME + timedelta(seconds=1)
    versions = await rows_after(db, [log.records], VERSIONS)
    assert versions == [("T-1", 1, log.event_ids[0]), ("T-1", 2, second),
                        ("T-2", 1, log.event_ids[2])]  # fmt: skip


async def test_a_version_that_is_not_the_next_one_is_ignored(
    db: psycopg.AsyncConnection[object], caplog: pytest.LogCaptureFixture
) -> None:
    log = Log()
    log.add(TariffPublished(version=2, tariff=tariff("T-R", "9.99")))  # no version 1 yet
    log.add(TariffPublished(version=1, tariff=tariff("T-R", "0.25")))
    won = log.add(TariffPublished(version=2, tariff=tariff("T-R", "0.30")))
    log.add(TariffPublished(version=2, tariff=tariff("T-R", "0.35")))  # raced the one above
    log.add(TariffPublished(version=4, tariff=tariff("T-R", "0.40")))  # skips a version
    with caplog.at_level(logging.INFO, logger="projections.tariffs"):
        rows = await rows_after(db, [log.records], TARIFFS)
    assert [r[:4] for r in rows] == [("T-R", 2, "0.30", won)]
    versions = await rows_after(db, [log.records], VERSIONS)
    assert versions == [("T-R", 1, log.event_ids[1]), ("T-R", 2, won)]
    assert sum("lost a race" in m for m in caplog.messages) == 3


async def test_a_deleted_tariff_keeps_its_versions_and_a_new_version_restores_it(
    db: psycopg.AsyncConnection[object],
) -> None:
    log = Log()
    log.add(TariffPublished(version=1, tariff=tariff("T-D", "0.25")))
    log.add(TariffDeleted(tariff_id="T-D"))
    log.add(TariffDeleted(tariff_id="T-UNKNOWN"))  # changes nothing
    deleted = await rows_after(db, [log.records], TARIFFS)
    assert [r[:5] for r in deleted] == [("T-D", 1, "0.25", log.event_ids[0], True)]
    assert deleted[0][6] == BASE_TIME + timedelta(seconds=1)  # updated_at: the deletion
    assert len(await rows_after(db, [log.records], VERSIONS)) == 1
    log.add(TariffPublished(version=2, tariff=tariff("T-D", "0.50")))
    restored = await rows_after(db, [log.records], TARIFFS)
    assert [r[:5] for r in restored] == [("T-D", 2, "0.50", log.event_ids[3], False)]


async def test_assignments_are_one_row_per_target(db: psycopg.AsyncConnection[object]) -> None:
    log = Log()
    log.add(TariffAssigned(target="evse", station_id="CP-1", evse_id=2, tariff_id="A"), "CP-1")
    log.add(TariffAssigned(target="station", station_id="CP-1", tariff_id="A"), "CP-1")
    log.add(TariffAssigned(target="token_group", group_id="FLEET", tariff_id="B"))
    log.add(TariffAssigned(target="default", tariff_id="C"))
    log.add(TariffAssigned(target="station", station_id="CP-1", tariff_id="D"), "CP-1")
    log.add(TariffAssigned(target="station", evse_id=1, tariff_id="X"))  # does not fit: skipped
    rows = await rows_after(db, [log.records], ASSIGNMENTS)
    assert rows == [
        ("default", "default", None, None, None, "C"),
        ("evse:CP-1:2", "evse", "CP-1", 2, None, "A"),
        ("group:FLEET", "token_group", None, None, "FLEET", "B"),
        ("station:CP-1", "station", "CP-1", None, None, "D"),
    ]
    log.add(TariffUnassigned(target="evse", station_id="CP-1", evse_id=2), "CP-1")
    log.add(TariffUnassigned(target="default"))
    log.add(TariffUnassigned(target="token_group", group_id="NOBODY"))
    rows = await rows_after(db, [log.records], ASSIGNMENTS)
    assert [r[0] for r in rows] == ["group:FLEET", "station:CP-1"]


async def test_station_pricing_changes_only_the_fields_given(
    db: psycopg.AsyncConnection[object],
) -> None:
    log = Log()
    log.add(StationConfigured(registration_status="Accepted"), "CP-P")  # no pricing field
    log.add(StationConfiguredV1(security_profile=1), "CP-V1")  # v1 records have none
    assert await rows_after(db, [log.records], PRICING) == []
    log.add(StationConfigured(time_zone="Europe/Amsterdam"), "CP-P")
    assert await rows_after(db, [log.records], PRICING) == [("CP-P", "Europe/Amsterdam", None)]
    log.add(StationConfigured(cost_messages=False, registration_status="Pending"), "CP-P")
    assert await rows_after(db, [log.records], PRICING) == [("CP-P", "Europe/Amsterdam", False)]
    log.add(StationConfigured(time_zone=None), "CP-P")  # given as null: cleared
    assert await rows_after(db, [log.records], PRICING) == [("CP-P", None, False)]


def _everything() -> Log:
    log = Log()
    for n in range(6):
        log.add(TariffPublished(version=n // 2 + 1, tariff=tariff("T-B", f"0.{n}1")))
    log.add(TariffDeleted(tariff_id="T-B"))
    log.add(TariffPublished(version=1, tariff=tariff("T-C", "1.00")))
    log.add(TariffAssigned(target="station", station_id="CP-B", tariff_id="T-C"), "CP-B")
    log.add(TariffAssigned(target="default", tariff_id="T-B"))
    log.add(TariffUnassigned(target="default"))
    log.add(StationConfigured(time_zone="Asia/Tokyo", cost_messages=True), "CP-B")
    log.add(StationConfigured(cost_messages=None), "CP-B")
    return log


ALL_ROWS = [f"SELECT * FROM {t} ORDER BY 1, 2" for t in
            ("tariffs", "tariff_versions", "tariff_assignments", "station_pricing")]  # fmt: skip


async def test_one_by_one_in_one_batch_or_in_several_the_rows_are_the_same(
    db: psycopg.AsyncConnection[object],
) -> None:
    records = _everything().records
    one_by_one = [await rows_after(db, [[r] for r in records], q) for q in ALL_ROWS]
    in_one_batch = [await rows_after(db, [records], q) for q in ALL_ROWS]
    in_three = [await rows_after(db, [records[:4], records[4:9], records[9:]], q)
                for q in ALL_ROWS]  # fmt: skip
    assert in_one_batch == one_by_one
    assert in_three == one_by_one
    assert all(one_by_one), "every table has rows"
