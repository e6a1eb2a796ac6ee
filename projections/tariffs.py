"""The ``tariffs`` projection, from the admin log: the operator's tariffs (OCPI 2.2.1
mod_tariffs "Tariff Object"), every version of each, what each is assigned to, and the
stations' pricing settings (the ``time_zone`` and ``cost_messages`` of ``StationConfigured``).

Tables: ``tariffs`` (the newest version of each tariff, and whether it is deleted),
``tariff_versions`` (every version, never changed), ``tariff_assignments`` (one row per
target) and ``station_pricing``. Every row is keyed by what its events carry, and every
value comes from an event (``occurred_at``, never the clock), so a version rebuilt from
offset 0 holds the same rows.
"""

from __future__ import annotations

import logging

from psycopg.types.json import Jsonb

from projections.runtime.projection import Cursor, Handlers, Projection
from schemas import readmodel
from schemas.events import (
    EventEnvelope,
    StationConfigured,
    TariffAssigned,
    TariffDeleted,
    TariffPublished,
    TariffUnassigned,
)

log = logging.getLogger(__name__)
handles = Handlers()

PRICING_FIELDS = frozenset({"time_zone", "cost_messages"})
"""The fields of ``StationConfigured`` this projection keeps (``station_pricing``)."""

# One statement: the version row and the newest-version row are written only when the
# event's version is the one after the tariff's current version (1 for a new tariff).
# A record that raced another write for the same version comes later in the tariff's
# partition and writes nothing (TariffPublished: "ignored by every reader").
_PUBLISH = """
WITH next AS (
    SELECT %(v)s::int AS version
    WHERE %(v)s::int = COALESCE((SELECT version FROM tariffs WHERE tariff_id = %(id)s), 0) + 1
), added AS (
    INSERT INTO tariff_versions (tariff_id, version, currency, body, event_id, published_at)
    SELECT %(id)s, version, %(cur)s, %(body)s, %(ev)s, %(at)s FROM next
    ON CONFLICT (tariff_id, version) DO NOTHING
    RETURNING version
)
INSERT INTO tariffs (tariff_id, version, currency, body, event_id, deleted, published_at,
    updated_at)
SELECT %(id)s, version, %(cur)s, %(body)s, %(ev)s, false, %(at)s, %(at)s FROM added
ON CONFLICT (tariff_id) DO UPDATE SET version = EXCLUDED.version,
    currency = EXCLUDED.currency, body = EXCLUDED.body, event_id = EXCLUDED.event_id,
    deleted = false, published_at = EXCLUDED.published_at, updated_at = EXCLUDED.updated_at
RETURNING version
"""


@handles(TariffPublished)
async def on_published(cur: Cursor, event: EventEnvelope[TariffPublished]) -> None:
    """A new version of a tariff becomes its newest one (and undeletes it)."""
    d = event.data
    tariff = d.tariff
    await cur.execute(_PUBLISH, {
        "id": tariff.id, "v": d.version, "cur": tariff.currency,
        "body": Jsonb(tariff.model_dump(mode="json")), "ev": event.event_id,
        "at": event.occurred_at,
    })  # fmt: skip
    if await cur.fetchone() is None:
        log.info("tariff %r version %d (event %s) is not the next version: a write that lost "
                 "a race, ignored", tariff.id, d.version, event.event_id)  # fmt: skip


@handles(TariffDeleted)
async def on_deleted(cur: Cursor, event: EventEnvelope[TariffDeleted]) -> None:
    """The tariff is withdrawn; its versions stay readable."""
    await cur.execute(
        "UPDATE tariffs SET deleted = true, updated_at = %s WHERE tariff_id = %s",
        (event.occurred_at, event.data.tariff_id),
    )


def target_key(facts: TariffAssigned | TariffUnassigned) -> str | None:
    """The row key of an assignment's target (``schemas.readmodel.tariff_assignments``), or
    None when the event's fields do not fit its target kind."""
    s, e, g = facts.station_id, facts.evse_id, facts.group_id
    match facts.target:
        case "evse" if s is not None and e is not None and g is None:
            return f"evse:{s}:{e}"
        case "station" if s is not None and e is None and g is None:
            return f"station:{s}"
        case "token_group" if g is not None and s is None and e is None:
            return f"group:{g}"
        case "default" if s is None and e is None and g is None:
            return "default"
    return None


@handles(TariffAssigned)
async def on_assigned(cur: Cursor, event: EventEnvelope[TariffAssigned]) -> None:
    d = event.data
    key = target_key(d)
    if key is None:
        log.warning("skipping %s: its fields do not fit target %r", event.event_id, d.target)
        return
    await cur.execute(
        """
        INSERT INTO tariff_assignments (target_key, target, station_id, evse_id, group_id,
            tariff_id, assigned_at)
        VALUES (%(key)s, %(target)s, %(station)s, %(evse)s, %(group)s, %(tariff)s, %(at)s)
        ON CONFLICT (target_key) DO UPDATE SET tariff_id = EXCLUDED.tariff_id,
            assigned_at = EXCLUDED.assigned_at
        """,
        {
            "key": key, "target": d.target, "station": d.station_id, "evse": d.evse_id,
            "group": d.group_id, "tariff": d.tariff_id, "at": event.occurred_at,
        },
    )  # fmt: skip


@handles(TariffUnassigned)
async def on_unassigned(cur: Cursor, event: EventEnvelope[TariffUnassigned]) -> None:
    key = target_key(event.data)
    if key is None:
        log.warning("skipping %s: its fields do not fit target %r", event.event_id,
                    event.data.target)  # fmt: skip
        return
    await cur.execute("DELETE FROM tariff_assignments WHERE target_key = %s", (key,))


@handles(StationConfigured)
async def on_configured(cur: Cursor, event: EventEnvelope[StationConfigured]) -> None:
    """Only the pricing fields the event was given change; a field given as null is cleared
    (records carry the fields their event was given: ``model_fields_set``)."""
    d = event.data
    given = d.model_fields_set & PRICING_FIELDS
    if not given or event.station_id is None:
        return
    await cur.execute(
        """
        INSERT INTO station_pricing AS p (station_id, time_zone, cost_messages, updated_at)
        VALUES (%(id)s, %(tz)s, %(cost)s, %(at)s)
        ON CONFLICT (station_id) DO UPDATE SET
            time_zone = CASE WHEN %(set_tz)s THEN EXCLUDED.time_zone ELSE p.time_zone END,
            cost_messages = CASE WHEN %(set_cost)s THEN EXCLUDED.cost_messages
                                 ELSE p.cost_messages END,
            updated_at = EXCLUDED.updated_at
        """,
        {
            "id": event.station_id, "tz": d.time_zone, "cost": d.cost_messages,
            "set_tz": "time_zone" in given, "set_cost": "cost_messages" in given,
            "at": event.occurred_at,
        },
    )  # fmt: skip


PROJECTION = Projection(
    readmodel.TARIFFS,
    tables=(readmodel.tariffs, readmodel.tariff_versions, readmodel.tariff_assignments,
            readmodel.station_pricing),
    handlers=handles,
)  # fmt: skip
