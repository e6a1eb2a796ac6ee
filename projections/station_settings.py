"""The ``station_settings`` projection: what the CSMS knows of a station's settings from the
answers to its calls: 1.6 configuration keys, 2.0.1 device-model variables (also from
NotifyReport), charging profiles per EVSE, reservations, the local authorization list
version (docs/CALLS.md, "Read models")."""

from __future__ import annotations

from typing import Any, Protocol

from psycopg.types.json import Jsonb

from projections.runtime.projection import Cursor, Handlers, Projection
from schemas import readmodel
from schemas.events import (
    ChargingProfilesCleared,
    ChargingProfileSet,
    ChargingProfilesReported,
    ConfigurationChanged,
    ConfigurationRead,
    DomainEvent,
    EventEnvelope,
    LocalListUpdated,
    LocalListVersionReported,
    ReportReceived,
    ReservationAnswered,
    ReservationCancelled,
    ReservationStatusUpdated,
    VariableResult,
    VariablesGot,
    VariablesSet,
)

CHANGED = ("Accepted", "RebootRequired")

handles = Handlers()


@handles(ConfigurationRead)
async def on_configuration_read(cur: Cursor, event: EventEnvelope[ConfigurationRead]) -> None:
    for key in event.data.keys:
        await cur.execute(
            """
            INSERT INTO station_configuration (station_id, key, value, readonly, updated_at)
            VALUES (%s, %s, %s, %s, %s)
            ON CONFLICT (station_id, key) DO UPDATE SET value = EXCLUDED.value,
                readonly = EXCLUDED.readonly, reboot_required = false,
                updated_at = EXCLUDED.updated_at
            """,
            (event.station_id, key.key, key.value, key.readonly, event.occurred_at),
        )
    if event.data.unknown_keys:
        await cur.execute(
            "DELETE FROM station_configuration WHERE station_id = %s AND key = ANY(%s)",
            (event.station_id, list(event.data.unknown_keys)),
        )


@handles(ConfigurationChanged)
async def on_configuration_changed(
    cur: Cursor, event: EventEnvelope[ConfigurationChanged]
) -> None:
    d = event.data
    await cur.execute(
        """
        INSERT INTO station_configuration AS c (station_id, key, value, reboot_required,
            updated_at)
        VALUES (%s, %s, %s, %s, %s)
        ON CONFLICT (station_id, key) DO UPDATE SET value = EXCLUDED.value,
            reboot_required = EXCLUDED.reboot_required, updated_at = EXCLUDED.updated_at
        """,
        (event.station_id, d.key, d.value, d.status == "RebootRequired", event.occurred_at),
    )  # fmt: skip


_UPSERT_VARIABLE = """
    INSERT INTO station_variables (station_id, component, component_instance, evse_id,
        connector_id, variable, variable_instance, attribute_type, value, status,
        reboot_required, updated_at)
    VALUES (%(station)s, %(component)s, %(ci)s, %(evse)s, %(conn)s, %(variable)s, %(vi)s,
        %(attr)s, %(value)s, %(status)s, %(reboot)s, %(at)s)
    ON CONFLICT (station_id, component, component_instance, evse_id, connector_id, variable,
        variable_instance, attribute_type)
    DO UPDATE SET value = EXCLUDED.value, status = EXCLUDED.status,
        reboot_required = EXCLUDED.reboot_required, updated_at = EXCLUDED.updated_at
"""


@handles(VariablesGot, VariablesSet)
async def on_variables(cur: Cursor, event: EventEnvelope[VariablesGot | VariablesSet]) -> None:
    """``VariablesGot`` / ``VariablesSet``: a value the station reported or accepted is
    stored; any other status is noted on a row the CSMS already knows."""
    read = isinstance(event.data, VariablesGot)
    for r in event.data.results:
        row = _variable_row(event, r)
        applied = r.status == "Accepted" if read else r.status in CHANGED
        if applied:
            await cur.execute(_UPSERT_VARIABLE, row)
        else:
            await cur.execute(
                """
                UPDATE station_variables SET status = %(status)s, updated_at = %(at)s
                WHERE station_id = %(station)s AND component = %(component)s
                    AND component_instance = %(ci)s AND evse_id = %(evse)s
                    AND connector_id = %(conn)s AND variable = %(variable)s
                    AND variable_instance = %(vi)s AND attribute_type = %(attr)s
                """,
                row,
            )


def _variable_row(event: EventEnvelope[DomainEvent], r: VariableResult) -> dict[str, Any]:
    return {
        "station": event.station_id, "component": r.component,
        "ci": r.component_instance or "", "evse": r.evse_id or 0, "conn": r.connector_id or 0,
        "variable": r.variable, "vi": r.variable_instance or "", "attr": r.attribute_type,
        "value": r.value, "status": r.status, "reboot": r.status == "RebootRequired",
        "at": event.occurred_at,
    }  # fmt: skip


@handles(ChargingProfileSet)
async def on_profile_set(cur: Cursor, event: EventEnvelope[ChargingProfileSet]) -> None:
    d = event.data
    await _install_profile(cur, event, d.evse_id, d, "CSO")


@handles(ChargingProfilesReported)
async def on_profiles_reported(
    cur: Cursor, event: EventEnvelope[ChargingProfilesReported]
) -> None:
    """2.0.1 K09: what the station reports installed is installed (same replacement rule)."""
    d = event.data
    for profile in d.profiles:
        await _install_profile(cur, event, d.evse_id, profile, d.source)


class _Profile(Protocol):
    @property
    def profile_id(self) -> int: ...
    @property
    def stack_level(self) -> int: ...
    @property
    def purpose(self) -> str: ...
    @property
    def profile(self) -> dict[str, Any]: ...


async def _install_profile(cur: Cursor, event: EventEnvelope[DomainEvent], evse_id: int,
                           d: _Profile, source: str) -> None:  # fmt: skip
    # OCPP 1.6 §3.13.2 / 2.0.1 K01.FR.05: a new profile replaces the one with the same id,
    # or with the same stack level and purpose on the same EVSE.
    await cur.execute(
        """
        DELETE FROM charging_profiles WHERE station_id = %(station)s AND (profile_id = %(id)s
            OR (evse_id = %(evse)s AND stack_level = %(level)s AND purpose = %(purpose)s))
        """,
        {"station": event.station_id, "id": d.profile_id, "evse": evse_id,
         "level": d.stack_level, "purpose": d.purpose},
    )  # fmt: skip
    await cur.execute(
        """
        INSERT INTO charging_profiles (station_id, evse_id, profile_id, stack_level, purpose,
            profile, source, updated_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (event.station_id, evse_id, d.profile_id, d.stack_level, d.purpose, Jsonb(d.profile),
         source, event.occurred_at),
    )  # fmt: skip


@handles(ChargingProfilesCleared)
async def on_profiles_cleared(
    cur: Cursor, event: EventEnvelope[ChargingProfilesCleared]
) -> None:
    """By id when one is given; otherwise every profile matching all the criteria given."""
    d = event.data
    if d.profile_id is not None:
        await cur.execute(
            "DELETE FROM charging_profiles WHERE station_id = %s AND profile_id = %s",
            (event.station_id, d.profile_id),
        )
        return
    await cur.execute(
        """
        DELETE FROM charging_profiles WHERE station_id = %(station)s
            AND (%(evse)s::int IS NULL OR evse_id = %(evse)s)
            AND (%(purpose)s::text IS NULL OR purpose = %(purpose)s)
            AND (%(level)s::int IS NULL OR stack_level = %(level)s)
        """,
        {"station": event.station_id, "evse": d.evse_id, "purpose": d.purpose,
         "level": d.stack_level},
    )  # fmt: skip


@handles(ReservationAnswered)
async def on_reservation(cur: Cursor, event: EventEnvelope[ReservationAnswered]) -> None:
    d = event.data
    await cur.execute(
        """
        INSERT INTO reservations (station_id, reservation_id, evse_id, connector_id, id_token,
            expires_at, status, updated_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (station_id, reservation_id) DO UPDATE SET evse_id = EXCLUDED.evse_id,
            connector_id = EXCLUDED.connector_id, id_token = EXCLUDED.id_token,
            expires_at = EXCLUDED.expires_at, status = EXCLUDED.status,
            updated_at = EXCLUDED.updated_at
        """,
        (event.station_id, d.reservation_id, d.evse_id, d.connector_id, d.id_token,
         d.expires_at, d.status, event.occurred_at),
    )  # fmt: skip


@handles(ReservationCancelled)
async def on_reservation_cancelled(
    cur: Cursor, event: EventEnvelope[ReservationCancelled]
) -> None:
    await _reservation_status(cur, event, event.data.reservation_id, "Cancelled")


@handles(ReservationStatusUpdated)
async def on_reservation_status(
    cur: Cursor, event: EventEnvelope[ReservationStatusUpdated]
) -> None:
    """2.0.1 H05: the station ended the reservation (Expired, Removed)."""
    await _reservation_status(cur, event, event.data.reservation_id, event.data.status)


async def _reservation_status(cur: Cursor, event: EventEnvelope[DomainEvent],
                              reservation_id: int, status: str) -> None:  # fmt: skip
    await cur.execute(
        "UPDATE reservations SET status = %s, updated_at = %s"
        " WHERE station_id = %s AND reservation_id = %s",
        (status, event.occurred_at, event.station_id, reservation_id),
    )


@handles(LocalListUpdated, LocalListVersionReported)
async def on_local_list(
    cur: Cursor, event: EventEnvelope[LocalListUpdated | LocalListVersionReported]
) -> None:
    """``LocalListUpdated`` / ``LocalListVersionReported``: the version the station has."""
    await cur.execute(
        """
        INSERT INTO local_list_versions (station_id, version, updated_at) VALUES (%s, %s, %s)
        ON CONFLICT (station_id) DO UPDATE SET version = EXCLUDED.version,
            updated_at = EXCLUDED.updated_at
        """,
        (event.station_id, event.data.version, event.occurred_at),
    )


@handles(ReportReceived)
async def on_report(cur: Cursor, event: EventEnvelope[ReportReceived]) -> None:
    """2.0.1 NotifyReport (B07/B08, the answer to GetBaseReport / GetReport): every reported
    attribute of every component variable becomes the station's known value."""
    for item in event.data.report_data:
        for row in _report_rows(event, item):
            await cur.execute(_UPSERT_VARIABLE, row)


def _report_rows(event: EventEnvelope[ReportReceived],
                 item: dict[str, Any]) -> list[dict[str, Any]]:  # fmt: skip
    component, variable = item["component"], item["variable"]
    evse = component.get("evse") or {}
    return [{
        "station": event.station_id, "component": component["name"],
        "ci": component.get("instance", ""), "evse": evse.get("id", 0),
        "conn": evse.get("connectorId", 0), "variable": variable["name"],
        "vi": variable.get("instance", ""), "attr": attribute.get("type", "Actual"),
        "value": attribute.get("value"), "status": "Reported", "reboot": False,
        "at": event.occurred_at,
    } for attribute in item.get("variableAttribute", [])]  # fmt: skip


PROJECTION = Projection(
    "station_settings",
    tables=(readmodel.station_configuration, readmodel.station_variables,
            readmodel.charging_profiles, readmodel.reservations, readmodel.local_list_versions),
    handlers=handles,
)  # fmt: skip
