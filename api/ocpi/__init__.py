"""OCPI 2.2.1, the CPO role, served by the API process under ``/ocpi/`` (docs/OCPI.md).

- :mod:`api.ocpi.envelope`: the response envelope and status codes, :class:`OcpiError`;
- :mod:`api.ocpi.auth`: the credentials token of a request → :class:`~api.ocpi.auth.Caller`;
- :mod:`api.ocpi.headers`: X-Request-ID / X-Correlation-ID and the routing headers;
- :mod:`api.ocpi.paging`: offset / limit / date_from / date_to and the page headers;
- :mod:`api.ocpi.modules`: the modules served and their roles; :mod:`api.ocpi.versions`: the
  version information endpoints; :mod:`api.ocpi.credentials`: the credentials module.

:func:`install` mounts all of it on an app: the routers (without the admin Bearer check: OCPI
has its own tokens), the header middleware and the handlers that answer every error under
``/ocpi/`` with the OCPI envelope. Exception tree: see :mod:`api.ocpi.envelope`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException

from api.ocpi import versions
from api.ocpi.envelope import OcpiError, OcpiStatus, error_body
from api.ocpi.headers import OCPI_PREFIX, OcpiHeaders
from api.ocpi.modules import MODULES


def is_ocpi(request: Request) -> bool:
    """Whether a request is an OCPI one (its errors are OCPI envelopes)."""
    return request.url.path.startswith(OCPI_PREFIX)


def install(app: FastAPI) -> None:
    """Mount the OCPI routers, the header middleware and the OCPI error handlers."""
    app.include_router(versions.router)
    mounted: list[object] = []
    for module in MODULES:
        if not any(module.router is r for r in mounted):
            app.include_router(module.router)
            mounted.append(module.router)
    app.add_middleware(OcpiHeaders)
    app.add_exception_handler(OcpiError, _ocpi_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _server_error)


def _json(status: OcpiStatus, message: str, http_status: int,
          headers: Mapping[str, str] | None = None) -> JSONResponse:  # fmt: skip
    return JSONResponse(error_body(status, message, datetime.now(UTC)), http_status,
                        headers=headers)  # fmt: skip


async def _ocpi_error(request: Request, exc: OcpiError) -> Response:
    return _json(exc.status, exc.message, exc.http_status, exc.headers)


def validation_error(exc: RequestValidationError) -> JSONResponse:
    """OCPI 2.2.1 status_codes: 2001 "Invalid or missing parameters", naming the fields; HTTP
    400 (also for a body that is not JSON: "the HTTP error 400 MUST be returned")."""
    fields = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
    )
    return _json(OcpiStatus.INVALID_PARAMETERS, fields or "invalid request", 400)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if not is_ocpi(request):
        return await http_exception_handler(request, exc)
    # An unknown URL (404) or method (405) is a client error; the admin log unavailable or
    # the read model late (503 / 504) ours. In the envelope either way.
    status = OcpiStatus.SERVER_ERROR if exc.status_code >= 500 else OcpiStatus.CLIENT_ERROR
    return _json(status, str(exc.detail), exc.status_code, exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    if not is_ocpi(request):
        return PlainTextResponse("Internal Server Error", 500)
    return _json(OcpiStatus.SERVER_ERROR, "internal error", 500)
