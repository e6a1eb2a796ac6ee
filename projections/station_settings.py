"""What the CSMS knows of a station's settings from the answers to its calls: 1.6
configuration keys, 2.0.1 device-model variables, charging profiles per EVSE,
reservations, the local authorization list version (docs/CALLS.md, "Read models")."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncCursor
from psycopg.types.json import Jsonb

from schemas.envelopes import EventEnvelope

TABLES = ("station_configuration", "station_variables", "charging_profiles", "reservations",
          "local_list_versions")  # fmt: skip

CHANGED = ("Accepted", "RebootRequired")


async def on_configuration_read(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    for key in event.data["keys"]:
        await cur.execute(
            """
            INSERT INTO station_configuration (station_id, key, value, readonly, updated_at)
            VALUES (%s, %s, %s, %s, %s)
            ON CONFLICT (station_id, key) DO UPDATE SET value = EXCLUDED.value,
                readonly = EXCLUDED.readonly, reboot_required = false,
                updated_at = EXCLUDED.updated_at
            """,
            (event.station_id, key["key"], key.get("value"), key["readonly"], event.occurred_at),
        )
    if event.data["unknown_keys"]:
        await cur.execute(
            "DELETE FROM station_configuration WHERE station_id = %s AND key = ANY(%s)",
            (event.station_id, event.data["unknown_keys"]),
        )


async def on_configuration_changed(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    d = event.data
    await cur.execute(
        """
        INSERT INTO station_configuration AS c (station_id, key, value, reboot_required,
            updated_at)
        VALUES (%s, %s, %s, %s, %s)
        ON CONFLICT (station_id, key) DO UPDATE SET value = EXCLUDED.value,
            reboot_required = EXCLUDED.reboot_required, updated_at = EXCLUDED.updated_at
        """,
        (event.station_id, d["key"], d["value"], d["status"] == "RebootRequired",
         event.occurred_at),
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


async def on_variables(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    """``VariablesGot`` / ``VariablesSet``: a value the station reported or accepted is
    stored; any other status is noted on a row the CSMS already knows."""
    read = event.type == "VariablesGot"
    for r in event.data["results"]:
        row = _variable_row(event, r)
        applied = r["status"] == "Accepted" if read else r["status"] in CHANGED
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


def _variable_row(event: EventEnvelope, r: dict[str, Any]) -> dict[str, Any]:
    return {
        "station": event.station_id, "component": r["component"],
        "ci": r.get("component_instance", ""), "evse": r.get("evse_id", 0),
        "conn": r.get("connector_id", 0), "variable": r["variable"],
        "vi": r.get("variable_instance", ""), "attr": r["attribute_type"],
        "value": r.get("value"), "status": r["status"],
        "reboot": r["status"] == "RebootRequired", "at": event.occurred_at,
    }  # fmt: skip


async def on_profile_set(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    d = event.data
    await _install_profile(cur, event, d["evse_id"], d, "CSO")


async def on_profiles_reported(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    """2.0.1 K09: what the station reports installed is installed (same replacement rule)."""
    d = event.data
    for profile in d["profiles"]:
        await _install_profile(cur, event, d["evse_id"], profile, d["source"])


async def _install_profile(cur: AsyncCursor[object], event: EventEnvelope, evse_id: int,
                           d: dict[str, Any], source: str) -> None:  # fmt: skip
    # OCPP 1.6 §3.13.2 / 2.0.1 K01.FR.05: a new profile replaces the one with the same id,
    # or with the same stack level and purpose on the same EVSE.
    await cur.execute(
        """
        DELETE FROM charging_profiles WHERE station_id = %(station)s AND (profile_id = %(id)s
            OR (evse_id = %(evse)s AND stack_level = %(level)s AND purpose = %(purpose)s))
        """,
        {"station": event.station_id, "id": d["profile_id"], "evse": evse_id,
         "level": d["stack_level"], "purpose": d["purpose"]},
    )  # fmt: skip
    await cur.execute(
        """
        INSERT INTO charging_profiles (station_id, evse_id, profile_id, stack_level, purpose,
            profile, source, updated_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (event.station_id, evse_id, d["profile_id"], d["stack_level"], d["purpose"],
         Jsonb(d["profile"]), source, event.occurred_at),
    )  # fmt: skip


async def on_profiles_cleared(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    """By id when one is given; otherwise every profile matching all the criteria given."""
    d = event.data
    if "profile_id" in d:
        await cur.execute(
            "DELETE FROM charging_profiles WHERE station_id = %s AND profile_id = %s",
            (event.station_id, d["profile_id"]),
        )
        return
    await cur.execute(
        """
        DELETE FROM charging_profiles WHERE station_id = %(station)s
            AND (%(evse)s::int IS NULL OR evse_id = %(evse)s)
            AND (%(purpose)s::text IS NULL OR purpose = %(purpose)s)
            AND (%(level)s::int IS NULL OR stack_level = %(level)s)
        """,
        {"station": event.station_id, "evse": d.get("evse_id"), "purpose": d.get("purpose"),
         "level": d.get("stack_level")},
    )  # fmt: skip


async def on_reservation(cur: AsyncCursor[object], event: EventEnvelope) -> None:
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
        (event.station_id, d["reservation_id"], d.get("evse_id"), d.get("connector_id"),
         d["id_token"], d["expires_at"], d["status"], event.occurred_at),
    )  # fmt: skip


async def on_reservation_cancelled(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    await _reservation_status(cur, event, "Cancelled")


async def on_reservation_status(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    """2.0.1 H05: the station ended the reservation (Expired, Removed)."""
    await _reservation_status(cur, event, event.data["status"])


async def _reservation_status(cur: AsyncCursor[object], event: EventEnvelope,
                              status: str) -> None:  # fmt: skip
    await cur.execute(
        "UPDATE reservations SET status = %s, updated_at = %s"
        " WHERE station_id = %s AND reservation_id = %s",
        (status, event.occurred_at, event.station_id, event.data["reservation_id"]),
    )


async def on_local_list(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    """``LocalListUpdated`` / ``LocalListVersionReported``: the version the station has."""
    await cur.execute(
        """
        INSERT INTO local_list_versions (station_id, version, updated_at) VALUES (%s, %s, %s)
        ON CONFLICT (station_id) DO UPDATE SET version = EXCLUDED.version,
            updated_at = EXCLUDED.updated_at
        """,
        (event.station_id, event.data["version"], event.occurred_at),
    )


async def on_report(cur: AsyncCursor[object], event: EventEnvelope) -> None:
    """2.0.1 NotifyReport (B07/B08, the answer to GetBaseReport / GetReport): every reported
    attribute of every component variable becomes the station's known value."""
    for item in event.data["report_data"]:
        for row in _report_rows(event, item):
            await cur.execute(_UPSERT_VARIABLE, row)


def _report_rows(event: EventEnvelope, item: dict[str, Any]) -> list[dict[str, Any]]:
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
