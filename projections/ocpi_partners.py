"""The ``ocpi_partners`` projection: the OCPI partner registry (``ocpi_partners``, one row per
partner platform, and ``ocpi_partner_roles``, its parties), from the admin log's
``OcpiPartner*`` events (schemas/events/ocpi_partners.py)."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg.types.json import Jsonb

from projections.runtime.projection import Cursor, Handlers, Projection
from schemas import readmodel
from schemas.events import (
    EventEnvelope,
    OcpiPartnerInvited,
    OcpiPartnerRegistered,
    OcpiPartnerUnregistered,
    OcpiPartnerUpdated,
)
from schemas.ocpi.credentials import CredentialsRole, Endpoint

handles = Handlers()


@handles(OcpiPartnerInvited)
async def on_invited(cur: Cursor, event: EventEnvelope[OcpiPartnerInvited]) -> None:
    d = event.data
    await cur.execute(
        """
        INSERT INTO ocpi_partners (partner_id, name, status, token_hash, endpoints, created_at,
            updated_at)
        VALUES (%(id)s, %(name)s, 'invited', %(hash)s, '[]', %(at)s, %(at)s)
        ON CONFLICT (partner_id) DO UPDATE SET name = EXCLUDED.name, status = 'invited',
            token_hash = EXCLUDED.token_hash, token_for_partner = NULL, versions_url = NULL,
            version = NULL, endpoints = '[]', registered_by = NULL,
            updated_at = EXCLUDED.updated_at
        """,
        {"id": d.partner_id, "name": d.name, "hash": d.token_hash, "at": event.occurred_at},
    )
    await cur.execute("DELETE FROM ocpi_partner_roles WHERE partner_id = %s", (d.partner_id,))


@handles(OcpiPartnerRegistered)
async def on_registered(cur: Cursor, event: EventEnvelope[OcpiPartnerRegistered]) -> None:
    d = event.data
    await cur.execute(
        """
        INSERT INTO ocpi_partners (partner_id, name, status, token_hash, token_for_partner,
            versions_url, version, endpoints, registered_by, created_at, updated_at)
        VALUES (%(id)s, %(name)s, 'registered', %(hash)s, %(sealed)s, %(url)s, %(version)s,
            %(endpoints)s, %(by)s, %(at)s, %(at)s)
        ON CONFLICT (partner_id) DO UPDATE SET name = COALESCE(EXCLUDED.name, ocpi_partners.name),
            status = 'registered', token_hash = EXCLUDED.token_hash,
            token_for_partner = EXCLUDED.token_for_partner,
            versions_url = EXCLUDED.versions_url, version = EXCLUDED.version,
            endpoints = EXCLUDED.endpoints, registered_by = EXCLUDED.registered_by,
            updated_at = EXCLUDED.updated_at
        """,
        {
            "id": d.partner_id, "name": d.name, "hash": d.token_hash,
            "sealed": d.token_for_partner, "url": d.versions_url, "version": d.version,
            "endpoints": _endpoints(d.endpoints), "by": d.registered_by, "at": event.occurred_at,
        },
    )  # fmt: skip
    await _set_roles(cur, d.partner_id, d.roles)


@handles(OcpiPartnerUpdated)
async def on_updated(cur: Cursor, event: EventEnvelope[OcpiPartnerUpdated]) -> None:
    d = event.data
    await cur.execute(
        """
        UPDATE ocpi_partners SET token_hash = %(hash)s, token_for_partner = %(sealed)s,
            versions_url = %(url)s, version = %(version)s, endpoints = %(endpoints)s,
            updated_at = %(at)s
        WHERE partner_id = %(id)s
        """,
        {
            "id": d.partner_id, "hash": d.token_hash, "sealed": d.token_for_partner,
            "url": d.versions_url, "version": d.version, "endpoints": _endpoints(d.endpoints),
            "at": event.occurred_at,
        },
    )  # fmt: skip
    await _set_roles(cur, d.partner_id, d.roles)


@handles(OcpiPartnerUnregistered)
async def on_unregistered(cur: Cursor, event: EventEnvelope[OcpiPartnerUnregistered]) -> None:
    partner_id = event.data.partner_id
    await cur.execute("DELETE FROM ocpi_partner_roles WHERE partner_id = %s", (partner_id,))
    await cur.execute("DELETE FROM ocpi_partners WHERE partner_id = %s", (partner_id,))


def _endpoints(endpoints: Sequence[Endpoint]) -> Jsonb:
    return Jsonb([e.model_dump(mode="json") for e in endpoints])


async def _set_roles(cur: Cursor, partner_id: str, roles: Sequence[CredentialsRole]) -> None:
    await cur.execute("DELETE FROM ocpi_partner_roles WHERE partner_id = %s", (partner_id,))
    for r in roles:
        await cur.execute(
            """
            INSERT INTO ocpi_partner_roles (partner_id, country_code, party_id, role,
                business_details)
            VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING
            """,
            (partner_id, r.country_code, r.party_id, r.role.value,
             Jsonb(r.business_details.model_dump(mode="json", exclude_none=True))),
        )  # fmt: skip


PROJECTION = Projection(readmodel.OCPI_PARTNERS,
                        tables=(readmodel.ocpi_partners, readmodel.ocpi_partner_roles),
                        handlers=handles)  # fmt: skip
