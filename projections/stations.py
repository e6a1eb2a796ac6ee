"""The ``stations`` read model: identity from BootNotification, connection state."""

from __future__ import annotations

from psycopg import AsyncCursor

from schemas.envelopes import EventEnvelope

TABLES = ("stations",)


async def on_booted(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    d = event.data
    await cur.execute(
        """
        INSERT INTO stations AS s (station_id, ocpp_version, vendor, model, serial_number,
            firmware_version, boot_reason, boot_status, boot_count, last_boot_at, last_seen_at)
        VALUES (%(id)s, %(v)s, %(vendor)s, %(model)s, %(serial)s, %(fw)s, %(reason)s,
            %(status)s, 1, %(at)s, %(at)s)
        ON CONFLICT (station_id) DO UPDATE SET ocpp_version = EXCLUDED.ocpp_version,
            vendor = EXCLUDED.vendor, model = EXCLUDED.model,
            serial_number = EXCLUDED.serial_number, firmware_version = EXCLUDED.firmware_version,
            boot_reason = EXCLUDED.boot_reason, boot_status = EXCLUDED.boot_status,
            boot_count = s.boot_count + 1,
            last_boot_at = EXCLUDED.last_boot_at,
            last_seen_at = GREATEST(s.last_seen_at, EXCLUDED.last_seen_at)
        """,
        {
            "id": event.station_id, "v": d["ocpp_version"], "vendor": d["vendor"],
            "model": d["model"], "serial": d.get("serial_number"),
            "fw": d.get("firmware_version"), "reason": d.get("reason"),
            "status": d["status"], "at": event.occurred_at,
        },
    )  # fmt: skip


async def on_connected(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    d = event.data
    await cur.execute(
        """
        INSERT INTO stations AS s (station_id, ocpp_version, connected, gateway_id,
            connection_id, remote_address, last_seen_at)
        VALUES (%(id)s, %(v)s, true, %(gw)s, %(conn)s, %(remote)s, %(at)s)
        ON CONFLICT (station_id) DO UPDATE SET ocpp_version = EXCLUDED.ocpp_version,
            connected = true, gateway_id = EXCLUDED.gateway_id,
            connection_id = EXCLUDED.connection_id, remote_address = EXCLUDED.remote_address,
            last_seen_at = GREATEST(s.last_seen_at, EXCLUDED.last_seen_at)
        """,
        {
            "id": event.station_id, "v": d["ocpp_version"], "gw": d["gateway_id"],
            "conn": d["connection_id"], "remote": d.get("remote_address"),
            "at": event.occurred_at,
        },
    )  # fmt: skip


async def on_disconnected(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    # A replaced connection's late Disconnected must not mark the newer one as gone.
    await cur.execute(
        """
        UPDATE stations SET connected = false
        WHERE station_id = %(id)s AND connection_id = %(conn)s
        """,
        {"id": event.station_id, "conn": event.data["connection_id"]},
    )
