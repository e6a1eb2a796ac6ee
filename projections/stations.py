"""The ``stations`` projection: the ``stations`` and ``connectors`` tables. Identity from
BootNotification, connection state, admin configuration, connector status, and when each
station was last seen (any event it caused)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import Any

from projections.runtime.projection import Cursor, Fold, Handlers, Projection, Seen
from schemas import readmodel
from schemas.events import (
    ConnectorStatusChanged,
    EventEnvelope,
    StationBooted,
    StationConfigured,
    StationConnected,
    StationDisconnected,
)

handles = Handlers()


@handles(StationBooted)
async def on_booted(cur: Cursor, event: EventEnvelope[StationBooted]) -> None:
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
            "id": event.station_id, "v": d.ocpp_version, "vendor": d.vendor, "model": d.model,
            "serial": d.serial_number, "fw": d.firmware_version, "reason": d.reason,
            "status": d.status, "at": event.occurred_at,
        },
    )  # fmt: skip


@handles(StationConnected)
async def on_connected(cur: Cursor, event: EventEnvelope[StationConnected]) -> None:
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
            "id": event.station_id, "v": d.ocpp_version, "gw": d.gateway_id,
            "conn": d.connection_id, "remote": d.remote_address, "at": event.occurred_at,
        },
    )  # fmt: skip


@handles(StationDisconnected)
async def on_disconnected(cur: Cursor, event: EventEnvelope[StationDisconnected]) -> None:
    # A replaced connection's late Disconnected must not mark the newer one as gone.
    await cur.execute(
        """
        UPDATE stations SET connected = false
        WHERE station_id = %(id)s AND connection_id = %(conn)s
        """,
        {"id": event.station_id, "conn": event.data.connection_id},
    )


@handles(StationConfigured)
async def on_configured(cur: Cursor, event: EventEnvelope[StationConfigured]) -> None:
    """Admin ``StationConfigured``: only the fields given change (PUT with optional fields)."""
    d = event.data
    await cur.execute(
        """
        INSERT INTO stations AS s (station_id, registration_status, security_profile,
            password_hash)
        VALUES (%(id)s, COALESCE(%(reg)s, 'Accepted'), %(profile)s, %(hash)s)
        ON CONFLICT (station_id) DO UPDATE SET
            registration_status = COALESCE(%(reg)s, s.registration_status),
            security_profile = COALESCE(%(profile)s, s.security_profile),
            password_hash = COALESCE(%(hash)s, s.password_hash)
        """,
        {
            "id": event.station_id, "reg": d.registration_status,
            "profile": d.security_profile, "hash": d.password_hash,
        },
    )  # fmt: skip


def connector_key(event: EventEnvelope[ConnectorStatusChanged]) -> Hashable:
    d = event.data
    return (event.station_id, d.evse_id, d.connector_id)


def connector_row(event: EventEnvelope[ConnectorStatusChanged]) -> dict[str, Any]:
    d = event.data
    return {
        "id": event.station_id, "evse": d.evse_id, "conn": d.connector_id, "status": d.status,
        "at": d.status_at, "err": d.error_code, "info": d.info, "vendor": d.vendor_id,
        "verr": d.vendor_error_code,
    }  # fmt: skip


def later_status(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """One row whose write has the effect of writing ``a`` then ``b`` (two reports of one
    connector): the later ``status_at`` wins, and of two equal ones the second, as in
    :func:`write_connector_status`."""
    return b if b["at"] >= a["at"] else a


async def write_connector_status(cur: Cursor, row: dict[str, Any]) -> None:
    """The latest status per connector; a late report (older ``status_at``) changes nothing."""
    await cur.execute(
        """
        INSERT INTO connectors AS c (station_id, evse_id, connector_id, status, status_at,
            error_code, info, vendor_id, vendor_error_code)
        VALUES (%(id)s, %(evse)s, %(conn)s, %(status)s, %(at)s, %(err)s, %(info)s,
            %(vendor)s, %(verr)s)
        ON CONFLICT (station_id, evse_id, connector_id) DO UPDATE SET
            status = EXCLUDED.status, status_at = EXCLUDED.status_at,
            error_code = EXCLUDED.error_code, info = EXCLUDED.info,
            vendor_id = EXCLUDED.vendor_id, vendor_error_code = EXCLUDED.vendor_error_code
        WHERE c.status_at <= EXCLUDED.status_at
        """,
        row,
    )


async def touch_many(cur: Cursor, applied: Sequence[Seen]) -> None:
    """Any event a station caused shows it alive at that time: once per station per batch,
    at the latest such event, not once per event."""
    seen: dict[str, datetime] = {}
    for event in applied:
        if event.station_id and event.by_station:
            at = seen.get(event.station_id)
            seen[event.station_id] = max(at, event.at) if at else event.at
    if not seen:
        return
    await cur.executemany(
        """
        UPDATE stations SET last_seen_at = GREATEST(last_seen_at, %(at)s)
        WHERE station_id = %(id)s AND (last_seen_at IS NULL OR last_seen_at < %(at)s)
        """,
        [{"id": station_id, "at": at} for station_id, at in seen.items()],
    )


PROJECTION = Projection(
    "stations",
    tables=(readmodel.stations, readmodel.connectors),
    handlers=handles,
    # A station reports its connectors' status at every session's start and end.
    folds={ConnectorStatusChanged: Fold(connector_key, connector_row, later_status,
                                        write_connector_status)},
    after_batch=touch_many,
)  # fmt: skip
