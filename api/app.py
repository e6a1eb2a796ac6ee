"""The admin API application factory.

Every admin route requires ``Authorization: Bearer <api_token>`` (401 otherwise; the OpenAPI
document declares the HTTPBearer scheme); OCPI, under ``/ocpi/``, has its own credentials
tokens (:mod:`api.ocpi`). Reads come from the read store; writes are
admin events on Kafka, returned once projected (:mod:`api.admin_log`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from cryptography.fernet import Fernet
from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import create_async_engine

from api.admin_log import AdminLog
from api.command_log import CommandLog
from api.deps import require_token
from api.frames_log import LogReader
from api.ocpi import install as install_ocpi
from api.ocpi import is_ocpi
from api.ocpi import validation_error as ocpi_validation_error
from api.ocpi.auth import TokenSealer
from api.routes import (
    audit,
    audit_keys,
    billing,
    calls,
    locations,
    ocpi_partners,
    signed_meter_values,
    station_settings,
    stations,
    tariffs,
    tokens,
    transactions,
    verification,
)


@dataclass(frozen=True, slots=True)
class ApiConfig:
    database_url: str  # an SQLAlchemy psycopg URL
    bootstrap: str
    admin_topic: str
    api_token: str
    write_timeout_s: float = 10.0
    commands_topic: str = "csms.commands"
    call_default_expiry_s: int = 3600
    # The CPO that owns the tariffs the API publishes (OCPI 2.2.1 mod_tariffs "Tariff
    # Object": country_code, ISO 3166-1 alpha-2, and party_id, ISO 15118 CPO id).
    cpo_country_code: str = "NL"
    cpo_party_id: str = "CSM"
    # OCPI (docs/OCPI.md): our public base URL (endpoint URLs given to partners), our
    # business name in our credentials, the Fernet key sealing the tokens we present.
    ocpi_base_url: str = "http://127.0.0.1:8000"
    ocpi_business_name: str = "CSMS"
    ocpi_token_key: str = field(default="", repr=False)


def create_app(config: ApiConfig) -> FastAPI:
    """Build the API over the read store and the admin log named in ``config``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.config = config
        app.state.engine = create_async_engine(config.database_url, pool_size=10,
                                               pool_pre_ping=True)  # fmt: skip
        app.state.admin_log = AdminLog(config.bootstrap, config.admin_topic)
        app.state.command_log = CommandLog(config.bootstrap, config.commands_topic)
        app.state.log_reader = LogReader(config.bootstrap)
        app.state.ocpi_sealer = TokenSealer(config.ocpi_token_key or Fernet.generate_key().decode())
        yield
        await app.state.log_reader.close()
        await app.state.command_log.close()
        await app.state.admin_log.close()
        await app.state.engine.dispose()

    app = FastAPI(title="CSMS admin API", version="1", lifespan=lifespan)
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    for router in (
        stations.router,
        tokens.router,
        transactions.router,
        calls.router,
        station_settings.router,
        billing.router,
        tariffs.router,
        tariffs.assignments,
        audit.router,
        audit_keys.router,
        verification.router,
        signed_meter_values.keys,
        signed_meter_values.values,
        ocpi_partners.router,
        locations.router,
    ):
        app.include_router(router, dependencies=[Depends(require_token)])
    calls.include_commands(app, [Depends(require_token)])
    install_ocpi(app)  # /ocpi/...: OCPI's own token auth, not the admin Bearer token
    return app


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 naming the field (``loc``), without echoing the input (it may be a password);
    under /ocpi/ the OCPI envelope with 2001 (:func:`api.ocpi.validation_error`)."""
    if is_ocpi(request):
        return ocpi_validation_error(exc)
    errors = [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    return JSONResponse(status_code=422, content=jsonable_encoder({"detail": errors}))
