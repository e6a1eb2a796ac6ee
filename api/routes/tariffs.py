"""Tariffs: the operator's OCPI 2.2.1 tariffs (mod_tariffs "Tariff Object") and what they are
assigned to, read from the ``tariffs`` read model, written as admin events:
``TariffPublished`` / ``TariffDeleted`` keyed by the tariff id, ``TariffAssigned`` /
``TariffUnassigned`` keyed by the target (the station id, ``group:<id>`` or ``default``).

Versions: a PUT reads the tariff's current version N and publishes version N + 1. Two writes
that read the same N both publish N + 1; the tariff's partition orders them, the projection
applies the first and ignores the other, and the write whose tariff is not the stored
version N + 1 is answered 409 Conflict (``TariffPublished``: "the API tells its writer that
it lost").

Assignments name an existing tariff: one that is unknown or deleted is refused with 422 (the
body's ``tariff_id`` is what is wrong, not the resource addressed).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy import ColumnElement, RowMapping, and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.deps import DbDep, LimitQuery, OffsetQuery, WriterDep
from api.models import (
    NOT_FOUND,
    WRITE_ERRORS,
    ErrorBody,
    Page,
    TariffAssignmentIn,
    TariffAssignmentPublic,
    TariffIn,
    TariffPublic,
    TariffVersionPublic,
)
from billing.validation import Problem, problems
from ocpp import STATION_ID_MAX_LENGTH
from schemas.events import (
    TariffAssigned,
    TariffDeleted,
    TariffPublished,
    TariffTarget,
    TariffUnassigned,
)
from schemas.readmodel import TARIFFS, tariff_assignments, tariff_versions, tariffs
from schemas.tariffs import Tariff


class ExactJsonRequest(Request):
    """A request whose JSON numbers with a fraction or exponent are read as
    :class:`~decimal.Decimal`, never through a float: a price given as a number is kept
    exactly as written (OCPI 2.2.1 types §"number" is a decimal)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=Decimal)
        return self._json


class ExactJsonRoute(APIRoute):
    """Routes whose bodies are read by :class:`ExactJsonRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact(request: Request) -> Response:
            return await handler(ExactJsonRequest(request.scope, request.receive))

        return exact


router = APIRouter(prefix="/api/v1/tariffs", tags=["tariffs"], route_class=ExactJsonRoute)
assignments = APIRouter(prefix="/api/v1/tariff-assignments", tags=["tariffs"])

TariffIdPath = Annotated[str, Path(min_length=1, max_length=36)]
VersionPath = Annotated[int, Path(ge=1)]


def invalid(where: str, errors: Sequence[tuple[tuple[str | int, ...], str]]) -> None:
    """422 in FastAPI's own shape (``{"detail": [{"loc", "msg", "type"}]}``) for checks
    made after the request's model validated, or nothing when ``errors`` is empty."""
    if errors:
        raise RequestValidationError([
            {"loc": (where, *loc), "msg": msg, "type": "value_error"} for loc, msg in errors
        ])  # fmt: skip


def not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")


# --- tariffs -------------------------------------------------------------------------------


def published_tariff(tariff_id: str, body: TariffIn, request: Request) -> Tariff:
    """The OCPI Tariff the CSMS publishes for ``body``: OCPI 2.2.1 mod_tariffs "Tariff
    Object", ``country_code`` and ``party_id`` of the CPO that owns it, ``last_updated`` the
    time of this write."""
    config = request.app.state.config
    given = {name: getattr(body, name) for name in body.model_fields_set}
    return Tariff(id=tariff_id, country_code=config.cpo_country_code,
                  party_id=config.cpo_party_id, last_updated=datetime.now(UTC),
                  **given)  # fmt: skip


def refuse_problems(found: list[Problem]) -> None:
    """A tariff that cannot price sessions is not published (billing.validation)."""
    invalid("body", [(p.loc, p.msg) for p in found])


def tariff_public(row: RowMapping) -> TariffPublic:
    return TariffPublic.model_validate({**row, "tariff": row["body"]})


def version_public(row: RowMapping) -> TariffVersionPublic:
    return TariffVersionPublic.model_validate({**row, "tariff": row["body"]})


async def load_tariff(db: AsyncConnection, tariff_id: str, *,
                      include_deleted: bool = False) -> TariffPublic | None:  # fmt: skip
    query = select(tariffs).where(tariffs.c.tariff_id == tariff_id)
    if not include_deleted:
        query = query.where(~tariffs.c.deleted)
    row = (await db.execute(query)).first()
    return None if row is None else tariff_public(row._mapping)


async def load_version(db: AsyncConnection, tariff_id: str,
                       version: int) -> TariffVersionPublic | None:  # fmt: skip
    v = tariff_versions.c
    query = select(tariff_versions).where(v.tariff_id == tariff_id, v.version == version)
    row = (await db.execute(query)).first()
    return None if row is None else version_public(row._mapping)


async def published_by(db: AsyncConnection, tariff_id: str, version: int) -> uuid.UUID | None:
    """The event that published this version (the one the read model applied)."""
    v = tariff_versions.c
    query = select(v.event_id).where(v.tariff_id == tariff_id, v.version == version)
    found: uuid.UUID | None = (await db.execute(query)).scalar_one_or_none()
    return found


@router.put("/{tariff_id}", status_code=status.HTTP_200_OK, responses={
    201: {"model": TariffPublic, "description": "A new tariff (or a deleted one published "
          "again): version 1 (or the deleted one's next)."},
    409: {"model": ErrorBody, "description": "Another write published this version first."},
    **WRITE_ERRORS,
})  # fmt: skip
async def put_tariff(tariff_id: TariffIdPath, body: TariffIn, request: Request,
                     response: Response, db: DbDep, writer: WriterDep) -> TariffPublic:  # fmt: skip
    """Publish the next version of a tariff; returns it once the read model shows it
    (201 for a tariff that did not exist, 200 for a new version of one that did)."""
    tariff = published_tariff(tariff_id, body, request)
    refuse_problems(problems(tariff))
    current = await load_tariff(db, tariff_id, include_deleted=True)
    await db.rollback()  # end the read transaction; the write is waited for below
    version = 1 if current is None else current.version + 1
    mine = uuid.uuid4()
    await writer.write(TariffPublished(version=version, tariff=tariff), tariff_id, None,
                       shown_by=TARIFFS, event_id=mine)  # fmt: skip
    stored = await load_version(db, tariff_id, version)
    if stored is None or await published_by(db, tariff_id, version) != mine:
        raise HTTPException(status.HTTP_409_CONFLICT, f"version {version} of tariff "
                            f"{tariff_id!r} was published by another write; read it and "
                            "publish again")  # fmt: skip
    if current is None or current.deleted:
        response.status_code = status.HTTP_201_CREATED
    return TariffPublic(tariff_id=tariff_id, version=version, deleted=False,
                        published_at=stored.published_at, updated_at=stored.published_at,
                        tariff=stored.tariff)  # fmt: skip


@router.get("/{tariff_id}", responses=NOT_FOUND)
async def get_tariff(tariff_id: TariffIdPath, db: DbDep) -> TariffPublic:
    """The tariff's newest version (404 when unknown or deleted)."""
    tariff = await load_tariff(db, tariff_id)
    if tariff is None:
        raise not_found(f"tariff {tariff_id!r}")
    return tariff


@router.delete("/{tariff_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={**NOT_FOUND, **WRITE_ERRORS})  # fmt: skip
async def delete_tariff(tariff_id: TariffIdPath, db: DbDep, writer: WriterDep) -> Response:
    """Withdraw a tariff: no longer served or used to price sessions; its versions stay."""
    if await load_tariff(db, tariff_id) is None:
        raise not_found(f"tariff {tariff_id!r}")
    await db.rollback()
    await writer.write(TariffDeleted(tariff_id=tariff_id), tariff_id, None, shown_by=TARIFFS)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("")
async def list_tariffs(db: DbDep, offset: OffsetQuery = 0, limit: LimitQuery = 50,
                       include_deleted: bool = False) -> Page[TariffPublic]:  # fmt: skip
    """Every tariff's newest version, by id."""
    where = [] if include_deleted else [~tariffs.c.deleted]
    count = select(func.count()).select_from(tariffs).where(*where)
    total = (await db.execute(count)).scalar_one()
    query = select(tariffs).where(*where).order_by(tariffs.c.tariff_id)
    rows = (await db.execute(query.offset(offset).limit(limit))).all()
    items = [tariff_public(r._mapping) for r in rows]
    return Page[TariffPublic](items=items, total=total, offset=offset, limit=limit)


@router.get("/{tariff_id}/versions", responses=NOT_FOUND)
async def list_versions(tariff_id: TariffIdPath, db: DbDep, offset: OffsetQuery = 0,
                        limit: LimitQuery = 50) -> Page[TariffVersionPublic]:  # fmt: skip
    """Every version of a tariff, oldest first (a deleted tariff's too)."""
    if await load_tariff(db, tariff_id, include_deleted=True) is None:
        raise not_found(f"tariff {tariff_id!r}")
    v = tariff_versions.c
    count = select(func.count()).select_from(tariff_versions).where(v.tariff_id == tariff_id)
    total = (await db.execute(count)).scalar_one()
    query = select(tariff_versions).where(v.tariff_id == tariff_id).order_by(v.version)
    rows = (await db.execute(query.offset(offset).limit(limit))).all()
    items = [version_public(r._mapping) for r in rows]
    return Page[TariffVersionPublic](items=items, total=total, offset=offset, limit=limit)


@router.get("/{tariff_id}/versions/{version}", responses=NOT_FOUND)
async def get_version(tariff_id: TariffIdPath, version: VersionPath,
                      db: DbDep) -> TariffVersionPublic:  # fmt: skip
    found = await load_version(db, tariff_id, version)
    if found is None:
        raise not_found(f"version {version} of tariff {tariff_id!r}")
    return found


# --- assignments ---------------------------------------------------------------------------

_TARGET_FIELDS = ("station_id", "evse_id", "group_id")
_USES: Mapping[str, frozenset[str]] = {
    "evse": frozenset({"station_id", "evse_id"}), "station": frozenset({"station_id"}),
    "token_group": frozenset({"group_id"}), "default": frozenset(),
}  # fmt: skip


def misfits(target: TariffTarget,
            given: Mapping[str, object]) -> list[tuple[tuple[str | int, ...], str]]:  # fmt: skip
    """Each of the target's fields that is missing, or given though the target has no use
    for it."""
    uses = _USES[target]
    errors: list[tuple[tuple[str | int, ...], str]] = []
    for name in _TARGET_FIELDS:
        if name in uses and given[name] is None:
            errors.append(((name,), f"required for target {target!r}"))
        elif name not in uses and given[name] is not None:
            errors.append(((name,), f"not used by target {target!r}"))
    return errors


def assignment_key(target: TariffTarget, station_id: str | None, group_id: str | None) -> str:
    """The admin event's Kafka key: the station's partition for its own targets
    (``_TariffTargetFacts``)."""
    if target in ("evse", "station"):
        assert station_id is not None
        return station_id
    return f"group:{group_id}" if target == "token_group" else "default"


def same_target(target: TariffTarget, given: Mapping[str, object]) -> ColumnElement[bool]:
    a = tariff_assignments.c
    return and_(a.target == target, *(a[name].is_not_distinct_from(given[name])
                                      for name in _TARGET_FIELDS))  # fmt: skip


async def load_assignment(
    db: AsyncConnection, target: TariffTarget, given: Mapping[str, object]
) -> TariffAssignmentPublic | None:
    query = select(tariff_assignments).where(same_target(target, given))
    row = (await db.execute(query)).first()
    return None if row is None else TariffAssignmentPublic.model_validate(row._mapping)


@assignments.put("", responses={409: {"model": ErrorBody}, **WRITE_ERRORS})
async def put_assignment(body: TariffAssignmentIn, db: DbDep,
                         writer: WriterDep) -> TariffAssignmentPublic:  # fmt: skip
    """Price the target's sessions by ``tariff_id`` (replacing the tariff it had). 422 when
    the target's fields do not fit its kind, or the tariff is unknown or deleted."""
    given = body.model_dump()
    invalid("body", misfits(body.target, given))
    if await load_tariff(db, body.tariff_id) is None:
        invalid("body", [(("tariff_id",), f"no tariff {body.tariff_id!r} (unknown or deleted)")])
    await db.rollback()
    key = assignment_key(body.target, body.station_id, body.group_id)
    await writer.write(TariffAssigned(**given), key, body.station_id, shown_by=TARIFFS)
    stored = await load_assignment(db, body.target, given)
    if stored is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "unassigned by another write meanwhile")
    return stored


@assignments.get("")
async def list_assignments(
    db: DbDep,
    station_id: Annotated[str | None, Query(max_length=STATION_ID_MAX_LENGTH)] = None,
    tariff_id: Annotated[str | None, Query(max_length=36)] = None,
    offset: OffsetQuery = 0,
    limit: LimitQuery = 50,
) -> Page[TariffAssignmentPublic]:
    """Assignments by target, optionally of one station (its own and its EVSEs') or of one
    tariff."""
    a = tariff_assignments.c
    where = [c == v for c, v in ((a.station_id, station_id), (a.tariff_id, tariff_id))
             if v is not None]  # fmt: skip
    count = select(func.count()).select_from(tariff_assignments).where(*where)
    total = (await db.execute(count)).scalar_one()
    query = select(tariff_assignments).where(*where).order_by(a.target_key)
    rows = (await db.execute(query.offset(offset).limit(limit))).all()
    items = [TariffAssignmentPublic.model_validate(r._mapping) for r in rows]
    return Page[TariffAssignmentPublic](items=items, total=total, offset=offset, limit=limit)


@assignments.delete("", status_code=status.HTTP_204_NO_CONTENT,
                    responses={**NOT_FOUND, **WRITE_ERRORS})  # fmt: skip
async def delete_assignment(
    target: TariffTarget,
    db: DbDep,
    writer: WriterDep,
    station_id: Annotated[str | None, Query(min_length=1,
                                            max_length=STATION_ID_MAX_LENGTH)] = None,
    evse_id: Annotated[int | None, Query(ge=1)] = None,
    group_id: Annotated[str | None, Query(min_length=1, max_length=36)] = None,
) -> Response:
    """The target no longer has a tariff of its own (404 when it has none)."""
    given: dict[str, object] = {"station_id": station_id, "evse_id": evse_id,
                                "group_id": group_id}  # fmt: skip
    invalid("query", misfits(target, given))
    if await load_assignment(db, target, given) is None:
        raise not_found(f"an assignment of target {target!r} with these fields")
    await db.rollback()
    event = TariffUnassigned(target=target, station_id=station_id, evse_id=evse_id,
                             group_id=group_id)  # fmt: skip
    await writer.write(event, assignment_key(target, station_id, group_id), station_id,
                       shown_by=TARIFFS)  # fmt: skip
    return Response(status_code=status.HTTP_204_NO_CONTENT)
