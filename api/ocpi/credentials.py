"""The credentials module (OCPI 2.2.1 credentials §"Interfaces and endpoints"):
``/ocpi/2.2.1/credentials``.

- GET: our credentials for the caller (the token it presented, our versions URL, our role).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.ocpi.auth import UNAUTHORIZED, AnyCallerDep
from api.ocpi.envelope import OcpiResponse, ok
from schemas.ocpi.credentials import BusinessDetails, Credentials, CredentialsRole, Role

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


@router.get("")
async def get_credentials(request: Request, caller: AnyCallerDep) -> OcpiResponse[Credentials]:
    """credentials §"GET Method": the credentials object to access our platform; the token in
    it is the one the caller uses (we keep only its hash, so it is the one it presented)."""
    return ok(our_credentials(request, caller.token))
