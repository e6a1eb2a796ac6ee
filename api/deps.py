"""Dependencies shared by the routes: read-store connection, admin log, bearer token."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.admin_log import AdminLog, AdminLogError, LogUnavailable, Position
from schemas.events import DomainEvent

OffsetQuery = Annotated[int, Query(ge=0)]
LimitQuery = Annotated[int, Query(ge=1, le=500)]
"""A page's parameters: rows to skip, rows at most."""

bearer = HTTPBearer(auto_error=False, description="The CSMS API token (CSMS_API_TOKEN).")


async def get_db(request: Request) -> AsyncIterator[AsyncConnection]:
    engine: AsyncEngine = request.app.state.engine
    async with engine.connect() as conn:
        yield conn


async def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """401 unless the request carries ``Authorization: Bearer <CSMS_API_TOKEN>``."""
    expected: str = request.app.state.config.api_token
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or invalid bearer token",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip


class Writer:
    """Append one admin event and wait until the read model shows it (read-your-writes)."""

    def __init__(self, request: Request) -> None:
        self.log: AdminLog = request.app.state.admin_log
        self.engine: AsyncEngine = request.app.state.engine
        self.timeout_s: float = request.app.state.config.write_timeout_s

    async def write(self, event: DomainEvent, key: str, station_id: str | None, *,
                    shown_by: str, event_id: uuid.UUID | None = None) -> Position:  # fmt: skip
        """Append ``event`` (with ``event_id`` when given) and wait until the projection
        ``shown_by`` shows it."""
        try:
            at = await self.log.append(event, key, station_id, uuid.uuid4().hex,
                                       event_id=event_id)  # fmt: skip
        except LogUnavailable as e:
            detail = "the admin log is unavailable; nothing was written"
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail) from e
        try:
            await self.log.wait_projected(self.engine, shown_by, at, self.timeout_s)
        except AdminLogError as e:
            detail = "written, but the read model has not caught up yet"
            raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT, detail) from e
        return at


DbDep = Annotated[AsyncConnection, Depends(get_db)]
WriterDep = Annotated[Writer, Depends(Writer)]
