"""CSMS-initiated calls: the generic call API, the typed commands, the call resource.

Writes append a command to the commands log (:mod:`api.command_log`); the processor's Pipe
queues and sends the call; the ``calls`` read model shows how it went (docs/CALLS.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request, status
from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import ocpp
from api.admin_log import LogUnavailable
from api.command_log import CommandLog, wait_for_call
from api.commands import COMMANDS, Command, NotApplicable, request_id_for
from api.deps import DbDep
from api.models import FINAL_CALL_STATUSES, CallIn, CallPublic, CallStatus, ErrorBody, Page
from schemas.commands import CommandKind, CommandRecord
from schemas.readmodel import calls, stations

router = APIRouter(tags=["calls"])

StationId = Annotated[str, Path(max_length=ocpp.STATION_ID_MAX_LENGTH)]
CallId = Annotated[str, Path(max_length=36)]
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "payload invalid for the station's OCPP version"},
    404: {"model": ErrorBody}, 409: {"model": ErrorBody}, 503: {"model": ErrorBody},
}  # fmt: skip


async def station_version(engine: AsyncEngine, station_id: str) -> ocpp.OcppVersion:
    # A short-lived connection: the routes below then wait for the projection, and must not
    # hold a pooled connection meanwhile.
    query = select(stations.c.ocpp_version).where(stations.c.station_id == station_id)
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"station {station_id!r} not found")
    if row[0] is None:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"station {station_id!r} never connected: its OCPP version is unknown")
    return ocpp.OcppVersion(row[0])


def public(row: RowMapping) -> CallPublic:
    return CallPublic.model_validate({**row, "id": row["call_id"]})


@router.post("/api/v1/stations/{station_id}/calls", status_code=status.HTTP_202_ACCEPTED,
             responses=ERRORS)  # fmt: skip
async def post_call(station_id: StationId, body: CallIn, request: Request) -> CallPublic:
    """Queue any CSMS-initiated call; its payload is checked against the OCPP schema of the
    station's version (400 with the validation error)."""
    version = await station_version(request.app.state.engine, station_id)
    if body.action not in ocpp.csms_initiated(version):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, {
            "code": "NotImplemented",
            "description": f"{body.action!r} is not a CSMS-initiated action of {version.value}",
        })  # fmt: skip
    return await submit(request, station_id, version, uuid.uuid4(),
                        (body.action, dict(body.payload)), body.expires_in_s)  # fmt: skip


async def submit(
    request: Request, station_id: str, version: ocpp.OcppVersion, call_id: uuid.UUID,
    call: tuple[str, dict[str, Any]], expires_in_s: int | None,
) -> CallPublic:  # fmt: skip
    """Validate, append the ``call`` command, and return the call once the read model shows
    it (or as queued, if the projection is slower than the write timeout)."""
    action, payload = call
    problem = ocpp.validate_payload(version, action, payload, response=False)
    if problem is not None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, {
            "code": problem.code, "description": problem.description, "details": problem.details,
        })  # fmt: skip
    config = request.app.state.config
    now = datetime.now(UTC)
    expires_at = now + timedelta(seconds=expires_in_s or config.call_default_expiry_s)
    command = CommandRecord(kind=CommandKind.CALL, station_id=station_id, at=now,
                            call_id=str(call_id), action=action, payload=payload,
                            ocpp_version=version.value, expires_at=expires_at)  # fmt: skip
    await _append(request, command)
    row = await wait_for_call(request.app.state.engine, str(call_id), config.write_timeout_s,
                              lambda _: True)  # fmt: skip
    if row is not None:
        return public(row)
    return CallPublic(id=str(call_id), station_id=station_id, action=action, payload=payload,
                      ocpp_version=version.value, status="queued", created_at=now,
                      expires_at=expires_at, sent_at=None, answered_at=None, response=None,
                      error=None, late=False)  # fmt: skip


async def _append(request: Request, command: CommandRecord) -> None:
    log: CommandLog = request.app.state.command_log
    try:
        await log.append(command)
    except LogUnavailable as e:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the commands log is unavailable; nothing was queued") from e


@router.get("/api/v1/calls/{call_id}", responses={404: {"model": ErrorBody}})
async def get_call(
    call_id: CallId, request: Request,
    wait: Annotated[float, Query(ge=0, le=120, description="seconds to wait for a final status")]
    = 0,
) -> CallPublic:  # fmt: skip
    row = await wait_for_call(request.app.state.engine, call_id, wait,
                              lambda r: r["status"] in FINAL_CALL_STATUSES)  # fmt: skip
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"call {call_id!r} not found")
    return public(row)


@router.delete("/api/v1/calls/{call_id}", responses={**ERRORS, 504: {"model": ErrorBody}})
async def cancel_call(call_id: CallId, request: Request) -> CallPublic:
    """Cancel a queued call (409 once it was sent or has ended)."""
    async with request.app.state.engine.connect() as conn:
        row = (await conn.execute(select(calls).where(calls.c.call_id == call_id))).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"call {call_id!r} not found")
    if row.status != "queued":
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"call is {row.status}: only a queued call can be cancelled")
    await _append(request, CommandRecord(kind=CommandKind.CANCEL, station_id=row.station_id,
                                         at=datetime.now(UTC), call_id=call_id))  # fmt: skip
    after = await wait_for_call(request.app.state.engine, call_id,
                                request.app.state.config.write_timeout_s,
                                lambda r: r["status"] != "queued")  # fmt: skip
    if after is None or after["status"] == "queued":
        raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT,
                            "cancel requested, but the read model has not caught up yet")
    if after["status"] != "cancelled":
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"call is {after['status']}: it left the queue before the cancel")
    return public(after)


@router.get("/api/v1/stations/{station_id}/calls")
async def list_station_calls(
    station_id: StationId, db: DbDep,
    status_: Annotated[CallStatus | None, Query(alias="status")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[CallPublic]:  # fmt: skip
    """The station's calls, newest first."""
    conditions = [calls.c.station_id == station_id]
    if status_ is not None:
        conditions.append(calls.c.status == status_)
    total = (await db.execute(select(func.count()).select_from(calls)
                              .where(*conditions))).scalar_one()  # fmt: skip
    query = (select(calls).where(*conditions)
             .order_by(calls.c.created_at.desc(), calls.c.call_id).offset(offset).limit(limit))
    items = [public(r._mapping) for r in (await db.execute(query)).all()]
    return Page[CallPublic](items=items, total=total, offset=offset, limit=limit)


def _typed_endpoint(name: str, model: type[Command]) -> Callable[..., Any]:
    async def endpoint(station_id: StationId, body: Command, request: Request) -> CallPublic:
        version = await station_version(request.app.state.engine, station_id)
        call_id = uuid.uuid4()
        try:
            call = body.to_call(version, request_id_for(str(call_id)))
        except NotApplicable as e:
            raise HTTPException(status.HTTP_409_CONFLICT, str(e)) from e
        return await submit(request, station_id, version, call_id, call, body.expires_in_s)

    endpoint.__annotations__ = {**endpoint.__annotations__, "body": model}
    endpoint.__name__ = "command_" + name.replace("-", "_")
    endpoint.__doc__ = (f"``{name}``: {model.__doc__ or model.__name__} Mapped to the message "
                        "of the station's OCPP version (409 where it has none).")  # fmt: skip
    return endpoint


def include_commands(app: FastAPI, dependencies: list[Any]) -> None:
    """One ``POST /api/v1/stations/{id}/commands/<name>`` per typed command."""
    typed = APIRouter(prefix="/api/v1/stations/{station_id}/commands", tags=["commands"])
    for name, model in COMMANDS.items():
        typed.add_api_route(f"/{name}", _typed_endpoint(name, model), methods=["POST"],
                            status_code=status.HTTP_202_ACCEPTED, response_model=CallPublic,
                            responses=ERRORS)  # fmt: skip
    app.include_router(typed, dependencies=dependencies)
