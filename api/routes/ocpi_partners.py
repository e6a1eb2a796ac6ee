"""The OCPI partner registry for the operator (docs/OCPI.md "Adding a partner"):
``/api/v1/ocpi/partners``. Tokens are shown once, when made, and never again.

- POST: invite a partner: a registration token A for it to register with us (kept hashed);
- POST ``/{partner_id}/registration``: we register with a partner, given its versions URL
  and its token A (credentials §Registration, we are the Sender);
- GET (list, one): the registry; DELETE: unregister (DELETE at the partner's credentials
  endpoint, best effort, then our tokens revoked).
"""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import DbDep, Writer, WriterDep
from api.models import NOT_FOUND
from api.ocpi import client
from api.ocpi.auth import TokenSealer, new_token, token_hash
from api.ocpi.credentials import our_credentials
from api.ocpi.envelope import OcpiError
from api.ocpi.partners import (
    PartnerPublic,
    credentials_url,
    discover,
    invitation_hash,
    list_partners,
    load_partner,
    sealed_token,
    taken_parties,
)
from schemas.events import (
    DomainEvent,
    OcpiPartnerInvited,
    OcpiPartnerRegistered,
    OcpiPartnerUnregistered,
)
from schemas.ocpi.credentials import CredentialsToken, Url
from schemas.readmodel import OCPI_PARTNERS

router = APIRouter(prefix="/api/v1/ocpi/partners", tags=["ocpi partners"])

PartnerIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,36}$")]


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,36}$")]
    name: Annotated[str, Field(max_length=100)] | None = None


class Invitation(BaseModel):
    """The invitation: give ``token`` and ``versions_url`` to the partner, out of band."""

    partner_id: str
    token: str
    versions_url: str


class RegistrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    versions_url: Url
    token: CredentialsToken
    """The partner's registration token A."""
    name: Annotated[str, Field(max_length=100)] | None = None


@router.post("", status_code=status.HTTP_201_CREATED)
async def invite(request: Request, body: InvitationIn, db: DbDep,
                 writer: WriterDep) -> Invitation:  # fmt: skip
    """A new partner and its registration token A (shown only here)."""
    if await load_partner(db, body.partner_id) is not None:
        raise HTTPException(409, f"partner {body.partner_id!r} exists")
    await db.rollback()
    token = new_token()
    event = OcpiPartnerInvited(partner_id=body.partner_id, name=body.name,
                               token_hash=token_hash(token))  # fmt: skip
    await writer.write(event, body.partner_id, None, shown_by=OCPI_PARTNERS)
    base: str = request.app.state.config.ocpi_base_url
    return Invitation(partner_id=body.partner_id, token=token,
                      versions_url=base.rstrip("/") + "/ocpi/versions")  # fmt: skip


def _bad_gateway(e: OcpiError) -> HTTPException:
    return HTTPException(502, f"OCPI {int(e.status)}: {e.message}")


@router.post("/{partner_id}/registration")
async def register_with(request: Request, partner_id: PartnerIdPath, body: RegistrationIn,
                        db: DbDep, writer: WriterDep) -> PartnerPublic:  # fmt: skip
    """We register with a partner (credentials §Registration, as Sender): its versions and
    details with its token A, our credentials (a new token B) POSTed to it, its token C
    kept (sealed) with its endpoints and roles."""
    existing = await load_partner(db, partner_id)
    if existing is not None and existing.status == "registered":
        raise HTTPException(409, f"partner {partner_id!r} is registered already")
    before = await invitation_hash(db, partner_id)
    await db.rollback()
    try:
        version, endpoints = await discover(body.versions_url, body.token)
        url = credentials_url(endpoints)
    except OcpiError as e:
        raise _bad_gateway(e) from e
    ours = new_token()
    # credentials §Registration: the partner reads our versions with token B while it
    # answers our POST, so B must open them first (as an invitation would).
    await writer.write(OcpiPartnerInvited(partner_id=partner_id, name=body.name,
                                          token_hash=token_hash(ours)), partner_id, None,
                       shown_by=OCPI_PARTNERS)  # fmt: skip
    try:
        theirs = await client.send_credentials("POST", url, body.token,
                                               our_credentials(request, ours))  # fmt: skip
        taken = await taken_parties(db, theirs.roles, partner_id)
        await db.rollback()
        if taken:
            raise HTTPException(409, "already registered by another partner: "
                                + ", ".join(taken))  # fmt: skip
    except (client.PartnerError, HTTPException) as e:
        await _undo(writer, partner_id, existing, before)
        if isinstance(e, HTTPException):
            raise
        raise HTTPException(502, f"the partner refused our credentials: {e}") from e
    sealer: TokenSealer = request.app.state.ocpi_sealer
    event = OcpiPartnerRegistered(
        partner_id=partner_id, name=body.name, registered_by="cpo", token_hash=token_hash(ours),
        token_for_partner=sealer.seal(theirs.token), versions_url=body.versions_url,
        version=version, endpoints=endpoints, roles=theirs.roles)  # fmt: skip
    await writer.write(event, partner_id, None, shown_by=OCPI_PARTNERS)
    found = await load_partner(db, partner_id)
    assert found is not None
    return found


async def _undo(writer: Writer, partner_id: str, existing: PartnerPublic | None,
                before: str | None) -> None:
    """A registration that failed leaves the registry as it was: the invitation back, or
    no partner at all."""
    if existing is not None and before is not None:
        event: DomainEvent = OcpiPartnerInvited(partner_id=partner_id, name=existing.name,
                                                token_hash=before)  # fmt: skip
    else:
        event = OcpiPartnerUnregistered(partner_id=partner_id, by="cpo")
    await writer.write(event, partner_id, None, shown_by=OCPI_PARTNERS)


@router.get("")
async def get_partners(db: DbDep) -> list[PartnerPublic]:
    return await list_partners(db)


@router.get("/{partner_id}", responses=NOT_FOUND)
async def get_partner(partner_id: PartnerIdPath, db: DbDep) -> PartnerPublic:
    found = await load_partner(db, partner_id)
    if found is None:
        raise HTTPException(404, f"partner {partner_id!r} not found")
    return found


@router.delete("/{partner_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def unregister(request: Request, partner_id: PartnerIdPath, db: DbDep,
                     writer: WriterDep) -> Response:  # fmt: skip
    """credentials §"DELETE Method" at the partner (best effort: a partner that is down is
    unregistered here all the same), then our tokens revoked."""
    found = await load_partner(db, partner_id)
    if found is None:
        raise HTTPException(404, f"partner {partner_id!r} not found")
    sealed = await sealed_token(db, partner_id)
    await db.rollback()
    urls = [e.url for e in found.endpoints if e.identifier.value == "credentials"]
    if found.status == "registered" and sealed and urls:
        sealer: TokenSealer = request.app.state.ocpi_sealer
        # Unregistered here regardless; the partner's own registry is its own.
        with contextlib.suppress(client.PartnerError):
            await client.delete_credentials(urls[0], sealer.open(sealed))
    await writer.write(OcpiPartnerUnregistered(partner_id=partner_id, by="cpo"), partner_id,
                       None, shown_by=OCPI_PARTNERS)  # fmt: skip
    return Response(status_code=status.HTTP_204_NO_CONTENT)
