"""The partner registry, read side and the steps of the credentials handshake both routes
(``api/ocpi/credentials.py``, ``api/routes/ocpi_partners.py``) share:

- :func:`partner_endpoints`: every registered partner's endpoint for one module and role,
  with the token to call it (opened), for the modules that push or call partners;
- :func:`load_partner` / :func:`list_partners`: the registry as the admin API shows it (never
  a token);
- :func:`discover`: a partner's versions, our common version and its endpoints (3001 when
  they cannot be read, 3002 when there is no common version);
- :func:`taken_parties`: the parties another partner registered already (one party, one
  partner).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.ocpi import client
from api.ocpi.auth import TokenSealer
from api.ocpi.envelope import OcpiError, OcpiStatus
from schemas.ocpi.credentials import CredentialsRole, Endpoint, VersionNumber
from schemas.readmodel import ocpi_partner_roles, ocpi_partners

VERSION = VersionNumber.V2_2_1.value


@dataclass(frozen=True, slots=True)
class PartnerEndpoint:
    """Where to call one partner for a module, and the token to call it with."""

    partner_id: str
    url: str
    token: str


class PartnerRole(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: str
    country_code: str
    party_id: str
    business_details: dict[str, object]


class PartnerPublic(BaseModel):
    """A partner as the admin API shows it: no token, in clear or otherwise."""

    model_config = ConfigDict(frozen=True)

    partner_id: str
    name: str | None
    status: str
    registered_by: str | None
    versions_url: str | None
    version: str | None
    endpoints: list[Endpoint]
    roles: list[PartnerRole]
    created_at: datetime
    updated_at: datetime


async def partner_endpoints(db: AsyncConnection, module: str, role: str, *,
                            sealer: TokenSealer) -> list[PartnerEndpoint]:  # fmt: skip
    """Every registered partner listing ``module`` with ``role`` (e.g. "locations",
    "RECEIVER"), its URL and our token for it, ordered by partner id."""
    p = ocpi_partners.c
    query = (select(p.partner_id, p.endpoints, p.token_for_partner)
             .where(p.status == "registered").order_by(p.partner_id))  # fmt: skip
    found: list[PartnerEndpoint] = []
    for row in (await db.execute(query)).all():
        urls = [e["url"] for e in row.endpoints
                if e.get("identifier") == module and e.get("role") == role]  # fmt: skip
        if urls and row.token_for_partner:
            found.append(PartnerEndpoint(row.partner_id, urls[0],
                                         sealer.open(row.token_for_partner)))  # fmt: skip
    return found


async def _roles(db: AsyncConnection, partner_ids: Sequence[str]) -> dict[str, list[PartnerRole]]:
    r = ocpi_partner_roles.c
    query = (select(ocpi_partner_roles).where(r.partner_id.in_(list(partner_ids)))
             .order_by(r.partner_id, r.role, r.country_code, r.party_id))  # fmt: skip
    roles: dict[str, list[PartnerRole]] = {}
    for row in (await db.execute(query)).all():
        roles.setdefault(row.partner_id, []).append(PartnerRole.model_validate(row._mapping))
    return roles


async def list_partners(db: AsyncConnection, partner_id: str | None = None) -> list[PartnerPublic]:
    """The registry (or one partner of it), ordered by partner id."""
    query = select(ocpi_partners).order_by(ocpi_partners.c.partner_id)
    if partner_id is not None:
        query = query.where(ocpi_partners.c.partner_id == partner_id)
    rows = (await db.execute(query)).all()
    roles = await _roles(db, [r.partner_id for r in rows])
    return [PartnerPublic.model_validate({**r._mapping, "roles": roles.get(r.partner_id, [])})
            for r in rows]  # fmt: skip


async def load_partner(db: AsyncConnection, partner_id: str) -> PartnerPublic | None:
    found = await list_partners(db, partner_id)
    return found[0] if found else None


async def sealed_token(db: AsyncConnection, partner_id: str) -> str | None:
    """Our sealed token for a partner (None when it has none)."""
    query = select(ocpi_partners.c.token_for_partner).where(
        ocpi_partners.c.partner_id == partner_id)
    return (await db.execute(query)).scalar_one_or_none()


async def invitation_hash(db: AsyncConnection, partner_id: str) -> str | None:
    """The token hash of a partner still invited (None otherwise)."""
    p = ocpi_partners.c
    query = select(p.token_hash).where(p.partner_id == partner_id, p.status == "invited")
    return (await db.execute(query)).scalar_one_or_none()


async def taken_parties(db: AsyncConnection, roles: Sequence[CredentialsRole],
                        partner_id: str) -> list[str]:  # fmt: skip
    """The parties of ``roles`` another partner registered already, as "CC/PID"."""
    r = ocpi_partner_roles.c
    wanted = {(x.country_code, x.party_id) for x in roles}
    query = select(r.country_code, r.party_id).where(r.partner_id != partner_id)
    return sorted(f"{row.country_code}/{row.party_id}" for row in (await db.execute(query)).all()
                  if (row.country_code, row.party_id) in wanted)  # fmt: skip


async def discover(versions_url: str, token: str) -> tuple[str, tuple[Endpoint, ...]]:
    """A partner's 2.2.1 endpoints, read with ``token`` (credentials §Registration: the
    receiving party fetches the versions and details before answering)."""
    try:
        versions = await client.get_versions(versions_url, token)
    except client.PartnerError as e:
        raise OcpiError(OcpiStatus.UNABLE_TO_USE_CLIENT_API,
                        f"cannot read the versions at {versions_url}: {e}") from e  # fmt: skip
    common = [v for v in versions if v.version == VERSION]
    if not common:
        listed = ", ".join(v.version for v in versions) or "none"
        raise OcpiError(OcpiStatus.UNSUPPORTED_VERSION,
                        f"no common version: we speak {VERSION}, the partner {listed}")
    try:
        details = await client.get_version_details(common[0].url, token)
    except client.PartnerError as e:
        raise OcpiError(OcpiStatus.UNABLE_TO_USE_CLIENT_API,
                        f"cannot read the version details at {common[0].url}: {e}") from e
    return VERSION, details.endpoints


def credentials_url(endpoints: Sequence[Endpoint]) -> str:
    """The partner's credentials endpoint (3003 when it lists none)."""
    for e in endpoints:
        if e.identifier.value == "credentials":
            return e.url
    raise OcpiError(OcpiStatus.NO_MATCHING_ENDPOINTS, "the partner lists no credentials endpoint")
