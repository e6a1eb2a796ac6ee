"""The ``locations`` projection: the operator's locations (``LocationPublished`` /
``LocationDeleted`` on the admin log) as ``locations`` rows and their EVSEs' station
mapping as ``location_evses`` rows (docs/OCPI.md "Locations").

A published location replaces its previous version whole: its EVSE rows are deleted and
written again. A station EVSE already mapped by another location keeps that mapping (the API
refuses such a location with 409 before writing; this guards a race between two writes).
A deleted location keeps its row, marked deleted, and loses its EVSE mapping.
"""

from __future__ import annotations

from psycopg.types.json import Jsonb

from projections.runtime.projection import Cursor, Handlers, Projection
from schemas import readmodel
from schemas.events import EventEnvelope, LocationDeleted, LocationPublished

handles = Handlers()


@handles(LocationPublished)
async def on_published(cur: Cursor, event: EventEnvelope[LocationPublished]) -> None:
    d, at = event.data, event.occurred_at
    loc = d.location
    await cur.execute(
        """
        INSERT INTO locations (location_id, name, address, city, postal_code, state, country,
            latitude, longitude, time_zone, body, deleted, updated_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, false, %s)
        ON CONFLICT (location_id) DO UPDATE SET name = EXCLUDED.name,
            address = EXCLUDED.address, city = EXCLUDED.city,
            postal_code = EXCLUDED.postal_code, state = EXCLUDED.state,
            country = EXCLUDED.country, latitude = EXCLUDED.latitude,
            longitude = EXCLUDED.longitude, time_zone = EXCLUDED.time_zone,
            body = EXCLUDED.body, deleted = false, updated_at = EXCLUDED.updated_at
        """,
        (d.location_id, loc.name, loc.address, loc.city, loc.postal_code, loc.state,
         loc.country, loc.coordinates.latitude, loc.coordinates.longitude, loc.time_zone,
         Jsonb(loc.model_dump(mode="json", exclude_none=True)), at),
    )  # fmt: skip
    await cur.execute("DELETE FROM location_evses WHERE location_id = %s", (d.location_id,))
    for evse in loc.evses:
        connectors = [c.model_dump(mode="json", exclude_none=True) for c in evse.connectors]
        await cur.execute(
            """
            INSERT INTO location_evses (location_id, evse_uid, station_id, evse_id,
                ocpi_evse_id, connectors, updated_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT DO NOTHING
            """,
            (d.location_id, evse.uid, evse.station_id, evse.evse_id, evse.ocpi_evse_id,
             Jsonb(connectors), at),
        )  # fmt: skip


@handles(LocationDeleted)
async def on_deleted(cur: Cursor, event: EventEnvelope[LocationDeleted]) -> None:
    location_id = event.data.location_id
    await cur.execute("UPDATE locations SET deleted = true, updated_at = %s "
                      "WHERE location_id = %s", (event.occurred_at, location_id))  # fmt: skip
    await cur.execute("DELETE FROM location_evses WHERE location_id = %s", (location_id,))


PROJECTION = Projection(readmodel.LOCATIONS,
                        tables=(readmodel.locations, readmodel.location_evses),
                        handlers=handles)  # fmt: skip
