"""OCPI 2.2.1 Tariffs module, CPO sender interface (mod_tariffs §"CPO Interface"): the
operator's tariffs from the ``tariffs`` read model, each in its newest version.

A withdrawn tariff (``DELETE /api/v1/tariffs/{id}``) is not listed: mod_tariffs has the CPO
DELETE it at the eMSP, and a GET lists only the tariffs in use. The ``last_updated`` the
window filters on is the Tariff object's own (stamped when the version was published).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from sqlalchemy import ColumnElement, DateTime, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.deps import DbDep
from api.ocpi.auth import CallerDep
from api.ocpi.envelope import OcpiResponse
from api.ocpi.paging import PagingDep, paged
from schemas.ocpi.tariffs import OcpiTariff
from schemas.readmodel import tariffs
from schemas.tariffs import Tariff

router = APIRouter(prefix="/ocpi/2.2.1/cpo/tariffs", tags=["ocpi"])

_last_updated = tariffs.c.body["last_updated"].astext.cast(DateTime(timezone=True))


def _window(date_from: datetime | None, date_to: datetime | None) -> list[ColumnElement[bool]]:
    # OCPI 2.2.1 mod_tariffs §"GET Method": last_updated >= date_from and < date_to.
    conditions: list[ColumnElement[bool]] = [tariffs.c.deleted.is_(False)]
    if date_from is not None:
        conditions.append(_last_updated >= date_from)
    if date_to is not None:
        conditions.append(_last_updated < date_to)
    return conditions


async def tariffs_page(db: AsyncConnection, *, date_from: datetime | None,
                       date_to: datetime | None, offset: int,
                       limit: int) -> tuple[list[Tariff], int]:  # fmt: skip
    """The tariffs in use last updated in [date_from, date_to), by last_updated then id,
    ``offset``/``limit``, and how many match."""
    conditions = _window(date_from, date_to)
    total = (await db.execute(select(func.count()).select_from(tariffs)
                              .where(*conditions))).scalar_one()  # fmt: skip
    rows = await db.execute(select(tariffs.c.body).where(*conditions)
                            .order_by(_last_updated, tariffs.c.tariff_id)
                            .offset(offset).limit(limit))  # fmt: skip
    return [Tariff.model_validate(body) for body in rows.scalars()], total


@router.get("")
async def get_tariffs(request: Request, response: Response, caller: CallerDep, db: DbDep,
                      paging: PagingDep) -> OcpiResponse[list[OcpiTariff]]:  # fmt: skip
    """mod_tariffs §"CPO Interface" GET: one page of the tariffs."""
    items, total = await tariffs_page(db, date_from=paging.date_from, date_to=paging.date_to,
                                      offset=paging.offset, limit=paging.limit)  # fmt: skip
    return paged(request, response, items, total, paging)
