"""The credentials module (OCPI 2.2.1 credentials §"Interfaces and endpoints"):
``/ocpi/2.2.1/credentials``, for a partner registering with us.

- GET: our credentials for the caller (the token it presented, our versions URL, our role).
- POST (token A only): the partner's credentials; we read its versions and endpoints with
  its token, and answer with a new token of ours, the only one that works from then on
  (token A dies). A registered token → 405; versions unreadable → 3001; no 2.2.1 → 3002.
- PUT (registered): the same exchange again, new tokens both ways; 405 with a token A.
- DELETE (registered): unregistered, our token for it revoked; 405 with a token A.

Each change is one admin event (schemas/events/ocpi_partners.py) answered once the
``ocpi_partners`` read model shows it; a refused request writes nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import DbDep, WriterDep
from api.ocpi.auth import UNAUTHORIZED, AnyCallerDep, Caller, TokenSealer, new_token, token_hash
from api.ocpi.envelope import OcpiError, OcpiResponse, OcpiStatus, ok
from api.ocpi.partners import discover, taken_parties
from schemas.events import OcpiPartnerRegistered, OcpiPartnerUnregistered, OcpiPartnerUpdated
from schemas.ocpi.credentials import BusinessDetails, Credentials, CredentialsRole, Role
from schemas.readmodel import OCPI_PARTNERS

router = APIRouter(prefix="/ocpi/2.2.1/credentials", tags=["ocpi"], responses=UNAUTHORIZED)


def our_credentials(request: Request, token: str) -> Credentials:
    """Our platform's credentials object carrying ``token``: our versions URL and our one
    CPO role (``CSMS_CPO_COUNTRY_CODE`` / ``CSMS_CPO_PARTY_ID``)."""
    config = request.app.state.config
    role = CredentialsRole(role=Role.CPO, business_details=BusinessDetails(
        name=config.ocpi_business_name), party_id=config.cpo_party_id,
        country_code=config.cpo_country_code)  # fmt: skip
    versions_url = config.ocpi_base_url.rstrip("/") + "/ocpi/versions"
    return Credentials(token=token, url=versions_url, roles=(role,))


def _not_allowed(message: str) -> OcpiError:
    # credentials §"POST Method": "If the client was already registered, the server SHALL
    # return an HTTP 405"; PUT / DELETE without a registration likewise.
    return OcpiError(OcpiStatus.CLIENT_ERROR, message, 405)


@router.get("")
async def get_credentials(request: Request, caller: AnyCallerDep) -> OcpiResponse[Credentials]:
    """credentials §"GET Method": the credentials object to access our platform; the token in
    it is the one the caller uses (we keep only its hash, so it is the one it presented)."""
    return ok(our_credentials(request, caller.token))


async def _checked(db: DbDep, caller: Caller, body: Credentials) -> None:
    taken = await taken_parties(db, body.roles, caller.partner_id)
    await db.rollback()
    if taken:
        raise OcpiError(OcpiStatus.CLIENT_ERROR,
                        f"already registered by another partner: {', '.join(taken)}", 409)


@router.post("")
async def post_credentials(request: Request, body: Credentials, caller: AnyCallerDep,
                           db: DbDep, writer: WriterDep) -> OcpiResponse[Credentials]:  # fmt: skip
    """credentials §"POST Method": a partner registers with its token A."""
    if caller.registered:
        raise _not_allowed("already registered: use PUT to change the credentials")
    await _checked(db, caller, body)
    version, endpoints = await discover(body.url, body.token)
    sealer: TokenSealer = request.app.state.ocpi_sealer
    ours = new_token()
    event = OcpiPartnerRegistered(
        partner_id=caller.partner_id, registered_by="partner", token_hash=token_hash(ours),
        token_for_partner=sealer.seal(body.token), versions_url=body.url, version=version,
        endpoints=endpoints, roles=body.roles)  # fmt: skip
    await writer.write(event, caller.partner_id, None, shown_by=OCPI_PARTNERS)
    return ok(our_credentials(request, ours))


@router.put("")
async def put_credentials(request: Request, body: Credentials, caller: AnyCallerDep,
                          db: DbDep, writer: WriterDep) -> OcpiResponse[Credentials]:  # fmt: skip
    """credentials §"PUT Method": new tokens both ways, versions and roles read again."""
    if not caller.registered:
        raise _not_allowed("not registered: POST the credentials first")
    await _checked(db, caller, body)
    version, endpoints = await discover(body.url, body.token)
    sealer: TokenSealer = request.app.state.ocpi_sealer
    ours = new_token()
    event = OcpiPartnerUpdated(
        partner_id=caller.partner_id, token_hash=token_hash(ours),
        token_for_partner=sealer.seal(body.token), versions_url=body.url, version=version,
        endpoints=endpoints, roles=body.roles)  # fmt: skip
    await writer.write(event, caller.partner_id, None, shown_by=OCPI_PARTNERS)
    return ok(our_credentials(request, ours))


@router.delete("")
async def delete_credentials(caller: AnyCallerDep, writer: WriterDep) -> OcpiResponse[None]:
    """credentials §"DELETE Method": the partner unregisters; its tokens stop working."""
    if not caller.registered:
        raise _not_allowed("not registered")
    event = OcpiPartnerUnregistered(partner_id=caller.partner_id, by="partner")
    await writer.write(event, caller.partner_id, None, shown_by=OCPI_PARTNERS)
    return ok(None)
