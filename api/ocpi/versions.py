"""The version information endpoints (OCPI 2.2.1 version_information_endpoint): ``GET
/ocpi/versions`` lists the versions we speak (only 2.2.1), ``GET /ocpi/2.2.1`` its endpoints,
from :data:`api.ocpi.modules.MODULES`, on our public base URL (``CSMS_OCPI_BASE_URL``).

Both take a registered partner's token or a registration token A (§"Authorization header").
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.ocpi.auth import UNAUTHORIZED, AnyCallerDep
from api.ocpi.envelope import OcpiResponse, ok
from api.ocpi.modules import MODULES
from schemas.ocpi.credentials import (
    Endpoint,
    InterfaceRole,
    ModuleID,
    Version,
    VersionDetails,
    VersionNumber,
)

VERSION = VersionNumber.V2_2_1
VERSION_PATH = f"/ocpi/{VERSION.value}"

router = APIRouter(tags=["ocpi"], responses=UNAUTHORIZED)


def base_url(request: Request) -> str:
    """Our public OCPI base URL, without a trailing slash."""
    url: str = request.app.state.config.ocpi_base_url
    return url.rstrip("/")


def version_details(base: str) -> VersionDetails:
    """Our endpoints: every module of :data:`MODULES`, at its router's prefix on ``base``."""
    endpoints = tuple(Endpoint(identifier=ModuleID(m.identifier), role=InterfaceRole(m.role),
                               url=base + m.router.prefix) for m in MODULES)  # fmt: skip
    return VersionDetails(version=VERSION.value, endpoints=endpoints)


@router.get("/ocpi/versions")
async def get_versions(request: Request, caller: AnyCallerDep) -> OcpiResponse[list[Version]]:
    """OCPI 2.2.1 version_information_endpoint §"Version information endpoint"."""
    return ok([Version(version=VERSION.value, url=base_url(request) + VERSION_PATH)])


@router.get(VERSION_PATH)
async def get_version_details(request: Request,
                              caller: AnyCallerDep) -> OcpiResponse[VersionDetails]:  # fmt: skip
    """OCPI 2.2.1 version_information_endpoint §"Version details endpoint"."""
    return ok(version_details(base_url(request)))
