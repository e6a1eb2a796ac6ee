"""The ``station_connections`` projection: one row per WebSocket connection a station held,
when it opened and closed, through which gateway, from where, and how it was admitted.

Operators use it to tell a flapping station (many short connections) from a dead one (its
last connection closed hours ago), which a single ``connected`` flag cannot show (SteVe's
known complaint: dead connections shown connected for minutes). Connections are keyed by
the gateway's connection id, so a rebuild writes the same rows; a late Disconnected of a
replaced connection closes that connection's row only.
"""

from __future__ import annotations

from projections.runtime.projection import Cursor, Handlers, Projection
from schemas import readmodel
from schemas.events import EventEnvelope, StationConnected, StationDisconnected

handles = Handlers()


@handles(StationConnected)
async def on_connected(cur: Cursor, event: EventEnvelope[StationConnected]) -> None:
    d = event.data
    await cur.execute(
        """
        INSERT INTO station_connections (connection_id, station_id, gateway_id, ocpp_version,
            remote_address, security_profile, admitted_as, connected_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (connection_id) DO NOTHING
        """,
        (d.connection_id, event.station_id, d.gateway_id, d.ocpp_version, d.remote_address,
         d.security_profile, d.reason, event.occurred_at),
    )  # fmt: skip


@handles(StationDisconnected)
async def on_disconnected(cur: Cursor, event: EventEnvelope[StationDisconnected]) -> None:
    await cur.execute(
        """
        UPDATE station_connections SET disconnected_at = %s, close_reason = %s
        WHERE connection_id = %s AND disconnected_at IS NULL
        """,
        (event.occurred_at, event.data.reason, event.data.connection_id),
    )


PROJECTION = Projection("station_connections", tables=(readmodel.station_connections,),
                        handlers=handles)  # fmt: skip
